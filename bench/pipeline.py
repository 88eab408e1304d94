"""Import and read throughput of the store, each against a plain-pandas baseline measured in the same run.

Rows: (1) ``import_path`` of the synthetic folder into a fresh SQLite store, with
validation, identity and de-duplication on, against ``DataFrame.to_sql`` of the same
typed frames into a fresh SQLite file; (2) ``read_records`` of the whole store
against ``pandas.read_sql`` of the same five tables; (3) peak RSS (VmHWM) of a fresh
process that loads the records, against one that only runs the ``read_sql`` baseline.

Run ``python bench/pipeline.py --incidents 1000000`` (see bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TABLE_FILES = ("sources.csv", "incidents.csv", "assets.csv", "impacts.csv", "salvos.csv")

# Run in a fresh interpreter: peak RSS of loading the records, or of the baseline's read_sql.
_RSS_SCRIPT = """
import json, resource, sys, time
import pandas as pd, sqlalchemy as sa
from dashboard.records.schemas import SCHEMAS
from dashboard.store.sql import TABLES, create_engine, read_records
engine = create_engine(sys.argv[1])
started = time.perf_counter()
if sys.argv[2] == "ours":
    records = read_records(engine)
    rows = sum(len(records.table(t)) for t in SCHEMAS)
else:
    with engine.connect() as connection:
        frames = {t: pd.read_sql(sa.select(TABLES[t]), connection) for t in SCHEMAS}
    rows = sum(len(f) for f in frames.values())
seconds = time.perf_counter() - started
# After fork+exec, getrusage's ru_maxrss still counts the (big) parent; VmHWM is this process's own peak.
try:
    status = open("/proc/self/status").read().split("VmHWM:")[1]
    peak = int(status.split()[0]) / 1e3
except (OSError, IndexError):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3  # kilobytes on Linux
print(json.dumps({"rows": rows, "seconds": seconds, "peak_rss_mb": peak}))
"""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def write_data(folder: Path, incidents: int, seed: int) -> dict:
    """Synthetic record files, reused when a finished set for this N and seed is there."""
    from dashboard.io.synth import write_synth

    marker = folder / "synth.json"
    if marker.is_file() and json.loads(marker.read_text()) == {"incidents": incidents, "seed": seed}:
        return {"reused": True}
    log(f"writing {incidents:,} synthetic incidents into {folder}")
    write_synth(incidents, seed, folder)
    marker.write_text(json.dumps({"incidents": incidents, "seed": seed}))
    return {"reused": False}


def fresh_sqlite(path: Path) -> str:
    for stale in (path, path.with_name(path.name + "-journal"), path.with_name(path.name + "-wal")):
        stale.unlink(missing_ok=True)
    return f"sqlite:///{path}"


def time_import(data: Path, work: Path, boundary_file: str, profile: bool) -> dict:
    """Our import of the folder into a fresh store: seconds and rows read (all five files)."""
    from dashboard.config import Settings
    from dashboard.io.importer import import_path
    from dashboard.store.migrate import prepare_store
    from dashboard.store.sql import create_engine

    url = fresh_sqlite(work / "ours.sqlite")
    settings = Settings.from_env(
        {
            "IMPACT_DB_URL": url,
            "IMPACT_QUARANTINE_DIR": str(work / "rejected"),
            "IMPACT_BOUNDARY_FILE": boundary_file,
            "IMPACT_DATA_DIR": str(work / "no-seed"),
        }
    )
    engine = create_engine(url)
    prepare_store(engine)
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
    started = time.perf_counter()
    reports = import_path(data, engine, settings)
    seconds = time.perf_counter() - started
    if profiler is not None:
        profiler.stop()
        (work / "import-profile.html").write_text(profiler.output_html())
        (work / "import-profile.txt").write_text(profiler.output_text(color=False))
        log(f"profile: {work / 'import-profile.html'}")
    engine.dispose()
    return {
        "url": url,
        "seconds": seconds,
        "rows": sum(r.rows_read for r in reports),
        "accepted": sum(r.accepted for r in reports),
        "rejected": sum(r.rejected for r in reports),
        "duplicates": sum(r.duplicates for r in reports),
    }


def time_to_sql(url: str, work: Path) -> dict:
    """Baseline: ``DataFrame.to_sql`` of the same typed frames (read from our store) into a fresh SQLite file."""
    import sqlalchemy as sa

    from dashboard.store.sql import SCHEMAS, create_engine, read_records

    frames = {t: read_records(create_engine(url)).table(t).drop(columns="place_key", errors="ignore") for t in SCHEMAS}
    engine = sa.create_engine(fresh_sqlite(work / "baseline.sqlite"))
    started = time.perf_counter()
    with engine.begin() as connection:
        for table, frame in frames.items():
            frame.to_sql(table, connection, index=False, chunksize=100_000)
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": seconds, "rows": sum(len(f) for f in frames.values())}


def time_write_only(url: str, work: Path) -> dict:
    """The ceiling: SQLite ``executemany`` alone, of rows already converted to tuples of Python values
    (what ``insert_frame`` hands the driver), into a fresh store with the same tables, in one
    transaction. No reading, conversion, validation or comparison: no importer that writes through
    Python's sqlite3 module can beat it on this machine."""
    import sqlite3

    from dashboard.store.migrate import prepare_store
    from dashboard.store.sql import SCHEMAS, create_engine, read_records

    records = read_records(create_engine(url))
    prepared = {}
    for table, schema in SCHEMAS.items():
        frame = records.table(table)
        columns = [spec.column_kind.to_db(frame[name], "sqlite") for name, spec in schema.columns.items()]
        prepared[table] = (list(schema.columns), list(zip(*columns, strict=True)))
    target = fresh_sqlite(work / "write-only.sqlite")
    engine = create_engine(target)
    prepare_store(engine)
    engine.dispose()
    connection = sqlite3.connect(target.removeprefix("sqlite:///"))
    started = time.perf_counter()
    with connection:
        for table, (names, rows) in prepared.items():
            quoted = ", ".join(f'"{n}"' for n in names)
            marks = ", ".join("?" for _ in names)
            connection.executemany(f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})', rows)
    seconds = time.perf_counter() - started
    connection.close()
    return {"seconds": seconds, "rows": sum(len(rows) for _, rows in prepared.values())}


