"""Settings, read from environment variables; every one is documented in README.md.

Examples
--------
>>> settings = Settings.from_env({"IMPACT_DB_URL": "sqlite:///:memory:"})
>>> settings.db_url
'sqlite:///:memory:'
>>> settings.tiles_url
''
>>> Settings.from_env({"IMPACT_HOME": "/srv/impact"}).cache_dir
PosixPath('/srv/impact/cache')
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

import platformdirs

log = logging.getLogger(__name__)

# The checkout (editable install) or site-packages (wheel install): the folder holding dashboard/ and geo/.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# A wheel carries the top-level data/, seeds/ and examples/mappings/ as dashboard/bundled/ (setup.py copies
# them at build time); a checkout reads them where they are.
_WHEEL_RESOURCES = Path(__file__).resolve().parent / "bundled"
RESOURCE_ROOT = _WHEEL_RESOURCES if (_WHEEL_RESOURCES / "data").is_dir() else PROJECT_ROOT
# The seed records; source paths in them (seeds/...) are relative to RESOURCE_ROOT.
SEED_DATA_DIR = RESOURCE_ROOT / "data"
MAPPINGS_DIR = RESOURCE_ROOT / "examples" / "mappings"
# geoBoundaries ADM1 outlines shipped with the project (ODbL 1.0, see geo/data/README.md), package data of geo.
BUNDLED_BOUNDARY_FILE = PROJECT_ROOT / "geo" / "data" / "ukr_adm1_geoboundaries_simplified.geojson"


def is_true(text: str) -> bool:
    """Whether an environment value switches a setting on ("1", "true", "yes", "on"; any case).

    >>> is_true("1"), is_true("TRUE"), is_true(""), is_true("0"), is_true("no")
    (True, True, False, False, False)
    """
    return text.strip().casefold() in {"1", "true", "yes", "on"}


def seconds(env: Mapping[str, str], name: str, default: float) -> float:
    """A duration setting in seconds; an unset, unreadable or negative value gives ``default`` (with a warning).

    >>> seconds({"IMPACT_IMPORT_LOCK_TIMEOUT": "0.5"}, "IMPACT_IMPORT_LOCK_TIMEOUT", 30.0)
    0.5
    >>> seconds({}, "IMPACT_IMPORT_LOCK_TIMEOUT", 30.0)
    30.0
    """
    text, value = _non_negative(env, name)
    if not text:
        return default
    if value is None:
        # A setting is read by the page too: a warning, not a failure that would stop it.
        log.warning("%s=%r is not a number of seconds (0 or more); using %s", name, text, default)
        return default
    return value


def _non_negative(env: Mapping[str, str], name: str) -> tuple[str, float | None]:
    """The setting's text and its value as a finite number >= 0 (None when it is not one)."""
    text = env.get(name, "").strip()
    try:
        value = float(text)
    except ValueError:
        return text, None
    return text, value if math.isfinite(value) and value >= 0 else None


def default_home() -> Path:
    """The per-user data folder (e.g. ~/.local/share/impact-dashboard): never inside the installed package."""
    return Path(platformdirs.user_data_dir("impact-dashboard", appauthor=False))


