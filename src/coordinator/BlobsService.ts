import * as grpc from '@grpc/grpc-js';
import { sha256Hex, type Logger, type pb } from '../protocol/index.ts';
import { BlobAccess } from './auth/BlobAccess.ts';
import { CallPrincipal } from './auth/CallPrincipal.ts';
import type { BlobStore } from './BlobStore.ts';
import { statusError } from './statusError.ts';

const digestPattern = /^[0-9a-f]{64}$/;
/** Largest blob accepted by `Put`. */
export const MAX_BLOB_BYTES = 256 * 1024 * 1024;
/** Largest data chunk sent by `Get`. */
const CHUNK_BYTES = 1024 * 1024;
const MAX_HAS_DIGESTS = 10_000;

/**
 * `drover.v1.Blobs`: content-addressed upload and download over a {@link BlobStore}. Uploads are
 * verified (size and sha256) before they are stored, so a stored blob always matches its name.
 */
export class BlobsService {
  private readonly store: BlobStore;
  private readonly log: Logger;
  private readonly access: BlobAccess;

  /** `access` says who may read which blob (default: in memory, nothing granted yet). */
  constructor(store: BlobStore, logger: Logger, access: BlobAccess = new BlobAccess()) {
    this.store = store;
    this.log = logger;
    this.access = access;
  }

  /** The handlers to pass to `server.addService(pb.BlobsService, ...)`. */
  handlers(): pb.BlobsServer {
    return {
      has: (call, callback) => {
        const digests = call.request.digests;
        if (digests.length > MAX_HAS_DIGESTS) {
          callback(statusError(grpc.status.INVALID_ARGUMENT, `Has: at most ${MAX_HAS_DIGESTS} digests per call, got ${digests.length}`));
          return;
        }
        // A blob the caller may not read is absent to it: it uploads it, proving it holds the bytes.
        const principal = CallPrincipal.of(call);
        callback(null, { present: digests.map((digest) => this.store.has(digest) && this.access.presentFor(principal, digest)) });
      },
      put: (call, callback) => this.put(call, callback),
      get: (call) => void this.get(call),
    };
  }

  private put(call: grpc.ServerReadableStream<pb.PutBlobChunk, pb.PutBlobResponse>, callback: grpc.sendUnaryData<pb.PutBlobResponse>): void {
    let digest: string | undefined;
    let size = 0;
    let received = 0;
    let chunks: Buffer[] = [];
    let answered = false;
    const answer = (error: grpc.ServerErrorResponse | null, response?: pb.PutBlobResponse): void => {
      if (answered) return;
      answered = true;
      chunks = [];
      callback(error, response);
    };
    const reject = (message: string): void => answer(statusError(grpc.status.INVALID_ARGUMENT, `Put: ${message}`));

    call.on('data', (chunk: pb.PutBlobChunk) => {
      if (answered) return;
      if (digest === undefined) {
        if (!digestPattern.test(chunk.digest)) {
          reject(`the first chunk must carry the blob's lowercase hex sha256 digest (64 characters), got ${JSON.stringify(chunk.digest.slice(0, 80))}`);
          return;
        }
        if (chunk.size > MAX_BLOB_BYTES) {
          reject(`blob ${chunk.digest} is ${chunk.size} bytes, over the ${MAX_BLOB_BYTES}-byte limit`);
          return;
        }
        digest = chunk.digest;
        size = chunk.size;
      }
      received += chunk.data.length;
      if (received > size) {
        reject(`blob ${digest} announced ${size} bytes but more were sent`);
        return;
      }
      if (chunk.data.length > 0) chunks.push(chunk.data);
    });
    call.on('end', () => {
      if (answered) return;
      if (digest === undefined) {
        reject('no chunk was sent');
        return;
      }
      if (received !== size) {
        reject(`blob ${digest} announced ${size} bytes but ${received} were sent`);
        return;
      }
      const data = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      const actual = sha256Hex(data);
      if (actual !== digest) {
        reject(`digest mismatch: the chunks announced ${digest} but their sha256 is ${actual}`);
        return;
      }
      const stored = digest;
      this.store.put(stored, data).then(() => this.access.grant(CallPrincipal.of(call), stored)).then(
        () => {
          this.log.debug({ digest: stored, size }, 'blob stored');
          answer(null, { digest: stored, size });
        },
        (error: Error) => {
          this.log.error({ err: error, digest: stored }, 'storing a blob failed');
          answer(statusError(grpc.status.INTERNAL, `Put: storing blob ${stored} failed: ${error.message}`));
        },
      );
    });
    call.on('error', (error) => {
      this.log.debug({ err: error, digest }, 'blob upload failed');
      answered = true;
      chunks = [];
    });
  }

  private async get(call: grpc.ServerWritableStream<pb.GetBlobRequest, pb.BlobChunk>): Promise<void> {
    const digest = call.request.digest;
    let found: Buffer | undefined;
    try {
      // Someone else's blob answers like a missing one.
      found = this.access.mayRead(CallPrincipal.of(call), digest) ? await this.store.get(digest) : undefined;
    } catch (error) {
      this.log.error({ err: error, digest }, 'reading a blob failed');
      call.emit('error', statusError(grpc.status.INTERNAL, `Get: reading blob ${digest} failed: ${(error as Error).message}`));
      return;
    }
    if (found === undefined) {
      call.emit('error', statusError(grpc.status.NOT_FOUND, `Get: no blob with digest ${JSON.stringify(digest.slice(0, 80))}`));
      return;
    }
    const data = found;
    let cancelled = call.cancelled;
    call.on('cancelled', () => {
      cancelled = true;
    });
    let offset = 0;
    // Write chunks as the stream drains, so a large blob is not all queued at once.
    const pump = (): void => {
      while (!cancelled) {
        const end = Math.min(offset + CHUNK_BYTES, data.length);
        const chunk: pb.BlobChunk = { data: data.subarray(offset, end), size: offset === 0 ? data.length : 0 };
        offset = end;
        if (offset >= data.length) {
          call.write(chunk);
          call.end();
          return;
        }
        if (!call.write(chunk)) {
          call.once('drain', pump);
          return;
        }
      }
    };
    pump();
  }
}
