"""``IMPACT_AUTH=oidc``: who ``st.user`` is, the role its claims grant, and the page shown until there is one.

Streamlit's ``st.login`` sends the browser to the identity provider named in the secrets'
``[auth]`` section and keeps the ID token's claims in a signed cookie for 30 days, whatever the
token said. So every run checks here, on the server: the token's ``exp`` and
``IMPACT_SESSION_MINUTES`` since signing in (``dashboard/io/oidc_roles.sign_in_expired``), then
the role the claims grant (``oidc_roles.role_for``). No record, total or map is sent before both
pass: the sign-in page is all a session gets.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import streamlit as st

from dashboard.config import Settings
from dashboard.io import oidc_roles
from dashboard.io.users import Identity
from dashboard.records.safe_text import markdown_text
from dashboard.ui import oidc_callback

# When this server first saw the session signed in: the clock for a token without auth_time or iat.
FIRST_SEEN_KEY = "oidc_first_seen"
# Why the last run had no identity: "expired" or "no_role" (the sign-in page says which).
REASON_KEY = "oidc_refused"
# The callback's outcome (?sign_in=failed|refused), kept for the session once read from the link.
OUTCOME_KEY = "oidc_outcome"
PROVIDER_KEYS = {"client_id", "client_secret", "server_metadata_url"}
OUTCOME_MESSAGES = {
    oidc_callback.FAILED: (
        "Sign-in did not complete: the identity provider's answer could not be verified (for example, a token "
        "issued for another application, or one that had already expired). Try again; if it keeps failing, ask an "
        "admin to check the sign-in settings (the server's log says why)."
    ),
    oidc_callback.REFUSED: "Sign-in did not complete: the identity provider refused it. Try again, or ask an admin.",
    oidc_callback.UNAVAILABLE: (
        "Sign-in could not start: the identity provider did not answer. Try again in a while; if it keeps failing, "
        "ask an admin (the server's log says why)."
    ),
}


def auth_section() -> dict[str, Any]:
    """The secrets' ``[auth]`` section as a dictionary; empty when there is no secrets file or no section."""
    try:
        if not st.secrets.load_if_toml_exists():
            return {}
        section = st.secrets.get("auth")
    except Exception:  # an unreadable secrets file is a missing one, said on the page
        return {}
    if section is None:
        return {}
    return section.to_dict() if hasattr(section, "to_dict") else dict(section)


def provider_of(section: Mapping[str, Any]) -> tuple[str, str]:
    """The provider ``st.login`` is given (a named ``[auth.NAME]`` section, else ``default``) and its settings."""
    for name, value in section.items():
        if isinstance(value, Mapping) and PROVIDER_KEYS & set(value):
            return name, dict(value)
    return "default", dict(section)


def provider_label(settings: Settings, provider: str, provider_settings: Mapping[str, Any]) -> str:
    """The name on the button: IMPACT_OIDC_PROVIDER_NAME, else the provider's host, else its section name."""
    if settings.oidc_provider_name:
        return settings.oidc_provider_name
    host = urlsplit(str(provider_settings.get("server_metadata_url", ""))).hostname
    return host or provider


def setup_problem(section: Mapping[str, Any]) -> str | None:
    """What keeps ``st.login`` from working on this server, in words for the admin; None when nothing."""
    if importlib.util.find_spec("authlib") is None:
        return "IMPACT_AUTH=oidc needs Authlib on the server: `pip install 'impact-dashboard[oidc]'`."
    if not section:
        return (
            "IMPACT_AUTH=oidc needs the identity provider's settings: an `[auth]` section in the Streamlit secrets "
            "file (IMPACT_SECRETS_FILE, see the README's sign-in section)."
        )
    _, provider_settings = provider_of(section)
    missing = sorted(
        {"redirect_uri", "cookie_secret"} - set(section) | {k for k in PROVIDER_KEYS if k not in provider_settings}
    )
    if missing:
        return f"The secrets' `[auth]` section lacks {', '.join(missing)}: sign-in cannot start."
    return None


def identity(settings: Settings) -> Identity | None:
    """The signed-in account and its role; None (the reason kept for the sign-in page) when there is none."""
    user = st.user.to_dict()
    if not user.get("is_logged_in"):
        st.session_state.pop(FIRST_SEEN_KEY, None)
        return None
    first_seen = st.session_state.setdefault(FIRST_SEEN_KEY, time.time())
    if oidc_roles.sign_in_expired(user, settings.session_minutes, first_seen):
        st.session_state[REASON_KEY] = "expired"
        return None
    role = oidc_roles.role_for(user, oidc_roles.RoleRules.from_settings(settings))
    if role is None:
        st.session_state[REASON_KEY] = "no_role"
        return None
    st.session_state.pop(REASON_KEY, None)
    return Identity(oidc_roles.account_name(user), role)


def _outcome() -> str | None:
    """The callback's outcome from the link (then taken out of it), or the one this session already read."""
    outcome = st.query_params.get(oidc_callback.QUERY_PARAM)
    if outcome is not None:
        del st.query_params[oidc_callback.QUERY_PARAM]
        if outcome in OUTCOME_MESSAGES:
            st.session_state[OUTCOME_KEY] = outcome
    return st.session_state.get(OUTCOME_KEY)


def sign_in_page(settings: Settings) -> None:
    """The sign-in page and nothing else: a button to the provider, or why this account may not go on."""
    st.title("Sign in")
    section = auth_section()
    problem = setup_problem(section)
    if problem is not None:
        st.error(problem)
        return
    provider, provider_settings = provider_of(section)
    label = provider_label(settings, provider, provider_settings)
    user = st.user.to_dict()
    reason = st.session_state.get(REASON_KEY) if user.get("is_logged_in") else None
    if reason == "expired":
        st.warning("Your sign-in has expired; sign in again.")
    elif reason == "no_role":
        name = markdown_text(oidc_roles.account_name(user))
        st.error(f"Signed in as {name}, but no role is granted to this account: ask an admin.")
        if st.button("Sign out", type="primary"):
            st.logout()
        return
    else:
        outcome = _outcome()
        if outcome is not None:
            st.error(OUTCOME_MESSAGES[outcome])
    if st.button(f"Sign in with {label}", type="primary"):
        st.session_state.pop(OUTCOME_KEY, None)
        st.login(provider)
    if reason == "expired" and st.button("Sign out"):
        st.logout()


def signed_in_sidebar(who: Identity) -> None:
    """Who is signed in, with their role, and the way out (the provider's sign-out too, when it has one)."""
    st.sidebar.caption(f"Signed in as {markdown_text(who.name)} ({who.role})")
    if st.sidebar.button("Sign out"):
        st.logout()
