"""Sign-in on the page (AppTest): nothing before the form, roles checked on the server, sessions expire."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.config import PROJECT_ROOT
from dashboard.io import users
from dashboard.records.safe_text import markdown_text
from dashboard.ui.shared import UNEXPECTED_ERROR

APP = str(PROJECT_ROOT / "dashboard" / "ui" / "app.py")
PASSWORD = "correct horse battery"


@pytest.fixture
def users_file(tmp_path, monkeypatch):
    # Cheap argon2 parameters (the page runs in this process); the defaults cost most of a second.
    monkeypatch.setattr(users, "_HASHER", users.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(users, "_DUMMY_HASH", None)
    path = tmp_path / "users.toml"
    users.add_user(path, "field-analyst", "analyst", PASSWORD)
    users.add_user(path, "reader", "viewer", PASSWORD)
    return path


@pytest.fixture
def app(settings, monkeypatch, boundary_file, users_file):
    monkeypatch.setenv("IMPACT_DB_URL", settings.db_url)
    monkeypatch.setenv("IMPACT_QUARANTINE_DIR", str(settings.quarantine_dir))
    monkeypatch.setenv("IMPACT_BOUNDARY_FILE", str(boundary_file))
    monkeypatch.setenv("IMPACT_USERS_FILE", str(users_file))
    monkeypatch.setenv("IMPACT_AUTH", "form")
    at = AppTest.from_file(APP, default_timeout=60)
    yield at
    assert not at.exception
    assert not [e.value for e in at.error if UNEXPECTED_ERROR in e.value]


def sign_in(at: AppTest, name: str, password: str = PASSWORD) -> AppTest:
    at.text_input[0].input(name)
    at.text_input[1].input(password)
    return next(b for b in at.button if b.label == "Sign in").click().run()


def test_form_mode_shows_only_the_form_before_sign_in(app):
    at = app.run()
    assert [t.value for t in at.title] == ["Sign in"]
    assert not at.metric and not at.tabs and not at.get("iframe")  # no totals, no map, no table
    assert not at.sidebar.multiselect  # no filters (they list the records' values)
    # The import page by URL is the same form.
    at.switch_page("import_page.py").run()
    assert [t.value for t in at.title] == ["Sign in"] and not at.get("file_uploader")


def test_a_wrong_password_is_refused_without_saying_which_part(app):
    at = sign_in(app.run(), "field-analyst", "not the password")
    assert "Wrong user name or password." in [e.value for e in at.error]
    assert not at.metric
    at = sign_in(at, "nobody", "not the password")
    assert "Wrong user name or password." in [e.value for e in at.error]


def test_analyst_signs_in_and_reaches_the_import_page(app):
    at = sign_in(app.run(), "field-analyst")
    assert at.metric, "the totals after sign-in"
    # The name is shown as text (escaped like record text), with the role.
    assert f"Signed in as {markdown_text('field-analyst')} (analyst)" in [c.value for c in at.sidebar.caption]
    at.switch_page("import_page.py").run()
    assert at.title[0].value == "Import data" and at.get("file_uploader")


def test_viewer_reads_but_is_refused_the_import_page(app):
    at = sign_in(app.run(), "reader")
    assert at.metric
    at.switch_page("import_page.py").run()
    assert [e.value for e in at.error] == ["Importing needs the analyst role."]
    assert not at.get("file_uploader") and not at.title  # nothing else of the page ran


def test_a_session_past_its_timeout_is_back_at_the_form(app):
    at = sign_in(app.run(), "field-analyst")
    assert at.metric
    at.session_state["signed_in"] = {"name": "field-analyst", "at": time.time() - 481 * 60}
    at.run()
    assert [t.value for t in at.title] == ["Sign in"] and not at.metric
    assert any("Your session ended after 480 minutes" in i.value for i in at.info)


def test_sign_out_returns_to_the_form(app):
    at = sign_in(app.run(), "field-analyst")
    next(b for b in at.sidebar.button if b.label == "Sign out").click().run()
    assert [t.value for t in at.title] == ["Sign in"] and not at.metric


def test_a_removed_user_is_signed_out_at_the_next_run(app, users_file):
    at = sign_in(app.run(), "field-analyst")
    users.remove_user(users_file, "field-analyst")
    at.run()
    assert [t.value for t in at.title] == ["Sign in"] and not at.metric


def test_a_locked_name_is_said_and_refused_even_with_the_right_password(app):
    at = app.run()
    for _ in range(users.MAX_FAILURES):
        at = sign_in(at, "field-analyst", "not the password")
    at = sign_in(at, "field-analyst")
    assert any("Too many failed sign-ins" in e.value for e in at.error) and not at.metric


def test_public_mode_shows_data_and_refuses_import(app, monkeypatch):
    monkeypatch.setenv("IMPACT_AUTH", "public")
    monkeypatch.setenv("IMPACT_ALLOW_WRITES", "1")  # public never writes, whatever this says
    at = app.run()
    assert at.metric and not at.text_input
    at.switch_page("import_page.py").run()
    assert [e.value for e in at.error] == ["Importing needs the analyst role: this server is a public, read-only view."]
    assert not at.get("file_uploader")


def test_an_unknown_auth_mode_stops_the_page_with_a_message(app, monkeypatch):
    monkeypatch.setenv("IMPACT_AUTH", "open-sesame")
    at = app.run()
    assert any("IMPACT_AUTH" in e.value for e in at.error)
    assert not at.metric and not at.text_input  # fails closed: no data, no form


def test_a_user_without_a_hash_is_refused_and_the_operator_told_why(app, users_file, caplog):
    # A users file edited by hand: the entry's hash is gone. The form says no more than for a wrong
    # password (nothing tells whether the name exists); the server log names the entry and the fix.
    text = users_file.read_text().replace('hash = "', 'unused = "', 1)
    users_file.write_text(text)
    with caplog.at_level("WARNING", logger="dashboard.io.users"):
        at = sign_in(app.run(), "field-analyst")
    assert "Wrong user name or password." in [e.value for e in at.error]
    assert not at.metric
    assert any(
        "field-analyst has no password hash" in r.getMessage() and "impact users" in r.getMessage()
        for r in caplog.records
    )
