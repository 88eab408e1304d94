"""Page reruns through Streamlit's AppTest in a fresh process; prints one JSON line. Run by bench/run.py.

    python -m bench.apprerun --src TREE --repeat 5 --timeout 600

Environment: IMPACT_DB_URL (and IMPACT_BOUNDARY_FILE, IMPACT_QUARANTINE_DIR) as the page reads them.
``TREE`` is the project tree whose ``dashboard/ui/app.py`` runs (the working tree, or an
older commit unpacked for the baseline). One run warms the caches (records loaded);
then each repetition selects a different single oblast and times ``.run()``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

PREFERRED = (
    "Kharkiv Oblast",
    "Donetsk Oblast",
    "Zaporizhzhia Oblast",
    "Kherson Oblast",
    "Dnipropetrovsk Oblast",
    "Odesa Oblast",
    "Kyiv Oblast",
    "Sumy Oblast",
)


def _peak_mb() -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e6  # kB (KiB) -> MB
    except OSError:
        pass
    return None


def _oblast_widget(at):
    return next(w for w in at.sidebar.multiselect if w.label == "Oblast")


def _problem(at) -> str:
    if at.exception:
        return "; ".join(str(getattr(e, "message", e))[:200] for e in at.exception)
    return ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--src", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    sys.path.insert(0, str(args.src))
    from streamlit.testing.v1 import AppTest

    import dashboard

    out: dict = {"dashboard_from": str(Path(dashboard.__file__).parent)}
    app = args.src / "dashboard" / "ui" / "app.py"
    if not app.is_file():  # trees from before the layer packages
        app = args.src / "dashboard" / "app.py"
    at = AppTest.from_file(str(app), default_timeout=args.timeout)
    started = time.perf_counter()
    watchdog = _watchdog(out, args.timeout, "first run")
    at.run()
    watchdog.cancel()
    out["warm_s"] = time.perf_counter() - started
    out["error"] = _problem(at)
    if not out["error"]:
        options = list(_oblast_widget(at).options)
        chosen = [name for name in PREFERRED if name in options] or options
        started = time.perf_counter()
        watchdog = _watchdog(out, args.timeout, "rerun without a change")
        at.run()
        watchdog.cancel()
        out["noop_rerun_s"] = time.perf_counter() - started
        reruns, attacks, shown = [], [], []
        for index in range(args.repeat):
            widget = _oblast_widget(at)
            widget.set_value([chosen[index % len(chosen)]])
            started = time.perf_counter()
            watchdog = _watchdog(out, args.timeout, f"rerun {index + 1}")
            at.run()
            watchdog.cancel()
            reruns.append(time.perf_counter() - started)
            out["rerun_s"] = reruns
            out["error"] = _problem(at)
            if out["error"]:
                break
            attacks.append(next((m.value for m in at.metric if m.label == "Attacks"), None))
            shown.append(list(_oblast_widget(at).value))
            # Untimed: one more run so that the Oblast widget settles. The page passes the URL's
            # filters as the widget's default, and a new default gives the widget a new identity
            # on the run after the URL changed, which would drop the next selection.
            watchdog = _watchdog(out, args.timeout, "settling run")
            at.run()
            watchdog.cancel()
        out["rerun_s"] = reruns
        out["oblasts"] = [chosen[i % len(chosen)] for i in range(len(reruns))]
        out["attacks_shown"] = attacks
        out["oblast_selected"] = shown
    out["peak_mb"] = _peak_mb()
    _finish(out)


def _watchdog(out: dict, seconds: float, what: str) -> threading.Timer:
    """End the process with a timed-out result if a run takes longer than ``seconds``.

    AppTest's own timeout cannot stop a script: it raises only after joining the script thread.
    """

    def expire() -> None:
        out.update(error=f"{what} did not finish within {seconds:.0f} s", timed_out=True, peak_mb=_peak_mb())
        if what == "first run":
            out["warm_s"] = None
        _finish(out)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    return timer


def _finish(out: dict) -> None:
    """Print the result and leave at once: a timed-out script thread must not keep the process alive."""
    print(json.dumps(out), flush=True)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
