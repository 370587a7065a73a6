// P7's simulated agents: lightweight in-process fakes speaking the real Agents protocol over real
// gRPC. Each registers, grants credit, and answers every assignment at once with a CBOR-encoded
// result, so the coordinator — not any worker — is what P7 measures.
//
// Credit is what a real agent with that many slots keeps granted: a task per slot running plus its
// prefetch (src/agent/Agent.ts `#target`). A default agent's prefetch is at least one task per slot
// (more while tasks are tiny, up to 128 per slot), so the default here is that floor; `prefetch: 0` is
// an agent configured with none, whose workers idle for a coordinator round trip between tasks.
import * as grpc from '@grpc/grpc-js';
import { encode } from 'cbor-x';
import { AgentsClient, pb } from '../src/protocol/index.ts';

/** A chunk of one item whose value is 1: what a worker would send back for `noop(1)`. */
const RESULT = Buffer.from(encode([1]));
/** Agents per gRPC connection: spreads the fleet over several HTTP/2 connections, as real agents would be. */
const AGENTS_PER_CONNECTION = 100;

export class FakeAgentFleet {
  readonly #clients: pb.AgentsClient[] = [];
  readonly #calls: grpc.ClientDuplexStream<pb.AgentMessage, pb.CoordinatorMessage>[] = [];
  #registered = 0;
  /** Results sent back, across the fleet. */
  answered = 0;

  /**
   * @param slots - worker slots each fake reports in its capacity.
   * @param prefetch - tasks per agent granted beyond its slots; default one per slot, a default agent's least.
   */
  constructor(address: string, count: number, slots: number, prefetch = slots) {
    const creditPerAgent = slots + prefetch;
    const credentials = grpc.credentials.createInsecure();
    for (let i = 0; i < count; i++) {
      if (i % AGENTS_PER_CONNECTION === 0) {
        // A local subchannel pool gives each client its own connection instead of sharing one.
        this.#clients.push(new AgentsClient(address, credentials, { 'grpc.use_local_subchannel_pool': 1 }));
      }
      const call = this.#clients.at(-1)!.connect();
      call.on('error', () => {});
      call.on('data', (m: pb.CoordinatorMessage) => {
        if (m.msg?.$case === 'registered') this.#registered++;
        if (m.msg?.$case !== 'assign') return;
        const results = m.msg.value.tasks.map((t): pb.AttemptResult => ({ attemptId: t.attemptId, outcome: { $case: 'value', value: RESULT }, worker: 'w', durationMs: 0 }));
        this.answered += results.length;
        // Credit rides with the results, as the real agent sends it to a coordinator that takes it there.
        call.write({ msg: { $case: 'results', value: { results, credit: results.length } } });
      });
      const capacity: pb.Capacity = {
        cpus: slots, memoryMb: 4096, slots, sumoVersion: '', sumoHome: '', labels: {}, resources: {},
        hostname: `fake-${i}`, platform: 'linux', nodeVersion: process.version, sumoTools: false, sumoTraci: false, sumoLibsumo: false,
      };
      // Acknowledgements may ride inside assignments, as the real agent (src/agent/Agent.ts) takes them; the fakes ignore them.
      call.write({ msg: { $case: 'register', value: { name: `fake-${i}`, capacity, version: 'bench', runningAttemptIds: [], acksWithAssign: true } } });
      call.write({ msg: { $case: 'credit', value: { tasks: creditPerAgent } } });
      this.#calls.push(call);
    }
  }

  async registered(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#registered < this.#calls.length) {
      if (Date.now() > deadline) throw new Error(`only ${this.#registered} of ${this.#calls.length} fake agents registered`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  close(): void {
    for (const call of this.#calls) call.end();
    for (const client of this.#clients) client.close();
  }
}
