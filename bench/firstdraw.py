"""First draw and filter change in Chromium: the dashboard against a pydeck page and a static folium page.

    python -m bench.firstdraw                      # the seed records (data/), about 2 min
    python -m bench.firstdraw --incidents 100000   # synthetic records, the bench store of bench/run.py

Rows (each a median of ``--repeat`` visits, every visit in a fresh browser context, so
nothing is in the HTTP cache; the server stays up between visits):

- *first visit after server start*: navigation until the map is drawn, on a server that
  has just answered its health check (its caches are empty; the store and its snapshot
  exist, as after ``impact import``);
- *later visit*: the same on the warm server;
- *filter change*: on an open page, Enter in the Oblast box until the map and the tiles
  are redrawn (both changed, then still for 1 s; the time of the last change);
- *websocket bytes of the first visit*.

"Drawn", ours: the Leaflet map's incident pane (``.leaflet-impactIncidents-pane``, markers
or summed cells) has its symbols, read in the map's frame; the tiles are the
``stMetricValue`` texts. Baselines, measured in the same run on the same records:

- ``st.pydeck_chart`` with a ScreenGridLayer (``bench/pydeck_page.py``, served by
  Streamlit the same way): drawn when deck.gl's canvas shows coloured cells (read from a
  screenshot of the canvas: WebGL keeps no readable buffer); the filter change is the
  same Oblast box;
- folium ``FastMarkerCluster`` of every point as a static page (``bench/browser.py``):
  until ``.marker-cluster`` shows; a static page has no filter.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import browser  # noqa: E402
from bench.common import ROOT, Row, log, machine_facts, markdown_table, write_json  # noqa: E402

PANE_JS = """() => {
  const p = document.querySelector('.leaflet-impactIncidents-pane');
  return p && p.children.length ? p.getElementsByTagName('*').length + ':' + p.innerHTML.length : null;
}"""
TILES_JS = """() => Array.from(document.querySelectorAll('[data-testid="stMetricValue"]'))
  .map(e => e.textContent).join('|') || null"""
DECK_CANVAS = '[data-testid="stDeckGlJsonChart"] canvas'
SETTLE_S = 1.0
POLL_S = 0.05
SEED_OBLAST = "Kherson Oblast"


def ours_signature(page) -> tuple | None:
    """(incident pane, tiles), or None until the map's frame has its symbols."""
    frame = browser._map_frame(page)
    try:
        pane = frame.evaluate(PANE_JS) if frame is not None else None
        tiles = page.evaluate(TILES_JS)
    except Exception:  # a frame replaced mid-poll: not drawn yet
        return None
    return (pane, tiles) if pane and tiles else None


def deck_signature(page) -> tuple | None:
    """A hash of deck.gl's canvas once it shows coloured cells, else None."""
    from PIL import Image

    canvas = page.locator(DECK_CANVAS).first
    try:
        if not canvas.count():
            return None
        shot = canvas.screenshot(timeout=2000)
    except Exception:
        return None
    image = Image.open(io.BytesIO(shot)).convert("RGB").resize((64, 64))
    coloured = any(
        max(p) - min(p) > 40 for p in image.get_flattened_data()
    )  # cells are coloured; the empty map is grey/white
    return (hashlib.sha1(shot).hexdigest(),) if coloured else None


def wait_for(page, signature, before: tuple | None, started: float, cap_s: float) -> float | None:
    """Seconds from ``started`` until the signature has every part changed from ``before`` and held still."""
    last_change, current = None, before
    while time.perf_counter() - started < cap_s:
        now = signature(page)
        if now != current:
            current = now
            changed = now is not None and (before is None or all(a != b for a, b in zip(now, before, strict=True)))
            last_change = time.perf_counter() if changed else None
        if last_change is not None and time.perf_counter() - last_change >= SETTLE_S:
            return last_change - started
        page.wait_for_timeout(POLL_S * 1000)
    return None


