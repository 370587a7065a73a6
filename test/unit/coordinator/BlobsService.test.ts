import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Coordinator } from '../../../src/coordinator/index.ts';
import { pb, sha256Hex } from '../../../src/protocol/index.ts';

let coordinator: Coordinator;
let blobs: pb.BlobsClient;

beforeEach(async () => {
  coordinator = new Coordinator({ listen: '127.0.0.1:0', logger: pino({ level: 'silent' }) });
  await coordinator.start();
  blobs = new pb.BlobsClient(coordinator.address, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
  });
});

afterEach(async () => {
  blobs.close();
  await coordinator.stop();
});

/** Uploads `data` in chunks of `chunkBytes`; the first chunk announces `digest` and `size`. */
function put(data: Buffer, options: { digest?: string; size?: number; chunkBytes?: number } = {}): Promise<pb.PutBlobResponse> {
  const chunkBytes = options.chunkBytes ?? 256 * 1024;
  return new Promise((resolve, reject) => {
    const call = blobs.put((error, response) => (error ? reject(error) : resolve(response!)));
    let offset = 0;
    do {
      const first = offset === 0;
      call.write({
        digest: first ? (options.digest ?? sha256Hex(data)) : '',
        size: first ? (options.size ?? data.length) : 0,
        data: data.subarray(offset, offset + chunkBytes),
        jobId: '',
        sessionId: '',
      });
      offset += chunkBytes;
    } while (offset < data.length);
    call.end();
  });
}

function get(digest: string): Promise<pb.BlobChunk[]> {
  return new Promise((resolve, reject) => {
    const chunks: pb.BlobChunk[] = [];
    const call = blobs.get({ digest, jobId: '', sessionId: '' });
    call.on('data', (chunk: pb.BlobChunk) => chunks.push(chunk));
    call.on('error', reject);
    call.on('end', () => resolve(chunks));
  });
}

function has(digests: string[]): Promise<boolean[]> {
  return new Promise((resolve, reject) => {
    blobs.has({ digests, jobId: '', sessionId: '' }, (error, response) => (error ? reject(error) : resolve(response!.present)));
  });
}

describe('Blobs over a real socket', () => {
  it('stores a verified upload and streams it back in chunks of at most 1 MiB', async () => {
    const data = Buffer.alloc(2.5 * 1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    const digest = sha256Hex(data);
    expect(await has([digest])).toEqual([false]);

    expect(await put(data)).toEqual({ digest, size: data.length });
    expect(await has([digest, 'c'.repeat(64)])).toEqual([true, false]);

    const chunks = await get(digest);
    expect(chunks.length).toBe(3);
    expect(chunks.every((c) => c.data.length <= 1024 * 1024)).toBe(true);
    expect(chunks[0].size).toBe(data.length);
    const back = Buffer.concat(chunks.map((c) => c.data));
    expect(sha256Hex(back)).toBe(digest);
  });

  it('round-trips an empty blob', async () => {
    const empty = Buffer.alloc(0);
    const digest = sha256Hex(empty);
    await put(empty);
    const chunks = await get(digest);
    expect(chunks).toHaveLength(1);
    expect(chunks[0].size).toBe(0);
    expect(chunks[0].data.length).toBe(0);
  });

  it('refuses an upload whose bytes do not match its digest', async () => {
    const data = Buffer.from('hello blobs');
    const wrong = sha256Hex(Buffer.from('something else'));
    await expect(put(data, { digest: wrong })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('digest mismatch'),
    });
    expect(await has([wrong])).toEqual([false]);
  });

  it('refuses uploads with a wrong size, a malformed digest or over the size limit', async () => {
    const data = Buffer.from('sized');
    await expect(put(data, { size: 4 })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('announced 4 bytes') });
    await expect(put(data, { size: 9 })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('5 were sent') });
    await expect(put(data, { digest: 'ABC' })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('sha256') });
    await expect(put(data, { size: 257 * 1024 * 1024 })).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, details: expect.stringContaining('--max-blob-bytes') });
    expect(await has([sha256Hex(data)])).toEqual([false]);
  });

  it('answers NOT_FOUND for an unknown blob', async () => {
    await expect(get('d'.repeat(64))).rejects.toMatchObject({ code: grpc.status.NOT_FOUND, details: expect.stringContaining('no blob') });
  });
});
