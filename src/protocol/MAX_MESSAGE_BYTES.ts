/** Largest gRPC message any drover process sends or accepts; batches are kept far below it. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
