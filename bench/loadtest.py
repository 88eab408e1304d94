"""Load test of the deploy/ topology: N browser sessions change filters through nginx while imports land.

    python -m bench.loadtest                                    # 100,000 incidents, 10 sessions, 120 s
    python -m bench.loadtest --incidents 2000 --sessions 2 --duration 20 --json /tmp/tiny.json

Not a unit test (tests/test_deploy.py runs it tiny). Everything listens on 127.0.0.1 only, on
ports 8700-8799, and stops by itself: the sessions after ``--duration`` seconds, each filter
change after ``--cap`` seconds, the imports after ``--imports`` batches.

The deployment is the one tests/test_deploy.py starts: a fresh PostgreSQL database, two
``impact serve`` processes (``IMPACT_REFRESH_SECONDS=2``, ``IMPACT_AUTH=none``) and nginx on
deploy/nginx.conf (rendered with tests/deployment.render_nginx_conf). The database gets
``--incidents`` synthetic incidents (``dashboard.io.synth``) by ``impact import``, before the clock starts.

While the clock runs:

- each of ``--sessions`` sessions (one Chromium, one browser context each, so each its own
  sticky cookie; half are kept on each app process) follows a plan in a loop (``make_plan``):
  it opens links with a filter (city, oblast, a date range, or a mix; ``?city=...&start=...``,
  read by ``dashboard/views/url_state.py``), and on the unfiltered page adds an oblast, then a
  second, in the sidebar's Oblast box (typed, Enter), with ``--think`` seconds between steps;
- one thread imports ``--imports`` batches of ``--import-rows`` more synthetic incidents with
  ``impact import``, and after each batch corrects five of its incidents with ``impact correct``
  (a new date, which moves them across the plan's date ranges, and a killed figure). Before the
  first batch and after each import and each correction round it runs ``impact summary --json``
  for every filter of the plan (nothing else writes then, so those are the totals of that store
  version), in one worker interpreter that calls the command's own ``dashboard.cli.main``.

Measured:

- **change seconds**: from the navigation to the new link (a *link* change: a new page load) or
  from the Enter in the Oblast box (a *widget* change: a rerun of the open page) until the page's
  tiles are drawn for it: the Attacks tile has a figure, the caption says "X of T incidents shown"
  (for a widget change: not the same pair as before), the page's own link names the new filter
  (so a redraw that only followed an import is not the change), no element is stale
  (``data-stale``: left over from the previous run), and all of it unchanged for ``SETTLE_S``
  (0.5 s; the time reported is when it was first seen, not after the wait). The settling is
  needed: between two runs (an import's refresh and a widget's) Streamlit can show the new link
  over the old run's elements for a moment with none marked stale. p50 and p95 over all changes
  of all sessions, and per kind;
- **errors**: exceptions in a page (``pageerror``), HTTP responses of 400 or more, Streamlit
  exception boxes on the page, changes not drawn within ``--cap`` seconds (a widget change whose
  link never names the filter asked for among them), and a page whose link names another filter
  when sampled again after its think time;
- **stale totals**. Every drawn page is sampled twice: when drawn, and again (drawn and settled
  as above) after its think time (by then the page may have followed an import by itself). A
  sample shows the filter of its link, the store size T of its caption and the Attacks figure A.
  Each import adds incidents, so T names the store version the page read. The sample is
  **stale** when (a) T is no version the import thread saw, or (b) A differs from ``attacks`` of
  ``impact summary --json`` with the same filter at every version of that size (a correction
  round makes a second version of a size), or (c) T is below the largest T
  this session already showed (the page went back to data older than a version it had seen). A
  page that has not yet followed an import is not stale: it shows a whole, older version,
  correctly, for up to the refresh interval.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, log, machine_facts  # noqa: E402

PORTS = (8700, 8799)
SETTLE_S = 0.5
FILTER_KEYS = ("city", "oblast", "start", "end", "weapon", "asset_type")
CHROMIUM = "/usr/bin/chromium"
DEFAULT_PG = os.environ.get("IMPACT_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
CAPTION = re.compile(r"([\d,]+) of ([\d,]+) incidents shown")
# One read of the page, in one JS turn: the Attacks tile, the caption, and how many elements are stale.
READ_JS = """() => {
  const tile = Array.from(document.querySelectorAll('[data-testid="stMetric"]'))
    .find(e => e.innerText.includes('Attacks'));
  const value = tile && tile.querySelector('[data-testid="stMetricValue"]');
  const caption = Array.from(document.querySelectorAll('[data-testid="stCaptionContainer"]'))
    .map(e => e.innerText).find(t => / incidents shown/.test(t));
  return {
    attacks: value ? value.innerText : null,
    caption: caption || null,
    stale: document.querySelectorAll('[data-stale="true"]').length,
    exceptions: document.querySelectorAll('[data-testid="stException"]').length,
  };
}"""


def _impact(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "dashboard.cli", *args], env=env, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"impact {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done


def filter_args(query: dict) -> list[str]:
    """``impact summary`` options for a link's query parameters.

    >>> filter_args({"city": ["Kherson"], "start": ["2024-01-01"]})
    ['--city', 'Kherson', '--start', '2024-01-01']
    """
    args: list[str] = []
    for key, values in query.items():
        for value in values:
            args += [f"--{key.replace('_', '-')}", value]
    return args


def make_plan(data: Path) -> list[tuple[str, dict]]:
    """What the sessions do, in a loop: open links (all, oblasts, cities, a month, an oblast or a city in a
    quarter) and, on the unfiltered page, add one oblast then another with the Oblast widget."""
    import pandas as pd

    incidents = pd.read_csv(data / "incidents.csv", usecols=["event_date", "oblast", "place"], dtype=str)
    oblasts = incidents["oblast"].dropna().value_counts().index.tolist()
    cities = incidents["place"].dropna().value_counts().index.tolist()

    def oblast(n: int) -> str:
        return oblasts[min(n, len(oblasts) - 1)]

    def city(n: int) -> str:
        return cities[min(n, len(cities) - 1)]

    days = pd.to_datetime(incidents["event_date"]).sort_values()
    middle = days.iloc[len(days) // 2].date().replace(day=1)
    month = {"start": [str(middle)], "end": [str((pd.Timestamp(middle) + pd.offsets.MonthEnd(0)).date())]}
    quarter = {"start": [str(middle)], "end": [str((pd.Timestamp(middle) + pd.offsets.MonthEnd(3)).date())]}
    return [
        ("link", {}),
        ("widget", {"oblast": [oblast(2)]}),
        ("widget", {"oblast": [oblast(2), oblast(5)]}),
        ("link", {"oblast": [oblast(0)]}),
        ("link", {"city": [city(0)]}),
        ("link", month),
        ("link", {}),
        ("widget", {"oblast": [oblast(3)]}),
        ("widget", {"oblast": [oblast(3), oblast(6)]}),
        ("link", {"city": [city(5)]}),
        ("link", {"oblast": [oblast(1)]} | quarter),
        ("link", {"city": [city(1)]} | quarter),
    ]


def key_of(query: dict) -> str:
    """A filter as one string, the same for the link and the summary.

    >>> key_of({"oblast": ["Kharkiv Oblast"], "start": ["2024-01-01"]})
    'oblast=Kharkiv+Oblast&start=2024-01-01'
    """
    return urlencode(sorted((k, v) for k, values in query.items() for v in values))


# `impact summary --json` run again and again in one interpreter: the command's own code (dashboard.cli.main),
# without paying the interpreter's start and imports a dozen times per store version.
# One engine per URL for all of them (before anything imports create_engine), so the calls hold one connection.
SUMMARY_WORKER = """
import contextlib, functools, io, json, sys
import dashboard.store.sql as sql
sql.create_engine = functools.lru_cache(maxsize=None)(sql.create_engine)
from dashboard.cli import main
for line in sys.stdin:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(json.loads(line))
    print(json.dumps({"code": code, "out": out.getvalue()}), flush=True)
