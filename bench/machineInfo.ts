// The machine and versions a report was measured on.
import { cpus, totalmem } from 'node:os';
import { runPeer } from './runPeer.ts';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  python: string;
  distributed: string | undefined;
  /** Why Dask cannot run here, when it cannot. */
  daskError: string | undefined;
}

export async function machineInfo(): Promise<MachineInfo> {
  const py = await runPeer<{ python: string; distributed?: string; daskError?: string }>('version', '').catch((e: Error) => ({
    python: `unavailable (${e.message})`,
    daskError: 'python3 did not run',
  }));
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: totalmem() / 1024 ** 3,
    node: process.version,
    python: py.python,
    distributed: 'distributed' in py ? py.distributed : undefined,
    daskError: 'daskError' in py ? py.daskError : undefined,
  };
}
