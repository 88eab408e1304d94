"""A bad link (unknown oblast, unreadable date, start after end) loads the page with a warning, not an error."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.config import PROJECT_ROOT
from dashboard.query.totals import Filters, summarize
from dashboard.ui.shared import UNEXPECTED_ERROR

APP = str(PROJECT_ROOT / "dashboard" / "ui" / "app.py")


@pytest.fixture
def app(settings, monkeypatch):
    monkeypatch.setenv("IMPACT_DB_URL", settings.db_url)
    monkeypatch.setenv("IMPACT_QUARANTINE_DIR", str(settings.quarantine_dir))
    monkeypatch.setenv("IMPACT_BOUNDARY_FILE", "")
    return AppTest.from_file(APP, default_timeout=60)


def opened(app: AppTest, **params: str) -> AppTest:
    for key, value in params.items():
        app.query_params[key] = value
    at = app.run()
    assert not at.exception
    assert not [e.value for e in at.error if UNEXPECTED_ERROR in e.value]
    return at


def warnings(at: AppTest) -> list[str]:
    # The warning is escaped Markdown: compare without the escapes and direction marks.
    return [w.value.replace("\\", "").replace("\u2068", "").replace("\u2069", "") for w in at.warning]


def attacks(at: AppTest) -> str:
    return {metric.label: metric.value for metric in at.metric}["Attacks"]


def test_an_unknown_oblast_in_the_link_is_ignored_with_a_warning(app):
    at = opened(app, oblast="Nowhere")
    # Before: the page's catch-all error.
    assert any("oblast 'Nowhere'" in w and "27 units" in w and "ignored" in w for w in warnings(at)), warnings(at)
    assert attacks(at) == "5"


def test_a_known_oblast_in_the_link_still_filters(app, records):
    at = opened(app, oblast="Kherson")
    assert warnings(at) == []
    assert attacks(at) == f"{summarize(records, Filters(oblasts=('Kherson',)))['attacks']:,}" != "5"


@pytest.mark.parametrize(("key", "value"), [("start", "2024-13-01"), ("end", "bad")])
def test_an_unreadable_date_in_the_link_is_ignored_with_a_warning(app, key, value):
    at = opened(app, **{key: value})
    # Before: dropped without a word.
    assert any(f"{key} '{value}'" in w and "ignored" in w for w in warnings(at)), warnings(at)
    assert attacks(at) == "5"


def test_a_start_after_the_end_in_the_link_is_ignored_with_a_warning(app):
    at = opened(app, start="2024-05-01", end="2024-01-01")
    assert any("start '2024-05-01'" in w and "end '2024-01-01'" in w for w in warnings(at)), warnings(at)
    assert attacks(at) == "5"


def test_link_text_in_a_warning_is_not_markdown(app):
    at = opened(app, oblast="**bold** [x](http://e.ex)")
    raw = [w.value for w in at.warning]
    assert raw and all("**bold**" not in w and "](http" not in w for w in raw)


def test_the_warnings_come_from_the_pure_function():
    from dashboard.views.url_state import filters_and_warnings_from_query

    filters, notes = filters_and_warnings_from_query({"oblast": ["Nowhere", "UA-65"], "start": ["2024-13-01"]})
    assert filters == Filters(oblasts=("Kherson Oblast",))  # a code in the link reads as the name
    assert len(notes) == 2


@pytest.mark.parametrize(("key", "value", "said"), [("weapon", "drones", "did you mean 'drone'?"),
                                                     ("asset_type", "schools", "did you mean 'school'?")])  # fmt: skip
def test_a_vocabulary_value_the_link_misspells_is_named_and_ignored(app, records, key, value, said):
    """`?weapon=drones` filtered on a value no record can have: zero attacks, without a word."""
    at = opened(app, **{key: value})
    assert any(value in w and said in w for w in warnings(at)), warnings(at)
    assert attacks(at) == str(summarize(records, Filters())["attacks"])


def test_a_database_that_is_away_gives_its_own_message_not_a_reference(monkeypatch):
    """A store that cannot be reached (a PostgreSQL restart, a stopped server) says so in one line."""
    monkeypatch.setenv("IMPACT_DB_URL", "postgresql+psycopg://postgres@127.0.0.1:9/test")
    monkeypatch.setenv("IMPACT_BOUNDARY_FILE", "")
    at = AppTest.from_file(APP, default_timeout=60).run()
    errors = [e.value for e in at.error]
    assert errors and not [e for e in errors if UNEXPECTED_ERROR in e], errors
    assert "cannot be reached" in errors[0] and "try again when the database is back" in errors[0]


def test_an_oblast_code_in_the_link_shows_as_its_name(app):
    """`?oblast=UA-65` showed the chip "UA-65"; the filter list offers names."""
    at = opened(app, oblast="UA-65")
    oblast = next(w for w in at.sidebar.multiselect if w.label == "Oblast")
    assert oblast.value == ["Kherson Oblast"]
    assert attacks(at) == "3"
