// The dashboard page: polls the coordinator's JSON API once a second and redraws the summary cards,
// the throughput chart, the agents table, the jobs table and the selected job's detail.
import { ApiClient } from './ApiClient.js';
import { element } from './element.js';
import { formatDuration } from './formatDuration.js';
import { formatMemory } from './formatMemory.js';
import { formatRate } from './formatRate.js';
import { ThroughputChart } from './ThroughputChart.js';

const POLL_MS = 1000;
const STATE_LABELS = { open: 'running', completed: 'completed', cancelled: 'cancelled', failed: 'failed' };

const api = new ApiClient();
const chart = new ThroughputChart(byId('chart'));
/** @type {string | null} */
let selectedJob = null;
/** Server clock minus ours, so durations agree with the coordinator's timestamps. */
let clockSkewMs = 0;

/** @param {string} id */
function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`dashboard markup lacks #${id}`);
  return node;
}

/** @param {number} ms */
function formatTime(ms) {
  const date = new Date(ms);
  const time = date.toLocaleTimeString('en-GB', { hour12: false });
  return date.toDateString() === new Date().toDateString() ? time : `${date.toISOString().slice(0, 10)} ${time}`;
}

/** @param {string} state */
function statePill(state) {
  return element('span', { class: `pill state-${state}`, 'data-testid': 'job-state' }, STATE_LABELS[state] ?? state);
}

function renderCluster(cluster) {
  const t = cluster.totals;
  byId('total-agents').textContent = String(t.agents);
  byId('total-sumo').textContent = t.agents === 0 ? 'none connected' : `${t.sumoAgents} with SUMO · ${t.cpus} CPUs · ${formatMemory(t.memoryMb)}`;
  byId('total-slots').textContent = `${t.busy} / ${t.slots}`;
  byId('slots-meter').style.width = `${t.slots > 0 ? Math.min(100, (100 * t.busy) / t.slots) : 0}%`;
  byId('total-queued').textContent = t.tasksQueued.toLocaleString('en-US');
  byId('total-running').textContent = `${t.tasksRunning.toLocaleString('en-US')} assigned to agents`;
  byId('total-completed').textContent = `${t.tasksCompleted.toLocaleString('en-US')} since start`;
  byId('jobs-open').textContent = String(t.jobsOpen);
  byId('cluster-hint').textContent = `${t.agents} agent${t.agents === 1 ? '' : 's'} · ${t.free} free slot${t.free === 1 ? '' : 's'}`;

  const rows = cluster.agents.map((a) => {
    const busy = a.slots > 0 ? Math.min(100, (100 * a.busy) / a.slots) : 0;
    const waiting = a.tasks - a.busy;
    const labels = Object.entries(a.labels).map(([k, v]) => element('span', { class: 'chip' }, `${k}=${v}`));
    const resources = Object.entries(a.resources).map(([k, v]) => element('span', { class: 'chip chip-resource' }, `${k}: ${v}`));
    return element('tr', { 'data-testid': 'agent-row', 'data-agent': a.name },
      element('td', {}, element('span', { class: 'strong' }, a.name), a.draining ? element('span', { class: 'pill state-draining' }, 'draining') : null),
      element('td', { class: 'muted' }, [a.hostname, a.platform, a.nodeVersion && `node ${a.nodeVersion.replace(/^v/, '')}`].filter(Boolean).join(' · ')),
      element('td', { class: 'num' }, String(a.cpus)),
      element('td', { class: 'num' }, formatMemory(a.memoryMb)),
      element('td', { 'data-testid': 'agent-slots' },
        element('div', { class: 'slots' },
          element('div', { class: 'meter small' }, element('div', { class: 'meter-fill', style: `width:${busy}%` })),
          element('span', { title: `${a.tasks} task${a.tasks === 1 ? '' : 's'} assigned` }, `${a.busy} busy · ${a.free} free of ${a.slots}`),
          waiting > 0 ? element('span', { class: 'muted small' }, `+${waiting} queued`) : null)),
      element('td', {}, a.sumoVersion
        ? element('span', { class: 'pill sumo', title: [a.sumoTools && 'tools', a.sumoTraci && 'TraCI'].filter(Boolean).join(', ') || 'sumo only' }, `SUMO ${a.sumoVersion}`)
        : element('span', { class: 'muted' }, '—')),
      element('td', {}, ...(labels.length + resources.length > 0 ? [...labels, ...resources] : [element('span', { class: 'muted' }, '—')])),
      element('td', { class: 'muted', title: formatTime(a.connectedAtMs) }, `${formatDuration(cluster.nowMs - a.connectedAtMs)} ago`),
    );
  });
  byId('agents-body').replaceChildren(...(rows.length > 0 ? rows : [emptyRow(8, 'No agent connected. Start one with: drover agent --coordinator HOST:PORT')]));
}

