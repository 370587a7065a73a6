import { request } from 'node:https';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Coordinator } from '../../src/coordinator/index.ts';
import { connect } from '../../src/sdk/index.ts';
import { startDrover, stopProcess } from '../integration/ProcessCluster.ts';
import { makeCertificates, type TestCertificates } from './makeCertificates.ts';
import { newToken, RawClients, statusOf } from './securityCluster.ts';

// A real `drover coordinator` with TLS on both listeners, tokens, and mutual TLS for agents, a real
// `drover agent` presenting its certificate, and the SDK verifying the server with a custom CA.

const droverBin = fileURLToPath(new URL('../../bin/drover.js', import.meta.url));
const tokens = { alice: newToken(), agent: newToken() };
let dir: string;
let certs: TestCertificates;
let files: Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey' | 'otherCa' | 'otherClientCert' | 'otherClientKey' | 'tokens', string>;
let address: string;
const children: ChildProcess[] = [];
const clients: RawClients[] = [];
const raw = (token: string | undefined, tls: ConstructorParameters<typeof RawClients>[2]): RawClients => {
  const c = new RawClients(address, token, tls);
  clients.push(c);
  return c;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drover-tls-'));
  certs = makeCertificates(dir);
  files = {
    ca: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
    otherCa: join(dir, 'other-ca.crt'),
    otherClientCert: join(dir, 'other-client.crt'),
    otherClientKey: join(dir, 'other-client.key'),
    tokens: join(dir, 'tokens'),
  };
  writeFileSync(files.tokens, `client alice ${tokens.alice}\nagent rack-1 ${tokens.agent}\n`);
  writeFileSync(join(dir, 'agent-token'), `${tokens.agent}\n`, { mode: 0o600 });
  const { child, match } = await startDrover(
    ['coordinator', '--listen', '127.0.0.1:0', '--tokens-file', files.tokens, '--tls-cert', files.serverCert, '--tls-key', files.serverKey, '--tls-client-ca', files.ca],
    /listening on (\S+)/,
  );
  children.push(child);
  address = match[1]!;
  const { child: agent } = await startDrover(
    ['agent', '--coordinator', address, '--processes', '1', '--name', 'tls-agent', '--token-file', join(dir, 'agent-token'), '--tls-ca', files.ca, '--tls-cert', files.clientCert, '--tls-key', files.clientKey],
    /connected/,
  );
  children.push(agent);
});

afterAll(async () => {
  for (const c of clients) c.close();
  for (const child of children.reverse()) await stopProcess(child);
  rmSync(dir, { recursive: true, force: true });
});

