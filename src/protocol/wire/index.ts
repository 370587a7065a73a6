// Hand-written protobuf wire encoding for the messages sent per task (input and result batches):
// one pass into one buffer, where the generated writer allocates a buffer per nested message.
export { varintSize } from './varintSize.ts';
export { writeVarint } from './writeVarint.ts';
export { readVarint } from './readVarint.ts';
export { FastPathReader, NOT_FAST } from './FastPathReader.ts';
