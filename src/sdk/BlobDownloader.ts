import { rename, writeFile } from 'node:fs/promises';
import { BlobError, sha256Hex, type pb } from '../protocol/index.ts';
import type { CoordinatorChannel } from './CoordinatorChannel.ts';

/** Reads blobs (command outputs, SUMO output files) from the coordinator's store, verified by digest. */
export class BlobDownloader {
  readonly #channel: CoordinatorChannel;

  constructor(channel: CoordinatorChannel) {
    this.#channel = channel;
  }

  async read(digest: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = this.#channel.blobs.get({ digest, jobId: '', sessionId: '' });
      call.on('data', (c: pb.BlobChunk) => chunks.push(c.data));
      call.on('error', (err: { details?: string; message: string }) =>
        reject(new BlobError(`could not read blob ${digest}: ${err.details || err.message}`, { cause: err })),
      );
      call.on('end', () => resolve());
    });
    const bytes = Buffer.concat(chunks);
    if (sha256Hex(bytes) !== digest) throw new BlobError(`blob ${digest} arrived corrupted (digest mismatch): try again`);
    return bytes;
  }

  /** Write a blob to a file (atomically: a temporary name, then rename). */
  async download(digest: string, path: string): Promise<void> {
    const bytes = await this.read(digest);
    const tmp = `${path}.drover-${process.pid}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  }
}