@dataclass(frozen=True)
class Settings:
    """Where records, the store, boundaries and tiles come from."""

    home: Path
    db_url: str
    data_dir: Path
    boundary_file: str
    tiles_url: str
    tiles_attribution: str
    quarantine_dir: Path
    cache_dir: Path
    allow_writes: bool = False
    sources_dir: Path | None = None
    upload_max_age_hours: float = 24.0
    upload_quota_mb: float = 500.0
    import_lock_timeout: float = 30.0
    refresh_seconds: float = 5.0
    auth: str = "none"
    users_file: Path | None = None
    session_minutes: float = 480.0
    viewer_grid_km: float = 10.0
    oidc_role_claim: str = "groups"
    oidc_roles: tuple[tuple[str, str], ...] = ()
    oidc_email_domains: tuple[tuple[str, str], ...] = ()
    oidc_provider_name: str = ""
    secrets_file: Path | None = None

    # Environment variable of each field, and what it means (README lists them all).
    ENV = {
        "home": (
            "IMPACT_HOME",
            "folder of the default store, cache and quarantine; default the per-user data folder",
        ),
        "db_url": (
            "IMPACT_DB_URL",
            "SQLAlchemy URL of the store; default an SQLite file IMPACT_HOME/impact.sqlite",
        ),
        "data_dir": (
            "IMPACT_DATA_DIR",
            "folder of record files that fill an empty store; default the bundled seed records (data/)",
        ),
        "boundary_file": (
            "IMPACT_BOUNDARY_FILE",
            "oblast boundary file (GeoJSON) for outlines; default the bundled geoBoundaries file, empty for none",
        ),
        "tiles_url": (
            "IMPACT_TILES_URL",
            "online basemap tile URL template; default empty: no tiles, fully offline",
        ),
        "tiles_attribution": ("IMPACT_TILES_ATTRIBUTION", "attribution shown with those tiles"),
        "quarantine_dir": (
            "IMPACT_QUARANTINE_DIR",
            "where rejected rows are written; default IMPACT_HOME/rejected/",
        ),
        "cache_dir": (
            "IMPACT_CACHE_DIR",
            "Parquet snapshots of the store for fast starts; default IMPACT_HOME/cache/",
        ),
        "allow_writes": (
            "IMPACT_ALLOW_WRITES",
            "1 turns on the page's import page; default off, on with IMPACT_AUTH=form (roles decide), never public",
        ),
        "sources_dir": (
            "IMPACT_SOURCES_DIR",
            "a folder a command-line mapping's `[source] path` may also name files under; default none",
        ),
        "upload_max_age_hours": (
            "IMPACT_UPLOAD_MAX_AGE_HOURS",
            "uploads older than this many hours are removed at the next upload; default 24",
        ),
        "upload_quota_mb": (
            "IMPACT_UPLOAD_QUOTA_MB",
            "the most the uploads folder may hold, in MB; an upload past it is refused; default 500",
        ),
        "import_lock_timeout": (
            "IMPACT_IMPORT_LOCK_TIMEOUT",
            "seconds an import waits for another import into the same store to end; default 30",
        ),
        "refresh_seconds": (
            "IMPACT_REFRESH_SECONDS",
            "how often an open page checks the store for new data (an import or a correction by any process or "
            "the command line) and redraws with it; default 5, 0 for never",
        ),
        "auth": (
            "IMPACT_AUTH",
            "who may use the page: none (no sign-in, as on a laptop), form (sign-in form, roles), public (read-only), "
            "oidc (an identity provider through Streamlit's st.login, a claim mapped to a role)",
        ),
        "users_file": (
            "IMPACT_USERS_FILE",
            "the sign-in form's users and argon2 hashes (TOML, mode 0600); default IMPACT_HOME/users.toml",
        ),
        "session_minutes": (
            "IMPACT_SESSION_MINUTES",
            "minutes a sign-in lasts before the form asks again; default 480",
        ),
        "viewer_grid_km": (
            "IMPACT_VIEWER_GRID_KM",
            "grid cell (km) a site a viewer sees is moved to the centre of when no GeoNames settlement is known; "
            "default 10",
        ),
        "oidc_role_claim": (
            "IMPACT_OIDC_ROLE_CLAIM",
            "with IMPACT_AUTH=oidc, the ID token claim that lists the account's groups (a list or a string; "
            "a.b reaches into an object); default groups",
        ),
        "oidc_roles": (
            "IMPACT_OIDC_ROLES",
            "group value=role pairs, comma-separated (impact-admins=admin,impact-viewers=viewer); the highest wins",
        ),
        "oidc_email_domains": (
            "IMPACT_OIDC_EMAIL_DOMAINS",
            "domain=role pairs for a verified email when no group maps (ngo.example=viewer); default none",
        ),
        "oidc_provider_name": (
            "IMPACT_OIDC_PROVIDER_NAME",
            "the name on the sign-in button (Sign in with NAME); default the identity provider's host name",
        ),
        "secrets_file": (
            "IMPACT_SECRETS_FILE",
            "the Streamlit secrets file `impact serve` reads ([auth]: the OIDC client); default Streamlit's own "
            "(.streamlit/secrets.toml in the working folder or the home folder)",
        ),
    }

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = Path(env.get("IMPACT_HOME") or default_home())
        auth = _auth_mode(env)
        return cls(
            home=home,
            db_url=env.get("IMPACT_DB_URL") or f"sqlite:///{home / 'impact.sqlite'}",
            data_dir=Path(env.get("IMPACT_DATA_DIR") or SEED_DATA_DIR),
            # Unset: the bundled outlines; set but empty: outlines off.
            boundary_file=env.get("IMPACT_BOUNDARY_FILE", str(BUNDLED_BOUNDARY_FILE)),
            tiles_url=env.get("IMPACT_TILES_URL", ""),
            tiles_attribution=env.get("IMPACT_TILES_ATTRIBUTION", ""),
            quarantine_dir=Path(env.get("IMPACT_QUARANTINE_DIR") or home / "rejected"),
            cache_dir=Path(env.get("IMPACT_CACHE_DIR") or home / "cache"),
            allow_writes=_allow_writes(env, auth),
            sources_dir=Path(env["IMPACT_SOURCES_DIR"]) if env.get("IMPACT_SOURCES_DIR") else None,
            upload_max_age_hours=_amount(env, "IMPACT_UPLOAD_MAX_AGE_HOURS", 24.0, "hours"),
            upload_quota_mb=_amount(env, "IMPACT_UPLOAD_QUOTA_MB", 500.0, "megabytes"),
            import_lock_timeout=seconds(env, "IMPACT_IMPORT_LOCK_TIMEOUT", 30.0),
            refresh_seconds=seconds(env, "IMPACT_REFRESH_SECONDS", 5.0),
            auth=auth,
            users_file=Path(env.get("IMPACT_USERS_FILE") or home / "users.toml"),
            session_minutes=_amount(env, "IMPACT_SESSION_MINUTES", 480.0, "minutes"),
            viewer_grid_km=_amount(env, "IMPACT_VIEWER_GRID_KM", 10.0, "km"),
            oidc_role_claim=env.get("IMPACT_OIDC_ROLE_CLAIM", "").strip() or "groups",
            oidc_roles=role_pairs(env, "IMPACT_OIDC_ROLES"),
            oidc_email_domains=role_pairs(env, "IMPACT_OIDC_EMAIL_DOMAINS"),
            oidc_provider_name=env.get("IMPACT_OIDC_PROVIDER_NAME", "").strip(),
            secrets_file=Path(env["IMPACT_SECRETS_FILE"]) if env.get("IMPACT_SECRETS_FILE", "").strip() else None,
        )


