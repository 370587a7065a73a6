import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as grpc from '@grpc/grpc-js';
import type { ReflectionService } from '@grpc/reflection';

/** The repository's `proto/` directory (drover runs from its sources). */
const PROTO_ROOT = fileURLToPath(new URL('../../proto/', import.meta.url));
const require = createRequire(import.meta.url);

/** The reflection API versions served; grpcurl asks for v1 first and falls back to v1alpha. */
const VERSIONS = ['v1', 'v1alpha'] as const;

/** What {@link createReflectionService} returns: it adds the reflection services to a server. */
export interface LazyReflectionService {
  addToServer(server: Pick<grpc.Server, 'addService'>): void;
}

/**
 * gRPC server reflection (`grpc.reflection.v1` and `v1alpha`) describing drover's services and
 * `grpc.health.v1.Health`, built from the `.proto` files themselves — the public contract — so that
 * `grpcurl -plaintext HOST:PORT list` and `describe` work against a coordinator without local protos.
 *
 * Built on the first reflection call, not at start-up: protobufjs, the parsed `.proto` files and
 * their descriptors cost a coordinator ~10 MB of RSS that only grpcurl sessions need. The services
 * are registered at once (method paths are fixed by the reflection API), with serializers and
 * handlers that load the real implementation when first used. Throws at once if `proto/` is missing.
 */
export function createReflectionService(): LazyReflectionService {
  const files = readdirSync(`${PROTO_ROOT}drover/v1`)
    .filter((name) => name.endsWith('.proto'))
    .map((name) => `drover/v1/${name}`);
  let loaded: Map<string, { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation }> | undefined;
  const load = (version: string) => {
    if (!loaded) {
      // CommonJS packages, required synchronously: a deserializer cannot wait for an import().
      const { loadSync } = require('@grpc/proto-loader') as typeof import('@grpc/proto-loader');
      const { ReflectionService: Reflection } = require('@grpc/reflection') as typeof import('@grpc/reflection');
      const { protoPath: healthProtoPath } = require('grpc-health-check') as typeof import('grpc-health-check');
      const definition = loadSync([...files, healthProtoPath], {
        includeDirs: [PROTO_ROOT],
        keepCase: true,
        longs: String,
        enums: String,
        defaults: true,
        oneofs: true,
      });
      const services = new Map<string, { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation }>();
      const real: ReflectionService = new Reflection(definition);
      // The real service adds one service per API version: capture them instead of serving them twice.
      real.addToServer({
        addService: (def: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation) => {
          const path = Object.values(def)[0]!.path;
          services.set(path.split('.')[2]!, { definition: def, implementation });
        },
      } as unknown as grpc.Server);
      loaded = services;
    }
    return loaded.get(version)!;
  };
  return {
    addToServer(server) {
      for (const version of VERSIONS) {
        const method = () => load(version).definition.ServerReflectionInfo!;
        const definition: grpc.ServiceDefinition = {
          ServerReflectionInfo: {
            path: `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`,
            originalName: 'serverReflectionInfo',
            requestStream: true,
            responseStream: true,
            requestSerialize: (value: unknown) => method().requestSerialize(value),
            requestDeserialize: (bytes: Buffer) => method().requestDeserialize(bytes),
            responseSerialize: (value: unknown) => method().responseSerialize(value),
            responseDeserialize: (bytes: Buffer) => method().responseDeserialize(bytes),
          },
        };
        server.addService(definition, {
          ServerReflectionInfo: (call: grpc.ServerDuplexStream<unknown, unknown>) =>
            (load(version).implementation.ServerReflectionInfo as grpc.handleBidiStreamingCall<unknown, unknown>)(call),
        });
      }
    },
  };
}
