import { connect as tcpConnect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeTraciCommand } from './encodeTraciCommand.ts';
import { encodeTraciMessage } from './encodeTraciMessage.ts';
import { TRACI } from './TRACI.ts';
import { TraciConnectionError } from './TraciConnectionError.ts';
import { TraciError } from './TraciError.ts';
import { TraciInductionLoop } from './TraciInductionLoop.ts';
import { TraciMessageFramer } from './TraciMessageFramer.ts';
import { TraciProtocolError } from './TraciProtocolError.ts';
import { TraciReader } from './TraciReader.ts';
import { TraciSimulation } from './TraciSimulation.ts';
import { TraciTrafficLight } from './TraciTrafficLight.ts';
import type { TraciValue } from './TraciValue.ts';
import { TraciWriter } from './TraciWriter.ts';

/** How to reach a SUMO started with `--remote-port`. */
export interface TraciConnectOptions {
  port: number;
  host?: string;
  /**
   * How long to keep retrying the TCP connection. SUMO opens its port only after loading the
   * network and routes, which takes from milliseconds to many seconds. Default 30 s.
   */
  timeoutMs?: number;
  /** Pause between connection attempts. Default 50 ms. */
  retryDelayMs?: number;
  /** Aborting stops the attempts and rejects with the signal's reason (e.g. "SUMO exited"). */
  signal?: AbortSignal;
  /**
   * Turns a lost connection into a better error, e.g. a {@link SumoCrashError} once the SUMO process
   * is known to have died by a signal. Receives the plain connection error; may return it unchanged.
   */
  explainDisconnect?: (lost: TraciConnectionError) => Promise<Error>;
}

/** `getVersion()`'s answer. */
export interface TraciVersion {
  /** TraCI API level: 20 for SUMO 1.15. */
  apiVersion: number;
  /** E.g. `SUMO 1.15.0`. */
  identifier: string;
}

interface PendingReply {
  command: number;
  name: string;
  read: (reader: TraciReader) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
}

const commandNames: Record<number, string> = Object.fromEntries(Object.entries(TRACI.command).map(([name, id]) => [id, name]));

function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0')}`;
}

/**
 * A TraCI client over TCP, for controlling a SUMO simulation from TypeScript: step it, read
 * detectors, switch traffic lights. Mirrors the Python client's domains (`client.simulation`,
 * `client.inductionLoop`, `client.trafficLight`).
 *
 * Calls may be issued without awaiting each other: commands are written in call order and SUMO
 * answers in order, so `Promise.all([step, read, read])` costs one round trip instead of three.
 *
 * Beware: SUMO 1.15 writes a status reply's length in one byte and exits ("Storage::writeUnsignedByte():
 * Invalid value") when an error message passes 255 bytes, e.g. for an unknown id of 200+ characters.
 *
 * @example
 * const client = await TraciClient.connect({ port });
 * while ((await client.simulation.getMinExpectedVehicles()) > 0) await client.simulationStep();
 * await client.close();
 */
export class TraciClient {
  readonly simulation: TraciSimulation;
  readonly inductionLoop: TraciInductionLoop;
  readonly trafficLight: TraciTrafficLight;
  readonly port: number;

  readonly #socket: Socket;
  readonly #framer = new TraciMessageFramer();
  readonly #pending: PendingReply[] = [];
  readonly #explainDisconnect: ((lost: TraciConnectionError) => Promise<Error>) | undefined;
  /** Set once the socket is gone or `close()` was called. */
  #closedError: Error | undefined;
  /** What later calls reject with: the loss as explained (e.g. "SUMO crashed") once that is known. */
  #closedReason: Promise<Error> | undefined;
  #closing: Promise<void> | undefined;

