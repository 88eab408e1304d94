"""Rows a (map build and payload), b (filter + totals) and c (cold load); d-f are in bench/pages.py."""

from __future__ import annotations

import shutil
import signal
import statistics
import sys
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from bench import maps
from bench.common import NOT_AVAILABLE, ROOT, Row, log, python_env, run_json_subprocess
from bench.data import fresh_store_copy
from bench.pages import browser_rows, rerun_rows  # noqa: F401 - re-exported for run.py

KB = 1000
FMC = "folium FastMarkerCluster, same points"


class CapReached(Exception):
    pass


@contextmanager
def capped(seconds: float):
    """Raise CapReached in this (main) thread once ``seconds`` have passed."""

    def alarm(signum, frame):
        raise CapReached

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def sample(fn, caps: dict) -> tuple[list, float, str]:
    """Call ``fn`` up to ``repeat`` times within the cap and budget: (values, seconds spent, note)."""
    values, spent, note = [], 0.0, ""
    started = time.perf_counter()
    try:
        with capped(caps["cap"]):
            for _ in range(max(caps["repeat"], 1)):
                values.append(fn())
                spent = time.perf_counter() - started
                if spent > caps["budget"]:
                    break
    except CapReached:
        note = f"> {caps['cap']:.0f} s cap"
    except Exception as exc:  # report the failure in the row, keep measuring the rest
        note = f"failed: {type(exc).__name__}: {str(exc)[:160]}"
    return values, time.perf_counter() - started, note


def _map_pair(label: str, n: int, ours: list, ours_note: str, base: list, base_note: str, base_name: str) -> list[Row]:
    """A build+render row and a payload row from samples of (build s, render s, bytes)."""

    def build_ms(samples):
        return statistics.median((b + r) * 1000 for b, r, _ in samples) if samples else None

    def payload_kb(samples):
        return samples[-1][2] / KB if samples else None

    def detail(samples):
        return {
            "repetitions": len(samples),
            "build_ms": [round(b * 1000, 2) for b, _, _ in samples],
            "render_ms": [round(r * 1000, 2) for _, r, _ in samples],
            "bytes": samples[-1][2] if samples else None,
        }

    extra = {"incidents": n, "ours": detail(ours), "baseline": detail(base)}
    common = {"ours_note": "" if ours else ours_note, "baseline_note": "" if base else base_note}
    return [
        Row(f"a. map build+render, {label}", "ms", build_ms(ours), build_ms(base), 200, baseline_name=base_name,
            extra=extra, **common),
        Row(f"a. map payload, {label}", "KB", payload_kb(ours), payload_kb(base), 500, baseline_name=base_name,
            extra=extra, **common),
    ]  # fmt: skip


def _city_under_marker_limit(records) -> tuple[str, int] | None:
    """The city with the most located incidents below the count at which the map aggregates.

    Below that limit every incident is its own marker with its popup, so this filter is
    where the payload is largest; None when the map has no such limit.
    """
    try:
        from dashboard.query.aggregate import MARKER_LIMIT
    except ImportError:
        return None
    incidents = records.incidents
    located = incidents[(incidents["geo_precision"].astype(str) != "3") & (incidents["place"].astype(str) != "")]
    counts = located.groupby("place").size()
    below = counts[counts < MARKER_LIMIT]
    return (str(below.idxmax()), int(MARKER_LIMIT)) if len(below) else None


