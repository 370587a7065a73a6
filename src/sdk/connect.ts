import { readFileSync } from 'node:fs';
import { UsageError, type ClientTls } from '../protocol/index.ts';
import { CoordinatorChannel } from './CoordinatorChannel.ts';
import type { EmbeddedCluster } from './EmbeddedCluster.ts';
import { Pool } from './Pool.ts';

/** Options for {@link connect}. */
export interface ConnectOptions {
  /** Coordinator `host:port`. Default `DROVER_ADDRESS`; when neither is set, an embedded local cluster starts. */
  address?: string;
  /** Client token. Default `DROVER_TOKEN`, else the contents of the file `DROVER_TOKEN_FILE` names (what `drover local` prints). */
  token?: string;
  /**
   * TLS to the coordinator: `true` verifies it against the system's root CAs; `{ ca }` against a
   * custom CA (PEM contents or a file path), with optional `cert`/`key` and `serverName`. Default:
   * `{ ca: DROVER_TLS_CA }` when that is set, else plaintext. Ignored by the embedded cluster.
   */
  tls?: true | ClientTls;
  /** Worker processes of the embedded cluster (like `Pool(processes=2)`); default one per core. */
  processes?: number;
  /** How long to wait for the coordinator to answer. Default 10 s. */
  timeoutMs?: number;
  /**
   * How long a running job keeps trying to re-attach when its connection breaks (coordinator
   * restart, network blip) before its call fails with a `ConnectionError`. Default 60 s.
   */
  reconnectTimeoutMs?: number;
}

/**
 * Connect to a drover cluster and get a {@link Pool}.
 *
 * With no `address` and no `DROVER_ADDRESS`, it starts a coordinator and an agent on all
 * cores inside this process, torn down by `close()` — so the same script runs on a laptop
 * and, with `DROVER_ADDRESS=coord:7070`, on a cluster.
 *
 * @example
 * import { connect } from 'drover';
 * await using pool = await connect({ processes: 2 });
 */
export async function connect(options: ConnectOptions = {}): Promise<Pool> {
  const address = options.address ?? (process.env.DROVER_ADDRESS || undefined);
  // Read only for a coordinator of the caller's: the embedded one takes its own token, and a file left
  // named by a `drover local` that has stopped (and removed it) must not keep it from starting.
  let token = options.token ?? (process.env.DROVER_TOKEN || undefined) ?? (address ? readTokenFile(process.env.DROVER_TOKEN_FILE || undefined) : undefined);
  const envCa = process.env.DROVER_TLS_CA || undefined;
  let tls = options.tls ?? (envCa !== undefined ? { ca: envCa } : undefined);
  let cluster: EmbeddedCluster | undefined;
  if (!address) {
    // Loaded only here: the coordinator and agent it embeds cost a remote client ~8 MB of RSS for nothing.
    const { EmbeddedCluster } = await import('./EmbeddedCluster.ts');
    cluster = await EmbeddedCluster.start(options.processes !== undefined ? { processes: options.processes } : {});
    // The embedded coordinator takes only its own random per-process token, on loopback.
    token = cluster.clientToken;
    tls = undefined;
  }
  const channel = new CoordinatorChannel({
    address: address ?? cluster!.address,
    ...(token ? { token } : {}),
    ...(tls !== undefined ? { tls } : {}),
    ...(options.reconnectTimeoutMs !== undefined ? { reconnectTimeoutMs: options.reconnectTimeoutMs } : {}),
  });
  try {
    await channel.ready(options.timeoutMs);
  } catch (err) {
    channel.close();
    await cluster?.stop();
    throw err;
  }
  return new Pool(channel, cluster);
}

/** The token held in `path` (whitespace around it ignored). */
function readTokenFile(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch (error) {
    throw new UsageError(`DROVER_TOKEN_FILE=${path}: ${(error as Error).message}`, { cause: error });
  }
}
