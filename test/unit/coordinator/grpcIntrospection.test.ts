// grpc.health.v1 and server reflection on the coordinator, checked with raw grpc-js clients (what
// grpcurl and Kubernetes gRPC probes do).
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { afterEach, describe, expect, it } from 'vitest';
import { Coordinator } from '../../../src/coordinator/index.ts';
import { createLogger } from '../../../src/protocol/logging/index.ts';

const logger = createLogger({ name: 'test', level: 'silent' });
let coordinator: Coordinator | undefined;
const clients: grpc.Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await coordinator?.stop();
  coordinator = undefined;
});

/** `grpc.health.v1.HealthCheckRequest{service}` encoded by hand: field 1, length-delimited. */
function encodeHealthRequest(service: string): Buffer {
  const name = Buffer.from(service);
  return Buffer.concat([Buffer.from([0x0a, name.length]), name]);
}

/** `HealthCheckResponse.status` (field 1, varint): 1 SERVING, 2 NOT_SERVING. */
function decodeHealthStatus(bytes: Buffer): number {
  return bytes.length === 0 ? 0 : bytes[0] === 0x08 ? bytes[1]! : -1;
}

function check(client: grpc.Client, service: string): Promise<{ status?: number; code?: grpc.status }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest('/grpc.health.v1.Health/Check', encodeHealthRequest, decodeHealthStatus, service, (error, status) => {
      resolve(error ? { code: error.code } : { status: status! });
    });
  });
}

describe('coordinator gRPC introspection', () => {
  it('answers grpc.health.v1 Check with SERVING for the server and each service, NOT_FOUND for others', async () => {
    coordinator = new Coordinator({ listen: '127.0.0.1:0', logger });
    await coordinator.start();
    const client = new grpc.Client(coordinator.address, grpc.credentials.createInsecure());
    clients.push(client);
    expect(await check(client, '')).toEqual({ status: 1 });
    expect(await check(client, 'drover.v1.Jobs')).toEqual({ status: 1 });
    expect(await check(client, 'drover.v1.Agents')).toEqual({ status: 1 });
    expect(await check(client, 'no.such.Service')).toEqual({ code: grpc.status.NOT_FOUND });
  });

  it('reports NOT_SERVING on Watch when the coordinator stops', async () => {
    coordinator = new Coordinator({ listen: '127.0.0.1:0', logger });
    await coordinator.start();
    const client = new grpc.Client(coordinator.address, grpc.credentials.createInsecure());
    clients.push(client);
    const statuses: number[] = [];
    const call = client.makeServerStreamRequest('/grpc.health.v1.Health/Watch', encodeHealthRequest, decodeHealthStatus, '');
    call.on('error', () => {});
    const notServing = new Promise<void>((resolve) => {
      call.on('data', (status: number) => {
        statuses.push(status);
        if (status === 2) resolve();
      });
    });
    await new Promise<void>((resolve) => call.once('data', () => resolve()));
    const stopping = coordinator.stop();
    await notServing;
    await stopping;
    expect(statuses[0]).toBe(1);
    expect(statuses.at(-1)).toBe(2);
  });

  it('serves reflection: lists drover services and health, and returns the file defining a symbol', async () => {
    coordinator = new Coordinator({ listen: '127.0.0.1:0', logger });
    await coordinator.start();
    const protoDir = fileURLToPath(new URL('../../../node_modules/@grpc/reflection/build/proto/', import.meta.url));
    const definition = loadSync('grpc/reflection/v1/reflection.proto', { includeDirs: [protoDir], keepCase: true, oneofs: true, defaults: true });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      grpc: { reflection: { v1: { ServerReflection: new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client & {
        ServerReflectionInfo(): grpc.ClientDuplexStream<Record<string, unknown>, ReflectionResponse>;
      } } } };
    };
    const client = new loaded.grpc.reflection.v1.ServerReflection(coordinator.address, grpc.credentials.createInsecure());
    clients.push(client);
    const ask = (request: Record<string, unknown>): Promise<ReflectionResponse> =>
      new Promise((resolve, reject) => {
        const call = client.ServerReflectionInfo();
        call.on('data', (response: ReflectionResponse) => {
          resolve(response);
          call.end();
        });
        call.on('error', reject);
        call.write(request);
      });

    const listed = await ask({ list_services: '' });
    const names = listed.list_services_response?.service.map((s) => s.name) ?? [];
    expect(names).toEqual(expect.arrayContaining(['drover.v1.Jobs', 'drover.v1.Agents', 'drover.v1.Blobs', 'drover.v1.Admin', 'grpc.health.v1.Health']));

    const file = await ask({ file_containing_symbol: 'drover.v1.Admin' });
    const protos = file.file_descriptor_response?.file_descriptor_proto ?? [];
    const text = protos.map((bytes) => Buffer.from(bytes).toString('latin1')).join('\n');
    expect(text).toContain('drover.v1');
    expect(text).toContain('ListJobs');
    // The message types it uses come along (JobInfo is declared in jobs.proto), so a client can resolve them.
    expect(text).toContain('JobInfo');
    expect(text).toContain('failures_by_kind');

    const missing = await ask({ file_containing_symbol: 'drover.v1.NoSuchThing' });
    expect(missing.error_response?.error_code).toBe(grpc.status.NOT_FOUND);
  });
});

interface ReflectionResponse {
  list_services_response?: { service: { name: string }[] };
  file_descriptor_response?: { file_descriptor_proto: Uint8Array[] };
  error_response?: { error_code: number; error_message: string };
}
