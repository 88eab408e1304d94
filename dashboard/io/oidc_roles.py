"""An identity provider's claims to a role: a group claim first, the verified email's domain as a fallback.

With ``IMPACT_AUTH=oidc`` the page (``dashboard/ui/signin.py``) reads the ID token's claims from
``st.user`` and asks :func:`role_for` which role they grant. No Streamlit here: the mapping is a
pure function of the claims and the settings, tested on its own.

Examples
--------
>>> groups = (("impact-analysts", "analyst"), ("impact-viewers", "viewer"))
>>> rules = RoleRules("groups", groups, (("ngo.example", "viewer"),))
>>> role_for({"groups": ["impact-viewers", "impact-analysts"]}, rules)  # the highest role wins
'analyst'
>>> role_for({"groups": [], "email": "a@ngo.example", "email_verified": True}, rules)
'viewer'
>>> role_for({"email": "a@ngo.example", "email_verified": False}, rules) is None  # an unverified email grants nothing
True
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from dashboard.config import ROLES, Settings


@dataclass(frozen=True)
class RoleRules:
    """Which claim holds the groups, what each group value grants, and what each email domain grants."""

    claim: str = "groups"
    values: tuple[tuple[str, str], ...] = ()
    domains: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> RoleRules:
        """The rules ``IMPACT_OIDC_ROLE_CLAIM``, ``IMPACT_OIDC_ROLES`` and ``IMPACT_OIDC_EMAIL_DOMAINS`` give."""
        return cls(settings.oidc_role_claim, settings.oidc_roles, settings.oidc_email_domains)


def highest(roles: list[str]) -> str | None:
    """The highest of ``roles`` in :data:`ROLES` order, or None for none.

    >>> highest(["viewer", "admin", "analyst"]), highest([])
    ('admin', None)
    """
    known = [role for role in roles if role in ROLES]
    return max(known, key=ROLES.index) if known else None


def claim_values(claims: Mapping[str, object], claim: str) -> list[str]:
    """The values of ``claim``: a list of strings or one string; a dotted name reaches into an object.

    Keycloak puts roles in ``realm_access.roles``; a claim named with a dot is read as it is first.

    >>> claim_values({"groups": ["a", "b", 3]}, "groups"), claim_values({"role": "a"}, "role")
    (['a', 'b'], ['a'])
    >>> claim_values({"realm_access": {"roles": ["impact-admins"]}}, "realm_access.roles")
    ['impact-admins']
    >>> claim_values({}, "groups")
    []
    """
    value: object = claims.get(claim) if claim in claims else None
    if claim not in claims and "." in claim:
        value = claims
        for part in claim.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str)]
    return []


def verified_email(claims: Mapping[str, object]) -> str | None:
    """The email claim, unless ``email_verified`` says it is not verified (absent: taken as the provider's word).

    Some providers send ``"true"`` as a string; anything else but true is unverified.

    >>> verified_email({"email": "a@b.example"}), verified_email({"email": "a@b.example", "email_verified": "false"})
    ('a@b.example', None)
    """
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        return None
    if "email_verified" in claims:
        verified = claims["email_verified"]
        if verified is not True and not (isinstance(verified, str) and verified.strip().casefold() == "true"):
            return None
    return email


def email_domain(email: str) -> str:
    """The domain of an address, case-folded: ``Ana@NGO.example`` → ``ngo.example``."""
    return email.rsplit("@", 1)[1].strip().casefold()


def role_for(claims: Mapping[str, object], rules: RoleRules) -> str | None:
    """The role the claims grant: the highest a group value maps to, else the verified email's domain's, else None.

    Group values match exactly (case matters: they are often ids); a domain matches exactly, whatever
    its case, so ``ngo.example`` grants nothing to ``evil-ngo.example`` or ``mail.ngo.example``.
    """
    groups = set(claim_values(claims, rules.claim))
    by_group = highest([role for value, role in rules.values if value in groups])
    if by_group is not None:
        return by_group
    email = verified_email(claims)
    if email is None:
        return None
    domain = email_domain(email)
    return highest([role for name, role in rules.domains if name.casefold() == domain])


def account_name(claims: Mapping[str, object]) -> str:
    """What the page calls the signed-in account: the email, else the user name, the name, the subject.

    >>> account_name({"sub": "1234", "preferred_username": "ana"}), account_name({"sub": "1234"})
    ('ana', '1234')
    """
    for claim in ("email", "preferred_username", "name", "sub"):
        value = claims.get(claim)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return "an unnamed account"


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def signed_in_at(claims: Mapping[str, object]) -> float | None:
    """When the account signed in at the provider (``auth_time``, else the token's ``iat``), epoch seconds."""
    for claim in ("auth_time", "iat"):
        number = _number(claims.get(claim))
        if number is not None:
            return number
    return None


def sign_in_expired(
    claims: Mapping[str, object], session_minutes: float, first_seen: float, now: float | None = None
) -> bool:
    """Whether this sign-in is over: the ID token's ``exp`` has passed, or ``session_minutes`` since signing in.

    Streamlit keeps the claims in a cookie for 30 days, whatever the token said; this is the check.
    ``first_seen`` (when this server first saw the session) stands in for a token without
    ``auth_time`` or ``iat``.

    >>> sign_in_expired({"exp": 100, "iat": 50}, 480, first_seen=60, now=101)
    True
    >>> sign_in_expired({"exp": 10_000, "iat": 50}, 1, first_seen=60, now=111)
    True
    >>> sign_in_expired({"exp": 10_000, "iat": 50}, 1, first_seen=60, now=109)
    False
    """
    now = time.time() if now is None else now
    expires = _number(claims.get("exp"))
    if expires is not None and now >= expires:
        return True
    started = signed_in_at(claims)
    return now - (first_seen if started is None else started) >= session_minutes * 60
