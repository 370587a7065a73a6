import * as grpc from '@grpc/grpc-js';
import { sha256Hex, type Logger, type pb } from '../protocol/index.ts';
import { BlobAccess } from './auth/BlobAccess.ts';
import { CallPrincipal } from './auth/CallPrincipal.ts';
import type { Principal } from './auth/Principal.ts';
import type { ServedJobs } from './auth/ServedJobs.ts';
import type { BlobStore } from './BlobStore.ts';
import { checkDigest, limitFlag, overLimit, resolveLimits, type Limits } from './limits/index.ts';
import { statusError } from './statusError.ts';

/** Messages a paused server call may still buffer (Node's object-mode high-water mark). */
const READ_AHEAD_MESSAGES = 16;
/** Largest data chunk sent by `Get`. */
const CHUNK_BYTES = 1024 * 1024;

/** Nothing is served: every agent call on behalf of a job is refused (a coordinator without agents). */
const NO_JOBS_SERVED: ServedJobs = { ownerIfServed: () => undefined };

/**
 * `drover.v1.Blobs`: content-addressed upload and download over a {@link BlobStore}. Uploads are
 * verified (size and sha256) before they are stored, so a stored blob always matches its name.
 *
 * Clients read the blobs {@link BlobAccess} grants them. Agents act on behalf of a job: every call
 * names the job and the agent's session, is refused (PERMISSION_DENIED) unless that session holds an
 * attempt of the job ({@link ServedJobs}), and then has the job owner's rights: it reads what the
 * owner may read, and what it stores (a task output) becomes readable by the owner.
 */
export class BlobsService {
  private readonly store: BlobStore;
  private readonly log: Logger;
  private readonly limits: Limits;
  private readonly access: BlobAccess;
  private readonly served: ServedJobs;
  /** Announced bytes of the uploads admitted (held in memory until verified). */
  private uploadingBytes = 0;
  /**
   * Uploads waiting for room, first come first served. A paused call still reads ahead up to 16
   * messages (the stream's high-water mark), so each is charged that many chunks of the largest size.
   */
  private readonly waiting: { size: number; firstChunkBytes: number; admit: () => void }[] = [];
  private waitingBytes = 0;
  private readonly waiterBytes: number;

  /**
   * `access` says who may read which blob (default: in memory, nothing granted yet); `served`, which
   * jobs each agent session may act for (default: none).
   */
  constructor(store: BlobStore, logger: Logger, limits: Limits = resolveLimits(), access: BlobAccess = new BlobAccess(), served: ServedJobs = NO_JOBS_SERVED) {
    this.store = store;
    this.log = logger;
    this.limits = limits;
    this.access = access;
    this.served = served;
    this.waiterBytes = READ_AHEAD_MESSAGES * limits.maxBlobChunkBytes;
  }

  /** The handlers to pass to `server.addService(pb.BlobsService, ...)`. */
  handlers(): pb.BlobsServer {
    return {
      has: (call, callback) => {
        const digests = call.request.digests;
        if (digests.length > this.limits.maxHasDigests) {
          const v = overLimit('HasBlobsRequest.digests', digests.length, 'maxHasDigests', this.limits, ' digests');
          callback(statusError(v.code, v.message));
          return;
        }
        for (let i = 0; i < digests.length; i++) {
          const bad = checkDigest(`HasBlobsRequest.digests[${i}]`, digests[i]);
          if (bad) return callback(statusError(bad.code, bad.message));
        }
        // A blob the caller may not read is absent to it: it uploads it, proving it holds the bytes.
        const owner = this.actingFor(CallPrincipal.of(call), call.request, 'Has');
        if (owner instanceof Error) return callback(owner);
        const principal = CallPrincipal.of(call);
        const readable = (digest: string): boolean => (owner === undefined ? this.access.mayRead(principal, digest) : this.access.mayReadAs(owner, digest));
        callback(null, { present: digests.map((digest) => this.store.has(digest) && readable(digest)) });
      },
      put: (call, callback) => this.put(call, callback),
      get: (call) => void this.get(call),
    };
  }