/** @param {number} columns @param {string} text */
function emptyRow(columns, text) {
  return element('tr', { class: 'empty' }, element('td', { colspan: columns }, text));
}

function progressCell(job) {
  const total = job.tasksTotal ?? job.tasksSubmitted;
  const ok = job.tasksDone - job.tasksFailed;
  const pct = (n) => (total > 0 ? Math.min(100, (100 * n) / total) : 0);
  return element('td', { 'data-testid': 'job-progress' },
    element('div', { class: 'progress' },
      element('div', { class: 'progress-bar' },
        element('div', { class: 'progress-ok', style: `width:${pct(ok)}%` }),
        element('div', { class: 'progress-failed', style: `width:${pct(job.tasksFailed)}%` })),
      element('span', { class: 'progress-text' }, `${job.tasksDone.toLocaleString('en-US')} / ${job.tasksTotal === null ? `${total.toLocaleString('en-US')}+` : total.toLocaleString('en-US')}`)));
}

function failureBadges(job) {
  const kinds = Object.entries(job.failuresByKind);
  if (kinds.length === 0) {
    return job.tasksFailed > 0 ? [element('span', { class: 'badge failure' }, `${job.tasksFailed} failed`)] : [element('span', { class: 'muted' }, '—')];
  }
  return kinds.map(([kind, n]) => element('span', { class: `badge failure kind-${kind}`, 'data-kind': kind }, `${kind} ${n.toLocaleString('en-US')}`));
}

function elapsed(job, nowMs) {
  if (job.endedAtMs !== null) return formatDuration(job.endedAtMs - job.createdAtMs);
  return job.state === 'open' ? formatDuration(nowMs - job.createdAtMs) : '–';
}

function renderJobs(list) {
  const rows = list.jobs.map((job) => {
    const row = element('tr', { 'data-testid': 'job-row', 'data-job': job.id, class: job.id === selectedJob ? 'selected' : undefined, tabindex: 0 },
      element('td', {}, element('div', { class: 'mono' }, job.id), job.name ? element('div', { class: 'muted small' }, job.name) : null),
      element('td', { class: 'mono', title: job.bundleDigest ? `bundle ${job.bundleDigest}` : undefined }, job.function || '—'),
      element('td', {}, statePill(job.state)),
      progressCell(job),
      element('td', { 'data-testid': 'job-failures' }, ...failureBadges(job)),
      element('td', { class: 'num' }, job.state === 'open' ? `${formatRate(job.ratePerSecond)}/s` : '—'),
      element('td', { class: 'muted' }, formatTime(job.createdAtMs)),
      element('td', { class: 'num' }, elapsed(job, list.nowMs)),
    );
    const open = () => selectJob(job.id);
    row.addEventListener('click', open);
    row.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        open();
      }
    });
    return row;
  });
  if (list.omitted > 0) rows.push(emptyRow(8, `${list.omitted} older jobs not shown`));
  byId('jobs-body').replaceChildren(...(rows.length > 0 ? rows : [emptyRow(8, 'No job yet.')]));
  byId('jobs-known').textContent = `${list.jobs.length + list.omitted} known`;
}

/** @param {[string, unknown][]} facts */
function factList(facts) {
  return element('dl', { class: 'facts' }, ...facts.flatMap(([k, v]) => [element('dt', {}, k), element('dd', {}, v)]));
}

