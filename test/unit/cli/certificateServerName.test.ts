import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { certificateServerName } from '../../../src/cli/certificateServerName.ts';

const dir = mkdtempSync(join(tmpdir(), 'drover-cert-name-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A throwaway self-signed certificate (PEM) for subject CN `cn`, with the subjectAltName extension `san` if given. */
function certificate(name: string, cn: string, san?: string): string {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${cn}`,
    ...(san ? ['-addext', `subjectAltName=${san}`] : []), '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`),
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  return readFileSync(join(dir, `${name}.crt`), 'utf8');
}

describe('certificateServerName', () => {
  it('takes the first DNS name, else the first IP address, else the subject CN', () => {
    expect(certificateServerName(certificate('both', 'ignored', 'IP:10.0.0.7,DNS:coord.lab,DNS:other'))).toBe('coord.lab');
    expect(certificateServerName(certificate('ip', 'ignored', 'IP:10.0.0.7'))).toBe('10.0.0.7');
    expect(certificateServerName(certificate('cn', 'workstation.local'))).toBe('workstation.local');
  });
});