  /**
   * Whose rights a call has: undefined for clients and admins (their own), the job owner's name for an
   * agent acting for a job its session serves, else the PERMISSION_DENIED status to answer.
   */
  private actingFor(principal: Principal, request: { jobId: string; sessionId: string }, rpc: string): string | grpc.ServerErrorResponse | undefined {
    if (principal.role !== 'agent') return undefined;
    const { jobId, sessionId } = request;
    if (jobId === '' || sessionId === '') {
      return statusError(grpc.status.PERMISSION_DENIED, `${rpc}: agents use blobs on behalf of a job: set job_id and session_id (the session from Registered) to a job whose attempt this agent session runs (an agent older than the coordinator must be upgraded)`);
    }
    const owner = this.served.ownerIfServed(sessionId, principal.name, jobId);
    if (owner === undefined) {
      return statusError(grpc.status.PERMISSION_DENIED, `${rpc}: agent session ${JSON.stringify(sessionId.slice(0, 80))} of ${JSON.stringify(principal.name)} holds no attempt of job ${JSON.stringify(jobId.slice(0, 128))}; an agent uses blobs only for the jobs whose tasks it runs`);
    }
    return owner;
  }

  private put(call: grpc.ServerReadableStream<pb.PutBlobChunk, pb.PutBlobResponse>, callback: grpc.sendUnaryData<pb.PutBlobResponse>): void {
    let digest: string | undefined;
    /** Who may read the blob once stored: the uploader, or for an agent's upload the job's owner. */
    let reader = '';
    let size = 0;
    let received = 0;
    let chunks: Buffer[] = [];
    let answered = false;
    /** Bytes of `uploadingBytes` this upload holds (its announced size, once admitted). */
    let reserved = 0;
    let waiter: { size: number; firstChunkBytes: number; admit: () => void } | undefined;
    const release = (): void => {
      clearTimeout(idleTimer);
      if (waiter !== undefined) this.leaveQueue(waiter);
      waiter = undefined;
      if (reserved > 0) {
        this.uploadingBytes -= reserved;
        reserved = 0;
        this.admitWaiting();
      }
    };
    const answer = (error: grpc.ServerErrorResponse | null, response?: pb.PutBlobResponse): void => {
      if (answered) return;
      answered = true;
      chunks = [];
      release();
      callback(error, response);
    };
    const reject = (message: string, code: grpc.status = grpc.status.INVALID_ARGUMENT): void => answer(statusError(code, `Put: ${message}`));
    // An upload that stops sending (before its first chunk or between two) holds a call, and the
    // memory it announced, for nothing: it is closed.
    const idle = (): void => {
      const what = digest === undefined ? 'no chunk' : `no further chunk of blob ${digest} (${received} of ${size} bytes received)`;
      reject(`${what} within ${this.limits.streamOpenTimeoutMs} ms (set with drover coordinator ${limitFlag('streamOpenTimeoutMs')})`, grpc.status.DEADLINE_EXCEEDED);
    };
    let idleTimer = setTimeout(idle, this.limits.streamOpenTimeoutMs);
    idleTimer.unref();

    call.on('data', (chunk: pb.PutBlobChunk) => {
      if (answered) return;
      idleTimer.refresh();
      if (chunk.data.length > this.limits.maxBlobChunkBytes) {
        const v = overLimit('PutBlobChunk.data', chunk.data.length, 'maxBlobChunkBytes', this.limits, ' bytes', grpc.status.RESOURCE_EXHAUSTED);
        reject(v.message, v.code);
        return;
      }
      if (digest === undefined) {
        const bad = checkDigest(`the first chunk's digest (the blob's sha256)`, chunk.digest);
        if (bad) {
          reject(bad.message);
          return;
        }
        const principal = CallPrincipal.of(call);
        const owner = this.actingFor(principal, chunk, 'Put');
        if (owner instanceof Error) {
          answer(owner);
          return;
        }
        reader = owner ?? principal.name;
        if (chunk.size > this.limits.maxBlobBytes) {
          const v = overLimit(`blob ${chunk.digest} size`, chunk.size, 'maxBlobBytes', this.limits, ' bytes', grpc.status.RESOURCE_EXHAUSTED);
          reject(v.message, v.code);
          return;
        }
        digest = chunk.digest;
        size = chunk.size;
        // Uploads are held in memory until verified: together they stay under a bound. One that does
        // not fit now waits its turn (paused: flow control holds its client), holding its first chunk.
        const admit = (): void => {
          waiter = undefined;
          reserved = size;
          this.uploadingBytes += size;
          // A new timer: refresh() does not re-arm one that was cleared while the upload waited.
          idleTimer = setTimeout(idle, this.limits.streamOpenTimeoutMs);
          idleTimer.unref();
          call.resume();
        };
        if (this.waiting.length === 0 && this.uploadingBytes + size <= this.limits.maxUploadingBytes) {
          reserved = size;
          this.uploadingBytes += size;
        } else if (this.waitingBytes + this.waiterBytes > this.limits.maxUploadingBytes) {
          const v = overLimit(`blob ${chunk.digest}: uploads waiting for room (${this.waiting.length}, up to ${this.waiterBytes} bytes read ahead each)`, this.waitingBytes + this.waiterBytes, 'maxUploadingBytes', this.limits, ' bytes', grpc.status.RESOURCE_EXHAUSTED);
          reject(`${v.message}; retry when other uploads have finished`, v.code);
          return;
        } else {
          waiter = { size, firstChunkBytes: this.waiterBytes, admit };
          this.waiting.push(waiter);
          this.waitingBytes += this.waiterBytes;
          // Waiting for room is not stalling.
          clearTimeout(idleTimer);
          call.pause();
        }
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
      clearTimeout(idleTimer);
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
      this.store.put(stored, data).then(() => this.access.grant(reader, stored)).then(
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
    call.on('cancelled', () => {
      answered = true;
      chunks = [];
      release();
    });
    call.on('error', (error) => {
      this.log.debug({ err: error, digest }, 'blob upload failed');
      answered = true;
      chunks = [];
      release();
    });
  }

  /** Admits waiting uploads, in order, while the next one fits. */
  private admitWaiting(): void {
    while (this.waiting.length > 0 && this.uploadingBytes + this.waiting[0].size <= this.limits.maxUploadingBytes) {
      const next = this.waiting.shift()!;
      this.waitingBytes -= next.firstChunkBytes;
      next.admit();
    }
  }

  private leaveQueue(waiter: { size: number; firstChunkBytes: number }): void {
    const at = this.waiting.indexOf(waiter as (typeof this.waiting)[number]);
    if (at < 0) return;
    this.waiting.splice(at, 1);
    this.waitingBytes -= waiter.firstChunkBytes;
    // The head may have changed: whoever is next may fit.
    this.admitWaiting();
  }

  private async get(call: grpc.ServerWritableStream<pb.GetBlobRequest, pb.BlobChunk>): Promise<void> {
    const digest = call.request.digest;
    const bad = checkDigest('GetBlobRequest.digest', digest);
    if (bad) {
      call.emit('error', statusError(bad.code, `Get: ${bad.message}`));
      return;
    }
    let found: Buffer | undefined;
    try {
      // Someone else's blob answers like a missing one.
      const principal = CallPrincipal.of(call);
      const owner = this.actingFor(principal, call.request, 'Get');
      if (owner instanceof Error) {
        call.emit('error', owner);
        return;
      }
      const readable = owner === undefined ? this.access.mayRead(principal, digest) : this.access.mayReadAs(owner, digest);
      found = readable ? await this.store.get(digest) : undefined;
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