def map_rows(records, boundaries, caps: dict, marker_cluster_points: int, seed: int) -> list[Row]:
    from dashboard.query.totals import Filters, filter_incidents, impacts_in_view

    view_class, missing = maps.map_api()
    rows = [
        Row(
            "a. map payload floor: base map alone (outlines, legend)",
            "KB",
            maps.build_base_only(boundaries) / KB,
            baseline_note="n/a",
            extra={"boundary_file": bool(boundaries.available)},
        )
    ]
    cases = [
        ("full set, zoom 6 over Ukraine", Filters(), maps.UKRAINE_VIEW),
        ("oblast Kharkiv Oblast, zoom 6", Filters(oblasts=("Kharkiv Oblast",)), maps.UKRAINE_VIEW),
        ("city Kharkiv, zoom 6", Filters(cities=("Kharkiv",)), maps.UKRAINE_VIEW),
        ("full set, zoom 12 over Kharkiv city", Filters(), maps.KHARKIV_VIEW),
    ]
    worst = _city_under_marker_limit(records)
    if worst:
        cases.insert(3, (f"city {worst[0]} (most incidents under the {worst[1]:,} marker limit), zoom 6",
                         Filters(cities=(worst[0],)), maps.UKRAINE_VIEW))  # fmt: skip
    baselines: dict = {}  # client-side clustering ships every point whatever the view: measured once per filter
    full = None
    for label, filters, view in cases:
        incidents = filter_incidents(records, filters)
        hit = impacts_in_view(records, incidents, filters)
        full = incidents if filters == Filters() else full
        log(f"  map: {label} ({len(incidents):,} incidents)")
        if filters not in baselines:
            baselines[filters] = sample(lambda i=incidents: maps.build_fast_marker_cluster(i, boundaries), caps)
        base, _, base_note = baselines[filters]
        ours, ours_note = [], missing
        if view_class is not None:
            mapview = view_class(*view)
            ours, _, ours_note = sample(
                lambda i=incidents, h=hit, v=mapview: maps.build_ours(records, i, h, boundaries, v), caps
            )
        label = f"{label} ({len(incidents):,} incidents)"
        rows += _map_pair(label, len(incidents), ours, ours_note, base, base_note, FMC)
    count = min(marker_cluster_points, len(full))
    subset = full.sample(n=count, random_state=seed).sort_values(["event_date", "incident_id"], kind="stable")
    hit = impacts_in_view(records, subset, Filters())
    log(f"  map: {count:,} sampled incidents against MarkerCluster with a popup Marker each")
    base, _, base_note = sample(lambda: maps.build_marker_cluster(subset, boundaries), caps | {"repeat": 2})
    ours, ours_note = [], missing
    if view_class is not None:
        view = view_class(*maps.UKRAINE_VIEW)
        ours, _, ours_note = sample(lambda: maps.build_ours(records, subset, hit, boundaries, view), caps)
    rows += _map_pair(
        f"{count:,} sampled incidents, zoom 6", count, ours, ours_note, base, base_note,
        "folium MarkerCluster, a Marker + Popup per point",
    )  # fmt: skip
    return rows


TOTALS_CASES = (
    ("city Kharkiv", {"cities": ("Kharkiv",)}, {"city": "Kharkiv"}),
    ("dates 2024-01-01..2024-06-30", {"start": date(2024, 1, 1), "end": date(2024, 6, 30)},
     {"start": date(2024, 1, 1), "end": date(2024, 6, 30)}),
    ("oblast Kharkiv Oblast", {"oblasts": ("Kharkiv Oblast",)}, {"oblast": "Kharkiv Oblast"}),
    ("no filter", {}, {}),
)  # fmt: skip


