"""A server start reads the records and builds what the first page needs before anyone visits."""

from __future__ import annotations

import logging

from dashboard.store.snapshot import snapshot_dir
from dashboard.store.sql import store_version
from dashboard.ui import serve


def test_a_server_start_prepares_the_first_page(settings, monkeypatch, boundary_file):
    monkeypatch.setenv("IMPACT_DB_URL", settings.db_url)
    monkeypatch.setenv("IMPACT_QUARANTINE_DIR", str(settings.quarantine_dir))
    monkeypatch.setenv("IMPACT_BOUNDARY_FILE", str(boundary_file))
    warmed = serve.warm(wait_for_runtime=False)
    assert warmed.get("incidents") == 5, warmed  # the seed records, read before any visit
    from dashboard.ui import shared

    # The page's own cache holds them: its first run (the operator's, IMPACT_AUTH=none) reads nothing from the store.
    config, version, records = shared.current("admin")
    assert records is shared.versioned(config.db_url, version)[1] and records._index is not None
    assert snapshot_dir(config, store_version(shared.engine(config.db_url))).is_dir()


def test_a_failed_warm_up_is_logged_and_the_server_still_starts(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("IMPACT_DB_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    with caplog.at_level(logging.WARNING, logger="dashboard.ui.serve"):
        warmed = serve.warm(wait_for_runtime=False)
    assert warmed["error"] == "failed"
    assert "the first visit does the work" in caplog.text
