// Appends to a table's note why a peer's figure is missing.
import type { PeerFigure } from './peerFigure.ts';

/** `dask` undefined: the workload has no Dask column. */
export function measuredNote(mp: PeerFigure, dask: PeerFigure | undefined, piscina?: PeerFigure): string {
  const missing = [
    mp.error ? ` multiprocessing.Pool did not run: ${mp.error}.` : '',
    dask?.error ? ` Dask did not run: ${dask.error}.` : '',
    piscina?.error ? ` piscina did not run: ${piscina.error}.` : '',
  ];
  return missing.join('');
}
