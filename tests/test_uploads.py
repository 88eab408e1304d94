"""Uploads are bounded: kept under a content hash, previews removed, old ones aged out, a quota enforced."""

from __future__ import annotations

import hashlib
import os
import time

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.config import PROJECT_ROOT, Settings
from dashboard.ui.shared import UNEXPECTED_ERROR

APP = str(PROJECT_ROOT / "dashboard" / "ui" / "app.py")
CSV = (PROJECT_ROOT / "data" / "incidents.csv").read_bytes()


def files_in(folder):
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_an_upload_is_kept_under_its_content_hash(tmp_path):
    from dashboard.io.uploads import save_upload

    folder = tmp_path / "uploads"
    path = save_upload(CSV, "my incidents (v2).CSV", folder, quota_mb=500, max_age_hours=24)
    assert path == folder / f"{hashlib.sha256(CSV).hexdigest()}.csv"
    assert path.read_bytes() == CSV
    # The same content again: the same file, nothing added.
    assert save_upload(CSV, "other name.csv", folder, quota_mb=500, max_age_hours=24) == path
    assert files_in(folder) == [path]


def test_an_upload_past_the_quota_is_refused_with_the_figures(tmp_path):
    from dashboard.io.uploads import UploadRefused, save_upload

    folder = tmp_path / "uploads"
    save_upload(b"x" * 600_000, "a.csv", folder, quota_mb=1, max_age_hours=24)
    with pytest.raises(UploadRefused) as refused:
        save_upload(b"y" * 600_000, "b.csv", folder, quota_mb=1, max_age_hours=24)
    message = str(refused.value)
    assert message.startswith("uploads folder is full (0.6 MB of 1 MB)")
    assert "IMPACT_UPLOAD_QUOTA_MB" in message
    assert refused.value.exit_code == 2
    assert len(files_in(folder)) == 1  # the refused upload left nothing behind


def test_uploads_older_than_the_max_age_go_at_the_next_upload(tmp_path):
    from dashboard.io.uploads import save_upload

    folder = tmp_path / "uploads"
    old = save_upload(b"old,file\n1,2\n", "old.csv", folder, quota_mb=500, max_age_hours=24)
    recent = save_upload(b"recent,file\n1,2\n", "recent.csv", folder, quota_mb=500, max_age_hours=24)
    hours_ago = time.time() - 25 * 3600
    os.utime(old, (hours_ago, hours_ago))
    new = save_upload(CSV, "new.csv", folder, quota_mb=500, max_age_hours=24)
    assert files_in(folder) == sorted([recent, new])


def test_an_old_upload_counts_no_more_against_the_quota(tmp_path):
    from dashboard.io.uploads import save_upload

    folder = tmp_path / "uploads"
    old = save_upload(b"x" * 600_000, "a.csv", folder, quota_mb=1, max_age_hours=1)
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    assert save_upload(b"y" * 600_000, "b.csv", folder, quota_mb=1, max_age_hours=1).exists()
    assert not old.exists()


def test_the_settings_default_and_read_the_environment():
    defaults = Settings.from_env({})
    assert (defaults.upload_max_age_hours, defaults.upload_quota_mb) == (24, 500)
    chosen = Settings.from_env({"IMPACT_UPLOAD_MAX_AGE_HOURS": "2", "IMPACT_UPLOAD_QUOTA_MB": "50"})
    assert (chosen.upload_max_age_hours, chosen.upload_quota_mb) == (2, 50)


def test_a_bad_setting_names_the_variable_and_value():
    with pytest.raises(ValueError, match="IMPACT_UPLOAD_QUOTA_MB.*'lots'"):
        Settings.from_env({"IMPACT_UPLOAD_QUOTA_MB": "lots"})


# --- The import page ---


@pytest.fixture
def page(settings, monkeypatch):
    monkeypatch.setenv("IMPACT_DB_URL", settings.db_url)
    monkeypatch.setenv("IMPACT_QUARANTINE_DIR", str(settings.quarantine_dir))
    monkeypatch.setenv("IMPACT_BOUNDARY_FILE", "")
    monkeypatch.setenv("IMPACT_ALLOW_WRITES", "1")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("import_page.py").run()
    yield at, settings.quarantine_dir / "uploads"
    assert not [e.value for e in at.error if UNEXPECTED_ERROR in e.value]
    assert not at.exception


def test_the_page_keeps_a_preview_under_its_hash_and_removes_it_when_cleared(page):
    at, uploads = page
    at.file_uploader[0].set_value(("incidents.csv", CSV, "text/csv")).run()
    assert [m.label for m in at.metric][:1] == ["Rows read"]
    # Before: kept as uploads/<hash prefix>/incidents.csv, and never removed.
    assert files_in(uploads) == [uploads / f"{hashlib.sha256(CSV).hexdigest()}.csv"]
    at.file_uploader[0].set_value(None).run()
    assert files_in(uploads) == []


def test_the_page_refuses_an_upload_past_the_quota(page, monkeypatch):
    at, uploads = page
    uploads.mkdir(parents=True, exist_ok=True)
    (uploads / ("0" * 64 + ".csv")).write_bytes(b"z" * 1_100_000)
    monkeypatch.setenv("IMPACT_UPLOAD_QUOTA_MB", "1")
    at.file_uploader[0].set_value(("incidents.csv", CSV, "text/csv")).run()
    shown = [e.value.replace("\\", "").strip("\u2068\u2069") for e in at.error]
    assert any(text.startswith("uploads folder is full (1.1 MB of 1 MB)") for text in shown), shown
    assert not at.metric  # no preview
    assert len(files_in(uploads)) == 1


def test_the_page_names_the_upload_when_its_format_is_wrong(page):
    at, uploads = page
    at.file_uploader[0].set_value(("mystery.csv", b"foo,bar\n1,2\n", "text/csv")).run()
    shown = [e.value.replace("\\", "").strip("\u2068\u2069") for e in at.error]
    assert any(text.startswith("mystery.csv does not look like canonical") for text in shown), shown
    assert not any(str(uploads) in text for text in shown)  # the server's own path stays out
    assert not at.metric and not at.button  # no preview, nothing to confirm
