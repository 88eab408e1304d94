"""The benchmark's data: synthetic records written once, imported once into a fresh SQLite store.

Both steps leave a small JSON marker in the work folder when they finish, so a later
run with the same N and seed reuses the files and the store (and reports the import
timing recorded when the store was filled).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

from bench.common import ROOT, log

TABLE_FILES = ("sources.csv", "incidents.csv", "assets.csv", "impacts.csv", "salvos.csv")


def settings_env(work: Path, boundary_file: str) -> dict:
    """The IMPACT_* variables that point the dashboard at the bench store."""
    return {
        "IMPACT_DB_URL": f"sqlite:///{work / 'impact.sqlite'}",
        "IMPACT_QUARANTINE_DIR": str(work / "rejected"),
        "IMPACT_BOUNDARY_FILE": boundary_file,
        "IMPACT_DATA_DIR": str(work / "data"),
        "IMPACT_CACHE_DIR": str(work / "cache"),  # the bench's snapshots stay out of var/cache
    }


def ensure_data(work: Path, incidents: int, seed: int) -> dict:
    """Write the synthetic record files unless a finished set for this N and seed is there."""
    marker = work / "data.json"
    folder = work / "data"
    if marker.is_file() and all((folder / name).is_file() for name in TABLE_FILES):
        facts = json.loads(marker.read_text())
        if facts.get("incidents") == incidents and facts.get("seed") == seed:
            return facts | {"reused": True}
    from dashboard.io.synth import write_synth

    log(f"generating {incidents:,} incidents (seed {seed}) into {folder}")
    started = time.perf_counter()
    write_synth(incidents, seed, folder)
    facts = {
        "incidents": incidents,
        "seed": seed,
        "seconds": time.perf_counter() - started,
        "megabytes": sum((folder / name).stat().st_size for name in TABLE_FILES) / 1e6,
    }
    marker.write_text(json.dumps(facts, indent=2))
    (work / "import.json").unlink(missing_ok=True)  # new files: the store must be filled again
    return facts | {"reused": False}


def ensure_store(work: Path, env: dict) -> dict:
    """Import the record folder into a fresh SQLite store, unless that already finished."""
    from dashboard.config import Settings
    from dashboard.io.importer import import_path
    from dashboard.store.migrate import prepare_store
    from dashboard.store.sql import create_engine

    marker, database = work / "import.json", work / "impact.sqlite"
    if marker.is_file() and database.is_file():
        return json.loads(marker.read_text()) | {"reused": True}
    for stale in (database, database.with_name(database.name + "-journal")):
        stale.unlink(missing_ok=True)
    settings = Settings.from_env(env)
    engine = create_engine(settings.db_url)
    prepare_store(engine)
    log(f"importing {work / 'data'} into {database} (import_path)")
    started = time.perf_counter()
    reports = import_path(work / "data", engine, settings)
    seconds = time.perf_counter() - started
    engine.dispose()
    facts = {
        "seconds": seconds,
        "rows_read": sum(r.rows_read for r in reports),
        "accepted": sum(r.accepted for r in reports),
        "rejected": sum(r.rejected for r in reports),
        "files": {Path(r.file).name: {"rows_read": r.rows_read, "accepted": r.accepted} for r in reports},
        "imported_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "store_mb": database.stat().st_size / 1e6,
    }
    marker.write_text(json.dumps(facts, indent=2))
    return facts | {"reused": False}


def fresh_store_copy(work: Path, name: str) -> Path:
    """A copy of the bench store in its own folder (nothing cached beside it yet)."""
    folder = work / "cold" / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copyfile(work / "impact.sqlite", folder / "impact.sqlite")
    return folder


def baseline_tree(ref: str, into: Path) -> tuple[Path | None, str]:
    """The project as it was at ``ref`` (``git archive``, read-only), unpacked under ``into``."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--verify", f"{ref}^{{commit}}"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None, f"n/a: git ref {ref!r} not found"
    tree = into / f"src-{commit[:12]}"
    if (tree / "dashboard" / "__init__.py").is_file():
        return tree, commit
    tree.mkdir(parents=True, exist_ok=True)
    archive = subprocess.Popen(["git", "archive", "--format=tar", commit], cwd=ROOT, stdout=subprocess.PIPE)
    with tarfile.open(fileobj=archive.stdout, mode="r|") as stream:
        stream.extractall(tree, filter="data")
    if archive.wait() != 0:
        return None, f"n/a: git archive {commit[:12]} failed"
    return tree, commit
