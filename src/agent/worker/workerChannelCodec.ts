import { Encoder } from 'cbor-x';

/**
 * How a worker process writes every message it sends the agent (messages.ts): CBOR, sent through
 * the fork's IPC channel as one byte array. The agent decodes it in half the time Node's structured
 * clone (`serialization: 'advanced'`) takes for the same objects, and the agent's event loop is what
 * bounds tiny tasks' throughput (issue 5: IPC was a fifth of `drover local`'s time per no-op task).
 * The other way, the structured clone stays: encoding the agent's messages with this costs it more
 * than the clone does. The channel stays the fork's own, so ordering, `disconnect` and the exit
 * behave as before.
 *
 * Its own configuration, not the values codec (src/protocol/codec/cbor.ts): these are drover's
 * internal messages, whose numbers (a worker's RSS in bytes) must stay numbers past 2^32, and whose
 * payloads are already CBOR byte strings carried as they are.
 */
export const workerChannelCodec = new Encoder({ useRecords: false, mapsAsObjects: true, pack: false });
