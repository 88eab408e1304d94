"""One cold load in a fresh process; prints one JSON line. Run by bench/run.py.

    python -m bench.coldload --mode ours|read_records|naive --db-url URL [--quarantine DIR]

- ``ours``: ``dashboard.store.snapshot.load_records(open_store(settings), settings)``;
- ``read_records``: ``dashboard.store.sql.read_records(open_store(settings))`` (the path
  the page used before the snapshot);
- ``naive``: ``pandas.read_sql("SELECT * FROM incidents", sqlite3.connect(file))``.

The time is from opening the store to having the frame(s); module imports are timed
separately (``import_s``).
"""

from __future__ import annotations

import argparse
import json
import time


def _peak_mb() -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e6  # kB (KiB) -> MB
    except OSError:
        pass
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["ours", "read_records", "naive"], required=True)
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--quarantine", default="")
    args = parser.parse_args()
    started = time.perf_counter()
    import os

    import pandas as pd

    env = {**os.environ, "IMPACT_DB_URL": args.db_url}
    if args.quarantine:
        env["IMPACT_QUARANTINE_DIR"] = args.quarantine
    if args.mode == "naive":
        import sqlite3

        import sqlalchemy as sa

        database = sa.engine.make_url(args.db_url).database
        imported = time.perf_counter()
        with sqlite3.connect(database) as connection:
            frame = pd.read_sql("SELECT * FROM incidents", connection)
        rows = len(frame)
    else:
        from dashboard.config import Settings
        from dashboard.io.open import open_store

        if args.mode == "ours":
            from dashboard.store.snapshot import load_records
        else:
            from dashboard.store.sql import read_records

            def load_records(engine, settings):
                return read_records(engine)

        settings = Settings.from_env(env)
        imported = time.perf_counter()
        records = load_records(open_store(settings), settings)
        rows = len(records.incidents)
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "mode": args.mode,
                "seconds": done - imported,
                "import_s": imported - started,
                "incidents": rows,
                "peak_mb": _peak_mb(),
            }
        )
    )


if __name__ == "__main__":
    main()
