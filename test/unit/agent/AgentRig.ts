import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Agent, type AgentOptions } from '../../../src/agent/index.ts';
import { FakeCoordinator } from './fakeCoordinator.ts';
import { BUNDLE_SOURCE } from './poolHarness.ts';

/**
 * A real {@link Agent} (one worker process unless told otherwise) against a {@link FakeCoordinator}, with
 * its own cache directory: `start()` in a test, `stop()` in `afterEach` (stops both, removes the directory).
 */
export class AgentRig {
  coord: FakeCoordinator | undefined;
  agent: Agent | undefined;
  #cacheDir: string | undefined;

  /** `configure` sets the fake up before the agent connects (heartbeat interval, acknowledgements...). */
  async start(options: Partial<AgentOptions> = {}, configure: (c: FakeCoordinator) => void = () => {}): Promise<{ c: FakeCoordinator; a: Agent; digest: string }> {
    const c = (this.coord = await FakeCoordinator.start());
    configure(c);
    const digest = c.putBlob(BUNDLE_SOURCE);
    this.#cacheDir = await mkdtemp(join(os.tmpdir(), 'drover-agent-test-'));
    const a = (this.agent = new Agent({ coordinator: c.address, processes: 1, cacheDir: this.#cacheDir, logger: pino({ level: 'silent' }), ...options }));
    await a.start();
    return { c, a, digest };
  }

  async stop(): Promise<void> {
    await this.agent?.stop();
    await this.coord?.stop();
    if (this.#cacheDir) await rm(this.#cacheDir, { recursive: true, force: true });
    this.agent = this.coord = this.#cacheDir = undefined;
  }
}
