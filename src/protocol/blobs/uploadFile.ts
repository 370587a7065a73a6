import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Metadata } from '@grpc/grpc-js';
import { BlobError } from '../errors/BlobError.ts';
import type * as pb from '../pb.ts';
import type { BlobScope } from './BlobScope.ts';

/** Data per `Put` message. */
const CHUNK_BYTES = 1024 * 1024;
const HAS_DEADLINE_MS = 30_000;
const PUT_DEADLINE_MS = 30 * 60_000;

/** No scope: a client uploading as itself. */
const OWN: BlobScope = { jobId: '', sessionId: '' };

/**
 * Upload a local file to the coordinator's blob store and return its digest and size. The file is read
 * twice: once to compute its sha256 (which `Put`'s first message must carry), then — unless `Has` says
 * the store already holds it — again to stream it in chunks of at most 1 MiB, with backpressure. A file
 * that changes between the two reads is not stored (the upload is abandoned with an error).
 *
 * Only a regular file is accepted (a symbolic link to one is followed): it is opened non-blocking and
 * checked with `fstat` on the open descriptor, so a FIFO can neither hang the agent nor be swapped in
 * after the check.
 *
 * An agent passes `scope` (the job the task serves): `Has` then answers for that job's owner, and
 * the stored blob becomes readable by that owner.
 */
export async function uploadFile(blobs: pb.BlobsClient, path: string, scope: BlobScope = OWN): Promise<{ digest: string; size: number }> {
  let file: FileHandle;
  try {
    file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    throw new BlobError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const st = await file.stat();
    if (!st.isFile()) throw new BlobError(`${path} is not a regular file (${fileType(st)}); only regular files can be stored`);
    const { digest, size } = await hashOpenFile(file);
    const present = await has(blobs, digest, scope);
    if (!present) await put(blobs, file, path, digest, size, scope);
    return { digest, size };
  } finally {
    await file.close();
  }
}

async function hashOpenFile(file: FileHandle): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let size = 0;
  for (;;) {
    const { bytesRead } = await file.read(buffer, 0, buffer.length, size);
    if (bytesRead === 0) break;
    hash.update(buffer.subarray(0, bytesRead));
    size += bytesRead;
  }
  return { digest: hash.digest('hex'), size };
}

function has(blobs: pb.BlobsClient, digest: string, scope: BlobScope): Promise<boolean> {
  return new Promise((resolve, reject) => {
    blobs.has({ digests: [digest], jobId: scope.jobId, sessionId: scope.sessionId }, new Metadata(), { deadline: Date.now() + HAS_DEADLINE_MS }, (error, response) => {
      if (error) reject(new BlobError(`could not ask the coordinator's blob store for ${digest}: ${error.details || error.message}`, { cause: error }));
      else resolve(response.present[0] === true);
    });
  });
}

async function put(blobs: pb.BlobsClient, file: FileHandle, path: string, digest: string, size: number, scope: BlobScope): Promise<void> {
  let settle!: { resolve(): void; reject(e: Error): void };
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  const call = blobs.put({ deadline: Date.now() + PUT_DEADLINE_MS }, (error) => {
    if (error) settle.reject(new BlobError(`could not store ${path} in the coordinator's blob store: ${error.details || error.message}`, { cause: error }));
    else settle.resolve();
  });
  // Reported through the callback; without a listener an 'error' event would throw.
  call.on('error', () => {});
  const hash = createHash('sha256');
  let sent = 0;
  let first = true;
  try {
    while (sent < size || first) {
      const buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, size - sent));
      const { bytesRead } = buffer.length === 0 ? { bytesRead: 0 } : await file.read(buffer, 0, buffer.length, sent);
      if (bytesRead === 0 && sent < size) throw new BlobError(`${path} changed while it was stored (it became shorter); not stored`);
      const data = buffer.subarray(0, bytesRead);
      hash.update(data);
      sent += bytesRead;
      const ok = call.write(first ? { digest, size, data, jobId: scope.jobId, sessionId: scope.sessionId } : { digest: '', size: 0, data, jobId: '', sessionId: '' });
      first = false;
      // Wait for the stream to drain, or for the call to fail meanwhile (then `done` rejects).
      if (!ok) await Promise.race([new Promise<void>((resolve) => call.once('drain', resolve)), done]);
    }
    // Appended to meanwhile, or rewritten in place: the bytes sent are not the ones announced.
    const after = await file.stat();
    if (after.size !== size || hash.digest('hex') !== digest) throw new BlobError(`${path} changed while it was stored; not stored`);
  } catch (error) {
    call.cancel();
    await done.catch(() => {});
    throw error;
  }
  call.end();
  await done;
}

function fileType(st: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}