  private constructor(socket: Socket, port: number, explainDisconnect?: (lost: TraciConnectionError) => Promise<Error>) {
    this.#socket = socket;
    this.port = port;
    this.#explainDisconnect = explainDisconnect;
    this.simulation = new TraciSimulation(this);
    this.inductionLoop = new TraciInductionLoop(this);
    this.trafficLight = new TraciTrafficLight(this);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', () => {}); // 'close' follows and carries the consequences
    socket.on('close', () => void this.#onClose());
  }

  /** Connects to SUMO's TraCI port, retrying while SUMO is still starting. */
  static async connect(options: TraciConnectOptions): Promise<TraciClient> {
    const host = options.host ?? '127.0.0.1';
    const timeoutMs = options.timeoutMs ?? 30_000;
    const retryDelayMs = options.retryDelayMs ?? 50;
    const deadline = Date.now() + timeoutMs;
    const { signal } = options;
    let attempts = 0;
    for (;;) {
      signal?.throwIfAborted();
      attempts++;
      try {
        const socket = await openSocket(host, options.port, Math.max(100, deadline - Date.now()), signal);
        return new TraciClient(socket, options.port, options.explainDisconnect);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (Date.now() + retryDelayMs >= deadline) {
          throw new TraciConnectionError(`no TraCI server answered on ${host}:${options.port} within ${timeoutMs} ms (${attempts} attempts)`, {
            port: options.port,
            cause: error,
          });
        }
      }
      try {
        await sleep(retryDelayMs, undefined, { signal });
      } catch {
        throw signal?.reason;
      }
    }
  }

  /** True once the connection is closed or lost. */
  get closed(): boolean {
    return this.#closedError !== undefined;
  }

  /** TraCI API level and SUMO's identification. */
  getVersion(options: { timeoutMs?: number } = {}): Promise<TraciVersion> {
    return this.request(TRACI.command.getVersion, new Uint8Array(0), (reader) => {
      const end = reader.commandEnd();
      const id = reader.ubyte();
      if (id !== TRACI.command.getVersion) throw new TraciProtocolError(`getVersion answered by ${hex(id)}`);
      const version = { apiVersion: reader.int(), identifier: reader.string() };
      reader.seek(end);
      return version;
    }, options);
  }

  /**
   * Advances the simulation: one step when `targetTime` is 0 or absent, else up to `targetTime`
   * seconds (no-op if the simulation is already there).
   */
  async simulationStep(targetTime = 0): Promise<void> {
    await this.request(TRACI.command.simulationStep, new TraciWriter().double(targetTime).toBuffer(), (reader) => {
      // Subscription results follow; drover's client subscribes to nothing.
      const subscriptions = reader.int();
      if (subscriptions !== 0) throw new TraciProtocolError(`simulationStep returned ${subscriptions} subscription results; none were asked for`);
    });
  }

  /**
   * Reads one variable: `command` is a get command (`0xa0` induction loop, `0xab` simulation...),
   * `variable` its variable id. Returns the decoded value whatever its type.
   */
  getVariable(command: number, variable: number, objectId: string): Promise<TraciValue> {
    const payload = new TraciWriter().ubyte(variable).string(objectId).toBuffer();
    return this.request(command, payload, (reader) => {
      const end = reader.commandEnd();
      const response = reader.ubyte();
      const answeredVariable = reader.ubyte();
      const answeredId = reader.string();
      if (response !== command + TRACI.responseOffset || answeredVariable !== variable || answeredId !== objectId) {
        throw new TraciProtocolError(
          `asked ${hex(command)}/${hex(variable)} of '${objectId}', got ${hex(response)}/${hex(answeredVariable)} of '${answeredId}'`,
        );
      }
      const value = reader.typedValue();
      reader.seek(end);
      return value;
    });
  }

  /** Reads a variable that SUMO sends as a double or an int. */
  async getNumber(command: number, variable: number, objectId: string): Promise<number> {
    const value = await this.getVariable(command, variable, objectId);
    if (typeof value !== 'number') throw new TraciProtocolError(`${hex(command)}/${hex(variable)} of '${objectId}' is not a number`);
    return value;
  }

  async getString(command: number, variable: number, objectId: string): Promise<string> {
    const value = await this.getVariable(command, variable, objectId);
    if (typeof value !== 'string') throw new TraciProtocolError(`${hex(command)}/${hex(variable)} of '${objectId}' is not a string`);
    return value;
  }

  async getStringList(command: number, variable: number, objectId: string): Promise<string[]> {
    const value = await this.getVariable(command, variable, objectId);
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
      throw new TraciProtocolError(`${hex(command)}/${hex(variable)} of '${objectId}' is not a string list`);
    }
    return value as string[];
  }

  /** Sets one variable; `writeValue` writes the typed value (e.g. `w => w.typedString(state)`). */
  async setVariable(command: number, variable: number, objectId: string, writeValue: (writer: TraciWriter) => void): Promise<void> {
    const writer = new TraciWriter().ubyte(variable).string(objectId);
    writeValue(writer);
    await this.request(command, writer.toBuffer(), () => undefined);
  }

