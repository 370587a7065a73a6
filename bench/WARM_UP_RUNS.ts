/**
 * Full-size runs before P1's and P2's timed ones (P3: rounds of its calls), the same for every system. drover's processes take
 * ~60–80k tasks to reach their steady rate (measured: 20k-task maps at ~50k, 70–85k, 86–96k, ~90k, then
 * 105–135k tasks/s, as V8 tiers up the hot paths and the heaps and the store's WAL reach their working
 * sizes; on a later day's host, 46–47k, 57–67k, 59–80k, then 70–97k over 60 maps); one small warm-up measured mostly that climb. P4 warms with whole maps for the same reason (bench/P4_WARM_UP_MAPS.ts).
 * P3 takes as many untimed rounds of its calls: sequential `apply`s on a fresh `drover local`, in rounds
 * of 300, had p50s of 0.68–0.79 ms, 0.56–0.68, 0.48–0.52, then 0.40–0.50 (three fresh starts), as the
 * one-call path (its own messages, not P1's batches) tiers up; with one untimed round the first timed
 * one was still in that climb.
 */
export const WARM_UP_RUNS = 3;
