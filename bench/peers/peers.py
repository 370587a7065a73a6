"""Python peers for drover's benchmark harness (bench/run.ts): multiprocessing.Pool and Dask.

Usage: python3 peers.py PEER WORKLOAD JSON-PARAMS  ->  one JSON object on stdout.
PEER is mp or dask. Every workload runs one warm-up, then `reps` timed repetitions, and
returns the raw repetitions; bench/run.ts takes the medians so both languages are summarised alike.

Or: python3 peers.py serve mp JSON-PARAMS  ->  {"ready": true}, then one timed map per request line
on stdin ({"workload": "p1" | "p2", "n": N}  ->  {"seconds": S}) on the same Pool, until stdin ends.
bench/PeerSession.ts drives it so that drover's runs and mp's alternate (bench/pairedRates.ts).
"""
import json
import math
import os
import subprocess
import sys
import time


def noop(x):
    return x


def count_primes(r):
    """Primes in [lo, hi) by trial division by odd numbers up to sqrt(n): same as bench/tasks.ts."""
    lo, hi = r
    count = 0
    for n in range(max(lo, 2), hi):
        if n < 4:
            count += 1
            continue
        if n % 2 == 0:
            continue
        prime = True
        d = 3
        while d * d <= n:
            if n % d == 0:
                prime = False
                break
            d += 2
        if prime:
            count += 1
    return count


def run_sumo(args):
    cfg, seed = args
    t0 = time.perf_counter()
    subprocess.run(["sumo", "-c", cfg, "--seed", str(seed), "--no-step-log", "true", "--no-warnings", "true"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def ranges(limit, parts):
    step = math.ceil(limit / parts)
    return [(i * step, min(limit, (i + 1) * step)) for i in range(parts)]


def paired_primes(rs, reps, parallel):
    """P4: each timed parallel run right after a serial run of the same ranges in this process, so
    that the machine's speed changing between them (common on a shared host) skews neither alone."""
    walls, serials, total = [], [], 0
    for _ in range(reps):
        t0 = time.perf_counter()
        expected = sum(count_primes(r) for r in rs)
        serials.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        total = parallel()
        walls.append(time.perf_counter() - t0)
        if total != expected:
            raise SystemExit(f"p4: the parallel run counted {total} primes, the serial one {expected}")
    return {"walls": walls, "serials": serials, "primes": total}


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def rate(fn, n, reps, warm_ups):
    fn(min(n, 2000))  # warm-up
    for _ in range(warm_ups):
        fn(n)  # full-size warm-up runs, as many as drover's (bench/WARM_UP_RUNS.ts)
    return [n / timed(lambda: fn(n)) for _ in range(reps)]


def round_trips(call, calls, rounds, warm_up_calls):
    """Milliseconds of each call, one list per round, after warm_up_calls untimed calls (as bench/measureDrover.ts)."""
    for i in range(warm_up_calls):
        call(i)
    out = []
    for _ in range(rounds):
        ms = []
        for i in range(calls):
            t0 = time.perf_counter()
            call(i)
            ms.append((time.perf_counter() - t0) * 1000)
        out.append(ms)
    return out


def mp_peer(workload, p):
    import multiprocessing
    procs = p["processes"]
    with multiprocessing.Pool(procs) as pool:
        # P1 and P2 alternate mp's runs with drover's: see serve_mp.
        if workload == "p3":
            return {"ms": round_trips(lambda i: pool.apply(noop, (i,)), p["calls"], p["rounds"], p["warmUpCalls"])}
        if workload == "x1":
            # bytes of `size` each, echoed back, `chunksize` per task (0: Pool.map's default), as
            # bench/workloads/x1LargeValues.ts.
            items = [bytes([i % 256]) * p["size"] for i in range(p["n"])]
            chunksize = p.get("chunksize", 1) or None
            walls = []
            for r in range(1 + p["reps"]):
                t0 = time.perf_counter()
                out = pool.map(noop, items, chunksize=chunksize)
                if r > 0:
                    walls.append(time.perf_counter() - t0)
            if [len(o) for o in out] != [p["size"]] * p["n"]:
                raise SystemExit("mp x1: wrong result sizes")
            return {"walls": walls}
        if workload == "p4":
            rs = ranges(p["limit"], p["parts"])
            pool.map(noop, range(procs * 4), chunksize=1)  # warm the workers
            return paired_primes(rs, p["reps"], lambda: sum(pool.map(count_primes, rs, chunksize=1)))
        if workload == "p8":
            t0 = time.perf_counter()
            runs = list(pool.imap_unordered(run_sumo, [(p["cfg"], s) for s in p["seeds"]]))
            return {"makespan": time.perf_counter() - t0, "runs": runs}
    raise SystemExit(f"mp: unknown workload {workload}")


def dask_peer(workload, p):
    import logging
    import warnings
    warnings.filterwarnings("ignore")
    from dask.distributed import Client, LocalCluster
    import dask.bag as db
    procs = p["processes"]
    with LocalCluster(n_workers=procs, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        if workload == "p1":
            # One task per item: Client.map with pure=False so no results are deduplicated.
            return {"rates": rate(lambda n: client.gather(client.map(noop, range(n), pure=False)), p["n"], p["reps"], p.get("warmUps", 0))}
        if workload == "p2":
            # Dask's default chunking for a sequence: dask.bag.from_sequence's default partitioning.
            return {"rates": rate(lambda n: db.from_sequence(range(n)).map(noop).compute(), p["n"], p["reps"], p.get("warmUps", 0))}
        if workload == "p3":
            return {"ms": round_trips(lambda i: client.submit(noop, i, pure=False).result(), p["calls"], p["rounds"], p["warmUpCalls"])}
        if workload == "p4":
            rs = ranges(p["limit"], p["parts"])
            client.gather(client.map(noop, range(procs * 4), pure=False))
            return paired_primes(rs, p["reps"], lambda: sum(client.gather(client.map(count_primes, rs, pure=False))))
    raise SystemExit(f"dask: unknown workload {workload}")


def serve_mp(p):
    """One Pool, kept for the whole session; each request line is one map, timed alone."""
    import multiprocessing
    with multiprocessing.Pool(p["processes"]) as pool:
        maps = {
            "p1": lambda n: pool.map(noop, range(n), chunksize=1),
            # Default chunking: Pool.map's own rule, ceil(len / (4 * processes)).
            "p2": lambda n: pool.map(noop, range(n)),
        }
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            req = json.loads(line)
            fn, n = maps[req["workload"]], req["n"]
            t0 = time.perf_counter()
            out = fn(n)
            seconds = time.perf_counter() - t0
            if len(out) != n:
                raise SystemExit(f"mp {req['workload']}: {len(out)} results for {n} items")
            print(json.dumps({"seconds": seconds}), flush=True)


def main():
    peer, workload, params = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    if peer == "serve":
        if workload != "mp":
            raise SystemExit(f"serve: only mp, not {workload}")
        serve_mp(params)
        return
    if peer == "version":
        out = {"python": sys.version.split()[0]}
        try:
            import distributed
            out["distributed"] = distributed.__version__
        except Exception as e:  # noqa: BLE001 - report why Dask is missing
            out["daskError"] = f"{type(e).__name__}: {e}"
        print(json.dumps(out))
        return
    fn = {"mp": mp_peer, "dask": dask_peer}[peer]
    print(json.dumps(fn(workload, params)))


if __name__ == "__main__":
    main()
