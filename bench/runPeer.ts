// Runs one peer workload in a child process and returns its JSON: the Python peers
// (bench/peers/peers.py) and piscina (bench/peers/piscinaPeer.ts, on this Node). P4's bare processes
// run from the bench process itself (bench/peers/BareProcesses.ts).
import { fileURLToPath } from 'node:url';
import { runJsonChild } from './runJsonChild.ts';

/** The Python peers (mp, Dask), run per workload here and kept running by bench/PeerSession.ts. */
export const PEERS = fileURLToPath(new URL('./peers/peers.py', import.meta.url));
const PISCINA_PEER = fileURLToPath(new URL('./peers/piscinaPeer.ts', import.meta.url));
/** Debian's Python: the one python3-distributed installs into. */
export const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';

export type PeerName = 'mp' | 'dask' | 'piscina';

export function runPeer<T>(peer: PeerName | 'version', workload: string, params: object = {}): Promise<T> {
  const [command, args] =
    peer === 'piscina'
      ? [process.execPath, [PISCINA_PEER, workload, JSON.stringify(params)]]
      : [PYTHON, [PEERS, peer, workload, JSON.stringify(params)]];
  return runJsonChild<T>(command, args, `${peer} ${workload}`);
}
