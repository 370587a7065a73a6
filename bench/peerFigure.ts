// Runs a peer and reduces its repetitions with `pick`, or records why it could not run.
import { runPeer, type PeerName } from './runPeer.ts';

export type PeerFigure = { value: number; error?: undefined } | { value: number; error: string };

export async function peerFigure<T>(peer: PeerName, workload: string, params: object, pick: (out: T) => number, skipped?: string): Promise<PeerFigure> {
  if (skipped) return { value: NaN, error: skipped };
  try {
    return { value: pick(await runPeer<T>(peer, workload, params)) };
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    console.error(`  ${peer} ${workload}: ${error}`);
    return { value: NaN, error };
  }
}
