import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeCapacity } from '../../../src/agent/probeCapacity.ts';

describe('probeCapacity: SUMO tools and Python modules', () => {
  let dir: string;
  let sumo: string;
  let sumoHome: string;
  const cgroupRoot = () => join(dir, 'no-cgroups');

  /** A fake python: records its arguments and SUMO_HOME, prints `output`, exits with `code`. */
  const fakePython = async (name: string, output: string, code = 0): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, `#!/bin/sh\nprintf '%s\\n%s\\n%s\\n' "$1" "$3" "$SUMO_HOME" > "$0.args"\necho '${output}'\nexit ${code}\n`);
    await chmod(path, 0o755);
    return path;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(os.tmpdir(), 'drover-sumo-capacity-test-'));
    sumo = join(dir, 'sumo');
    await writeFile(sumo, '#!/bin/sh\necho "Eclipse SUMO sumo Version 1.15.0"\n');
    await chmod(sumo, 0o755);
    sumoHome = join(dir, 'sumo-home');
    await mkdir(join(sumoHome, 'tools'), { recursive: true });
    await writeFile(join(sumoHome, 'tools', 'randomTrips.py'), '# fake\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports the tools and what python imports, asking python once with SUMO_HOME and the tools dir', async () => {
    const python = await fakePython('python-traci', '{"traci": true, "libsumo": false}');
    const c = await probeCapacity({ cgroupRoot: cgroupRoot(), sumoCommand: sumo, pythonCommand: python, env: { SUMO_HOME: sumoHome } });
    expect(c).toMatchObject({ sumoVersion: '1.15.0', sumoHome, sumoTools: true, sumoTraci: true, sumoLibsumo: false });
    expect(readFileSync(`${python}.args`, 'utf8').split('\n').slice(0, 3)).toEqual(['-c', join(sumoHome, 'tools'), sumoHome]);

    const both = await fakePython('python-both', '{"traci": true, "libsumo": true}');
    const d = await probeCapacity({ cgroupRoot: cgroupRoot(), sumoCommand: sumo, pythonCommand: both, env: { SUMO_HOME: sumoHome } });
    expect(d).toMatchObject({ sumoTraci: true, sumoLibsumo: true });
  });

  it('reports no tools when randomTrips.py is missing from SUMO_HOME', async () => {
    const python = await fakePython('python-none', '{"traci": false, "libsumo": false}');
    const bare = join(dir, 'bare-home');
    await mkdir(bare, { recursive: true });
    const c = await probeCapacity({ cgroupRoot: cgroupRoot(), sumoCommand: sumo, pythonCommand: python, env: { SUMO_HOME: bare } });
    expect(c).toMatchObject({ sumoVersion: '1.15.0', sumoHome: bare, sumoTools: false, sumoTraci: false, sumoLibsumo: false });
  });

  it('never fails because of python: missing, failing or printing garbage means no modules', async () => {
    const failing = await fakePython('python-fails', '{"traci": true, "libsumo": true}', 1);
    const garbage = await fakePython('python-garbage', 'Traceback (most recent call last)');
    for (const pythonCommand of [join(dir, 'no-python'), failing, garbage]) {
      const c = await probeCapacity({ cgroupRoot: cgroupRoot(), sumoCommand: sumo, pythonCommand, env: { SUMO_HOME: sumoHome } });
      expect(c, pythonCommand).toMatchObject({ sumoVersion: '1.15.0', sumoTools: true, sumoTraci: false, sumoLibsumo: false });
    }
  });

  it('reports no SUMO at all when sumo is not on its PATH, whatever python can import', async () => {
    const python = await fakePython('python-all', '{"traci": true, "libsumo": true}');
    const c = await probeCapacity({ cgroupRoot: cgroupRoot(), pythonCommand: python, env: { PATH: join(dir, 'empty-bin'), SUMO_HOME: sumoHome } });
    expect(c).toMatchObject({ sumoVersion: '', sumoHome: '', sumoTools: false, sumoTraci: false, sumoLibsumo: false });
  });

  it.skipIf(!existsSync('/usr/bin/sumo') || !existsSync('/usr/bin/python3'))('finds the real SUMO installed here (Debian: traci and libsumo from /usr/bin/python3)', async () => {
    const c = await probeCapacity({ env: { PATH: '/usr/bin:/bin' } });
    expect(c.sumoVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(c.sumoHome).not.toBe('');
    expect(c.sumoTools).toBe(existsSync(join(c.sumoHome, 'tools', 'randomTrips.py')));
    expect(c.sumoTraci).toBe(true);
    // Debian's python3-libsumo lives in site-packages; $SUMO_HOME/tools has a libsumo without its
    // native part, which must not hide it.
    expect(c.sumoLibsumo).toBe(existsSync('/usr/lib/python3/dist-packages/libsumo'));
  });
});
