/**
 * Full-size runs before P1's and P2's timed ones, the same for every system. drover's processes take
 * ~60–80k tasks to reach their steady rate (measured: 20k-task maps at ~50k, 70–85k, 86–96k, ~90k, then
 * 105–135k tasks/s, as V8 tiers up the hot paths and the heaps and the store's WAL reach their working
 * sizes; on a later day's host, 46–47k, 57–67k, 59–80k, then 70–97k over 60 maps); one small warm-up measured mostly that climb. P4 warms with whole maps for the same reason (bench/P4_WARM_UP_MAPS.ts).
 */
export const WARM_UP_RUNS = 3;