def time_reads(url: str, repeat: int) -> dict:
    """Median seconds of ``read_records`` and of the ``read_sql`` baseline, alternating."""
    import pandas as pd
    import sqlalchemy as sa

    from dashboard.store.sql import SCHEMAS, TABLES, create_engine, read_records

    engine = create_engine(url)
    ours, baseline = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        records = read_records(engine)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        with engine.connect() as connection:
            for table in SCHEMAS:
                pd.read_sql(sa.select(TABLES[table]), connection)
        baseline.append(time.perf_counter() - started)
    rows = sum(len(records.table(t)) for t in SCHEMAS)
    engine.dispose()
    return {"ours": statistics.median(ours), "baseline": statistics.median(baseline), "rows": rows}


def peak_rss(url: str, which: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _RSS_SCRIPT, url, which], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def markdown(results: dict) -> str:
    imp, base, reads = results["import"], results["to_sql"], results["read"]
    ceiling = results.get("write_only")
    rss, rss_base = results["rss"], results["rss_baseline"]
    ours_rate, base_rate = imp["rows"] / imp["seconds"], base["rows"] / base["seconds"]
    lines = [
        f"incidents: {results['incidents']:,}; rows in all five files: {imp['rows']:,}",
        "",
        "| measurement | ours | baseline | ours / baseline | target |",
        "|---|---|---|---|---|",
        f"| import, rows/s (SQLite) | {ours_rate:,.0f} ({imp['seconds']:.1f} s) "
        f"| {base_rate:,.0f} ({base['seconds']:.1f} s, `to_sql`) | {ours_rate / base_rate:.2f}× | ≥ 100,000 rows/s |",
        *(
            [
                f"| write step alone, rows/s (ceiling) | {ceiling['rows'] / ceiling['seconds']:,.0f} "
                f"({ceiling['seconds']:.1f} s, `executemany` only) | {base_rate:,.0f} (`to_sql`) "
                f"| {ceiling['rows'] / ceiling['seconds'] / base_rate:.2f}× | the fastest any sqlite3 importer can be |"
            ]
            if ceiling
            else []
        ),
        f"| read whole store, s | {reads['ours']:.2f} | {reads['baseline']:.2f} (`read_sql`) "
        f"| {reads['ours'] / reads['baseline']:.2f}× | ≤ 1.5× |",
        f"| peak RSS after load, MB | {rss['peak_rss_mb']:,.0f} | {rss_base['peak_rss_mb']:,.0f} (`read_sql` only) "
        f"| {rss['peak_rss_mb'] / rss_base['peak_rss_mb']:.2f}× | ≤ 1,200 MB (stretch) |",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, required=True, help="synthetic incidents (impacts add as many rows)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of write_synth (default 0)")
    parser.add_argument("--work", type=Path, help="work folder (default var/bench/pipeline-<N>-<seed>/)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of the read timings, median (default 3)")
    parser.add_argument("--json", type=Path, help="results as JSON (default <work>/pipeline.json)")
    parser.add_argument("--boundary-file", default=None, help="IMPACT_BOUNDARY_FILE (default: the bundled outlines)")
    parser.add_argument("--profile", action="store_true", help="write a pyinstrument profile of the import")
    args = parser.parse_args(argv)
    from dashboard.config import Settings

    work = args.work or ROOT / "var" / "bench" / f"pipeline-{args.incidents}-{args.seed}"
    work.mkdir(parents=True, exist_ok=True)
    boundary = Settings.from_env({}).boundary_file if args.boundary_file is None else args.boundary_file
    results: dict = {"incidents": args.incidents, "seed": args.seed, "boundary_file": boundary}
    results["data"] = write_data(work / "data", args.incidents, args.seed)
    log("import (ours)")
    results["import"] = time_import(work / "data", work, boundary, args.profile)
    log("import (baseline to_sql)")
    results["to_sql"] = time_to_sql(results["import"]["url"], work)
    log("write step alone (the ceiling)")
    results["write_only"] = time_write_only(results["import"]["url"], work)
    log("read (ours and read_sql)")
    results["read"] = time_reads(results["import"]["url"], args.repeat)
    log("peak RSS")
    results["rss"] = peak_rss(results["import"]["url"], "ours")
    results["rss_baseline"] = peak_rss(results["import"]["url"], "baseline")
    table = markdown(results)
    results["markdown"] = table
    (args.json or work / "pipeline.json").write_text(json.dumps(results, indent=2))
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
