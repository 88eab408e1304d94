"""Where a source document may be opened from: one rule, used by every place that opens one.

A path names a file only under one of the allowed folders, after resolving ``..`` and
symbolic links; an absolute path is allowed only when it resolves under one of them.
The answer never depends on whether a file outside the folders exists, so a rejection
tells a caller nothing about the rest of the server's files.

Examples
--------
>>> from pathlib import Path
>>> confined_path("seeds/a.txt", [Path("/srv/project")])
PosixPath('/srv/project/seeds/a.txt')
>>> confined_path("../etc/passwd", [Path("/srv/project")])
Traceback (most recent call last):
...
dashboard.records.paths.OutsideRootsError: '../etc/passwd' is not under /srv/project
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class OutsideRootsError(ValueError):
    """A path that resolves outside every allowed folder."""


def confined_path(text: str, roots: Sequence[Path]) -> Path:
    """The resolved path ``text`` names under one of ``roots`` (tried in order), else OutsideRootsError.

    A relative path is read against each root in turn; the first root it stays under wins.
    """
    candidate = Path(text)
    for root in roots:
        base = Path(root).resolve()
        resolved = (base / candidate).resolve()
        if resolved == base or resolved.is_relative_to(base):
            return resolved
    allowed = " or ".join(str(Path(r)) for r in roots) or "no folder (files may not be named here)"
    raise OutsideRootsError(f"{text!r} is not under {allowed}")


def confined_file(text: str, roots: Sequence[Path]) -> Path | None:
    """The confined path when it is a file, None when it is not (or is outside every root)."""
    try:
        path = confined_path(text, roots)
    except OutsideRootsError:
        return None
    return path if path.is_file() else None
