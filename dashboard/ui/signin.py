"""Sign-in and the role check every page runs first, on the server, before it reads or writes anything.

``IMPACT_AUTH`` chooses how a session gets its identity: ``none`` (the machine's own user, no
sign-in), ``public`` (everyone a viewer) or ``form`` (the built-in form, users in
``IMPACT_USERS_FILE``) or ``oidc`` (an identity provider through ``st.login``: ``dashboard/ui/oidc_signin.py``,
its claims mapped to a role by ``dashboard/io/oidc_roles.py``).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import streamlit as st

from dashboard.config import Settings
from dashboard.io import users
from dashboard.io.users import REQUIRED_ROLE, Identity
from dashboard.records.safe_text import markdown_text
from dashboard.ui import oidc_signin, shared

# The session's sign-in: {"name": ..., "at": epoch seconds}. Session state lives on the server only.
SESSION_KEY = "signed_in"
EXPIRED_KEY = "sign_in_expired"
# What each action is called in a refusal ("Importing needs the analyst role").
ACTION_NAMES = {
    "read": "Reading the records",
    "import": "Importing",
    "review_links": "Reviewing links",
    "correct_records": "Correcting records",
    "manage_users": "Managing users",
}


def identity(settings: Settings) -> Identity | None:
    """Who this session is now, or None when the form must be shown (not signed in, expired, removed)."""
    if settings.auth == "none":
        return Identity("local", "admin")  # the machine's operator; writes still need IMPACT_ALLOW_WRITES
    if settings.auth == "public":
        return Identity("public", "viewer")
    if settings.auth == "oidc":
        return oidc_signin.identity(settings)
    signed_in = st.session_state.get(SESSION_KEY)
    if not signed_in:
        return None
    if users.session_expired(signed_in["at"], settings.session_minutes):
        st.session_state.pop(SESSION_KEY, None)
        st.session_state[EXPIRED_KEY] = True
        return None
    # Read again on every run: a user removed or given another role has it from their next click.
    current = users.current_user(settings.users_file, signed_in["name"])
    if current is None:
        st.session_state.pop(SESSION_KEY, None)
    return current


def gate(settings: Settings) -> Identity:
    """The identity of a signed-in session; otherwise the sign-in form (or page), and the run stops there."""
    who = identity(settings)
    if who is None:
        if settings.auth == "oidc":
            oidc_signin.sign_in_page(settings)
        else:
            sign_in_form(settings)
        st.stop()
    if settings.auth == "oidc":
        oidc_signin.signed_in_sidebar(who)
    elif settings.auth == "form":
        st.sidebar.caption(f"Signed in as {markdown_text(who.name)} ({who.role})")
        st.sidebar.button("Sign out", on_click=sign_out)
    return who


def require(action: str) -> Identity:
    """Stop this run with a refusal unless the session's role may do ``action`` (see ``REQUIRED_ROLE``)."""
    settings = shared.settings()
    who = identity(settings)
    if users.may(who, action):
        return who
    if who is None:
        st.error("Sign in first.")
    elif settings.auth == "public" and action != "read":
        st.error(
            f"{ACTION_NAMES[action]} needs the {REQUIRED_ROLE[action]} role: this server is a public, read-only view."
        )
    else:
        st.error(f"{ACTION_NAMES[action]} needs the {REQUIRED_ROLE[action]} role.")
    st.stop()


def sign_out() -> None:
    # Everything the session held (filters, previews) goes with the sign-in.
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def sign_in_form(settings: Settings) -> None:
    """The form, and nothing else of the page: no record, total or map is sent before sign-in."""
    st.title("Sign in")
    if st.session_state.pop(EXPIRED_KEY, False):
        st.info(f"Your session ended after {settings.session_minutes:g} minutes. Sign in again.")
    if not users.read_users(settings.users_file):
        st.info("No users yet. On the server, run `impact users add NAME --role admin`.")
    with st.form("sign_in", clear_on_submit=True):
        name = st.text_input("User name", max_chars=64)
        password = st.text_input("Password", type="password", max_chars=users.MAX_PASSWORD_LENGTH)
        submitted = st.form_submit_button("Sign in", type="primary")
    if not submitted:
        return
    who = users.verify(settings.users_file, name, password)
    if who is not None:
        st.session_state[SESSION_KEY] = {"name": who.name, "at": time.time()}
        st.rerun()
    until = users.locked_until(settings.users_file, name)
    if until is not None:
        ends = datetime.fromtimestamp(until, UTC).strftime("%H:%M")
        st.error(f"Too many failed sign-ins for this name: try again after {ends} (UTC), or ask an admin to unlock it.")
    else:
        st.error("Wrong user name or password.")