def visit(chromium, url: str, signature, cap_s: float) -> tuple[dict, object]:
    """Open ``url`` in a fresh context; (facts, page) with the time to drawn and the websocket bytes."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1200})
    blocked: list[str] = []

    def only_local(route):
        if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    received = [0]
    page.on(
        "websocket", lambda ws: ws.on("framereceived", lambda data: received.__setitem__(0, received[0] + len(data)))
    )
    started = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=cap_s * 1000)
    drawn = None
    while time.perf_counter() - started < cap_s:  # first draw: the first poll that sees the symbols
        if signature(page) is not None:
            drawn = time.perf_counter() - started
            break
        page.wait_for_timeout(POLL_S * 1000)
    page.wait_for_timeout(SETTLE_S * 1000)  # the rest of the first run's messages
    return {"drawn_s": drawn, "ws_bytes": received[0], "blocked": blocked}, page


def change_oblast(page, signature, oblast: str, cap_s: float) -> float | None:
    box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(has_text="Oblast")
    field = box.locator("input").first
    field.click()
    field.fill(oblast)
    page.wait_for_timeout(300)  # the dropdown filters its options
    before = signature(page)
    started = time.perf_counter()
    page.keyboard.press("Enter")
    return wait_for(page, signature, before, started, cap_s)


def measure_page(chromium, server, signature, oblast: str, repeat: int, cap_s: float) -> dict:
    out: dict = {"visits": [], "changes": []}
    for index in range(repeat + 1):  # the first visit is the one after server start
        facts, page = visit(chromium, server.url, signature, cap_s)
        if facts["drawn_s"] is not None:
            facts["change_s"] = change_oblast(page, signature, oblast, cap_s)
        out["visits"].append(facts)
        page.context.close()
        log(f"  {'first' if index == 0 else 'later'} visit: drawn {facts['drawn_s']}, change {facts.get('change_s')}")
    return out


def _median(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _plus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a + b


def prepare(args) -> tuple[dict, str, object]:
    """The settings for the store (seed or synthetic), with the store and its snapshot written."""
    from bench import data as bench_data
    from dashboard.config import SEED_DATA_DIR, Settings
    from dashboard.io.open import open_store
    from dashboard.store.snapshot import load_records

    if args.incidents:
        work = (args.work or ROOT / "var" / "bench" / f"{args.incidents}-0").resolve()
        env = bench_data.settings_env(work, str(args.boundary_file or ""))
        bench_data.ensure_data(work, args.incidents, 0)
        bench_data.ensure_store(work, env)
        label = f"{args.incidents:,} synthetic incidents"
    else:
        work = (args.work or ROOT / "var" / "bench" / "seed").resolve()
        env = bench_data.settings_env(work, str(args.boundary_file or ""))
        env["IMPACT_DATA_DIR"] = str(SEED_DATA_DIR)  # an empty store is filled from the seed records
        label = "the seed records"
    if not args.boundary_file:
        del env["IMPACT_BOUNDARY_FILE"]  # the bundled outlines, as a default install draws
    work.mkdir(parents=True, exist_ok=True)
    settings = Settings.from_env(env)
    records = load_records(open_store(settings), settings)  # untimed: the store and snapshot exist
    return env | {"_work": str(work)}, label, records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=0, help="synthetic incidents; 0 (default) the seed records")
    parser.add_argument("--work", type=Path)
    parser.add_argument("--repeat", type=int, default=5, help="later visits (after the first)")
    parser.add_argument("--cap", type=float, default=120, help="seconds to wait for one page")
    parser.add_argument("--boundary-file", type=Path, help="IMPACT_BOUNDARY_FILE (default: the bundled outlines)")
    parser.add_argument("--oblast", default=None, help="the filter change (default: Kherson Oblast / Kharkiv Oblast)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--before-first", action="store_true", help="time the --before-ref page first, not last")
    parser.add_argument(
        "--before-ref",
        default="none",
        help="also time the page at this git commit (e.g. main), same run; 'none' to skip",
    )
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from bench import data as bench_data
    from bench import maps
    from geo.boundaries import load_boundaries

    env, label, records = prepare(args)
    work = Path(env.pop("_work"))
    oblast = args.oblast or (SEED_OBLAST if not args.incidents else "Kharkiv Oblast")
    facts_at_start = machine_facts()
    results: dict = {}
    with sync_playwright() as playwright:
        chromium = browser.launch(playwright)
        pydeck = [sys.executable, "-m", "streamlit", "run", str(ROOT / "bench" / "pydeck_page.py")]
        pages = [("ours", None, ours_signature, ROOT), ("pydeck", pydeck, deck_signature, ROOT)]
        if args.before_ref.lower() != "none":  # the same page at an earlier commit, in the same run
            tree, commit = bench_data.baseline_tree(args.before_ref, ROOT / "var" / "bench")
            results["before_commit"] = commit
            if tree is not None:
                before = ("before", [sys.executable, "-m", "dashboard.cli", "serve"], ours_signature, tree)
                # Load on a shared machine drifts: run it first as well as last to see the order's share.
                pages.insert(0, before) if args.before_first else pages.append(before)
        for name, command, signature, cwd in pages:
            log(f"{name}: starting the server")
            # The dashboard's own config turns usage statistics off; the baseline page gets the same.
            quiet = env | {"STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
            if cwd != ROOT:
                quiet["PYTHONPATH"] = str(cwd)
            started = time.perf_counter()
            server = browser.Server(quiet, work / f"firstdraw-{name}.log", 120, command=command, cwd=cwd)
            startup_s = time.perf_counter() - started  # until the health check answers
            try:
                results[name] = measure_page(chromium, server, signature, oblast, args.repeat, args.cap)
                results[name]["startup_s"] = startup_s
            finally:
                server.stop()
        log("static FastMarkerCluster page")
        boundaries = load_boundaries(env.get("IMPACT_BOUNDARY_FILE") or None)
        html = maps.fast_marker_cluster_map(records.incidents, boundaries).get_root().render()
        site = browser.static_site(work / "static-firstdraw", html)
        results["static"] = browser.measure_static(site, chromium, args.repeat, args.cap, 60)
        chromium.close()
    rows = rows_for(results, label)
    table = markdown_table(rows)
    print(f"\n{label}, {facts_at_start['cores']} cores; filter change: {oblast}\n")
    print(table)
    facts = machine_facts()
    write_json(args.json or work / "firstdraw.json", rows, facts, {"label": label, "oblast": oblast, "raw": results})
    return 0


def rows_for(results: dict, label: str) -> list[Row]:
    ours, deck, static = results["ours"]["visits"], results["pydeck"]["visits"], results["static"]
    static_s = _median(static.get("load_s") or [])
    deck_name = "st.pydeck_chart ScreenGridLayer page, same records"
    static_name = "static folium FastMarkerCluster page, until .marker-cluster shows"
    first_target, later_target = (2.0, 2.0) if label == "the seed records" else (5.0, 2.0)
    rows = [
        Row(f"g. first visit after server start → map drawn ({label})", "s", ours[0]["drawn_s"],
            deck[0]["drawn_s"], first_target, baseline_name=deck_name),
        Row(f"g. server start → first visit's map drawn ({label}; start until health answers + first visit)", "s",
            _plus(results["ours"].get("startup_s"), ours[0]["drawn_s"]),
            _plus(results["pydeck"].get("startup_s"), deck[0]["drawn_s"]), None, baseline_name=deck_name),
        Row(f"g. later visit → map drawn, median ({label})", "s", _median([v["drawn_s"] for v in ours[1:]]),
            _median([v["drawn_s"] for v in deck[1:]]), later_target, baseline_name=deck_name),
        Row(f"g. later visit → map drawn, median ({label})", "s", _median([v["drawn_s"] for v in ours[1:]]),
            static_s, later_target, baseline_name=static_name, baseline_note=static.get("error", "")),
        Row(f"g. oblast change → tiles and map redrawn, median ({label})", "s",
            _median([v.get("change_s") for v in ours]), _median([v.get("change_s") for v in deck]), 1.0,
            baseline_name=deck_name),
        Row(f"g. websocket bytes of the first visit ({label})", "KB", ours[0]["ws_bytes"] / 1e3,
            deck[0]["ws_bytes"] / 1e3, 2000.0, baseline_name=deck_name),
    ]  # fmt: skip
    if "before" in results:
        before, name = results["before"]["visits"], f"the same page at {results['before_commit'][:7]}, same run"
        rows += [
            Row(f"g. first visit after server start → map drawn ({label})", "s", ours[0]["drawn_s"],
                before[0]["drawn_s"], first_target, baseline_name=name),
            Row(f"g. later visit → map drawn, median ({label})", "s", _median([v["drawn_s"] for v in ours[1:]]),
                _median([v["drawn_s"] for v in before[1:]]), later_target, baseline_name=name),
            Row(f"g. oblast change → tiles and map redrawn, median ({label})", "s",
                _median([v.get("change_s") for v in ours]), _median([v.get("change_s") for v in before]), 1.0,
                baseline_name=name),
            Row(f"g. websocket bytes of the first visit ({label})", "KB", ours[0]["ws_bytes"] / 1e3,
                before[0]["ws_bytes"] / 1e3, 2000.0, baseline_name=name),
        ]  # fmt: skip
    blocked = sorted({url for v in ours + deck for url in v["blocked"]})
    if blocked:
        rows.append(Row("g. WARNING: a page asked other hosts", "", ours_note="; ".join(blocked[:5])))
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