"""
# What a correction round sets on a few incidents of the batch just imported: a date that moves
# them in or out of the plan's date ranges, and a casualty figure.
CORRECTED_DATE = "2022-03-01"
CORRECTIONS_PER_ROUND = 5


class Truth:
    """``impact summary --json`` per filter at each store version, keyed by the store's size (unfiltered attacks).

    A size can have several versions (a correction round changes totals, not the size): each is kept.
    """

    def __init__(self, env: dict, filters: list[dict]) -> None:
        self.filters = list({key_of(q): q for q in filters}.values())
        self.by_size: dict[int, list[dict[str, int]]] = {}
        self.worker = subprocess.Popen(
            [sys.executable, "-c", SUMMARY_WORKER], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def command(self, argv: list[str]) -> str:
        """Run one ``impact`` command in the worker; its standard output."""
        self.worker.stdin.write(json.dumps(argv) + "\n")
        self.worker.stdin.flush()
        answer = json.loads(self.worker.stdout.readline())
        if answer["code"] != 0:
            raise RuntimeError(f"impact {' '.join(argv)} exited {answer['code']}")
        return answer["out"]

    def summary(self, query: dict) -> dict:
        """``impact summary --json`` with the filter's options."""
        return json.loads(self.command(["summary", "--json", *filter_args(query)]))

    def record(self) -> int:
        """Summaries of every filter now (call only while nothing writes); the store size."""
        size = self.summary({})["attacks"]
        self.by_size.setdefault(size, []).append({key_of(q): self.summary(q)["attacks"] for q in self.filters})
        return size

    def correct(self, batch: Path, round_number: int) -> int:
        """``impact correct`` of a few incidents of ``batch`` (date and killed, with a reason); how many."""
        import pandas as pd

        ids = pd.read_csv(batch / "incidents.csv", usecols=["incident_id"], dtype=str)["incident_id"]
        for incident_id in ids.head(CORRECTIONS_PER_ROUND):
            reason = f"load test round {round_number}"
            argv = ["correct", incident_id, f"event_date={CORRECTED_DATE}", f"killed={round_number}"]
            self.command([*argv, "--reason", reason, "--user", "loadtest"])
        return min(len(ids), CORRECTIONS_PER_ROUND)

    def close(self) -> None:
        self.worker.stdin.close()
        self.worker.wait(timeout=30)