  /**
   * Sends one command and reads its reply. `read` gets a reader positioned after the (checked)
   * status; a non-OK status rejects with a {@link TraciError} carrying SUMO's message.
   * `timeoutMs` bounds the wait; on expiry the connection is dropped (its stream would be out of step).
   */
  request<T>(command: number, payload: Uint8Array, read: (reader: TraciReader) => T, options: { timeoutMs?: number } = {}): Promise<T> {
    const name = commandNames[command] ?? hex(command);
    if (this.#closedError) {
      const reason = this.#closedReason ?? Promise.resolve(this.#closedError);
      return reason.then((error) => Promise.reject(error));
    }
    return new Promise<T>((resolve, reject) => {
      const pending: PendingReply = { command, name, read, resolve: resolve as (value: unknown) => void, reject };
      if (options.timeoutMs !== undefined) {
        pending.timer = setTimeout(() => {
          this.#socket.destroy(
            new TraciConnectionError(`SUMO did not answer ${name} within ${options.timeoutMs} ms`, { port: this.port }),
          );
        }, options.timeoutMs);
      }
      this.#pending.push(pending);
      this.#socket.write(encodeTraciMessage([encodeTraciCommand(command, payload)]));
    });
  }

  /**
   * Asks SUMO to end the simulation (it then writes its outputs and exits) and closes the socket.
   * Safe to call twice, and after the connection is lost. `timeoutMs` bounds the wait for SUMO's
   * answer (writing large outputs can take a while); on expiry the socket is dropped.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#closedError) return;
      const closing = this.request(TRACI.command.close, new Uint8Array(0), () => undefined, options);
      this.#closedError = new TraciConnectionError('the TraCI client is closed', { port: this.port, retryable: false });
      try {
        await closing;
      } catch (error) {
        // SUMO may drop the socket without answering close; the simulation has ended either way.
        if (!(error instanceof TraciConnectionError)) throw error;
      } finally {
        this.#socket.end();
      }
    })();
    return this.#closing;
  }

  /** Drops the connection at once; waiting calls reject with a {@link TraciConnectionError}. */
  destroy(reason?: string): void {
    this.#socket.destroy(reason === undefined ? undefined : new TraciConnectionError(reason, { port: this.port }));
  }

  /** Closes politely if SUMO answers within 5 s, else drops the connection. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.closed || this.#closing) await this.close({ timeoutMs: 5_000 }).catch(() => {});
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    let messages: Buffer[];
    try {
      messages = this.#framer.push(chunk);
    } catch (error) {
      this.#socket.destroy(error as Error);
      return;
    }
    for (const message of messages) {
      const pending = this.#pending.shift();
      if (!pending) {
        this.#socket.destroy(new TraciProtocolError(`SUMO sent a ${message.length}-byte message nobody asked for`));
        return;
      }
      clearTimeout(pending.timer);
      try {
        pending.resolve(pending.read(this.#readStatus(message, pending)));
      } catch (error) {
        pending.reject(error as Error);
      }
    }
  }

  /** Checks the status command that opens every reply; returns a reader positioned after it. */
  #readStatus(message: Buffer, pending: PendingReply): TraciReader {
    const reader = new TraciReader(message, 4);
    const end = reader.commandEnd();
    const command = reader.ubyte();
    const status = reader.ubyte();
    const description = reader.string();
    reader.seek(end);
    if (command !== pending.command) {
      throw new TraciProtocolError(`reply to ${pending.name} carries the status of command ${hex(command)}`);
    }
    if (status !== TRACI.status.ok) {
      const kind = status === TRACI.status.notImplemented ? 'not implemented' : 'error';
      throw new TraciError(`SUMO answered ${pending.name} with ${kind}: ${description}`, {
        command,
        status,
        sumoMessage: description,
      });
    }
    return reader;
  }

  async #onClose(): Promise<void> {
    const waiting = this.#pending.splice(0);
    for (const pending of waiting) clearTimeout(pending.timer);
    const partial = this.#framer.partialBytes;
    const expected = this.#framer.expectedBytes;
    const during = waiting[0]?.name;
    const lost = new TraciConnectionError(
      during === undefined
        ? 'SUMO closed the TraCI connection'
        : partial > 0
          ? `SUMO closed the TraCI connection in the middle of its reply to ${during} (${partial} of ${expected ?? '?'} bytes received)`
          : `SUMO closed the TraCI connection before replying to ${during}`,
      { port: this.port },
    );
    const asked = this.#closedError !== undefined;
    if (!asked) {
      this.#closedError = lost;
      this.#closedReason = this.#explain(lost);
    }
    if (waiting.length === 0) return;
    // Our own close(): its reply may legitimately never come.
    const error = asked && waiting.every((p) => p.command === TRACI.command.close) ? lost : await (this.#closedReason ?? this.#explain(lost));
    for (const pending of waiting) pending.reject(error);
  }

  async #explain(lost: TraciConnectionError): Promise<Error> {
    if (!this.#explainDisconnect) return lost;
    try {
      return await this.#explainDisconnect(lost);
    } catch {
      return lost;
    }
  }
}

function openSocket(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host, port });
    const fail = (error: Error): void => {
      cleanup();
      socket.destroy();
      reject(error);
    };
    const onAbort = (): void => fail(signal?.reason as Error);
    const timer = setTimeout(() => fail(new Error(`connect to ${host}:${port} timed out`)), timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('error', fail);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', fail);
    socket.once('connect', () => {
      cleanup();
      resolve(socket);
    });
  });
}
