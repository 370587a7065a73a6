import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCgroupCfsQuota } from '../../../src/agent/parseCgroupCfsQuota.ts';
import { parseCgroupCpuMax } from '../../../src/agent/parseCgroupCpuMax.ts';
import { parseCgroupMemoryLimit } from '../../../src/agent/parseCgroupMemoryLimit.ts';
import { parseSumoVersion } from '../../../src/agent/parseSumoVersion.ts';
import { probeCapacity } from '../../../src/agent/probeCapacity.ts';

describe('cgroup parsers', () => {
  it('reads cgroup v2 cpu.max', () => {
    expect(parseCgroupCpuMax('max 100000\n')).toBeUndefined();
    expect(parseCgroupCpuMax('200000 100000\n')).toBe(2);
    expect(parseCgroupCpuMax('150000 100000')).toBe(1.5);
    expect(parseCgroupCpuMax('50000\n')).toBe(0.5);
    expect(parseCgroupCpuMax('')).toBeUndefined();
    expect(parseCgroupCpuMax('garbage')).toBeUndefined();
  });

  it('reads cgroup v1 cfs quota and period', () => {
    expect(parseCgroupCfsQuota('-1\n', '100000\n')).toBeUndefined();
    expect(parseCgroupCfsQuota('250000\n', '100000\n')).toBe(2.5);
    expect(parseCgroupCfsQuota('50000', '0')).toBeUndefined();
  });

  it('reads memory.max and memory.limit_in_bytes', () => {
    expect(parseCgroupMemoryLimit('max\n')).toBeUndefined();
    expect(parseCgroupMemoryLimit('536870912\n')).toBe(512 * 1024 * 1024);
    expect(parseCgroupMemoryLimit('9223372036854771712\n')).toBeUndefined();
    expect(parseCgroupMemoryLimit('-1')).toBeUndefined();
  });
});

describe('parseSumoVersion', () => {
  it('reads a release banner', () => {
    expect(parseSumoVersion('Eclipse SUMO sumo Version 1.15.0\n Build features: Linux-5.15 x86_64 GNU 11.3.0 Release FMI Proj GUI\n')).toBe('1.15.0');
    expect(parseSumoVersion('Eclipse SUMO sumo Version 1.20.0\r\nCopyright (C) 2001-2024 German Aerospace Center')).toBe('1.20.0');
  });

  it('reads a nightly banner', () => {
    expect(parseSumoVersion('Eclipse SUMO sumo Version v1_15_0+1520-cb474809f6\n')).toBe('1.15.0');
    expect(parseSumoVersion('Eclipse SUMO sumo v1_19_0+0123-abcdef0123')).toBe('1.19.0');
  });

  it('reads nothing from output that is not SUMO’s', () => {
    expect(parseSumoVersion('')).toBe('');
    expect(parseSumoVersion('bash: sumo: command not found')).toBe('');
    expect(parseSumoVersion('some other tool Version 1.2.3')).toBe('');
    expect(parseSumoVersion('Build features\nEclipse SUMO sumo Version 1.15.0')).toBe('');
  });
});

describe('probeCapacity', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(os.tmpdir(), 'drover-capacity-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('takes the tightest cgroup v2 limit on the path from its cgroup to the root', async () => {
    const root = join(dir, 'v2');
    await mkdir(join(root, 'kubepods', 'pod1'), { recursive: true });
    await writeFile(join(root, 'cgroup.controllers'), 'cpu memory\n');
    await writeFile(join(root, 'kubepods', 'cpu.max'), '50000 100000\n');
    await writeFile(join(root, 'kubepods', 'memory.max'), 'max\n');
    await writeFile(join(root, 'kubepods', 'pod1', 'cpu.max'), 'max 100000\n');
    await writeFile(join(root, 'kubepods', 'pod1', 'memory.max'), `${256 * 1024 * 1024}\n`);
    const membership = join(dir, 'self-cgroup');
    await writeFile(membership, '0::/kubepods/pod1\n');
    const c = await probeCapacity({ cgroupRoot: root, procSelfCgroup: membership, sumoCommand: join(dir, 'no-sumo'), labels: { zone: 'a' }, resources: { gpu: 1 } });
    expect(c.cpus).toBe(0.5);
    expect(c.memoryMb).toBe(256);
    expect(c.slots).toBe(1);
    expect(c.sumoVersion).toBe('');
    expect(c.labels).toEqual({ zone: 'a' });
    expect(c.resources).toEqual({ gpu: 1 });
    expect(c.nodeVersion).toBe(process.version);
    expect(c.hostname).toBe(os.hostname());
  });

  it('reads cgroup v1 files and never reports more than the machine has', async () => {
    const root = join(dir, 'v1');
    await mkdir(join(root, 'cpu,cpuacct'), { recursive: true });
    await mkdir(join(root, 'memory'), { recursive: true });
    await writeFile(join(root, 'cpu,cpuacct', 'cpu.cfs_quota_us'), '10000000\n');
    await writeFile(join(root, 'cpu,cpuacct', 'cpu.cfs_period_us'), '100000\n');
    await writeFile(join(root, 'memory', 'memory.limit_in_bytes'), '9223372036854771712\n');
    const c = await probeCapacity({ cgroupRoot: root, sumoCommand: join(dir, 'no-sumo'), processes: 3 });
    expect(c.cpus).toBe(os.availableParallelism());
    expect(c.memoryMb).toBe(Math.floor(os.totalmem() / 2 ** 20));
    expect(c.slots).toBe(3);
  });

  it('announces cores probed before (the agent sizes its pool from them) as they are', async () => {
    const cores = { cpus: 3.5, memoryMb: 1234, slots: 7 };
    const c = await probeCapacity({ cores, cgroupRoot: join(dir, 'none'), sumoCommand: join(dir, 'no-sumo') });
    expect({ cpus: c.cpus, memoryMb: c.memoryMb, slots: c.slots }).toEqual(cores);
  });

  it('asks sumo for its version and takes SUMO_HOME from the environment', async () => {
    const fake = join(dir, 'sumo');
    await writeFile(fake, '#!/bin/sh\necho "Eclipse SUMO sumo Version 1.15.0"\necho " Build features: Linux"\n');
    await chmod(fake, 0o755);
    const c = await probeCapacity({ cgroupRoot: join(dir, 'none'), sumoCommand: fake, env: { SUMO_HOME: '/opt/sumo' } });
    expect(c.sumoVersion).toBe('1.15.0');
    expect(c.sumoHome).toBe('/opt/sumo');
  });
});
