"""IMPACT_AUTH=oidc on the page (AppTest, ``st.user`` given): the sign-in page, roles, refusals, expiry.

The provider itself, the redirects and the cookie are tested in a browser in ``test_browser_oidc.py``.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import cli
from dashboard.config import PROJECT_ROOT
from dashboard.ui import oidc_callback
from dashboard.ui.oidc_signin import OUTCOME_MESSAGES
from dashboard.ui.shared import UNEXPECTED_ERROR

APP = str(PROJECT_ROOT / "dashboard" / "ui" / "app.py")
AUTH = {
    "redirect_uri": "http://127.0.0.1:8801/oauth2callback",
    "cookie_secret": "a-test-cookie-secret-of-some-length",
    "client_id": "impact-dashboard",
    "client_secret": "secret",
    "server_metadata_url": "https://login.ngo.example/.well-known/openid-configuration",
}


@pytest.fixture
def app(settings, monkeypatch, boundary_file):
    monkeypatch.setenv("IMPACT_DB_URL", settings.db_url)
    monkeypatch.setenv("IMPACT_QUARANTINE_DIR", str(settings.quarantine_dir))
    monkeypatch.setenv("IMPACT_BOUNDARY_FILE", str(boundary_file))
    monkeypatch.setenv("IMPACT_AUTH", "oidc")
    monkeypatch.setenv("IMPACT_OIDC_ROLES", "impact-analysts=analyst,impact-viewers=viewer")
    monkeypatch.setenv("IMPACT_OIDC_EMAIL_DOMAINS", "ngo.example=viewer")
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = dict(AUTH)
    at.user = {"is_logged_in": False}
    yield at
    assert not at.exception
    assert not [e.value for e in at.error if UNEXPECTED_ERROR in e.value]


def signed_in(at: AppTest, **claims) -> AppTest:
    now = int(time.time())
    at.user = {"is_logged_in": True, "iat": now, "exp": now + 3600, **claims}
    return at


def test_before_sign_in_only_the_providers_button(app):
    at = app.run()
    assert [t.value for t in at.title] == ["Sign in"]
    assert [b.label for b in at.button] == ["Sign in with login.ngo.example"]
    assert not at.metric and not at.get("iframe") and not at.sidebar.multiselect
    at.switch_page("import_page.py").run()
    assert [t.value for t in at.title] == ["Sign in"] and not at.get("file_uploader")


def test_the_button_takes_the_configured_name(app, monkeypatch):
    monkeypatch.setenv("IMPACT_OIDC_PROVIDER_NAME", "NGO account")
    assert [b.label for b in app.run().button] == ["Sign in with NGO account"]


def test_without_the_providers_settings_the_page_says_what_is_missing(app):
    app.secrets["auth"] = {k: v for k, v in AUTH.items() if k != "client_secret"}
    at = app.run()
    assert [e.value for e in at.error] == ["The secrets' `[auth]` section lacks client_secret: sign-in cannot start."]
    assert not at.button and not at.metric


def test_an_analyst_by_group_reads_and_reaches_the_import_page(app):
    at = signed_in(app, email="ana@ngo.example", groups=["impact-analysts"]).run()
    assert at.metric
    assert [c.value for c in at.sidebar.caption][0].endswith("(analyst)")
    at.switch_page("import_page.py").run()
    assert at.title[0].value == "Import data" and at.get("file_uploader")


def test_a_viewer_by_email_domain_is_refused_the_import_page(app):
    at = signed_in(app, email="vera@ngo.example", email_verified=True).run()
    assert at.metric
    at.switch_page("import_page.py").run()
    assert [e.value for e in at.error] == ["Importing needs the analyst role."]
    assert not at.get("file_uploader")


def test_an_account_without_a_role_is_told_so_and_gets_nothing_of_the_data(app):
    at = signed_in(app, email="x@elsewhere.example", groups=["other"]).run()
    assert len(at.error) == 1 and "but no role is granted to this account: ask an admin." in at.error[0].value
    assert "elsewhere" in at.error[0].value
    assert [b.label for b in at.button] == ["Sign out"]
    assert not at.metric and not at.sidebar.multiselect
    at.switch_page("import_page.py").run()
    assert not at.get("file_uploader") and not at.metric


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": int(time.time()) - 5},  # the ID token has expired
        {"iat": int(time.time()) - 481 * 60},  # signed in more than IMPACT_SESSION_MINUTES (480) ago
    ],
)
def test_an_expired_sign_in_says_so_and_shows_no_data(app, claims):
    at = signed_in(app, email="ana@ngo.example", groups=["impact-analysts"])
    at.user.update(claims)
    at.run()
    assert [w.value for w in at.warning] == ["Your sign-in has expired; sign in again."]
    assert [b.label for b in at.button] == ["Sign in with login.ngo.example", "Sign out"]
    assert not at.metric


def test_a_session_that_outlives_the_session_minutes_is_stopped_at_its_next_run(app, monkeypatch):
    at = signed_in(app, email="ana@ngo.example", groups=["impact-analysts"]).run()
    assert at.metric
    at.user["iat"] = int(time.time()) - 481 * 60
    at.run()
    assert not at.metric and [w.value for w in at.warning] == ["Your sign-in has expired; sign in again."]


@pytest.mark.parametrize("outcome", ["failed", "refused", "unavailable"])
def test_a_failed_callback_is_explained_on_the_sign_in_page(app, outcome):
    app.query_params[oidc_callback.QUERY_PARAM] = outcome
    at = app.run()
    assert [e.value for e in at.error] == [OUTCOME_MESSAGES[outcome]]
    assert at.error[0].value.startswith(("Sign-in did not complete", "Sign-in could not start"))
    assert oidc_callback.QUERY_PARAM not in at.query_params  # a reload does not say it again from the link
    assert [b.label for b in at.button] == ["Sign in with login.ngo.example"]


def test_a_made_up_outcome_in_the_link_shows_nothing(app):
    app.query_params[oidc_callback.QUERY_PARAM] = "<b>hello</b>"
    at = app.run()
    assert not at.error and [b.label for b in at.button] == ["Sign in with login.ngo.example"]


def test_the_callback_wrapper_tells_a_failed_answer_from_a_sign_in_and_a_sign_out():
    signing_in = ["_streamlit_user=2|1:0|10:1|abc; HttpOnly; Max-Age=2592000; Path=/; SameSite=lax"]
    clearing = ['_streamlit_user=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/']
    assert oidc_callback.failed_outcome({"code": "c", "state": "s"}, 302, signing_in) is None
    assert oidc_callback.failed_outcome({"code": "c", "state": "s"}, 302, clearing) == "failed"
    assert oidc_callback.failed_outcome({"error": "access_denied"}, 302, []) == "refused"
    assert oidc_callback.failed_outcome({"state": "s"}, 302, []) is None  # back from the provider's sign-out
    assert oidc_callback.with_outcome("/", "failed") == "/?sign_in=failed"
    assert oidc_callback.with_outcome("/base/?a=1", "refused") == "/base/?a=1&sign_in=refused"


def test_the_wrappers_find_streamlits_handlers(monkeypatch):
    from streamlit.web.server.starlette import starlette_auth_routes as routes

    for name in ("_auth_callback", "_auth_login"):  # restored afterwards
        monkeypatch.setattr(routes, name, getattr(routes, name))
    assert oidc_callback.install() is True
    wrapped = routes._auth_callback
    assert getattr(wrapped, "_impact_wrapped", False)
    assert oidc_callback.install() is True and routes._auth_callback is wrapped  # not wrapped twice


@pytest.mark.parametrize("failure", ["status", "exception"])
def test_a_sign_in_that_cannot_start_goes_back_to_the_page_saying_so(monkeypatch, failure):
    from starlette.responses import Response
    from streamlit.web.server.starlette import starlette_auth_routes as routes

    async def streamlits_login(request, base_url):  # what Streamlit does when the provider is unreachable
        if failure == "exception":
            raise RuntimeError("no Authlib")
        return Response("Authentication error", status_code=400)

    monkeypatch.setattr(routes, "_auth_callback", routes._auth_callback)
    monkeypatch.setattr(routes, "_auth_login", streamlits_login)
    oidc_callback.install()
    response = asyncio.run(routes._auth_login(None, "base"))
    assert response.status_code == 302
    assert response.headers["location"] == "/base/?sign_in=unavailable"


def test_impact_serve_points_streamlit_at_the_secrets_file(tmp_path, monkeypatch, capsys):
    secrets_file = tmp_path / "secrets.toml"
    assert cli.secrets_options([], {"IMPACT_SECRETS_FILE": str(secrets_file)}) == ["--secrets.files", str(secrets_file)]
    monkeypatch.setenv("IMPACT_SECRETS_FILE", str(secrets_file))
    assert cli.serve([]) == 2  # no such file: said before Streamlit starts, not as a page without sign-in
    assert "is not a file" in capsys.readouterr().err
