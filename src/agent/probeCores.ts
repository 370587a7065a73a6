import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseCgroupCfsQuota } from './parseCgroupCfsQuota.ts';
import { parseCgroupCpuMax } from './parseCgroupCpuMax.ts';
import { parseCgroupMemoryLimit } from './parseCgroupMemoryLimit.ts';

/** Options of {@link probeCores}; all optional. */
export interface ProbeCoresOptions {
  /** Worker processes (slots); default one per whole usable core, at least 1. */
  processes?: number;
  /** Where the cgroup hierarchy is mounted (default `/sys/fs/cgroup`); tests point it at fixtures. */
  cgroupRoot?: string;
  /** This process's cgroup membership file (default `/proc/self/cgroup`). */
  procSelfCgroup?: string;
}

/** Usable cores and memory, and the worker processes to run. */
export interface Cores {
  cpus: number;
  memoryMb: number;
  slots: number;
}

/**
 * The part of {@link probeCapacity} that starts no process: usable cores and memory (the smaller of
 * the machine's and its cgroup limits, so a container reports its quota, not the host's) and the
 * number of worker processes. The agent sizes its pool from it and starts the workers while the
 * slower SUMO probe (a python importing SUMO's modules, ~0.25 s) is still running.
 *
 * @example
 * const { slots } = await probeCores({ processes: 4 });
 */
export async function probeCores(options: ProbeCoresOptions = {}): Promise<Cores> {
  const limits = await readCgroupLimits(options.cgroupRoot ?? '/sys/fs/cgroup', options.procSelfCgroup ?? '/proc/self/cgroup');
  const cpus = Math.min(os.availableParallelism(), limits.cpus ?? Infinity);
  const memoryBytes = Math.min(os.totalmem(), limits.memoryBytes ?? Infinity);
  return {
    cpus,
    memoryMb: Math.floor(memoryBytes / (1024 * 1024)),
    slots: options.processes ?? Math.max(1, Math.floor(cpus)),
  };
}

interface CgroupLimits {
  cpus?: number;
  memoryBytes?: number;
}

const read = (path: string): Promise<string | undefined> => readFile(path, 'utf8').catch(() => undefined);

/** The tightest CPU and memory limits of the cgroups this process is in (v2, else v1). */
async function readCgroupLimits(root: string, procSelfCgroup: string): Promise<CgroupLimits> {
  const limits: CgroupLimits = {};
  const tighten = (key: keyof CgroupLimits, value: number | undefined) => {
    if (value !== undefined) limits[key] = Math.min(limits[key] ?? Infinity, value);
  };
  if (existsSync(join(root, 'cgroup.controllers'))) {
    // v2: a limit anywhere on the path from our cgroup up to the root applies to us.
    for (const dir of await v2Chain(root, procSelfCgroup)) {
      const [cpuMax, memMax] = await Promise.all([read(join(dir, 'cpu.max')), read(join(dir, 'memory.max'))]);
      if (cpuMax !== undefined) tighten('cpus', parseCgroupCpuMax(cpuMax));
      if (memMax !== undefined) tighten('memoryBytes', parseCgroupMemoryLimit(memMax));
    }
    return limits;
  }
  // v1: the controller mounts seen from inside a container are the container's own cgroups.
  for (const dir of ['cpu', 'cpu,cpuacct', 'cpuacct,cpu']) {
    const [quota, period] = await Promise.all([read(join(root, dir, 'cpu.cfs_quota_us')), read(join(root, dir, 'cpu.cfs_period_us'))]);
    if (quota !== undefined && period !== undefined) {
      tighten('cpus', parseCgroupCfsQuota(quota, period));
      break;
    }
  }
  const mem = await read(join(root, 'memory', 'memory.limit_in_bytes'));
  if (mem !== undefined) tighten('memoryBytes', parseCgroupMemoryLimit(mem));
  return limits;
}

/** Directories from this process's v2 cgroup up to the root (just the root inside a cgroup namespace). */
async function v2Chain(root: string, procSelfCgroup: string): Promise<string[]> {
  const membership = (await read(procSelfCgroup)) ?? '';
  const line = membership.split('\n').find((l) => l.startsWith('0::'));
  const parts = (line?.slice(3).trim() ?? '/').split('/').filter((p) => p !== '' && p !== '..');
  const dirs = [root];
  for (let i = 1; i <= parts.length; i++) dirs.push(join(root, ...parts.slice(0, i)));
  return dirs.filter((d) => existsSync(d));
}
