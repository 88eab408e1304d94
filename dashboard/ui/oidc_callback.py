"""A sign-in the identity provider's answer failed (wrong audience, bad token, refused) comes back saying so.

Streamlit's ``/oauth2callback`` (``streamlit.web.server.starlette.starlette_auth_routes``) answers
every failure the same way: a warning in the server's log and a redirect to the page, which then
looks exactly as before the user clicked "Sign in". Authlib raises there when the ID token's
``aud`` is not this client, its signature or issuer does not check out, or it expired more than
two minutes ago; the provider itself may answer ``error=access_denied``. This wraps that handler
so that such a redirect carries ``?sign_in=failed`` (or ``refused``), and the sign-in page
(``dashboard/ui/oidc_signin.py``) says what happened. The reason stays in the server's log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)

QUERY_PARAM = "sign_in"
# The provider said no (the user denied, the account may not use this client): its own `error` parameter.
REFUSED = "refused"
# The answer did not check out (token exchange or ID token validation failed, a stale callback).
FAILED = "failed"
# Sign-in could not start: the provider's metadata could not be fetched (down, unreachable, wrong URL).
UNAVAILABLE = "unavailable"
_USER_COOKIE = "_streamlit_user="


def sets_sign_in_cookie(set_cookie_headers: list[str]) -> bool:
    """Whether a response's ``Set-Cookie`` headers sign the browser in (not merely clear the cookie).

    >>> sets_sign_in_cookie(['_streamlit_user=2|1:0|abc; HttpOnly; Max-Age=2592000; Path=/'])
    True
    >>> sets_sign_in_cookie(['_streamlit_user=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/'])
    False
    """
    for header in set_cookie_headers:
        if not header.startswith(_USER_COOKIE):
            continue
        value = header[len(_USER_COOKIE) :].split(";", 1)[0].strip().strip('"')
        if value and "max-age=0" not in header.casefold().replace(" ", ""):
            return True
    return False


def with_outcome(location: str, outcome: str) -> str:
    """``location`` with ``sign_in=<outcome>`` added to its query.

    >>> with_outcome("/", "failed"), with_outcome("/app/?x=1", "refused")
    ('/?sign_in=failed', '/app/?x=1&sign_in=refused')
    """
    return f"{location}{'&' if '?' in location else '?'}{QUERY_PARAM}={outcome}"


def failed_outcome(query: Mapping[str, str], status: int, set_cookie_headers: list[str]) -> str | None:
    """What the page should say of a callback: ``refused``, ``failed``, or None (signed in, or not a sign-in).

    Only an answer to a sign-in (a ``code`` or an ``error``) counts: the provider also sends the
    browser to the callback after signing out, with neither, and that is no failure.

    >>> failed_outcome({"code": "x", "state": "y"}, 302, []), failed_outcome({"error": "access_denied"}, 302, [])
    ('failed', 'refused')
    >>> failed_outcome({"state": "y"}, 302, []) is None  # back from the provider's sign-out
    True
    >>> failed_outcome({"code": "x", "state": "y"}, 302, ['_streamlit_user=2|1:0|abc; Max-Age=2592000; Path=/'])
    """
    if status not in (301, 302, 303, 307) or sets_sign_in_cookie(set_cookie_headers):
        return None
    if query.get("error"):
        return REFUSED
    if query.get("code"):
        return FAILED
    return None


def install() -> bool:
    """Wrap Streamlit's sign-in handlers; False (and a warning) when this Streamlit has none to wrap.

    The callback's failed redirect gets its outcome; a sign-in that cannot start (the provider's
    metadata unreachable: Streamlit answers a bare "Authentication error", status 400) goes back
    to the page with ``sign_in=unavailable``. The routes look the handlers up by their module
    names at each request, so wrapping them before the first sign-in is enough.
    """
    try:
        from streamlit.web.server.starlette import starlette_auth_routes as routes
    except ImportError:
        log.warning("this Streamlit has no Starlette auth routes: a failed sign-in will not be explained")
        return False
    callback_handler = getattr(routes, "_auth_callback", None)
    login_handler = getattr(routes, "_auth_login", None)
    to_base = getattr(routes, "_redirect_to_base", None)
    if callback_handler is None or login_handler is None or to_base is None:
        log.warning("Streamlit's sign-in handlers moved: a failed sign-in will not be explained on the page")
        return False
    if getattr(callback_handler, "_impact_wrapped", False):
        return True

    async def callback(request: Any, base_url: str) -> Any:
        response = await callback_handler(request, base_url)
        outcome = failed_outcome(request.query_params, response.status_code, response.headers.getlist("set-cookie"))
        if outcome is not None:
            response.headers["location"] = with_outcome(response.headers["location"], outcome)
        return response

    async def login(request: Any, base_url: str) -> Any:
        try:
            response = await login_handler(request, base_url)
        except Exception:  # e.g. Authlib missing, a secrets section Authlib cannot use
            log.warning("sign-in could not start", exc_info=True)
            response = None
        if response is not None and response.status_code < 400:
            return response
        back = await to_base(base_url)
        back.headers["location"] = with_outcome(back.headers["location"], UNAVAILABLE)
        return back

    callback._impact_wrapped = True  # type: ignore[attr-defined]
    routes._auth_callback = callback
    routes._auth_login = login
    return True
