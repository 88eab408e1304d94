"""The import page names files, never the server's folders (they tell a visitor how the server is laid out)."""

from __future__ import annotations

import re

from dashboard.views.server_paths import without_server_paths
from tests.test_app import app  # noqa: F401  (fixture)

ABSOLUTE = re.compile(r"(?<![\w:/])/[\w.\-]+/")


def test_import_page_text_has_no_server_path(app, monkeypatch, settings):  # noqa: F811
    monkeypatch.setenv("IMPACT_ALLOW_WRITES", "1")
    at = app.run()
    at.switch_page("import_page.py").run()
    assert not at.exception
    shown = [element.value for element in [*at.caption, *at.info, *at.error, *at.markdown, *at.text]]
    assert shown, "the page said nothing"
    for text in shown:
        assert str(settings.quarantine_dir) not in text and not ABSOLUTE.search(text), text
    assert any("quarantine" in text for text in shown)  # still says where rejected rows go, by name


def test_a_refusal_names_the_upload_and_files_by_their_names(tmp_path):
    upload = tmp_path / "uploads" / "0a1b2c.csv"
    quarantine = tmp_path / "quarantine" / "cir_sample.rejected.csv"
    message = f"{upload}: line 4 unreadable; rejected rows in {quarantine}"
    shown = without_server_paths(message, {upload: "cir_sample.csv"})
    assert shown == "cir_sample.csv: line 4 unreadable; rejected rows in cir_sample.rejected.csv"
    assert str(tmp_path) not in shown