def importer(env: dict, truth: Truth, batches: list[Path], stop: threading.Event, facts: dict) -> None:
    """Import each batch in turn (the sessions' clock running), recording the truth after each."""
    for number, folder in enumerate(batches, start=1):
        if stop.is_set():
            break
        started = time.perf_counter()
        _impact(env, "import", str(folder))
        facts["imports"].append({"seconds": round(time.perf_counter() - started, 2)})
        facts["imports"][-1]["store_size"] = truth.record()
        log(f"imported {folder.name}: store has {facts['imports'][-1]['store_size']:,} incidents")
        stop.wait(5)  # the sessions see this version for a while before the corrections
        if stop.is_set():
            break
        started = time.perf_counter()
        corrected = truth.correct(folder, number)
        facts["corrections"].append({"incidents": corrected, "seconds": round(time.perf_counter() - started, 2)})
        truth.record()  # the same size, other totals: a second version of it
        log(f"corrected {corrected} incidents of {folder.name}")
        stop.wait(5)


async def _drawn(
    page, cap_s: float, before: dict | None = None, want: str | None = None
) -> tuple[dict | None, float | None]:
    """The page's read once drawn and settled, and the ``perf_counter`` time it was first seen so.

    Drawn: the tiles and the caption there, no element stale; with ``before``, not the same figures;
    with ``want``, the page's link names that filter. Settled: the same read for ``SETTLE_S``
    (between two runs, e.g. an import's refresh and a widget's, Streamlit can show the new link
    over the old run's elements for a moment with none marked stale).
    """
    started = time.perf_counter()
    first_seen, held = None, None
    while time.perf_counter() - started < cap_s:
        read = await page.evaluate(READ_JS)
        if read["exceptions"]:
            return read, None
        read["filter"] = _page_filter(page.url)
        drawn = read["attacks"] and read["caption"] and not read["stale"]
        changed = before is None or (read["attacks"], read["caption"]) != (before["attacks"], before["caption"])
        if drawn and changed and (want is None or read["filter"] == want):
            if read != held:
                first_seen, held = time.perf_counter(), read
            elif time.perf_counter() - first_seen >= SETTLE_S:
                return read, first_seen
        else:
            held = None
        await page.wait_for_timeout(50)
    return None, None


async def _add_oblast(page, oblast: str) -> None:
    """Type an oblast into the sidebar's Oblast box and press Enter, as a user does."""
    box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(has_text="Oblast")
    field = box.locator("input").first
    await field.click()
    await field.fill(oblast)
    await page.wait_for_timeout(300)  # the dropdown filters its options


def _page_filter(url: str) -> str:
    """The filter a page's own link says it applies (the map's view left out)."""
    query = parse_qs(urlparse(url).query)
    return key_of({k: v for k, v in query.items() if k in FILTER_KEYS})


