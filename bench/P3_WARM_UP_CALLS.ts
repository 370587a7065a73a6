/**
 * Untimed `apply`s before P3's timed rounds, for drover and mp (Dask, whose calls take ~10 ms and
 * which compiles nothing, gets WARM_UP_RUNS rounds). drover's one-call path is its own code, which
 * P1's and P2's batches do not warm, and V8 keeps compiling it for thousands of calls: on fresh
 * processes (`drover local` and an SDK), 3,000 timed calls after 2,000 untimed ones had p50 0.53–0.56
 * ms and p99 2.3–2.4 ms, with 35 functions optimized during them in `drover local` and 21 in the SDK
 * (each a 1–3 ms job on a V8 thread, on a 2-core host that the three processes of a call share);
 * after 10,000, p99 2.9–3.3 ms and still ~37 compiles; after 20,000, p50 0.38–0.44 and p99 0.90–1.02;
 * after 30,000, no compiles left in `drover local` and p99 0.86–1.08. The rounds right after a short
 * warm-up are reported too, as the early row.
 */
export const P3_WARM_UP_CALLS = 20_000;
