"""Shared pieces of the benchmark: result rows, repeated timing, the table, machine facts.

Every row carries our figure, the baseline's figure measured in the same run on the
same data, the ratio baseline/ours and the target. Times are medians of several
repetitions; a slow measurement stops repeating once it has used its time budget.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_AVAILABLE = "not available"


@dataclass
class Row:
    """One line of the results table.

    ``ours`` and ``baseline`` are numbers in ``unit`` or None; ``ours_note`` and
    ``baseline_note`` replace the number in the table when it is None (for example
    "not available: ..." or "> 180 s cap"). ``target`` is a number in ``unit`` that
    ours must not exceed, or None; for rates (``higher_is_better``) ours must reach it.
    """

    measure: str
    unit: str
    ours: float | None = None
    baseline: float | None = None
    target: float | None = None
    ours_note: str = ""
    baseline_note: str = ""
    baseline_name: str = ""
    higher_is_better: bool = False
    baseline_floor: float | None = None  # the baseline took at least this long (it hit the cap)
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.ours is None or self.baseline is None or self.ours == 0:
            return None
        return self.ours / self.baseline if self.higher_is_better else self.baseline / self.ours

    @property
    def met(self) -> bool | None:
        if self.target is None or self.ours is None:
            return None
        return self.ours >= self.target if self.higher_is_better else self.ours <= self.target

    def to_dict(self) -> dict:
        out = asdict(self)
        out["ratio"] = self.ratio
        out["met"] = self.met
        return out


@dataclass
class Timing:
    """Repeated wall-clock times of one measurement, in seconds."""

    seconds: list[float]
    capped: bool = False  # the first repetition hit the cap

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def repeat_timed(fn: Callable[[], object], repeat: int, budget_s: float = 60.0) -> tuple[Timing, object]:
    """Run ``fn`` up to ``repeat`` times (at least once), stopping early once ``budget_s`` is spent.

    Returns the timings and the value of the last call.
    """
    seconds: list[float] = []
    value = None
    spent = 0.0
    for _ in range(max(repeat, 1)):
        started = time.perf_counter()
        value = fn()
        elapsed = time.perf_counter() - started
        seconds.append(elapsed)
        spent += elapsed
        if spent > budget_s:
            break
    return Timing(seconds), value


def fmt_value(value: float | None, unit: str, note: str = "") -> str:
    if value is None:
        return note or "n/a"
    if unit == "ms":
        text = f"{value:,.1f} ms" if value < 100 else f"{value:,.0f} ms"
    elif unit == "s":
        text = f"{value:,.2f} s"
    elif unit == "KB":
        text = f"{value:,.0f} KB" if value >= 10 else f"{value:,.1f} KB"
    elif unit == "MB":
        text = f"{value:,.0f} MB"
    elif unit == "rows/s":
        text = f"{value:,.0f} rows/s"
    else:
        text = f"{value:,.3g} {unit}"
    return f"{text} ({note})" if note else text


def fmt_target(row: Row) -> str:
    if row.target is None:
        return "—"
    sign = "≥" if row.higher_is_better else "≤"
    return f"{sign} {fmt_value(row.target, row.unit)}"


def markdown_table(rows: list[Row]) -> str:
    lines = [
        "| measure | ours | baseline | baseline/ours | target | met? |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        baseline = fmt_value(row.baseline, row.unit, row.baseline_note)
        if row.baseline_name and (row.baseline is not None or row.baseline_note):
            baseline = f"{baseline}: {row.baseline_name}"
        ratio = "—" if row.ratio is None else f"{row.ratio:,.1f}×" if row.ratio >= 1 else f"{row.ratio:.2g}×"
        if row.ratio is None and row.baseline_floor and row.ours:
            ratio = f"> {row.baseline_floor / row.ours:,.0f}×"
        met = {True: "yes", False: "**no**", None: "—"}[row.met]
        cells = [row.measure, fmt_value(row.ours, row.unit, row.ours_note), baseline, ratio, fmt_target(row), met]
        lines.append("| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |")
    return "\n".join(lines)


def _version(module: str) -> str:
    try:
        return __import__(module).__version__
    except Exception as exc:  # a missing package is a fact worth recording, not a crash
        return f"unavailable ({type(exc).__name__})"


def machine_facts() -> dict:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        diff = subprocess.run(
            ["git", "diff", "HEAD", "--", ".", ":(exclude)bench"], cwd=ROOT, capture_output=True, timeout=30
        ).stdout
        dirty = hashlib.sha256(diff).hexdigest()[:12] if diff.strip() else False  # which uncommitted changes
    except (OSError, subprocess.SubprocessError):
        commit, dirty = "", None
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "pandas": _version("pandas"),
        "numpy": _version("numpy"),
        "folium": _version("folium"),
        "streamlit": _version("streamlit"),
        "platform": platform.platform(),
        "commit": commit,
        "uncommitted_changes": dirty,
    }


def write_json(path: Path, rows: list[Row], facts: dict, params: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"machine": facts, "params": params, "rows": [row.to_dict() for row in rows]}
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")


def run_json_subprocess(command: list[str], env: dict, cwd: Path, timeout_s: float) -> tuple[dict | None, str]:
    """Run a helper that prints one JSON object on its last stdout line; (result, error note)."""
    try:
        done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return None, f"> {timeout_s:.0f} s cap"
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        lines = (done.stderr or done.stdout).strip().splitlines()
        tail = [line for line in lines if "ScriptRunContext" not in line][-3:]
        return None, f"failed (exit {done.returncode}): {' / '.join(tail)[:300]}"
    return json.loads(lines[-1]), ""


def python_env(src: Path, extra: dict | None = None) -> dict:
    """Environment for a helper subprocess that imports ``dashboard`` from ``src``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(src), str(ROOT)])
    env.update(extra or {})
    return env


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