function renderDetail(job, nowMs) {
  const panel = byId('job-detail');
  const close = element('button', { class: 'close', type: 'button', 'aria-label': 'close' }, '×');
  close.addEventListener('click', () => selectJob(null));
  const kinds = Object.entries(job.failuresByKind);
  const failures = job.recentFailures.map((f) =>
    element('tr', { 'data-testid': 'failure-row' },
      element('td', { class: 'muted' }, formatTime(f.atMs)),
      element('td', { class: 'num' }, String(f.index)),
      element('td', {}, element('span', { class: `badge failure kind-${f.kind}` }, f.kind)),
      element('td', { class: 'message' },
        element('span', { class: 'strong' }, f.name || f.kind), f.code ? element('span', { class: 'muted' }, ` [${f.code}]`) : null,
        element('div', {}, f.message || (f.signal ? `killed by ${f.signal}` : f.exitCode ? `exit code ${f.exitCode}` : '(no message)'))),
      element('td', {}, f.agent || '—'),
      element('td', { class: 'num' }, String(f.attempt))));
  panel.replaceChildren(
    element('div', { class: 'panel-head' },
      element('h2', {}, 'Job ', element('span', { class: 'mono' }, job.id), ' ', statePill(job.state)),
      close),
    factList([
      ['Name', job.name || '—'],
      ['Function', element('span', { class: 'mono' }, job.function || '—')],
      ['Bundle', element('span', { class: 'mono small' }, job.bundleDigest || '—')],
      ['Tasks', `${job.tasksDone} done of ${job.tasksTotal ?? `${job.tasksSubmitted}+`} · ${job.tasksRunning} running · ${job.tasksQueued} queued`],
      ['Failed', kinds.length > 0 ? kinds.map(([k, n]) => `${k}: ${n}`).join(', ') : String(job.tasksFailed)],
      ['Started', formatTime(job.createdAtMs)],
      ['Elapsed', elapsed(job, nowMs)],
      ...(job.endMessage ? [['Ended', job.endMessage]] : []),
    ]),
    element('h3', {}, 'Recent failures'),
    failures.length > 0
      ? element('div', { class: 'table-wrap' }, element('table', { 'data-testid': 'failures-table' },
        element('thead', {}, element('tr', {}, ...['Time', 'Item', 'Kind', 'Error', 'Agent', 'Attempt'].map((h, i) => element('th', { class: i === 1 || i === 5 ? 'num' : undefined }, h)))),
        element('tbody', {}, ...failures)))
      : element('p', { class: 'muted' }, job.tasksFailed > 0 ? 'Failure messages are not kept across coordinator restarts.' : 'No failure.'),
  );
  panel.hidden = false;
}

/** @param {string | null} id */
function selectJob(id) {
  selectedJob = id;
  history.replaceState(null, '', id ? `#job=${encodeURIComponent(id)}` : location.pathname);
  for (const row of document.querySelectorAll('[data-testid="job-row"]')) row.classList.toggle('selected', row.getAttribute('data-job') === id);
  if (id === null) byId('job-detail').hidden = true;
  else void refresh();
}

function setConnection(ok, text) {
  const box = byId('connection');
  box.classList.toggle('ok', ok);
  box.classList.toggle('down', !ok);
  box.querySelector('.connection-text').textContent = text;
}

let refreshing = false;
async function refresh() {
  if (refreshing) return;
  refreshing = true;
  try {
    const [cluster, jobs, throughput, detail] = await Promise.all([
      api.get('/api/cluster'),
      api.get('/api/jobs'),
      api.get('/api/throughput'),
      selectedJob ? api.get(`/api/jobs/${encodeURIComponent(selectedJob)}`).catch((err) => (err.status === 404 ? null : Promise.reject(err))) : undefined,
    ]);
    clockSkewMs = cluster.nowMs - Date.now();
    renderCluster(cluster);
    renderJobs(jobs);
    chart.update(throughput.samples, throughput.nowMs);
    const last = throughput.samples.at(-1);
    byId('current-rate').textContent = formatRate(last ? last[1] : 0);
    if (detail) renderDetail(detail, jobs.nowMs);
    else if (detail === null) selectJob(null);
    byId('auth-banner').hidden = true;
    setConnection(true, `live · ${formatTime(Date.now() + clockSkewMs)}`);
  } catch (err) {
    if (err && err.status === 401) byId('auth-banner').hidden = false;
    setConnection(false, err && err.status === 401 ? 'token required' : `disconnected: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    refreshing = false;
  }
}

byId('auth-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = /** @type {HTMLInputElement} */ (byId('auth-token'));
  api.setToken(input.value.trim());
  input.value = '';
  void refresh();
});

addEventListener('hashchange', () => {
  if (api.takeTokenFromAddress()) {
    void refresh();
    return;
  }
  const job = /(?:^#|&)job=([^&]+)/.exec(location.hash);
  if (job && decodeURIComponent(job[1]) !== selectedJob) selectJob(decodeURIComponent(job[1]));
});

const initial = /(?:^#|&)job=([^&]+)/.exec(location.hash);
if (initial) selectedJob = decodeURIComponent(initial[1]);
void refresh();
setInterval(() => {
  if (!document.hidden) void refresh();
}, POLL_MS);
