/**
 * drover's protocol layer, imported by every role (SDK, coordinator, agent, worker):
 * the generated gRPC types, the CBOR value codec, digests and the typed errors.
 *
 * @example
 * import { encodeValue, decodeValue } from '../protocol/index.ts';
 * decodeValue(encodeValue({ n: 1n, at: new Date() }));
 *
 * @module
 */
export type { AgentsStream } from './AgentsStream.ts';
export { AgentsClient } from './AgentsClient.ts';
export { encodeMessage, type MessageEncoder } from './encodeMessage.ts';
export { serializeCoordinatorMessage } from './serializeCoordinatorMessage.ts';
export { serializeJobResponse } from './serializeJobResponse.ts';
export { deserializeJobRequest } from './deserializeJobRequest.ts';
export { deserializeCoordinatorMessage } from './deserializeCoordinatorMessage.ts';
export { encodeTaskResult } from './encodeTaskResult.ts';
export { EncodedResultBatch } from './EncodedResultBatch.ts';
export { withReusedEncoding, type MethodEncoders } from './withReusedEncoding.ts';
export { encodeValue } from './codec/encodeValue.ts';
export { decodeValue } from './codec/decodeValue.ts';
export { encodeItems } from './codec/encodeItems.ts';
export { decodeItems } from './codec/decodeItems.ts';
export { encodeTaskPayload } from './codec/encodeTaskPayload.ts';
export { decodeTaskPayload, type TaskItems } from './codec/decodeTaskPayload.ts';
export { SINGLE_ARGUMENTS_TAG } from './codec/SINGLE_ARGUMENTS_TAG.ts';
export { sha256Hex } from './sha256Hex.ts';
export { MAX_MESSAGE_BYTES } from './MAX_MESSAGE_BYTES.ts';
export { TASK_TOO_LARGE_CODE } from './TASK_TOO_LARGE_CODE.ts';
export { clientChannelOptions } from './clientChannelOptions.ts';
export { createChannelCredentials } from './createChannelCredentials.ts';
export type { ClientTls } from './ClientTls.ts';
// createLogger is in ./logging/index.ts: importing this module does not load pino.
export type { Logger, LoggerOptions } from './logging/index.ts';
export { DroverError, type DroverErrorOptions } from './errors/DroverError.ts';
export { TaskError, type TaskErrorDetails, type TaskFailureKind } from './errors/TaskError.ts';
export { TimeoutError } from './errors/TimeoutError.ts';
export { PoolClosedError } from './errors/PoolClosedError.ts';
export { CancelledError } from './errors/CancelledError.ts';
export { ConnectionError } from './errors/ConnectionError.ts';
export { BundleError } from './errors/BundleError.ts';
export { UsageError } from './errors/UsageError.ts';
export { BlobError } from './errors/BlobError.ts';
export { CodecError } from './errors/CodecError.ts';
export { uploadFile } from './blobs/uploadFile.ts';
export { listenHttpServer } from './listenHttpServer.ts';
export type { BlobScope } from './blobs/BlobScope.ts';
export * as pb from './pb.ts';
