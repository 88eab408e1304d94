"""Uploaded files on the server: kept under their content hash, aged out, and held to a quota.

Every upload the import page receives is written once to ``<quarantine_dir>/uploads/``
as ``<sha256><suffix>``: the same file uploaded twice is one file, and two files with
one name never overwrite each other. The page removes a preview's file when the preview
ends without an import (:func:`remove_upload`); every upload first removes the uploads
older than ``IMPACT_UPLOAD_MAX_AGE_HOURS`` (:func:`remove_old`), so a preview a browser
abandoned goes too; and an upload that would take the folder past
``IMPACT_UPLOAD_QUOTA_MB`` is refused with the figures (:class:`UploadRefused`).

Examples
--------
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp()) / "uploads"
>>> save_upload(b"a,b\\n1,2\\n", "My file.CSV", folder, quota_mb=1, max_age_hours=24).name[-8:]
'7470.csv'
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from pathlib import Path

from dashboard.store.health import BAD_INPUT, Fault

MB = 1_000_000
# A suffix is kept only when it is short and plain, so that a name cannot choose a path.
_SUFFIX = re.compile(r"^\.[a-z0-9]{1,10}$")


class UploadRefused(Fault):
    """An upload that would take the uploads folder past its quota: bad input (exit 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, BAD_INPUT)


def uploads_dir(quarantine_dir: Path) -> Path:
    """The folder uploads are kept in."""
    return Path(quarantine_dir) / "uploads"


def upload_path(data: bytes, name: str, folder: Path) -> Path:
    """Where an upload of these bytes is kept: ``<folder>/<sha256><suffix of name, lower case>``."""
    suffix = Path(name).suffix.lower()
    return Path(folder) / f"{hashlib.sha256(data).hexdigest()}{suffix if _SUFFIX.match(suffix) else ''}"


def usage(folder: Path) -> int:
    """Bytes held by the files under ``folder`` (0 when it does not exist)."""
    total = 0
    for path in Path(folder).rglob("*"):
        try:
            if path.is_file():
                total += path.stat().st_size
        except OSError:
            continue  # removed meanwhile by another session
    return total


def remove_old(folder: Path, max_age_hours: float, now: float | None = None) -> list[Path]:
    """Remove the files under ``folder`` last written more than ``max_age_hours`` ago; return them."""
    cutoff = (time.time() if now is None else now) - max_age_hours * 3600
    removed = []
    for path in sorted(Path(folder).rglob("*")) if Path(folder).exists() else []:
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
        except OSError:
            continue  # gone already, or not ours to remove: the quota still counts it
    return removed


def remove_upload(path: Path | None) -> None:
    """Remove one upload's file (a preview that ended without an import); a missing one is fine."""
    if path is not None:
        Path(path).unlink(missing_ok=True)


def _megabytes(size: int) -> str:
    return f"{size / MB:.1f} MB" if size >= MB / 10 else "under 0.1 MB"


def save_upload(data: bytes, name: str, folder: Path, *, quota_mb: float, max_age_hours: float) -> Path:
    """Keep an upload under its content hash and return its path.

    Old uploads go first (they would count against the quota); the same content again is
    the same file, its age renewed. :class:`UploadRefused` when the new file would take
    the folder past ``quota_mb``: nothing is written then.
    """
    folder = Path(folder)
    remove_old(folder, max_age_hours)
    path = upload_path(data, name, folder)
    if path.exists():
        os.utime(path)  # in use again: not old
        return path
    used, quota = usage(folder), quota_mb * MB
    if used + len(data) > quota:
        raise UploadRefused(
            f"uploads folder is full ({used / MB:.1f} MB of {quota_mb:g} MB); this file needs "
            f"{_megabytes(len(data))}. Uploads older than {max_age_hours:g} hours are removed at the next "
            f"upload; remove finished ones from {folder}, or raise IMPACT_UPLOAD_QUOTA_MB."
        )
    folder.mkdir(parents=True, exist_ok=True)
    # Written beside and renamed: another session never reads half a file under the final name.
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        partial.write_bytes(data)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path
