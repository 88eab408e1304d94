"""Who may sign in to the page and what each role may do: the users file, argon2 hashes, lockout.

The users file (``IMPACT_USERS_FILE``, TOML, mode 0600) holds each user's role and an argon2id
hash of their password, never the password. Failed sign-ins are counted in a file beside it
(``<name>.lockout.json``), so a lockout survives a restart and holds across every process
serving the page. No Streamlit here: the page (``dashboard/ui/signin.py``) and ``impact users``
both call these functions.

Examples
--------
>>> may(Identity("field-analyst", "analyst"), "import"), may(Identity("reader", "viewer"), "import")
(True, False)
>>> ROLES
('viewer', 'analyst', 'admin')
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dashboard.config import ROLES  # noqa: F401 (lowest to highest; here since the users file came first)

log = logging.getLogger(__name__)

# The role each action needs, checked on the server by the page that performs it. Every write
# path of the page has a row here (tests enumerate it); a new write path adds its row first.
REQUIRED_ROLE = {
    "read": "viewer",  # the map, totals, tables and exports
    "import": "analyst",  # the import page: upload, preview, confirm
    "review_links": "analyst",  # confirming or rejecting suggested record links
    "correct_records": "analyst",  # editing a stored record
    "manage_users": "admin",  # users and role mappings (today only through `impact users`)
}
# Lockout: this many failures for one name within the window lock it for LOCK_MINUTES.
MAX_FAILURES = 5
FAILURE_WINDOW_MINUTES = 15.0
LOCK_MINUTES = 15.0
MIN_PASSWORD_LENGTH = 12
# Longer input is refused before hashing: a sign-in form is not a way to make the server hash megabytes.
MAX_PASSWORD_LENGTH = 1024
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")

_HASHER = PasswordHasher()
_DUMMY_HASH: str | None = None


class UsersError(ValueError):
    """A users-file request that cannot be done (unknown name, bad role, short password); said in one line."""


@dataclass(frozen=True)
class Identity:
    """Who a session is: a user name (or ``public``, or the machine's user) and a role of :data:`ROLES`."""

    name: str
    role: str


def may(identity: Identity | None, action: str) -> bool:
    """Whether ``identity`` has the role :data:`REQUIRED_ROLE` names for ``action`` (no identity may nothing).

    >>> may(Identity("x", "admin"), "manage_users"), may(None, "read")
    (True, False)
    """
    if identity is None or identity.role not in ROLES:
        return False
    return ROLES.index(identity.role) >= ROLES.index(REQUIRED_ROLE[action])


def normal_name(name: str) -> str:
    """A user name as stored: stripped and case-folded (``Field-Analyst`` signs in as ``field-analyst``)."""
    return name.strip().casefold()


def check_name(name: str) -> str:
    """The stored form of a new user name, or :class:`UsersError` saying what a name may contain."""
    normal = normal_name(name)
    if not NAME_PATTERN.fullmatch(normal):
        raise UsersError(
            f"{name[:80]!r} is not a user name: 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit"
        )
    return normal


def lockout_file(users_file: Path) -> Path:
    """Where failed sign-ins are counted: beside the users file (``users.toml`` → ``users.lockout.json``)."""
    return users_file.with_name(users_file.stem + ".lockout.json")


def read_users(users_file: Path) -> dict[str, dict[str, str]]:
    """Name → ``{"role", "hash"}``; no file is no users. A file others may read is used, with a warning."""
    try:
        text = users_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    if users_file.stat().st_mode & 0o077:
        log.warning("%s can be read by other users of this machine; `chmod 600` it", users_file)
    users = tomllib.loads(text).get("users", {})
    return {name: entry for name, entry in users.items() if isinstance(entry, dict)}


def _write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step, the file readable by its owner only (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)  # O_CREAT's mode is masked by the umask; 0600 is what we want
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_users(users_file: Path, users: dict[str, dict[str, str]]) -> None:
    """Write the users file (mode 0600). Names, roles and hashes hold no character TOML must escape."""
    lines = ["# Users of the dashboard's sign-in form, written by `impact users`: argon2id hashes, no passwords.", ""]
    for name in sorted(users):
        lines += [f'[users."{name}"]', f'role = "{users[name]["role"]}"', f'hash = "{users[name]["hash"]}"', ""]
    _write_private(users_file, "\n".join(lines))


def add_user(users_file: Path, name: str, role: str, password: str) -> str:
    """Add a user with an argon2id hash of ``password``; returns the stored name."""
    name = check_name(name)
    if role not in ROLES:
        raise UsersError(f"{role!r} is not a role: {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UsersError(f"the password is shorter than {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UsersError(f"the password is longer than {MAX_PASSWORD_LENGTH} characters")
    users = read_users(users_file)
    if name in users:
        raise UsersError(f"{name} already exists: `impact users remove {name}` first to replace it")
    users[name] = {"role": role, "hash": _HASHER.hash(password)}
    write_users(users_file, users)
    return name


def remove_user(users_file: Path, name: str) -> None:
    """Remove a user (and their failure count); a name not in the file is a :class:`UsersError`."""
    name = normal_name(name)
    users = read_users(users_file)
    if name not in users:
        raise UsersError(f"no user {name[:80]!r} in {users_file}")
    del users[name]
    write_users(users_file, users)
    unlock(users_file, name)


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _HASHER.hash("not a password anyone has")
    return _DUMMY_HASH


def _matches(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; without a stored hash a dummy one is checked, so the time is the same."""
    try:
        return _HASHER.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


class _Failures:
    """The lockout file, read and rewritten under an exclusive lock (``flock``) shared by every process."""

    def __init__(self, users_file: Path):
        self.path = lockout_file(users_file)

    def __enter__(self) -> dict[str, dict]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self.descriptor, fcntl.LOCK_EX)
        text = os.read(self.descriptor, 10_000_000).decode("utf-8", "replace")
        try:
            self.state = json.loads(text) if text.strip() else {}
        except json.JSONDecodeError:
            log.warning("%s is damaged; failed sign-ins are counted afresh", self.path)
            self.state = {}
        return self.state

    def __exit__(self, *exc_info) -> None:
        try:
            if exc_info[0] is None:
                data = json.dumps(self.state, sort_keys=True).encode("utf-8")
                os.lseek(self.descriptor, 0, os.SEEK_SET)
                os.ftruncate(self.descriptor, 0)
                os.write(self.descriptor, data)
                os.fchmod(self.descriptor, 0o600)
        finally:
            os.close(self.descriptor)  # closing releases the flock


def locked_until(users_file: Path, name: str, now: float | None = None) -> float | None:
    """The time (epoch seconds) ``name``'s lockout ends, or None when it may try to sign in."""
    now = time.time() if now is None else now
    with _Failures(users_file) as state:
        until = state.get(normal_name(name), {}).get("locked_until")
    return until if until is not None and until > now else None


def unlock(users_file: Path, name: str) -> None:
    """Forget ``name``'s failed sign-ins and lift its lockout."""
    with _Failures(users_file) as state:
        state.pop(normal_name(name), None)


def verify(users_file: Path, name: str, password: str, now: float | None = None) -> Identity | None:
    """The user's identity when ``password`` is theirs and the name is not locked, else None.

    An unknown name takes as long as a known one (a dummy hash is checked) and counts failures
    the same way, so neither the time nor a lockout tells whether a name exists.
    """
    now = time.time() if now is None else now
    name = normal_name(name)
    valid_name = NAME_PATTERN.fullmatch(name) is not None
    if not valid_name or len(password) > MAX_PASSWORD_LENGTH:
        _matches(None, "")
        return None
    if locked_until(users_file, name, now) is not None:
        _matches(None, password)
        return None
    entry = read_users(users_file).get(name)
    stored = entry.get("hash") if entry else None
    role = entry.get("role") if entry else None
    if entry is not None and (not stored or role not in ROLES):
        # The person signing in is told no more than for a wrong password; the operator is told why.
        what = "no password hash" if not stored else f"the role {role!r}, which is none of {', '.join(ROLES)}"
        log.warning(
            "users file %s: %s has %s; sign-in refused (remove and add the user again with impact users)",
            users_file,
            name,
            what,
        )
    if _matches(stored, password) and role in ROLES:
        unlock(users_file, name)
        return Identity(name, role)
    _count_failure(users_file, name, now)
    return None


def _count_failure(users_file: Path, name: str, now: float) -> None:
    with _Failures(users_file) as state:
        window_start = now - FAILURE_WINDOW_MINUTES * 60
        # Entries whose failures and lockout are all over are dropped: the file stays small.
        for other in [n for n, e in state.items() if _expired(e, window_start, now)]:
            del state[other]
        entry = state.setdefault(name, {"failures": []})
        entry["failures"] = [t for t in entry.get("failures", []) if t > window_start] + [now]
        if len(entry["failures"]) >= MAX_FAILURES:
            entry["locked_until"] = now + LOCK_MINUTES * 60
            entry["failures"] = []


def _expired(entry: dict, window_start: float, now: float) -> bool:
    return all(t <= window_start for t in entry.get("failures", [])) and (entry.get("locked_until") or 0) <= now


def current_user(users_file: Path, name: str) -> Identity | None:
    """The identity ``name`` has in the users file now (its role may have changed), None once removed."""
    entry = read_users(users_file).get(normal_name(name))
    if entry is None or entry.get("role") not in ROLES:
        return None
    return Identity(normal_name(name), entry["role"])


def session_expired(signed_in_at: float, session_minutes: float, now: float | None = None) -> bool:
    """Whether a session signed in at ``signed_in_at`` (epoch seconds) is past ``session_minutes``.

    >>> session_expired(0.0, 480, now=480 * 60 - 1), session_expired(0.0, 480, now=480 * 60)
    (False, True)
    """
    now = time.time() if now is None else now
    return now - signed_in_at >= session_minutes * 60
