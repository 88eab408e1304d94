"""Record text reaches the page as text: map popups and tooltips, and the Sources tab, with hostile payloads."""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from dashboard.config import PROJECT_ROOT, Settings
from dashboard.io.open import open_store
from dashboard.map.features import incident_features
from dashboard.query.totals import Filters, filter_incidents, impacts_in_view
from dashboard.records.load import load_records
from geo.boundaries import load_boundaries
from tests.payloads import PAYLOADS, payload_folder

APP = str(PROJECT_ROOT / "dashboard" / "ui" / "app.py")


def test_popups_and_tooltips_carry_no_live_markup(tmp_path, boundary_file):
    folder = payload_folder(tmp_path / "project")
    report = load_records(folder)
    assert report.failures.empty, report.failures
    records = report.records
    incidents = filter_incidents(records, Filters())
    features = incident_features(
        records, incidents, impacts_in_view(records, incidents, Filters()), load_boundaries(boundary_file)
    )
    assert features
    for feature in features:
        for text in (feature["properties"]["popup"], feature["properties"]["tooltip"]):
            # Only the application's own tags survive; every record value is escaped.
            assert "<script" not in text and "<img" not in text and 'href="javascript' not in text
            assert "${" not in text and "`" not in text
            # A bidi override sits inside a <bdi>, so it cannot reverse the labels around it.
            for match in re.finditer("\u202e", text):
                assert text.rfind("<bdi>", 0, match.start()) > text.rfind("</bdi>", 0, match.start())


def test_sources_tab_shows_payloads_literally(tmp_path, monkeypatch, boundary_file):
    folder = payload_folder(tmp_path / "project")
    settings = Settings.from_env(
        {"IMPACT_DB_URL": f"sqlite:///{tmp_path / 's.sqlite'}", "IMPACT_DATA_DIR": str(folder)}
    )
    open_store(settings)
    monkeypatch.setenv("IMPACT_DB_URL", settings.db_url)
    monkeypatch.setenv("IMPACT_DATA_DIR", str(folder))
    monkeypatch.setenv("IMPACT_BOUNDARY_FILE", str(boundary_file))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    at.session_state["page_tab"] = "Sources"  # the tab's content is built once it is opened
    at.run()
    assert not at.exception
    shown_as_text = " ".join(t.value for t in at.text)
    for payload in ("{{7*7}}", "`code` and ```fence```", "![x](http://evil.example/p.png)"):
        assert payload in shown_as_text, payload
    # No Markdown element carries a payload unescaped (an image reference would fetch another host).
    for element in [*at.markdown, *at.subheader, *at.caption]:
        assert "](http://evil.example" not in element.value
    assert len(PAYLOADS) == 13


def test_markdown_text_makes_no_autolink():
    """Streamlit's Markdown (GFM) links a bare ``http://``, ``www.`` or e-mail address even when its
    punctuation is escaped: Chromium showed ``![x](http://evil.example/p.png)`` in a Sources heading as
    a live link to evil.example. After markdown_text, no such address starts a word."""
    from dashboard.records.safe_text import markdown_text

    for value in (
        "![x](http://evil.example/p.png)",
        "[a link](http://evil.example/)",
        "see www.evil.example",
        "HTTPS://evil.example",
        "mail a@evil.example",
    ):
        # What GFM's autolink pass sees: the text with the backslash escapes resolved.
        seen = re.sub(r"\\(.)", r"\1", markdown_text(value))
        # An address is linked when it starts the text or follows a space or punctuation.
        assert not re.search(r"(^|[\s\u2068!-/:-@\[-`{-~])(https?://|www\.)", seen, re.IGNORECASE), (value, seen)
        assert not re.search(r"@[\w-]", seen), (value, seen)
        assert seen.replace("\u2060", "").strip("\u2068\u2069") == value  # it reads the same
