// Memory and CPU of a process from /proc (Linux): VmHWM is the kernel's own peak-RSS mark, so no
// sampling can miss a spike; utime+stime give the CPU seconds a process used.
import { readFileSync } from 'node:fs';

const MB = 1024 * 1024;

function statusField(pid: number | 'self', field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return (Number(m[1]) * 1024) / MB;
}

/** Peak resident set size so far, MiB. */
export function peakRssMb(pid: number | 'self'): number {
  return statusField(pid, 'VmHWM');
}

/** Current resident set size, MiB. */
export function rssMb(pid: number | 'self'): number {
  return statusField(pid, 'VmRSS');
}

/** CPU seconds (user + system) the process has used. */
export function cpuSeconds(pid: number | 'self'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}

/** CPU seconds (user + system) of a process's direct children (the worker processes of `drover local`). */
export function childrenCpuSeconds(pid: number): number {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // The process has gone.
  }
  let total = 0;
  for (const child of children) {
    try {
      total += cpuSeconds(child);
    } catch {
      // Exited between the listing and the read.
    }
  }
  return total;
}
