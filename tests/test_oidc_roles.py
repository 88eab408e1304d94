"""The role an identity provider's claims grant, the settings that say so, and when a sign-in is over."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.config import ROLES, SettingError, Settings
from dashboard.io.oidc_roles import RoleRules, account_name, claim_values, role_for, sign_in_expired

GROUPS = {"impact-admins": "admin", "impact-analysts": "analyst", "impact-viewers": "viewer"}
RULES = RoleRules("groups", tuple(GROUPS.items()), (("ngo.example", "viewer"), ("hq.example", "analyst")))


@given(st.lists(st.sampled_from([*GROUPS, "other", "IMPACT-ADMINS"]), max_size=6))
def test_the_highest_mapped_group_wins_and_unknown_groups_grant_nothing(groups):
    granted = [GROUPS[g] for g in groups if g in GROUPS]
    expected = max(granted, key=ROLES.index) if granted else None
    assert role_for({"groups": groups}, RULES) == expected


def test_a_group_claim_may_be_one_string_or_reach_into_an_object():
    assert role_for({"groups": "impact-analysts"}, RULES) == "analyst"
    keycloak = RoleRules("realm_access.roles", RULES.values)
    assert role_for({"realm_access": {"roles": ["impact-viewers", "offline_access"]}}, keycloak) == "viewer"
    assert role_for({"realm_access": "impact-admins"}, keycloak) is None
    assert claim_values({"groups": ["impact-admins", 7, None]}, "groups") == ["impact-admins"]


def test_a_mapped_group_is_used_before_the_email_domain():
    claims = {"groups": ["impact-viewers"], "email": "a@hq.example", "email_verified": True}
    assert role_for(claims, RULES) == "viewer"  # the domain is a fallback, not a second vote
    assert role_for({**claims, "groups": []}, RULES) == "analyst"


@pytest.mark.parametrize("verified, role", [(True, "viewer"), ("true", "viewer"), (False, None), ("false", None)])
def test_the_email_domain_counts_only_when_the_provider_vouches_for_the_address(verified, role):
    assert role_for({"email": "ana@ngo.example", "email_verified": verified}, RULES) == role


def test_an_email_without_email_verified_is_taken_as_the_provider_gives_it():
    assert role_for({"email": "Ana@NGO.Example"}, RULES) == "viewer"


@given(st.text(alphabet="abcxyz.-", min_size=1, max_size=12))
def test_only_the_exact_domain_matches_never_one_that_ends_like_it(prefix):
    assert role_for({"email": f"eve@{prefix}ngo.example"}, RULES) is None
    assert role_for({"email": f"eve@ngo.example.{prefix}"}, RULES) is None


def test_no_claims_no_role():
    assert role_for({}, RULES) is None
    assert role_for({"email": "not-an-address"}, RULES) is None


def test_the_account_is_named_by_email_then_user_name_then_subject():
    assert account_name({"sub": "42", "email": "ana@ngo.example", "name": "Ana"}) == "ana@ngo.example"
    assert account_name({"sub": "42", "name": "Ana"}) == "Ana"
    assert account_name({"sub": "42"}) == "42"


def test_a_sign_in_ends_at_the_tokens_exp_or_after_the_session_minutes():
    now = 1_000_000.0
    fresh = {"iat": now - 60, "exp": now + 3600}
    assert not sign_in_expired(fresh, 480, first_seen=now, now=now)
    assert sign_in_expired({**fresh, "exp": now - 1}, 480, first_seen=now, now=now)
    assert sign_in_expired(fresh, 0.5, first_seen=now, now=now)  # 60 s since iat > 30 s
    # auth_time (when the account signed in at the provider) counts before iat (when the token was made).
    assert sign_in_expired({**fresh, "auth_time": now - 3600}, 30, first_seen=now, now=now)
    # No iat or auth_time: from when this server first saw the session.
    assert not sign_in_expired({"exp": now + 3600}, 1, first_seen=now - 30, now=now)
    assert sign_in_expired({"exp": now + 3600}, 1, first_seen=now - 61, now=now)


def test_the_settings_read_the_role_mapping_and_refuse_a_typo():
    settings = Settings.from_env(
        {
            "IMPACT_AUTH": "OIDC",
            "IMPACT_OIDC_ROLE_CLAIM": "roles",
            "IMPACT_OIDC_ROLES": " impact-admins = admin ,impact-viewers=Viewer,",
            "IMPACT_OIDC_EMAIL_DOMAINS": "ngo.example=viewer",
        }
    )
    assert settings.auth == "oidc" and settings.allow_writes  # roles decide, as with the form
    assert RoleRules.from_settings(settings) == RoleRules(
        "roles", (("impact-admins", "admin"), ("impact-viewers", "viewer")), (("ngo.example", "viewer"),)
    )
    assert Settings.from_env({}).oidc_role_claim == "groups"
    with pytest.raises(SettingError, match="'administrator' in 'a=administrator' is not a role"):
        Settings.from_env({"IMPACT_OIDC_ROLES": "a=administrator"})
    with pytest.raises(SettingError, match="IMPACT_OIDC_EMAIL_DOMAINS: 'ngo.example' is not VALUE=ROLE"):
        Settings.from_env({"IMPACT_OIDC_EMAIL_DOMAINS": "ngo.example"})
