import { Command } from 'commander';
import type { pb } from '../../protocol/index.ts';
import { ClusterClient } from '../ClusterClient.ts';
import { connectionOptions, type ConnectionFlags } from '../connectionOptions.ts';
import { formatAge } from '../formatAge.ts';
import { formatTable } from '../formatTable.ts';
import { resolveConnection } from '../resolveConnection.ts';

/** What `drover status --json` prints. */
interface StatusReport {
  coordinator: string;
  totals: {
    agents: number;
    slots: number;
    slotsFree: number;
    tasksQueued: number;
    tasksRunning: number;
    tasksCompleted: number;
    jobsOpen: number;
  };
  agents: pb.AgentInfo[];
}

/** `drover status`: the agents of a running coordinator with their capacity and load, and cluster totals. */
export function statusCommand(): Command {
  return connectionOptions(
    new Command('status')
      .description('show the agents connected to a coordinator (cores, memory, SUMO, labels, slots, load) and cluster totals')
      .option('--json', 'print one JSON object (coordinator, totals, agents) for scripts'),
  ).action(async (opts: ConnectionFlags & { json?: boolean }) => {
    const client = new ClusterClient(resolveConnection(opts));
    try {
      const [stats, agents] = await Promise.all([client.stats(), client.listAgents()]);
      agents.sort((a, b) => a.name.localeCompare(b.name));
      const report: StatusReport = {
        coordinator: client.address,
        totals: {
          agents: stats.agents,
          slots: stats.slots,
          slotsFree: agents.reduce((sum, a) => sum + a.slotsFree, 0),
          tasksQueued: stats.tasksQueued,
          tasksRunning: stats.tasksRunning,
          tasksCompleted: stats.tasksCompleted,
          jobsOpen: stats.jobsOpen,
        },
        agents,
      };
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report));
    } finally {
      client.close();
    }
  });
}

function formatStatus(report: StatusReport): string {
  const t = report.totals;
  const head =
    `coordinator ${report.coordinator}: ${t.agents} agent${t.agents === 1 ? '' : 's'}, ${t.slots} slots (${t.slotsFree} free), ` +
    `${t.tasksQueued} tasks queued, ${t.tasksRunning} running, ${t.tasksCompleted} completed, ${t.jobsOpen} job${t.jobsOpen === 1 ? '' : 's'} open\n`;
  if (report.agents.length === 0) return `${head}no agents connected: start one with \`drover agent --coordinator ${report.coordinator}\`\n`;
  const rows = report.agents.map((a) => {
    const c = a.capacity;
    const labels = Object.entries(c?.labels ?? {}).map(([k, v]) => `${k}=${v}`);
    const resources = Object.entries(c?.resources ?? {}).map(([k, v]) => `${k}:${v}`);
    return [
      a.name + (a.draining ? ' (draining)' : ''),
      c ? String(Math.round(c.cpus * 100) / 100) : '-',
      c ? formatMemory(c.memoryMb) : '-',
      c?.sumoVersion || '-',
      String(c?.slots ?? 0),
      String(a.running),
      String(a.slotsFree),
      // The agent's own view from its last heartbeat: running, plus queued waiting for a worker.
      a.lastHeartbeatMs > 0 ? `${a.reportedRunning}${a.reportedQueued > 0 ? `+${a.reportedQueued}q` : ''}` : '-',
      [...labels, ...resources].join(',') || '-',
      formatAge(a.connectedAtMs),
    ];
  });
  return head + '\n' + formatTable(['AGENT', 'CORES', 'MEMORY', 'SUMO', 'SLOTS', 'RUNNING', 'FREE', 'LOAD', 'LABELS', 'UP'], rows);
}

function formatMemory(mb: number): string {
  return mb >= 1024 ? `${(mb / 1024).toFixed(1)}GiB` : `${mb}MiB`;
}
