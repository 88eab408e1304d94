"""Benchmark of the dashboard at scale: ours against naive baselines, measured in the same run.

    python bench/run.py --incidents 1000000 [--seed 0] [--work DIR] [--repeat 5]
                        [--json bench/results.json] [--skip-browser]

See bench/README.md for what each row measures.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import data as bench_data  # noqa: E402
from bench.common import (  # noqa: E402
    NOT_AVAILABLE,
    ROOT,
    Row,
    log,
    machine_facts,
    markdown_table,
    python_env,
    run_json_subprocess,
    write_json,
)
from bench.sections import (  # noqa: E402
    browser_rows,
    coldload_rows,
    map_rows,
    rerun_rows,
    totals_rows,
)

DEFAULT_BOUNDARY = ROOT.parent / "shared" / "geo" / "ukr_adm1_geoboundaries_simplified.geojson"
BASELINE_REF = "66d2580"  # the last commit before the scaling work (query index, map aggregation, snapshot)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, required=True, metavar="N")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, help="data and store folder (default var/bench/<N>-<seed>/)")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions per measurement (median reported)")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--skip-browser", action="store_true", help="skip the Chromium rows (e) and server memory (f)")
    parser.add_argument("--cap", type=float, default=300, help="seconds before one measurement is given up")
    parser.add_argument("--browser-cap", type=float, default=180, help="seconds to wait for a page in Chromium")
    parser.add_argument("--budget", type=float, default=60, help="seconds after which a measurement stops repeating")
    parser.add_argument(
        "--boundary-file",
        default=str(DEFAULT_BOUNDARY) if DEFAULT_BOUNDARY.is_file() else "",
        help="IMPACT_BOUNDARY_FILE for every measurement ('' for none); default the shared geoBoundaries file",
    )
    parser.add_argument(
        "--baseline-ref",
        default=BASELINE_REF,
        help="git commit whose page is the baseline of the AppTest rerun (row d); 'none' for n/a",
    )
    parser.add_argument("--marker-cluster-points", type=int, default=50_000)
    return parser.parse_args(argv)


def api_status() -> dict[str, str]:
    """Which parts of the API the bench relies on exist in the working tree ('' = present)."""
    import importlib
    import inspect

    status = {}
    # The modules as the layer packages name them (``dashboard.mapview`` and ``dashboard.query`` went with the split).
    from dashboard.map import view as mapview
    from dashboard.query import totals as query

    status["mapview.MapView"] = "" if hasattr(mapview, "MapView") else "missing"
    status["build_map(view=)"] = "" if "view" in inspect.signature(mapview.build_map).parameters else "missing"
    for name in ("summarize", "filter_incidents", "impacts_in_view"):
        status[f"query.{name}"] = "" if hasattr(query, name) else "missing"
    try:
        snapshot = importlib.import_module("dashboard.store.snapshot")
        status["snapshot.load_records"] = "" if hasattr(snapshot, "load_records") else "missing"
    except ImportError as exc:
        status["snapshot.load_records"] = f"missing ({exc})"
    return status


def load_in_process(env: dict, status: dict):
    """Records for the in-process rows (a, b), through the snapshot when there is one."""
    from dashboard.config import Settings
    from dashboard.io.open import open_store
    from dashboard.store.sql import read_records
    from geo.boundaries import load_boundaries

    settings = Settings.from_env(env)
    engine = open_store(settings)
    started = time.perf_counter()
    if not status["snapshot.load_records"]:
        from dashboard.store.snapshot import load_records

        records, how = load_records(engine, settings), "snapshot.load_records"
    else:
        records, how = read_records(engine), "store.read_records"
    log(f"records loaded in-process via {how} in {time.perf_counter() - started:.1f} s")
    return records, load_boundaries(settings.boundary_file or None), how


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    work = (args.work or ROOT / "var" / "bench" / f"{args.incidents}-{args.seed}").resolve()
    work.mkdir(parents=True, exist_ok=True)
    facts_at_start = machine_facts()
    env = bench_data.settings_env(work, args.boundary_file)
    os.environ.update(env)  # the in-process rows read the same store and boundaries as the page
    generated = bench_data.ensure_data(work, args.incidents, args.seed)
    imported = bench_data.ensure_store(work, env)
    status = api_status()
    for name, problem in status.items():
        if problem:
            log(f"API {name}: {problem} — rows that need it are reported as '{NOT_AVAILABLE}'")

    rows: list[Row] = []
    rate = imported["rows_read"] / imported["seconds"]
    when = f"measured {imported['imported_at']}" + (", store reused" if imported["reused"] else "")
    rows.append(
        Row(
            f"import {imported['rows_read']:,} rows (import_path, fresh SQLite)",
            "rows/s",
            ours=rate,
            higher_is_better=True,
            baseline_note="n/a",
            ours_note=f"{imported['seconds']:.0f} s; {when}",
            extra=imported,
        )
    )
    if imported["rejected"]:
        rows.append(Row(f"WARNING: import rejected {imported['rejected']:,} rows", "", ours_note="see rejected/"))

    caps = {"cap": args.cap, "budget": args.budget, "repeat": args.repeat}
    # Subprocess rows first: they must see a store with nothing cached beside it.
    log("c. cold loads (fresh subprocesses)")
    rows += coldload_rows(work, env, status, caps)
    if not status["snapshot.load_records"]:
        # The page's usual cold start finds a snapshot on disk (the first start ever writes it, and
        # row c times that): write it now, untimed, so rows d-f do not depend on earlier runs.
        log("writing the bench store's snapshot (untimed)")
        prime, problem = run_json_subprocess(
            [sys.executable, "-m", "bench.coldload", "--mode", "ours", "--db-url", env["IMPACT_DB_URL"]],
            python_env(ROOT, env),
            ROOT,
            args.cap,
        )
        if prime is None:
            log(f"  snapshot not written: {problem}")
    log("d. page reruns through AppTest")
    baseline_src, baseline_commit = (None, "n/a: --baseline-ref none")
    if args.baseline_ref.lower() != "none":
        baseline_src, baseline_commit = bench_data.baseline_tree(args.baseline_ref, ROOT / "var" / "bench")
    rows += rerun_rows(env, caps, baseline_src, baseline_commit, run_json_subprocess, python_env)

    records, boundaries, loaded_via = load_in_process(env, status)
    if not args.skip_browser:
        log("e/f. Chromium: impact serve and the static FastMarkerCluster page")
        rows += browser_rows(work, env, records, boundaries, caps, args.browser_cap)
    else:
        rows.append(Row("e. browser: filter change → map redrawn", "s", ours_note="skipped (--skip-browser)"))
        rows.append(Row("f. peak memory of impact serve (VmHWM)", "MB", ours_note="skipped (--skip-browser)"))
    log("a. map build and payload")
    rows += map_rows(records, boundaries, caps, args.marker_cluster_points, args.seed)
    log("b. filter + totals")
    rows += totals_rows(records, work / "impact.sqlite", caps)

    order = {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6}
    rows.sort(key=lambda row: order.get(row.measure[:1], 0) if row.measure[1:2] == "." else 0)
    facts = machine_facts()
    if (facts["commit"], facts["uncommitted_changes"]) != (
        facts_at_start["commit"],
        facts_at_start["uncommitted_changes"],
    ):
        note = f"{facts_at_start['commit'][:7]} at the start, {facts['commit'][:7]} at the end"
        rows.insert(0, Row("WARNING: the code changed during the run", "", ours_note=note))
        facts["commit_at_start"] = facts_at_start["commit"]
    params = {
        "incidents": args.incidents,
        "seed": args.seed,
        "repeat": args.repeat,
        "work": str(work),
        "boundary_file": args.boundary_file,
        "baseline_ref": baseline_commit,
        "records_loaded_via": loaded_via,
        "api_status": {name: problem or "present" for name, problem in status.items()},
        "generation": generated,
        "skip_browser": args.skip_browser,
    }
    table = markdown_table(rows)
    print(f"\nN = {args.incidents:,} incidents, seed {args.seed}, {facts['cores']} cores, median of ≤ {args.repeat}\n")
    print(table)
    write_json(args.json, rows, facts, params | {"table_markdown": table})
    log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
