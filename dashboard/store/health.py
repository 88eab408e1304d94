"""Is the store usable? Integrity checks, and one clear message for each known fault.

A fault the user can do something about (a corrupt or truncated SQLite file, a
database that cannot be reached, a full disk, a read-only folder, a name too long)
becomes a :class:`Fault`: a message of one or two sentences and the exit code the
``impact`` command returns (see :data:`EXIT_CODES`). The message never carries the
SQL or the row values the driver's own error would print.

SQLite's ``PRAGMA quick_check`` reads the whole file (about 0.6 s for 1M incidents
when the file is in the page cache, far more from a cold disk), so it runs once per
state of the file: after a check passes, the file's size, modification time and
inode are written beside the snapshots, and the check runs again only when they
changed (an import, an unclean stop, anything else that wrote into the file).

Examples
--------
>>> fault_for(OSError(28, "No space left on device", "/srv/impact/impact.sqlite")).exit_code
3
>>> fault_for(ValueError("not a fault")) is None
True
"""

from __future__ import annotations

import errno
import hashlib
import json
import weakref
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard.config import SettingError

BAD_INPUT = 2
BROKEN_STORE = 3
# Exit code -> meaning, for README's "Exit codes" and `impact --help`.
EXIT_CODES = {
    0: "done (an import: every row accepted)",
    1: "an import done, but some rows were rejected (see the quarantine file)",
    2: "bad input: a missing, empty or unreadable file, a file not in the declared format, a bad option",
    3: "the store cannot be used: corrupt, truncated, unreachable, or its disk is full or read-only",
}


@dataclass
class Fault(Exception):
    """A known fault: what to tell the user, and the exit code."""

    message: str
    exit_code: int = BROKEN_STORE

    def __str__(self) -> str:
        return self.message


class StoreBroken(Fault):
    """The store fails its integrity check, or cannot be read at all."""


class QuarantineUnavailable(Fault):
    """The quarantine folder cannot be written: checked before the import writes anything (exit code 2)."""

    def __init__(self, folder: Path, reason: str) -> None:
        super().__init__(f"cannot write rejected rows to {folder}: {reason}; nothing was imported", BAD_INPUT)


_CHECKED: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()


def sqlite_path(engine: Engine) -> Path | None:
    """The SQLite file behind an engine, or None (another database, or in memory)."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    return Path(engine.url.database)


def _signature(path: Path) -> dict:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "inode": stat.st_ino, "device": stat.st_dev}


def _marker(path: Path, cache_dir: Path) -> Path:
    name = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    return cache_dir / f"store-checked-{name}.json"


def quick_check(engine: Engine) -> list[str]:
    """SQLite's ``PRAGMA quick_check``: [] when the file is sound, else its complaints."""
    try:
        with engine.connect() as connection:
            rows = [str(row[0]) for row in connection.exec_driver_sql("PRAGMA quick_check").fetchall()]
    except sa.exc.DatabaseError as exc:  # not a database at all, or its header is damaged
        return [str(exc.orig)]
    return [] if rows == ["ok"] else rows


def ensure_sound(engine: Engine, cache_dir: Path | None = None) -> None:
    """Raise :class:`StoreBroken` when the SQLite store fails ``quick_check``.

    Runs once per engine; with ``cache_dir``, once per state of the file across processes.
    Other databases check themselves; nothing to do for them here.
    """
    path = sqlite_path(engine)
    if path is None or _CHECKED.get(engine) or not path.exists():
        return
    marker = _marker(path, cache_dir) if cache_dir is not None else None
    signature = _signature(path)
    try:
        if marker is not None and json.loads(marker.read_text()) == signature:
            _CHECKED[engine] = True
            return
    except (OSError, ValueError):
        pass  # no marker yet, or an unreadable one: check
    problems = quick_check(engine)
    if problems:
        raise StoreBroken(broken_message(path, problems[0]))
    _CHECKED[engine] = True
    if marker is not None:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(json.dumps(signature))
        except OSError:
            pass  # a read-only cache only costs the next open a check


