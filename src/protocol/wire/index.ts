// Hand-written protobuf wire encoding and decoding for the messages that carry every task (input,
// assignment and result batches): one pass into one buffer, where the generated writer allocates a
// buffer per nested message, and one loop over the bytes, where the generated reader converts each uint64
// through a BigInt and makes an object and strings per nested field.
export { varintSize } from './varintSize.ts';
export { writeVarint } from './writeVarint.ts';
export { readVarint } from './readVarint.ts';
export { FastPathReader } from './FastPathReader.ts';
export { NOT_FAST } from './NOT_FAST.ts';
export { LastRead } from './LastRead.ts';
export { utf8Length } from './utf8Length.ts';
export { writeUtf8 } from './writeUtf8.ts';
