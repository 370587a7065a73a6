/** The generated protobuf messages, services and clients (ts-proto, from proto/drover/v1). */
export * from './gen/drover/v1/common.ts';
export * from './gen/drover/v1/jobs.ts';
export * from './gen/drover/v1/agents.ts';
export * from './gen/drover/v1/blobs.ts';
export * from './gen/drover/v1/admin.ts';
