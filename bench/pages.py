"""Rows d (page rerun through AppTest), e (Chromium) and f (peak memory)."""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

from bench.common import ROOT, Row, log

OBLASTS = ["Kharkiv Oblast", "Donetsk Oblast", "Zaporizhzhia Oblast", "Kherson Oblast", "Odesa Oblast"]
MEMORY_TARGET_MB = 1500  # 1.5 GB, decimal like every size in the table


def _apptest(src: Path, env: dict, caps: dict, run_json, python_env) -> tuple[dict | None, str]:
    command = [sys.executable, "-m", "bench.apprerun", "--src", str(src)]
    command += ["--repeat", str(caps["repeat"]), "--timeout", str(caps["cap"])]
    # apprerun ends itself when one run passes the cap; this only ends a process stuck beyond that.
    hard_cap = caps["cap"] * (2 * caps["repeat"] + 3) + 60
    return run_json(command, python_env(src, env), src, hard_cap)


def rerun_rows(env: dict, caps: dict, baseline_src, baseline_commit: str, run_json, python_env) -> list[Row]:
    ours, ours_note = _apptest(ROOT, env, caps, run_json, python_env)
    base, base_note = (None, baseline_commit) if baseline_src is None else (None, "")
    if baseline_src is not None:
        log(f"  AppTest baseline: the page at {baseline_commit[:12]} ({baseline_src})")
        base, base_note = _apptest(baseline_src, env, caps, run_json, python_env)
    cap_note = f"> {caps['cap']:.0f} s cap"

    def rerun(result, note):
        if result is None:
            return None, note
        if result.get("timed_out"):
            return None, cap_note + (" (first run did not finish)" if result.get("warm_s") is None else "")
        if result.get("rerun_s"):
            return statistics.median(result["rerun_s"]), ""
        return None, result.get("error") or "no rerun measured"

    def first(result, note):
        if result is None:
            return None, note
        if result.get("warm_s") is not None:
            return result["warm_s"], ""
        return None, cap_note if result.get("timed_out") else (result.get("error") or "failed")

    def memory(result, note):
        if result is None or result.get("peak_mb") is None:
            return None, note or "not read"
        return result["peak_mb"], ""

    name = "the same rerun, code at " + (baseline_commit[:7] + " (before the scaling work)" if baseline_src else "—")
    ours_rerun, ours_rerun_note = rerun(ours, ours_note)
    base_rerun, base_rerun_note = rerun(base, base_note)
    ours_first, ours_first_note = first(ours, ours_note)
    base_first, base_first_note = first(base, base_note)
    ours_mem, ours_mem_note = memory(ours, ours_note)
    base_mem, base_mem_note = memory(base, base_note)
    if base_mem is not None and base and base.get("timed_out"):
        base_mem_note = "when the cap stopped it"
    extra = {"ours": ours, "baseline": base, "baseline_commit": baseline_commit}
    capped = caps["cap"] if base and base.get("timed_out") else None
    if ours and ours.get("error"):
        log(f"  AppTest (ours) reported: {ours['error']}")
    return [
        Row("d. page rerun after an oblast change (AppTest), median", "s", ours_rerun, base_rerun, 0.5,
            ours_note=ours_rerun_note, baseline_note=base_rerun_note, baseline_name=name, extra=extra,
            baseline_floor=capped if base_rerun is None else None),
        Row("d. first page run, cold caches (AppTest; loads the records)", "s", ours_first, base_first, None,
            ours_note=ours_first_note, baseline_note=base_first_note, baseline_name=name,
            baseline_floor=capped if base_first is None else None),
        Row("f. peak memory of the AppTest process (proxy for the server)", "MB", ours_mem, base_mem,
            MEMORY_TARGET_MB, ours_note=ours_mem_note, baseline_note=base_mem_note, baseline_name=name),
    ]  # fmt: skip


def browser_rows(work: Path, env: dict, records, boundaries, caps: dict, browser_cap: float) -> list[Row]:
    from playwright.sync_api import sync_playwright

    from bench import browser, maps
    from dashboard.query.totals import Filters, filter_incidents

    static_name = "static page, FastMarkerCluster of every point, until .marker-cluster shows"
    ours: dict = {}
    ours_note = ""
    static: dict = {}
    with sync_playwright() as playwright:
        chromium = browser.launch(playwright)
        try:
            server = browser.Server(env, work / "serve.log", startup_cap_s=120)
        except RuntimeError as exc:
            server, ours_note = None, str(exc)
        if server is not None:
            try:
                ours = browser.measure_ours(server, chromium, OBLASTS, caps["repeat"], browser_cap)
            except Exception as exc:  # a page that never drew is a result to report, not a crash
                ours_note = f"failed: {type(exc).__name__}: {str(exc)[:200]}"
                ours["peak_mb_after_first_load"] = server.peak_mb()
            finally:
                server.stop()
        log("  building the static FastMarkerCluster page")
        incidents = filter_incidents(records, Filters())
        html = maps.fast_marker_cluster_map(incidents, boundaries).get_root().render()
        site = browser.static_site(work / "static", html)
        del html
        static = browser.measure_static(site, chromium, caps["repeat"], browser_cap, caps["budget"])
        chromium.close()
    redraws = ours.get("redraw_s") or []
    ours_note = ours_note or ours.get("error", "")
    static_times = static.get("load_s") or []
    static_s = statistics.median(static_times) if static_times else None
    static_note = static.get("error", "")
    if static_times and static_note:
        static_note = ""  # some repetitions finished: report them
    blocked = ours.get("blocked_requests") or []
    rows = [
        Row("e. browser: oblast change → map redrawn (Chromium), median", "s",
            statistics.median(redraws) if redraws else None, static_s, 2.0, ours_note="" if redraws else ours_note,
            baseline_note=static_note, baseline_name=static_name,
            extra={"ours": ours, "baseline": static, "static_page_bytes": static.get("bytes")}),
        Row("e. browser: first page load until the map is drawn", "s", ours.get("first_load_s"), static_s, None,
            ours_note=ours_note if ours.get("first_load_s") is None else "", baseline_note=static_note,
            baseline_name=static_name),
        Row("f. peak memory of impact serve (Streamlit process VmHWM after first load)", "MB",
            ours.get("peak_mb_after_first_load"), None, MEMORY_TARGET_MB, ours_note=ours_note,
            baseline_note="n/a", extra={"peak_mb_end": ours.get("peak_mb_end")}),
        Row("f. peak memory of impact serve (VmHWM after the filter changes of row e)", "MB",
            ours.get("peak_mb_end"), None, MEMORY_TARGET_MB, ours_note=ours_note, baseline_note="n/a"),
    ]  # fmt: skip
    if blocked:
        rows.append(Row("e. WARNING: the page asked other hosts", "", ours_note="; ".join(blocked[:5])))
    return rows