def totals_rows(records, sqlite_file: Path, caps: dict) -> list[Row]:
    from bench.naive import differences, load_naive, naive_summarize
    from dashboard.query.totals import Filters, summarize

    started = time.perf_counter()
    frames = load_naive(str(sqlite_file))
    log(f"  naive frames read (object dtype) in {time.perf_counter() - started:.1f} s")
    rows = []
    for label, ours_args, naive_args in TOTALS_CASES:
        filters = Filters(**ours_args)
        started = time.perf_counter()
        first = summarize(records, filters)
        first_ms = (time.perf_counter() - started) * 1000

        def ours_once(filters=filters):
            began = time.perf_counter()
            totals = summarize(records, filters)
            return time.perf_counter() - began, totals

        def naive_once(naive_args=naive_args):
            began = time.perf_counter()
            totals = naive_summarize(frames, **naive_args)
            return time.perf_counter() - began, totals

        ours, _, ours_note = sample(ours_once, caps)
        base, _, base_note = sample(naive_once, caps)
        ours_ms = statistics.median(s * 1000 for s, _ in ours) if ours else None
        base_ms = statistics.median(s * 1000 for s, _ in base) if base else None
        rows.append(
            Row(
                f"b. filter + totals (summarize), {label}",
                "ms",
                ours_ms,
                base_ms,
                30,
                ours_note=ours_note,
                baseline_note=base_note,
                baseline_name="plain pandas, object columns",
                extra={"first_call_ms": first_ms, "attacks": first["attacks"], "repetitions": [len(ours), len(base)]},
            )
        )
        if base:
            diff = differences(first, base[-1][1])
            if diff:
                log(f"  WARNING totals differ for {label}: {diff}")
                rows.append(Row(f"b. WARNING: naive totals differ, {label}", "", ours_note="; ".join(diff)[:300]))
    return rows


def _coldload(mode: str, db_url: str, env: dict, caps: dict) -> tuple[dict | None, str]:
    command = [sys.executable, "-m", "bench.coldload", "--mode", mode, "--db-url", db_url]
    return run_json_subprocess(command, python_env(ROOT, env), ROOT, caps["cap"])


def _repeat_load(mode: str, db_url: str, env: dict, caps: dict) -> tuple[list[dict], str]:
    results, spent = [], 0.0
    for _ in range(max(caps["repeat"], 1)):
        result, note = _coldload(mode, db_url, env, caps)
        if result is None:
            return results, note
        results.append(result)
        spent += result["seconds"] + result["import_s"]
        if spent > caps["budget"]:
            break
    return results, ""


def _median_s(results: list[dict]) -> float | None:
    return statistics.median(r["seconds"] for r in results) if results else None


def coldload_rows(work: Path, env: dict, status: dict, caps: dict) -> list[Row]:
    db_url = env["IMPACT_DB_URL"]
    naive, naive_note = _repeat_load("naive", db_url, env, caps)
    naive_s = _median_s(naive)
    name = "pandas.read_sql of incidents over sqlite3"
    rows = []
    problem = status.get("snapshot.load_records", "")
    first, second, note = [], [], ""
    if problem:
        note = f"{NOT_AVAILABLE}: dashboard.store.snapshot.load_records {problem}"
    else:
        for index in range(max(caps["repeat"], 1)):
            folder = fresh_store_copy(work, f"copy{index}")
            # Its own store URL and an empty cache folder: the first load cannot find a snapshot.
            copy_env = env | {"IMPACT_DB_URL": f"sqlite:///{folder / 'impact.sqlite'}", "IMPACT_CACHE_DIR": str(folder)}
            one, note = _coldload("ours", copy_env["IMPACT_DB_URL"], copy_env, caps)
            two, note2 = _coldload("ours", copy_env["IMPACT_DB_URL"], copy_env, caps) if one else (None, "")
            shutil.rmtree(folder, ignore_errors=True)
            if one is None or two is None:
                note = note or note2
                break
            first.append(one)
            second.append(two)
            if sum(r["seconds"] for r in first + second) > caps["budget"]:
                break
        shutil.rmtree(work / "cold", ignore_errors=True)
    for label, results in (("first load, builds the snapshot", first), ("second load, snapshot hit", second)):
        rows.append(
            Row(f"c. cold load (snapshot.load_records), {label}", "s", _median_s(results), naive_s, 3,
                ours_note=note if not results else "", baseline_note=naive_note, baseline_name=name,
                extra={"runs": results, "baseline_runs": naive})
        )  # fmt: skip
    plain, plain_note = _repeat_load("read_records", db_url, env, caps)
    rows.append(
        Row("c. cold load, store.read_records (no snapshot)", "s", _median_s(plain), naive_s, 3,
            ours_note=plain_note, baseline_note=naive_note, baseline_name=name, extra={"runs": plain})
    )  # fmt: skip
    return rows