describe('TLS', () => {
  it('the SDK verifies the coordinator with a custom CA and runs a job through an agent that joined with mutual TLS', async () => {
    await using pool = await connect({ address, token: tokens.alice, tls: { ca: files.ca } });
    const tasks = await pool.load<typeof import('../fixtures/tasks.ts')>(new URL('../fixtures/tasks.ts', import.meta.url));
    expect(await pool.map(tasks.square, [1, 2, 3, 4, 5, 6])).toEqual([1, 4, 9, 16, 25, 36]);
    const where = await pool.apply(tasks.whereAmI, 1);
    expect(where.agent).toBe('tls-agent');
  });

  it('`drover map` verifies the coordinator with --tls-ca and maps a JSON-lines file', async () => {
    const input = join(dir, 'items.jsonl');
    const output = join(dir, 'results.jsonl');
    writeFileSync(input, '2\n3\n4\n');
    const tasksModule = fileURLToPath(new URL('../fixtures/tasks.ts', import.meta.url));
    const run = spawnSync(process.execPath, [droverBin, 'map', `${tasksModule}#square`, '--input', input, '--output', output,
      '--coordinator', address, '--tls-ca', files.ca], { env: { ...process.env, DROVER_TOKEN: tokens.alice }, encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(readFileSync(output, 'utf8')).toBe('4\n9\n16\n');
    // Without the CA, the same command cannot reach the coordinator (exit 3).
    const untrusted = spawnSync(process.execPath, [droverBin, 'map', `${tasksModule}#square`, '--input', input, '--output', output,
      '--coordinator', address, '--tls'], { env: { ...process.env, DROVER_TOKEN: tokens.alice }, encoding: 'utf8', timeout: 60_000 });
    expect(untrusted.status).toBe(3);
    // Admin commands verify the server the same way: through TLS, a client token is refused (4), not unreachable (3).
    const status = spawnSync(process.execPath, [droverBin, 'status', '--coordinator', address, '--tls-ca', files.ca],
      { env: { ...process.env, DROVER_TOKEN: tokens.alice }, encoding: 'utf8', timeout: 60_000 });
    expect(status.status, status.stderr).toBe(4);
  });

  it('a plaintext client against the TLS port fails (UNAVAILABLE), and nothing reaches a service', async () => {
    const plain = raw(tokens.alice, undefined);
    expect((await statusOf(plain.list())).code).toBe(grpc.status.UNAVAILABLE);
    expect(await raw(tokens.agent, undefined).connectAgent('plain-agent')).toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  it('a client that does not trust the server’s CA fails (UNAVAILABLE): it never sends its token', async () => {
    expect((await statusOf(raw(tokens.alice, { ca: files.otherCa }).list())).code).toBe(grpc.status.UNAVAILABLE);
    // The system roots do not know a private CA either.
    expect((await statusOf(raw(tokens.alice, true).list())).code).toBe(grpc.status.UNAVAILABLE);
  });

  it('a server name other than the certificate’s fails verification', async () => {
    expect((await statusOf(raw(tokens.alice, { ca: files.ca, serverName: 'coordinator.example' }).list())).code).toBe(grpc.status.UNAVAILABLE);
  });

  it('clients need no certificate; agents do (UNAUTHENTICATED without one, or with one from another CA)', async () => {
    expect((await raw(tokens.alice, { ca: files.ca }).list()).jobs).toBeInstanceOf(Array);
    const noCert = await raw(tokens.agent, { ca: files.ca }).connectAgent('no-cert-agent');
    expect(noCert).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    expect((noCert as { details: string }).details).toMatch(/client certificate signed by the coordinator's --tls-client-ca/);
    const wrongCa = await raw(tokens.agent, { ca: files.ca, cert: files.otherClientCert, key: files.otherClientKey }).connectAgent('wrong-ca-agent');
    expect(wrongCa).toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    // A certificate does not replace the token: a client token with a valid certificate is still a client.
    expect(await raw(tokens.alice, { ca: files.ca, cert: files.clientCert, key: files.clientKey }).connectAgent('client-with-cert')).toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    expect(await raw(tokens.agent, { ca: files.ca, cert: files.clientCert, key: files.clientKey }).connectAgent('good-agent')).toEqual({ registered: true });
    // The real agent still serves.
    await using pool = await connect({ address, token: tokens.alice, tls: { ca: certs.caCert } });
    const tasks = await pool.load<typeof import('../fixtures/tasks.ts')>(new URL('../fixtures/tasks.ts', import.meta.url));
    expect(await pool.starmap(tasks.add, [[1, 2], [3, 4]])).toEqual([3, 7]);
  });
});

describe('drover local with TLS', () => {
  it('serves TLS, and its in-process agent fetches the job\'s bundle from it over TLS (the served certificate pinned)', async () => {
    // The server certificate is signed by a CA: the agent inside `drover local` is not told that CA, it trusts the certificate itself.
    const { child, match } = await startDrover(
      ['local', '--listen', '127.0.0.1:0', '--processes', '1', '--tls-cert', files.serverCert, '--tls-key', files.serverKey],
      /^export DROVER_ADDRESS=(\S+) DROVER_TOKEN_FILE=(\S+)/,
    );
    children.push(child);
    const localAddress = match[1]!;
    const token = readFileSync(match[2]!, 'utf8').trim();
    await using pool = await connect({ address: localAddress, token, tls: { ca: files.ca } });
    const tasks = await pool.load<typeof import('../fixtures/tasks.ts')>(new URL('../fixtures/tasks.ts', import.meta.url));
    expect(await pool.map(tasks.square, [1, 2, 3])).toEqual([1, 4, 9]);
    const plaintext = new RawClients(localAddress, token, undefined);
    clients.push(plaintext);
    expect((await statusOf(plaintext.list())).code).toBe(grpc.status.UNAVAILABLE);
  });

  it('refuses --tls-client-ca, saying what to run for mutual TLS', () => {
    const run = spawnSync(
      process.execPath,
      [droverBin, 'local', '--listen', '127.0.0.1:0', '--tls-cert', files.serverCert, '--tls-key', files.serverKey, '--tls-client-ca', files.ca],
      { encoding: 'utf8', env: { ...process.env, DROVER_LOG_LEVEL: 'warn' }, timeout: 20_000 },
    );
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/drover coordinator --tls-client-ca/);
  });
});

describe('TLS and tokens on the HTTP side', () => {
  it('serves https with the same certificate; the dashboard API needs an admin token, /metrics stays open', async () => {
    const root = newToken();
    const coordinator = new Coordinator({
      listen: '127.0.0.1:0',
      httpListen: '127.0.0.1:0',
      logger: pino({ level: 'silent' }),
      tokens: [
        { role: 'client', principal: 'alice', token: tokens.alice },
        { role: 'admin', principal: 'root', token: root },
      ],
      tls: { cert: certs.serverCert, key: certs.serverKey },
    });
    await coordinator.start();
    try {
      const http = coordinator.httpAddress!;
      const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
      expect(await httpsGet(`https://${http}/healthz`, certs.caCert)).toEqual({ status: 200, body: 'ok\n' });
      // Metrics stay open for Prometheus (aggregate counts only).
      const metrics = await httpsGet(`https://${http}/metrics`, certs.caCert);
      expect(metrics.status).toBe(200);
      expect(metrics.body).toMatch(/drover_agents 0/);
      expect((await httpsGet(`https://${http}/api/jobs`, certs.caCert)).status).toBe(401);
      expect((await httpsGet(`https://${http}/api/jobs`, certs.caCert, bearer(newToken()))).status).toBe(401);
      expect((await httpsGet(`https://${http}/api/jobs`, certs.caCert, bearer(tokens.alice))).status).toBe(401);
      expect((await httpsGet(`https://${http}/api/jobs`, certs.caCert, bearer(root))).status).toBe(200);
      await expect(httpsGet(`https://${http}/healthz`, certs.otherCaCert)).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
      await expect(fetch(`http://${http}/healthz`)).rejects.toThrow();
    } finally {
      await coordinator.stop();
    }
  });
});

function httpsGet(url: string, ca: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
