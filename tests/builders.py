"""Build record folders for tests and development: the seed records with rows changed or added.

Examples
--------
>>> import tempfile
>>> from dashboard.records.load import load_records
>>> with tempfile.TemporaryDirectory() as tmp:
...     folder = record_folder(Path(tmp), incidents_edit=lambda text: text.replace("inc-001", "inc-009"))
...     "inc-009" in set(load_records(folder).records.incidents["incident_id"])
True
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from dashboard.config import PROJECT_ROOT

Edit = Callable[[str], str]


def record_folder(target: Path, **edits: Edit) -> Path:
    """Copy data/ and seeds/ under ``target`` and apply ``<table>_edit`` functions to file texts.

    Returns the new data folder; source paths resolve against its parent.
    """
    shutil.copytree(PROJECT_ROOT / "data", target / "data")
    shutil.copytree(PROJECT_ROOT / "seeds", target / "seeds")
    for key, edit in edits.items():
        table = key.removesuffix("_edit")
        path = target / "data" / f"{table}.csv"
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return target / "data"


def append_rows(*lines: str) -> Edit:
    """An edit that appends CSV lines to a file."""
    return lambda text: text.rstrip("\n") + "\n" + "\n".join(lines) + "\n"
