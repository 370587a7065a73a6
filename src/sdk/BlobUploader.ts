import { status, type ClientWritableStream, type ServiceError } from '@grpc/grpc-js';
import { BlobError, sha256Hex, uploadFile, pb } from '../protocol/index.ts';
import type { CoordinatorChannel } from './CoordinatorChannel.ts';

const CHUNK_BYTES = 1024 * 1024;

/** A blob in the coordinator's store. */
export interface BlobRef {
  digest: string;
  size: number;
}

/**
 * Puts blobs (task bundles, input files) in the coordinator's store at most once per digest:
 * asks `Has` first, remembers what it uploaded, and shares an upload in progress between
 * concurrent callers.
 */
export class BlobUploader {
  /** Number of blobs this uploader actually sent (not counting ones the coordinator had). */
  uploads = 0;
  readonly #channel: CoordinatorChannel;
  readonly #known = new Map<string, Promise<void>>();

  constructor(channel: CoordinatorChannel) {
    this.#channel = channel;
  }

  /**
   * Upload a local file (streamed from disk, never whole in memory; skipped when the store has its
   * content) and name it.
   */
  async uploadFile(path: string): Promise<BlobRef> {
    const ref = await uploadFile(this.#channel.blobs, path);
    this.#known.set(ref.digest, Promise.resolve());
    return ref;
  }

  /** Upload bytes (once per content) and name them. */
  async uploadBytes(bytes: Uint8Array): Promise<BlobRef> {
    const digest = sha256Hex(bytes);
    await this.ensure(digest, bytes);
    return { digest, size: bytes.byteLength };
  }

  ensure(digest: string, bytes: Uint8Array): Promise<void> {
    let pending = this.#known.get(digest);
    if (!pending) {
      pending = this.#upload(digest, bytes);
      pending.catch(() => this.#known.delete(digest));
      this.#known.set(digest, pending);
    }
    return pending;
  }

  async #upload(digest: string, bytes: Uint8Array): Promise<void> {
    const has = await new Promise<pb.HasBlobsResponse>((resolve, reject) =>
      this.#channel.blobs.has({ digests: [digest], jobId: '', sessionId: '' }, (err, res) => (err ? reject(err) : resolve(res))),
    ).catch((err: ServiceError) => {
      // The coordinator's reason (a missing or refused token, above all) is what tells the user what to fix.
      throw new BlobError(`could not query the blob store at ${this.#channel.address}: ${err.details || err.message} (gRPC ${status[err.code] ?? err.code})`, { cause: err });
    });
    if (has.present[0]) return;
    await new Promise<void>((resolve, reject) => {
      const call: ClientWritableStream<pb.PutBlobChunk> = this.#channel.blobs.put((err) =>
        err ? reject(new BlobError(`upload of blob ${digest} failed: ${err.details || err.message}`, { cause: err })) : resolve(),
      );
      const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (buf.length === 0) call.write({ digest, size: 0, data: Buffer.alloc(0), jobId: '', sessionId: '' });
      for (let off = 0; off < buf.length; off += CHUNK_BYTES) {
        call.write({ digest: off === 0 ? digest : '', size: off === 0 ? buf.length : 0, data: buf.subarray(off, off + CHUNK_BYTES), jobId: '', sessionId: '' });
      }
      call.end();
    });
    this.uploads++;
  }
}
