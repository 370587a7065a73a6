import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { protoPath as healthProtoPath } from 'grpc-health-check';

/** The repository's `proto/` directory (drover runs from its sources). */
const PROTO_ROOT = fileURLToPath(new URL('../../proto/', import.meta.url));

/**
 * gRPC server reflection (`grpc.reflection.v1` and `v1alpha`) describing drover's services and
 * `grpc.health.v1.Health`, built from the `.proto` files themselves — the public contract — so that
 * `grpcurl -plaintext HOST:PORT list` and `describe` work against a coordinator without local protos.
 */
export function createReflectionService(): ReflectionService {
  const files = readdirSync(`${PROTO_ROOT}drover/v1`)
    .filter((name) => name.endsWith('.proto'))
    .map((name) => `drover/v1/${name}`);
  const definition = loadSync([...files, healthProtoPath], {
    includeDirs: [PROTO_ROOT],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  return new ReflectionService(definition);
}
