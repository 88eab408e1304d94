"""The process ``impact serve`` becomes: Streamlit on the dashboard, warmed up while it starts.

Without a warm-up, the first visit after a start paid for everything the process had not
done yet: importing folium and altair, loading GeoNames, reading the
records, building the query index and compiling the map's unchanging parts (14 s on the
seed records on the shared 2-core machine, against 4-5 s for a later visit). The warm-up
does the same work in a background thread as soon as the process starts, through the
page's own cached functions (``dashboard.ui.shared``), so the first visit finds it done,
or waits for the part still running instead of doing it a second time.

    python -m dashboard.ui.serve dashboard/ui/app.py [Streamlit options]
"""

from __future__ import annotations

import logging
import sys
import threading
import time

log = logging.getLogger("dashboard.ui.serve")
RUNTIME_WAIT_S = 60.0


def _runtime_started(timeout_s: float) -> bool:
    """Wait until Streamlit's runtime exists: caches made before it would not be the page's."""
    from streamlit import runtime

    deadline = time.monotonic() + timeout_s
    while not runtime.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def warm(wait_for_runtime: bool = True) -> dict:
    """Do what the first page run would do, into the caches the page reads; what was warmed.

    A failure only costs the first visit its head start: it is logged, never raised (the
    page reports a fault to its user itself).

    Parameters
    ----------
    wait_for_runtime : bool
        Wait for Streamlit's runtime before touching the page's caches (the server); tests
        that call this without a server pass False.

    Returns
    -------
    dict
        ``seconds`` and the number of ``incidents`` warmed, or ``error``.
    """
    started = time.perf_counter()
    # Streamlit warns once per cached call made outside a page run; here that is the point.
    context_log = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    level = context_log.level
    try:
        # After the runtime exists: caches made before it would not be the page's, and the
        # imports below would hold up the server's own start (its health check).
        if wait_for_runtime and not _runtime_started(RUNTIME_WAIT_S):
            return {"error": "Streamlit's runtime did not start"}
        context_log.setLevel(logging.ERROR)  # after the start: Streamlit sets its loggers' levels then
        # Not streamlit_folium: it registers its component only when imported inside a page
        # run, and a module imported here would stay unregistered (the map would not load).
        import altair  # noqa: F401
        import folium  # noqa: F401

        from geo.gazetteer import all_places

        all_places()
        from dashboard.map.fit import view_for
        from dashboard.map.view import layers_for_mask
        from dashboard.query.index import index_of
        from dashboard.query.totals import Filters, incident_mask
        from dashboard.ui import shared

        # The records as the first visitor sees them: the operator's without sign-in, else a viewer's.
        config, version, records = shared.current("admin" if shared.settings().auth == "none" else "viewer")
        boundaries = shared.boundaries(config.boundary_file)
        shared.choices(config.db_url, version)
        shared.totals(config.db_url, version, Filters())
        index_of(records)
        mask = incident_mask(records, Filters())
        shared.place_notes(config.db_url, version, (), ())
        m = shared.base_map(config.boundary_file, config.tiles_url, config.tiles_attribution)
        layers_for_mask(records, mask, boundaries, fit=view_for(records, mask, boundaries)).add_to(m)
        m.get_root().render()  # compiles the map's unchanging parts (dashboard.map.render_cache)
    except Exception:  # the page does the same work on its first visit, and reports any fault
        log.warning("warm-up at server start failed; the first visit does the work", exc_info=True)
        return {"error": "failed", "seconds": time.perf_counter() - started}
    finally:
        context_log.setLevel(level)
    seconds = time.perf_counter() - started
    # On stderr, like Streamlit's own start-up lines (the root logger shows warnings only).
    print(
        f"impact serve: the first page is ready ({len(records.incidents):,} incidents, {seconds:.1f} s)",
        file=sys.stderr,
    )
    return {"seconds": seconds, "incidents": len(records.incidents)}


def main(argv: list[str]) -> int:
    """Start the warm-up thread, then run Streamlit with ``argv`` (the script and its options)."""
    from dashboard.ui import oidc_callback

    oidc_callback.install()  # a failed OIDC sign-in comes back saying so, not as a blank sign-in page
    threading.Thread(target=warm, name="impact-warm-up", daemon=True).start()
    from streamlit.web import cli as streamlit_cli

    sys.argv = ["streamlit", "run", *argv]
    return streamlit_cli.main(prog_name="streamlit")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