async def session(number: int, browser, nginx, plan: list[tuple[str, dict]], until: float, args, out: dict) -> None:
    """One user: follow ``plan`` (links to open, oblasts to add with the widget) until ``until``.

    After each step: wait until drawn, sample, think, sample again. A step that times out in
    the browser is an error of its own, and the session goes on with its next link.
    """
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    context, page = await _context_on(browser, nginx, nginx.app_ports[number % 2])
    errors = out["errors"]
    page.on("pageerror", lambda exc: errors.append(f"session {number}: page error {exc}"))
    page.on(
        "response",
        lambda r: errors.append(f"session {number}: HTTP {r.status} {r.url}") if r.status >= 400 else None,
    )
    highest, step, current = 0, number * 3, None  # each session starts elsewhere in the plan
    try:
        while time.monotonic() < until:
            kind, query = plan[step % len(plan)]
            step += 1
            if kind == "widget" and current is None:
                continue  # a widget step needs the page its link step opened
            want = key_of(query)
            if kind == "link":
                started = time.perf_counter()
                try:
                    await page.goto(
                        f"{nginx.url}/?{urlencode(query, doseq=True)}", wait_until="commit", timeout=args.cap * 1000
                    )
                except PlaywrightTimeout:
                    errors.append(f"session {number}: link {want} did not load in time")
                    current = None
                    continue
                sample, seen = await _drawn(page, args.cap, want=want)
            else:
                try:
                    await _add_oblast(page, query["oblast"][-1])
                except PlaywrightTimeout:
                    errors.append(f"session {number}: the Oblast box did not take {want} in time")
                    current = None
                    continue
                started = time.perf_counter()
                await page.keyboard.press("Enter")
                sample, seen = await _drawn(page, args.cap, before=current, want=want)
            if seen is None:
                errors.append(f"session {number}: {kind} {want} " + ("raised" if sample else "not drawn in time"))
                current = None
                continue
            out["changes"].append(seen - started)
            out["by_kind"].setdefault(kind, []).append(seen - started)
            current = sample
            for when in ("drawn", "rested"):
                if when == "rested":
                    await page.wait_for_timeout(args.think * 1000)
                    sample, seen = await _drawn(page, min(args.cap, 10.0))
                    if seen is None:
                        continue  # still redrawing (following an import): the next drawn sample counts
                    current = sample
                    if sample["filter"] != want:
                        errors.append(f"session {number}: the page's link became {sample['filter']!r}, not {want!r}")
                shown = CAPTION.search(sample["caption"])
                size = int(shown.group(2).replace(",", "")) if shown else -1
                out["samples"].append(
                    {
                        "session": number,
                        "kind": kind,
                        "filter": want,
                        "size": size,
                        "attacks": _number(sample["attacks"]),
                        "went_back": size < highest,
                        "when": when,
                    }
                )
                highest = max(highest, size)
    finally:
        await context.close()


async def _context_on(browser, nginx, port: int):
    """A browser context whose sticky cookie nginx routes to the app process on ``port`` (half the sessions each).

    The cookie's key is found with plain HTTP requests first (:func:`route_key_for`): a trial
    page per guess would start, and throw away, a whole Streamlit session on the servers.
    """
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    key = await asyncio.to_thread(route_key_for, nginx, port)
    await context.add_cookies([{"name": "impact_route", "value": key, "url": nginx.url}])
    return context, await context.new_page()


def route_key_for(nginx, port: int, tries: int = 64) -> str:
    """A route key that nginx's ``hash $route_key consistent`` sends to the app on ``port``.

    Each guess is one health request through the proxy with that cookie; the access log says
    where it went. 64 misses in a row happen once in 2**64.
    """
    import secrets
    import urllib.request

    for _ in range(tries):
        key = secrets.token_hex(16)
        request = urllib.request.Request(f"{nginx.url}/_stcore/health", headers={"Cookie": f"impact_route={key}"})
        urllib.request.urlopen(request, timeout=30).read()
        for _ in range(50):  # nginx writes the line as the request ends; give it a moment
            upstreams = [line["upstream"] for line in nginx.access_log() if line["route"] == key]
            if upstreams:
                break
            time.sleep(0.05)
        if upstreams and upstreams[-1].endswith(f":{port}"):
            return key
    raise SystemExit(f"no route key reached the app on port {port} in {tries} tries")


