/**
 * The drover agent: runs on each node, announces the node's capacity (cores, memory, SUMO, labels,
 * resources) to a coordinator, and runs the tasks it is assigned in a pool of long-lived worker
 * processes, one per slot. Crashed, out-of-memory and timed-out workers are replaced and their tasks
 * fail with a typed error; workers can be recycled after N tasks or past an RSS ceiling. The connection
 * to the coordinator is re-established on its own, and every result is kept until the coordinator has
 * acknowledged it, so neither a dropped connection nor a coordinator crash loses one.
 *
 * Tasks reach the agent through their context (`drover/task`): files from the coordinator's blob store
 * (`fetchBlob`, verified and cached on disk) and into it (`storeFile`), a private scratch directory per
 * attempt (`scratchDir`, removed when the attempt ends however it ends), and child process groups the
 * agent kills when their task ends (`trackChildProcess`). A task that throws an error marked
 * `retryable` fails with `retryable` set, so the coordinator runs it again within the job's retries.
 *
 * @example
 * import { Agent, probeCapacity } from './src/agent/index.ts';
 *
 * console.log(await probeCapacity());            // what this machine would announce
 * const agent = new Agent({ coordinator: '127.0.0.1:7070', labels: { zone: 'lab' } });
 * await agent.start();                           // resolves once registered
 * process.once('SIGTERM', () => void agent.stop({ drain: true }));
 *
 * @module
 */
export { Agent } from './Agent.ts';
export type { AgentOptions } from './AgentOptions.ts';
export { probeCapacity, type ProbeCapacityOptions } from './probeCapacity.ts';
