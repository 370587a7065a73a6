// The seeds' experiment: an on-ramp merge, uncontrolled against ALINEA ramp metering (TraCI), over
// several seeds in parallel on the cluster's SUMO agents.   node examples/ramp-metering/main.ts [seeds]
import { connect, summarizeSweep, type SumoStatistics } from 'drover';

const seeds = Number(process.argv[2] ?? 8);

await using pool = await connect();
const tasks = await pool.load<typeof import('./tasks.ts')>(new URL('./tasks.ts', import.meta.url));
const sumo = { requires: { sumo: true }, retries: 3 } as const;

// Built on an agent, so the machine running this script needs no SUMO of its own.
const scenario = await pool.applyAsync(tasks.buildScenario, [{ mainlineFlow: 3400, rampFlow: 1200, end: 3600 }], sumo).get();

const runs = [];
for (const controlled of [false, true]) for (let seed = 1; seed <= seeds; seed++) runs.push({ scenario, seed, controlled });

const results = [];
for await (const r of pool.imapUnordered(tasks.rampRun, runs, sumo)) {
  results.push(r);
  const t = r.statistics.vehicleTripStatistics;
  console.log(
    `${String(results.length).padStart(3)}/${runs.length}  seed ${String(r.seed).padStart(2)}  ${r.controlled ? 'ALINEA    ' : 'no control'}` +
      `  timeLoss ${t?.timeLoss?.toFixed(1)} s  green ${(r.controller.meanGreenShare * 100).toFixed(0)} %  (${r.worker} on ${r.agent}, ${(r.wallMs / 1000).toFixed(1)} s)`,
  );
}

// Depart delay (waiting to enter, e.g. in the ramp queue) is outside SUMO's travel time: add it for a fair total.
const withTotal = (s: SumoStatistics) => ({
  ...s,
  total: { delayedTravelTime: (s.vehicleTripStatistics?.totalTravelTime ?? 0) + (s.vehicleTripStatistics?.totalDepartDelay ?? 0) },
});
const table = summarizeSweep(
  results.map((r) => ({ params: { control: r.controlled ? 'ALINEA' : 'none' }, statistics: withTotal(r.statistics) as SumoStatistics })),
  ['vehicleTripStatistics.timeLoss', 'vehicleTripStatistics.totalTravelTime', 'vehicleTripStatistics.totalDepartDelay', 'total.delayedTravelTime'],
);
console.log('\nmean ± 95 % CI over seeds');
for (const g of table) {
  console.log(`  control=${g.params.control}`);
  for (const [name, m] of Object.entries(g.metrics)) console.log(`    ${name.padEnd(40)} ${m.mean.toFixed(1).padStart(10)} ± ${m.ci95.toFixed(1)}`);
}
const [none, alinea] = ['none', 'ALINEA'].map((c) => table.find((g) => g.params.control === c)!.metrics['total.delayedTravelTime']!.mean);
console.log(`\nALINEA vs no control, travel time + depart delay: ${(((alinea! - none!) / none!) * 100).toFixed(1)} %`);