class SettingError(ValueError):
    """A setting whose value cannot be used; the command says which, and exits 2."""


# How the page knows who is using it; "oidc" is Streamlit's st.login, a claim mapped to a role by
# dashboard/io/oidc_roles.py.
AUTH_MODES = ("none", "form", "public", "oidc")
# Lowest to highest: a role may do everything the roles before it may (dashboard/io/users.py says what).
ROLES = ("viewer", "analyst", "admin")


def role_pairs(env: Mapping[str, str], name: str) -> tuple[tuple[str, str], ...]:
    """``value=role`` pairs, comma-separated, each role one of :data:`ROLES`; refused when one is not.

    A typo must not silently grant nothing (or, worse, be read as another role).

    >>> role_pairs({"X": "impact-admins=admin, ngo.example = viewer"}, "X")
    (('impact-admins', 'admin'), ('ngo.example', 'viewer'))
    >>> role_pairs({}, "X")
    ()
    """
    pairs = []
    for item in env.get(name, "").split(","):
        if not item.strip():
            continue
        value, equals, role = item.rpartition("=")
        value, role = value.strip(), role.strip().casefold()
        if not equals or not value:
            raise SettingError(f"{name}: {item.strip()!r} is not VALUE=ROLE (e.g. impact-analysts=analyst)")
        if role not in ROLES:
            raise SettingError(f"{name}: {role!r} in {item.strip()!r} is not a role: {', '.join(ROLES)}")
        pairs.append((value, role))
    return tuple(pairs)


def _auth_mode(env: Mapping[str, str]) -> str:
    """IMPACT_AUTH, refused when unknown: a typo must not leave a deployment open.

    >>> _auth_mode({}), _auth_mode({"IMPACT_AUTH": " Form "})
    ('none', 'form')
    """
    mode = env.get("IMPACT_AUTH", "").strip().casefold() or "none"
    if mode not in AUTH_MODES:
        raise SettingError(f"IMPACT_AUTH: {mode!r} is not one of {', '.join(AUTH_MODES)}")
    return mode


def _allow_writes(env: Mapping[str, str], auth: str) -> bool:
    """Whether the page may write: public never; form, oidc unless IMPACT_ALLOW_WRITES says no; none when it says yes.

    >>> _allow_writes({}, "none"), _allow_writes({}, "form"), _allow_writes({"IMPACT_ALLOW_WRITES": "1"}, "public")
    (False, True, False)
    >>> _allow_writes({"IMPACT_ALLOW_WRITES": "0"}, "form")
    False
    """
    text = env.get("IMPACT_ALLOW_WRITES", "")
    if auth == "public":
        return False
    if auth in ("form", "oidc") and not text.strip():
        return True  # signed-in users, each role checked by the page that writes
    return is_true(text)


def _amount(env: Mapping[str, str], name: str, default: float, unit: str) -> float:
    """A non-negative number from the environment, or ``default`` when unset or blank.

    >>> _amount({"X": "2.5"}, "X", 1.0, "hours"), _amount({}, "X", 1.0, "hours")
    (2.5, 1.0)
    """
    text, value = _non_negative(env, name)
    if not text:
        return default
    if value is None:
        raise SettingError(f"{name}: {text!r} is not a number of {unit} (0 or more)")
    return value


def setting_names() -> list[str]:
    """Every environment variable the project reads."""
    return [Settings.ENV[f.name][0] for f in fields(Settings)]