def broken_message(path: Path | None, detail: str) -> str:
    """The message for a store that fails its check: what is wrong, what to do."""
    first = detail.strip().splitlines()[-1] if detail.strip() else "unreadable"
    store = f"the store {path}" if path is not None else "the store"
    return (
        f"{store} is damaged ({first}); nothing was read from it or written to it. "
        "Restore it from a backup, or move it away and run the command again to fill a new store."
    )


_OS_MESSAGES = {
    errno.ENOSPC: ("the disk is full", BROKEN_STORE),
    errno.EDQUOT: ("the disk quota is used up", BROKEN_STORE),
    errno.EROFS: ("the file system is read-only", BROKEN_STORE),
    errno.EACCES: ("permission denied", BROKEN_STORE),
    errno.EPERM: ("operation not permitted", BROKEN_STORE),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", BROKEN_STORE),
    errno.ENAMETOOLONG: ("the name is too long for the file system", BAD_INPUT),
}


def store_label(db_url: str) -> str:
    """How messages name a store: an SQLite file's path, else the URL without its password.

    >>> store_label("sqlite:////srv/impact/impact.sqlite")
    '/srv/impact/impact.sqlite'
    >>> store_label("postgresql://impact:secret@db/impact")
    'postgresql://impact:***@db/impact'
    """
    try:
        url = sa.engine.make_url(db_url)
    except sa.exc.ArgumentError:
        return "the configured store"
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return url.render_as_string(hide_password=True)


def _configured_store() -> str:
    from dashboard.config import Settings

    return store_label(Settings.from_env().db_url)


def fault_for(exc: BaseException, store: str | None = None) -> Fault | None:
    """The :class:`Fault` for a known error, or None for anything else (a bug: let it raise).

    ``store`` names the store in messages about it; by default the one ``IMPACT_DB_URL``
    names, which is the store the command and the page open.
    """
    if isinstance(exc, Fault):
        return exc
    if isinstance(exc, SettingError):
        return Fault(f"{exc}; fix the setting and run the command again.", BAD_INPUT)
    if isinstance(exc, OSError) and exc.errno in _OS_MESSAGES:
        what, code = _OS_MESSAGES[exc.errno]
        where = exc.filename or store or _configured_store()
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            # Not "nothing was imported": a quarantine file is written after the store's commit.
            return Fault(f"disk full while writing {where} ({what}); free some space and run the command again.", code)
        if exc.errno == errno.EROFS:
            return Fault(f"{where} is read-only ({what}); nothing could be written there.", code)
        return Fault(f"cannot write or read at {where}: {what}; the store was left as it was.", code)
    if isinstance(exc, sa.exc.DBAPIError):
        return _database_fault(exc, store or _configured_store())
    return None


def _database_fault(exc: sa.exc.DBAPIError, store: str) -> Fault | None:
    """The driver's own message only: the statement and its parameters (record data) stay out."""
    detail = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__
    lowered = detail.lower()
    if "disk is full" in lowered or "no space left" in lowered:
        return Fault(f"disk full while writing {store} ({detail}); the import was rolled back, the store is as it was.")
    if "readonly" in lowered or "read-only" in lowered:
        return Fault(f"store {store} is read-only ({detail}); nothing was written.")
    if "unable to open database file" in lowered:
        return Fault(f"store {store} cannot be opened ({detail}): check that its folder exists and can be written.")
    if "malformed" in lowered or "not a database" in lowered or "disk i/o error" in lowered:
        return StoreBroken(broken_message(Path(store) if store.startswith("/") else None, detail))
    if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
        return Fault(f"store {store} cannot be reached ({detail}); try again when the database is back.")
    return None


def exit_codes_text() -> str:
    """The exit codes as lines, for ``impact --help``."""
    return "exit codes:\n" + "\n".join(f"  {code}  {meaning}" for code, meaning in EXIT_CODES.items())
