// The admin commands' client: the token resolved from flags and environment reaches the coordinator as
// `authorization: Bearer …`, and gRPC failures become the documented exit codes.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClusterClient } from '../../../src/cli/ClusterClient.ts';
import { ExitCode } from '../../../src/cli/ExitCode.ts';
import { resolveConnection } from '../../../src/cli/resolveConnection.ts';
import { pb } from '../../../src/protocol/index.ts';

let server: grpc.Server;
let address: string;
let dir: string;
const seen: string[] = [];
/** What Admin.Stats answers: a status code to fail with, or 0 for a StatsResponse. */
let failWith: grpc.status = grpc.status.OK;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drover-cluster-client-'));
  seen.length = 0;
  failWith = grpc.status.OK;
  server = new grpc.Server();
  server.addService(pb.AdminService, {
    listAgents: (_call: unknown, cb: grpc.sendUnaryData<pb.ListAgentsResponse>) => cb(null, { agents: [] }),
    listJobs: (_call: unknown, cb: grpc.sendUnaryData<pb.AdminListJobsResponse>) => cb(null, { jobs: [] }),
    stats: (call: grpc.ServerUnaryCall<pb.StatsRequest, pb.StatsResponse>, cb: grpc.sendUnaryData<pb.StatsResponse>) => {
      seen.push(String(call.metadata.get('authorization')[0] ?? ''));
      if (failWith !== grpc.status.OK) return cb({ code: failWith, details: 'token expired' });
      cb(null, { agents: 0, slots: 0, tasksQueued: 0, tasksRunning: 0, tasksCompleted: 0, jobsOpen: 0, jobs: [] });
    },
  } satisfies pb.AdminServer);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  address = `127.0.0.1:${port}`;
});

afterEach(async () => {
  server.forceShutdown();
  await rm(dir, { recursive: true, force: true });
});

describe('ClusterClient', () => {
  it('sends the token from --token-file, else DROVER_TOKEN, else DROVER_TOKEN_FILE (as the SDK); flags win', async () => {
    await writeFile(join(dir, 'flag'), 'from-flag\n');
    await writeFile(join(dir, 'env'), '  from-env-file  \n');
    const cases: [Parameters<typeof resolveConnection>[0], NodeJS.ProcessEnv, string][] = [
      [{ coordinator: address, tokenFile: join(dir, 'flag') }, { DROVER_TOKEN_FILE: join(dir, 'env'), DROVER_TOKEN: 'x' }, 'Bearer from-flag'],
      [{ coordinator: address }, { DROVER_TOKEN_FILE: join(dir, 'env'), DROVER_TOKEN: 'x' }, 'Bearer x'],
      [{ coordinator: address }, { DROVER_TOKEN_FILE: join(dir, 'env') }, 'Bearer from-env-file'],
      [{}, { DROVER_ADDRESS: address, DROVER_TOKEN: 'plain' }, 'Bearer plain'],
      [{ coordinator: address }, {}, ''],
    ];
    for (const [flags, env, expected] of cases) {
      const client = new ClusterClient(resolveConnection(flags, env));
      await client.stats();
      client.close();
      expect(seen.at(-1)).toBe(expected);
    }
  });

  it('maps refused credentials to exit 4 and an unreachable coordinator to exit 3', async () => {
    failWith = grpc.status.UNAUTHENTICATED;
    const client = new ClusterClient(resolveConnection({ coordinator: address }, {}));
    await expect(client.stats()).rejects.toMatchObject({ exitCode: ExitCode.unauthorized, message: expect.stringMatching(/refused the request: token expired/) });
    failWith = grpc.status.PERMISSION_DENIED;
    await expect(client.stats()).rejects.toMatchObject({ exitCode: ExitCode.unauthorized });
    client.close();
    server.forceShutdown();
    const gone = new ClusterClient(resolveConnection({ coordinator: address }, {}), 2000);
    await expect(gone.stats()).rejects.toMatchObject({ exitCode: ExitCode.unreachable });
    gone.close();
  });

  it('refuses half a client certificate, an empty token file and a malformed address (exit 2)', () => {
    expect(() => resolveConnection({ tlsCert: join(dir, 'c.pem') }, {})).toThrow(expect.objectContaining({ exitCode: ExitCode.usage }));
    expect(() => resolveConnection({ coordinator: 'no-port' }, {})).toThrow(expect.objectContaining({ exitCode: ExitCode.usage }));
    return writeFile(join(dir, 'empty'), '\n').then(() => {
      expect(() => resolveConnection({ tokenFile: join(dir, 'empty') }, {})).toThrow(/is empty/);
      expect(resolveConnection({ tls: true }, {}).tls).toBe(true);
    });
  });
});
