"""IMPACT_AUTH=oidc end to end: Chromium, `impact serve`, and oidc-provider-mock as the identity provider.

The provider (a Flask app, run here on a loopback port) lets the test choose the subject on its
authorize page; the claims of each subject are set beforehand through its ``PUT /users/<sub>``.
A claim set that way overrides the ID token's own, which is how the tests make a token for
another audience (``aud``) or one that has expired (``exp``).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.request
import uuid

import pytest

from dashboard.config import Settings
from tests.conftest import BOUNDARY_FILE
from tests.test_browser import _free_port, chromium  # noqa: F401 (the fixture)
from tests.test_browser_signin import DATA_MARKERS, _click, dashboard

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # starts Streamlit, a provider and Chromium
PROVIDER_NAME = "Mock ID"
CLIENT_ID = "impact-dashboard"


@pytest.fixture(scope="module")
def provider():
    """oidc-provider-mock on 127.0.0.1: its base URL (the issuer)."""
    import werkzeug.serving
    from oidc_provider_mock import app

    server = werkzeug.serving.make_server("127.0.0.1", _free_port(), app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def account(provider: str, claims: dict) -> str:
    """A new subject at the provider with these claims; its name, to type on the provider's page."""
    sub = f"user-{uuid.uuid4().hex[:8]}"
    request = urllib.request.Request(
        f"{provider}/users/{sub}",
        data=json.dumps(claims).encode(),
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    assert urllib.request.urlopen(request, timeout=10).status == 204
    return sub


def secrets_for(folder, port: int, provider: str):
    """A secrets file with the dashboard on ``port`` as a client of ``provider``."""
    path = folder / "secrets.toml"
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        'client_secret = "not-checked-by-the-mock"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )
    return path


def oidc_dashboard(folder, provider: str):
    """`impact serve` with IMPACT_AUTH=oidc against ``provider``, roles mapped as a team would."""
    port = _free_port()
    settings = Settings.from_env({"IMPACT_HOME": str(folder)})
    return dashboard(
        folder,
        port,
        IMPACT_DB_URL=settings.db_url,
        IMPACT_QUARANTINE_DIR=str(settings.quarantine_dir),
        IMPACT_BOUNDARY_FILE=str(BOUNDARY_FILE),
        IMPACT_AUTH="oidc",
        IMPACT_SECRETS_FILE=str(secrets_for(folder, port, provider)),
        IMPACT_OIDC_ROLES="impact-admins=admin,impact-analysts=analyst,impact-viewers=viewer",
        IMPACT_OIDC_EMAIL_DOMAINS="ngo.example=viewer",
        IMPACT_OIDC_PROVIDER_NAME=PROVIDER_NAME,
    )


@pytest.fixture(scope="module")
def oidc_server(provider, tmp_path_factory):
    with oidc_dashboard(tmp_path_factory.mktemp("oidc"), provider) as url:
        yield url


@pytest.fixture
def browser_page(chromium):  # noqa: F811
    """A page in a fresh browser context (no cookie of an earlier test), and the websocket bytes it received."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    received: list[bytes] = []

    def watch(socket):
        socket.on("framereceived", lambda frame: received.append(frame if isinstance(frame, bytes) else frame.encode()))

    page.on("websocket", watch)
    yield page, received
    context.close()


def shown(page, selector: str) -> str:
    """The text of the first element matching ``selector``, without the invisible marks record text is shown with.

    Names from the provider are shown like record text (``safe_text``): isolated from the text
    around them, and an address cannot become a link.
    """
    return page.locator(selector).first.inner_text().translate({0x2068: None, 0x2069: None, 0x2060: None})


def sign_in(page, url: str, sub: str) -> None:
    """From the dashboard's sign-in page through the provider's authorize form, back to the dashboard."""
    page.goto(url)
    button = f'button:has-text("Sign in with {PROVIDER_NAME}")'
    page.wait_for_selector(button, timeout=60_000)
    _click(page, button)
    page.wait_for_selector('input[name="sub"]', timeout=30_000)  # the provider's page
    _click(page, 'input[name="sub"]')
    page.keyboard.type(sub)
    _click(page, 'button:has-text("Authorize")')
    page.wait_for_url(f"{url}/**", timeout=30_000)


def test_analyst_signs_in_with_the_provider_and_reaches_the_import_page(oidc_server, provider, browser_page):
    page, received = browser_page
    page.goto(oidc_server)
    page.wait_for_selector(f'button:has-text("Sign in with {PROVIDER_NAME}")', timeout=60_000)
    page.wait_for_timeout(1500)  # let the run finish sending
    assert [marker for marker in DATA_MARKERS if marker in b"".join(received)] == []

    sub = account(provider, {"email": "ana@ngo.example", "email_verified": True, "groups": ["impact-analysts"]})
    sign_in(page, oidc_server, sub)
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=60_000)
    sidebar = shown(page, '[data-testid="stSidebar"]')
    assert "Signed in as ana@ngo.example (analyst)" in sidebar and "Import data" in sidebar
    page.goto(f"{oidc_server}/import")
    page.wait_for_selector('[data-testid="stFileUploader"]', timeout=60_000)


def test_viewer_by_email_domain_reads_but_the_server_refuses_the_import_page(oidc_server, provider, browser_page):
    page, _ = browser_page
    sub = account(provider, {"email": "vera@NGO.example", "email_verified": True, "groups": ["another-team"]})
    sign_in(page, oidc_server, sub)
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=60_000)
    sidebar = shown(page, '[data-testid="stSidebar"]')
    assert "Signed in as vera@NGO.example (viewer)" in sidebar
    assert "Import data" not in sidebar  # not offered in the menu...
    page.goto(f"{oidc_server}/import")  # the URL forced: the page itself refuses, on the server
    page.wait_for_selector("text=Importing needs the analyst role.", timeout=60_000)
    assert page.locator('[data-testid="stFileUploader"]').count() == 0


def test_an_account_without_a_mapped_role_is_refused_and_sees_no_data(oidc_server, provider, browser_page):
    page, received = browser_page
    # Its domain would grant viewer, but the provider does not vouch for the address.
    sub = account(provider, {"email": "eve@ngo.example", "email_verified": False, "groups": ["other"]})
    sign_in(page, oidc_server, sub)
    page.wait_for_selector("text=but no role is granted to this account", timeout=60_000)
    refusal = "Signed in as eve@ngo.example, but no role is granted to this account: ask an admin."
    assert refusal in shown(page, '[data-testid="stAlert"]')
    page.wait_for_timeout(1500)
    assert [marker for marker in DATA_MARKERS if marker in b"".join(received)] == []
    assert page.locator('[data-testid="stMetricValue"]').count() == 0
    _click(page, 'button:has-text("Sign out")')
    # Signing out at the provider too (its end_session endpoint), then back to the sign-in page.
    page.wait_for_selector('button:has-text("End session")', timeout=30_000)
    _click(page, 'button:has-text("End session")')
    page.wait_for_selector(f'button:has-text("Sign in with {PROVIDER_NAME}")', timeout=60_000)
    page.wait_for_timeout(1000)
    assert page.get_by_text("Sign-in did not complete").count() == 0  # a sign-out is not a failed sign-in
    assert page.get_by_text("no role is granted").count() == 0


def test_a_token_for_another_audience_is_refused_with_a_message(oidc_server, provider, browser_page):
    page, received = browser_page
    sub = account(provider, {"email": "ana@ngo.example", "groups": ["impact-admins"], "aud": "another-application"})
    sign_in(page, oidc_server, sub)
    page.wait_for_selector("text=Sign-in did not complete", timeout=60_000)
    assert page.get_by_text("a token issued for another application").count() == 1
    page.wait_for_selector(f'button:has-text("Sign in with {PROVIDER_NAME}")', timeout=30_000)  # to try again
    page.wait_for_timeout(1500)
    assert [marker for marker in DATA_MARKERS if marker in b"".join(received)] == []


def test_an_expired_token_shows_the_expiry_message_and_no_data(oidc_server, provider, browser_page):
    page, received = browser_page
    # Expired a minute ago: within the two minutes' leeway Authlib allows at the callback, so the
    # sign-in completes and it is the page's own check that must catch it.
    sub = account(provider, {"email": "ana@ngo.example", "groups": ["impact-analysts"], "exp": int(time.time()) - 60})
    sign_in(page, oidc_server, sub)
    page.wait_for_selector("text=Your sign-in has expired; sign in again.", timeout=60_000)
    page.wait_for_timeout(1500)
    assert [marker for marker in DATA_MARKERS if marker in b"".join(received)] == []
    assert page.locator('[data-testid="stMetricValue"]').count() == 0
    page.reload()  # the cookie is still there; a new session is refused the same way
    page.wait_for_selector("text=Your sign-in has expired; sign in again.", timeout=60_000)


def test_a_page_left_open_is_taken_away_when_the_token_expires(oidc_server, provider, browser_page):
    page, _ = browser_page
    # Valid at sign-in; the page's store check (every IMPACT_REFRESH_SECONDS, 5) finds it over without a click.
    expires = int(time.time()) + 30  # time enough to sign in and see the page on a loaded machine
    sub = account(provider, {"email": "ana@ngo.example", "groups": ["impact-analysts"], "exp": expires})
    sign_in(page, oidc_server, sub)
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=60_000)
    wait = max(0.0, expires - time.time())
    page.wait_for_selector("text=Your sign-in has expired; sign in again.", timeout=(wait + 30) * 1000)
    assert page.locator('[data-testid="stMetricValue"]').count() == 0


def test_a_provider_that_does_not_answer_is_said_not_a_bare_error(tmp_path, browser_page):
    page, _ = browser_page
    with oidc_dashboard(tmp_path, f"http://127.0.0.1:{_free_port()}") as url:  # nothing listens there
        page.goto(url)
        button = f'button:has-text("Sign in with {PROVIDER_NAME}")'
        page.wait_for_selector(button, timeout=60_000)
        _click(page, button)
        page.wait_for_selector("text=Sign-in could not start", timeout=60_000)
        page.wait_for_selector(button, timeout=30_000)
        assert page.get_by_text("Authentication error").count() == 0