def stale_samples(samples: list[dict], truth: dict[int, list[dict[str, int]]]) -> list[dict]:
    """The samples that are stale by the module docstring's definition.

    >>> truth = {10: [{"": 10, "oblast=X": 4}, {"": 10, "oblast=X": 3}], 12: [{"": 12, "oblast=X": 5}]}
    >>> ok = {"filter": "oblast=X", "size": 10, "attacks": 4, "went_back": False}
    >>> samples = [ok, ok | {"attacks": 3}, ok | {"size": 12}, ok | {"size": 11}, ok | {"went_back": True}]
    >>> stale_samples(samples, truth) == [ok | {"size": 12}, ok | {"size": 11}, ok | {"went_back": True}]
    True
    """
    return [
        s
        for s in samples
        if s["size"] not in truth
        or all(version.get(s["filter"]) != s["attacks"] for version in truth[s["size"]])
        or s["went_back"]
    ]


def percentile(values: list[float], fraction: float) -> float | None:
    """The ``fraction`` quantile (nearest rank), None for no values.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 0.5), percentile([1.0, 2.0, 3.0, 4.0], 0.95), percentile([], 0.5)
    (2.0, 4.0, None)
    """
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(-(-fraction * len(ordered) // 1)) - 1))]


async def drive(nginx, plan: list[tuple[str, dict]], args, out: dict) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        until = time.monotonic() + args.duration

        async def user(number: int) -> None:
            # Users arrive over the first seconds (a load tester's spawn rate), not in one instant.
            await asyncio.sleep(number * args.ramp)
            await session(number, browser, nginx, plan, until, args, out)

        try:
            await asyncio.gather(*(user(n) for n in range(args.sessions)))
        finally:
            await browser.close()


def run(args) -> dict:
    """Start the deployment, load it, stop it; the results."""
    from dashboard.config import BUNDLED_BOUNDARY_FILE
    from dashboard.io.synth import write_synth
    from tests.deployment import Nginx, nginx_binary
    from tests.servers import free_port, fresh_database, serve, stop

    binary = nginx_binary()
    if binary is None or not Path(CHROMIUM).exists():
        raise SystemExit("loadtest needs nginx (apt-get install nginx-light) and /usr/bin/chromium")
    work = Path(args.work or tempfile.mkdtemp(prefix="impact-loadtest-"))
    work.mkdir(parents=True, exist_ok=True)
    log(f"writing {args.incidents:,} synthetic incidents and {args.imports} batches of {args.import_rows:,}")
    data = write_synth(args.incidents, args.seed, work / "data")
    batches = [write_synth(args.import_rows, args.seed + 1 + n, work / f"batch{n + 1}") for n in range(args.imports)]
    plan = make_plan(data)
    (work / "empty").mkdir(exist_ok=True)
    facts: dict = {"imports": [], "corrections": []}
    with fresh_database(args.pg_url) as db_url:
        env = dict(os.environ) | {
            "IMPACT_DB_URL": db_url,
            "IMPACT_HOME": str(work / "home"),
            "IMPACT_DATA_DIR": str(work / "empty"),  # the store holds the synthetic records only
            "IMPACT_BOUNDARY_FILE": str(BUNDLED_BOUNDARY_FILE),
            "IMPACT_REFRESH_SECONDS": "2",
            "IMPACT_AUTH": "none",
            "STREAMLIT_SERVER_HEADLESS": "true",
        }
        _impact(env, "db", "upgrade")
        started = time.perf_counter()
        _impact(env, "import", str(data))
        facts["initial_import_seconds"] = round(time.perf_counter() - started, 1)
        log(f"imported {args.incidents:,} incidents in {facts['initial_import_seconds']} s")
        truth = Truth(env, [query for _, query in plan])
        truth.record()
        servers, nginx = [], None
        try:
            port = free_port(*PORTS)
            servers.append(serve(env | {"IMPACT_CACHE_DIR": str(work / "cache1")}, work / "serve1.log", port))
            port2 = free_port(port + 1, PORTS[1])
            servers.append(serve(env | {"IMPACT_CACHE_DIR": str(work / "cache2")}, work / "serve2.log", port2))
            nginx = Nginx(binary, free_port(port2 + 1, PORTS[1]), (port, port2), work / "nginx")
            nginx.wait_until_proxying()
            # As a deployment puts a process behind the proxy once it is ready: the load measures
            # filter changes on warm processes, not ten first visits racing the warm-up.
            facts["warm_up_seconds"] = [
                wait_until_warm(work / name, args.cap * 3) for name in ("serve1.log", "serve2.log")
            ]
            out: dict = {"changes": [], "by_kind": {}, "samples": [], "errors": []}
            stop_imports = threading.Event()
            thread = threading.Thread(target=importer, args=(env, truth, batches, stop_imports, facts), daemon=True)
            log(f"{args.sessions} sessions for {args.duration} s through {nginx.url}")
            clock = time.perf_counter()
            load_before = os.getloadavg()[0]  # the machine is shared: say how busy it was
            thread.start()
            asyncio.run(drive(nginx, plan, args, out))
            stop_imports.set()
            thread.join(timeout=600)
            elapsed = time.perf_counter() - clock
            facts["load_average_1min"] = {"start": round(load_before, 1), "end": round(os.getloadavg()[0], 1)}
        finally:
            if nginx is not None:
                nginx.stop()  # it logs each websocket as it closes them
            stop(servers)
            truth.close()
        upstreams = sorted({line["upstream"] for line in nginx.access_log() if line["path"] == "/_stcore/stream"})
    stale = stale_samples(out["samples"], truth.by_size)
    return {
        "command": "python -m bench.loadtest " + " ".join(args.argv),
        "incidents": args.incidents,
        "sessions": args.sessions,
        "duration_s": args.duration,
        "elapsed_s": round(elapsed, 1),
        "changes": len(out["changes"]),
        "p50_s": _round(percentile(out["changes"], 0.50)),
        "p95_s": _round(percentile(out["changes"], 0.95)),
        "mean_s": _round(statistics.fmean(out["changes"])) if out["changes"] else None,
        "errors": len(out["errors"]),
        "error_examples": out["errors"][:10],
        "samples": len(out["samples"]),
        "stale": len(stale),
        "stale_examples": stale[:10],
        "versions_seen_by_pages": sorted({s["size"] for s in out["samples"]}),
        "store_sizes": sorted(truth.by_size),
        "upstreams_with_a_session": upstreams,
        "by_kind": {
            kind: {"changes": len(v), "p50_s": _round(percentile(v, 0.5)), "p95_s": _round(percentile(v, 0.95))}
            for kind, v in out["by_kind"].items()
        },
        "plan": [f"{kind}: {key_of(query) or 'all'}" for kind, query in plan],
        **facts,
        "machine": machine_facts(),
    }


WARM = re.compile(r"impact serve: the first page is ready \(.*, ([0-9.]+) s\)|warm-up at server start failed")


def wait_until_warm(log_path: Path, seconds: float) -> float | None:
    """Wait until ``impact serve`` says its warm-up ended (its log line); its seconds, None if it failed.

    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "s.log").write_text("impact serve: the first page is ready (100,000 incidents, 12.5 s)\\n")
    >>> wait_until_warm(folder / "s.log", 1)
    12.5
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = WARM.search(log_path.read_text(errors="replace")) if log_path.is_file() else None
        if found:
            return float(found.group(1)) if found.group(1) else None
        time.sleep(0.5)
    raise SystemExit(f"{log_path}: the server's warm-up did not end within {seconds:.0f} s")


def _number(text: str) -> int | None:
    """A tile's figure ("1,234") as a number; None for anything else."""
    digits = text.replace(",", "")
    return int(digits) if digits.isdigit() else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000, help="synthetic incidents (default 100,000)")
    parser.add_argument("--sessions", type=int, default=10, help="concurrent browser sessions (default 10)")
    parser.add_argument("--duration", type=float, default=120, help="seconds the sessions run (default 120)")
    parser.add_argument("--imports", type=int, default=3, help="import batches while they run (default 3)")
    parser.add_argument("--import-rows", type=int, default=2000, help="incidents per batch (default 2,000)")
    parser.add_argument("--think", type=float, default=2.0, help="seconds a session looks at a drawn page (default 2)")
    parser.add_argument(
        "--ramp", type=float, default=1.0, help="seconds between one session's start and the next (default 1)"
    )
    parser.add_argument("--cap", type=float, default=60, help="seconds before a change is an error (default 60)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="PostgreSQL server (a fresh database on it)")
    parser.add_argument("--work", type=Path, help="data and logs (default a new temporary folder)")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "loadtest.json", help="results file")
    args = parser.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else argv
    results = run(args)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    log(
        f"{results['changes']} changes: p50 {results['p50_s']} s, p95 {results['p95_s']} s; "
        f"errors {results['errors']}, stale {results['stale']} of {results['samples']} samples -> {args.json}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
