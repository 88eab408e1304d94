"""Row b alone: ``summarize`` per filter at scale, its median over many runs, and a profile of the slow ones.

    python bench/totals_profile.py --incidents 1000000 --work /work/perfdata/1000000-0

The store is built once in the work folder (``bench.data.ensure_data`` / ``ensure_store``,
several minutes at 1M) and reused afterwards. The filters are row b's (``TOTALS_CASES``),
and the naive pandas baseline (``bench/naive.py``) is timed in the same run so that the
ratio, not the absolute figure, is what one compares on a loaded machine.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``bench`` and ``dashboard`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import data as bench_data
from bench.common import ROOT, log


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, help="data and store folder (default var/bench/<N>-<seed>/)")
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per filter (median reported)")
    parser.add_argument("--naive-repeat", type=int, default=5, help="timed runs of the naive baseline (0: skip)")
    parser.add_argument("--profile-over", type=float, default=0.0, help="cProfile filters slower than this (ms)")
    parser.add_argument("--top", type=int, default=25, help="lines of each profile")
    return parser.parse_args(argv)


def median_ms(fn, repeat: int) -> tuple[float, list[float], object]:
    """Median and every timing (ms) of ``repeat`` calls of ``fn``, and the last call's result."""
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), times, result


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    work = (args.work or ROOT / "var" / "bench" / f"{args.incidents}-{args.seed}").resolve()
    work.mkdir(parents=True, exist_ok=True)
    env = bench_data.settings_env(work, "")
    os.environ.update(env)
    bench_data.ensure_data(work, args.incidents, args.seed)
    bench_data.ensure_store(work, env)

    from bench.naive import differences, load_naive, naive_summarize
    from bench.run import load_in_process
    from bench.sections import TOTALS_CASES
    from dashboard.query.totals import Filters, summarize

    records, _, how = load_in_process(env, {"snapshot.load_records": ""})  # the page's path
    started = time.perf_counter()
    summarize(records, Filters())  # builds the index: not part of any median
    log(f"index built (first summarize) in {time.perf_counter() - started:.1f} s; records via {how}")
    frames = load_naive(str(work / "impact.sqlite")) if args.naive_repeat else None

    print(f"\nN = {args.incidents:,}, seed {args.seed}, median of {args.repeat} (naive: {args.naive_repeat})\n")
    print("| filter | ours ms (median) | min | naive ms (median) | naive / ours |")
    print("|---|---:|---:|---:|---:|")
    slow = []
    for label, ours_args, naive_args in TOTALS_CASES:
        filters = Filters(**ours_args)
        ours, times, totals = median_ms(lambda filters=filters: summarize(records, filters), args.repeat)
        base = ratio = "n/a"
        if frames is not None:
            naive, _, naive_totals = median_ms(lambda a=naive_args: naive_summarize(frames, **a), args.naive_repeat)
            diff = differences(totals, naive_totals)
            if diff:
                log(f"WARNING totals differ from the naive baseline for {label}: {diff}")
            base, ratio = f"{naive:.0f}", f"{naive / ours:.0f}×"
        print(f"| {label} | {ours:.1f} | {min(times):.1f} | {base} | {ratio} |", flush=True)
        if ours > args.profile_over:
            slow.append((label, filters))
    for label, filters in slow:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.repeat):
            summarize(records, filters)
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(args.top)
        print(f"\n### profile: {label} ({args.repeat} calls, sorted by own time)\n{out.getvalue()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
