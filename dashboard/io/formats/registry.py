"""The input formats the importer reads: each module of this package registers one.

A format is a name, a title and a help text (for the ``--format`` option, the import
page and the docs), a detection function that says whether a header looks like it,
and a translation to canonical rows. The importer, the ``impact import --format``
choices and the import page all read this registry, so a new format is one new
module in ``dashboard/io/formats/`` that calls :func:`register`.

Examples
--------
>>> format_names()
['canonical', 'acled', 'mapped']
>>> detect_format(["incident_id", "event_date"])
'canonical'
>>> check_header("x.csv", ["foo", "bar"], "acled")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
dashboard.io.formats.registry.FormatMismatch: x.csv does not look like acled: missing columns event_id_cnty, ...
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dashboard.io.formats.base import Translation
from dashboard.store.health import BAD_INPUT, Fault

DEFAULT_FORMAT = "canonical"
# Modules of this package that hold shared pieces, not a format.
_NOT_FORMATS = {"base", "registry"}


@dataclass(frozen=True)
class InputFormat:
    """One input format.

    Attributes
    ----------
    name : str
        What ``--format`` takes.
    title : str
        A few words for the import page's choice.
    help : str
        One sentence for the docs and the command line's help.
    detects : callable
        Header (list of column names) -> whether the file looks like this format.
    translate : callable
        ``(raw, file name, mapping path or None)`` -> :class:`~dashboard.io.formats.base.Translation`.
    needs_mapping : bool
        Whether the format reads its columns through a mapping file (``--mapping``).
    missing : callable
        Header -> the columns the format needs that the header lacks ([] when none, or
        when only a mapping file can say, as for ``mapped``).
    """

    name: str
    title: str
    help: str
    detects: Callable[[list[str]], bool]
    translate: Callable[[pd.DataFrame, str, Path | None], Translation]
    needs_mapping: bool = False
    missing: Callable[[list[str]], list[str]] = lambda header: []


class FormatMismatch(Fault):
    """A file that cannot be read as its declared format at all: bad input (exit 2), nothing imported."""

    def __init__(self, message: str) -> None:
        super().__init__(message, BAD_INPUT)


_REGISTERED: dict[str, InputFormat] = {}


def register(input_format: InputFormat) -> InputFormat:
    """Add a format under its name (a module calls this once, when imported)."""
    _REGISTERED[input_format.name] = input_format
    return input_format


def input_formats() -> dict[str, InputFormat]:
    """Every format, the default first and the others by name."""
    # Importing each module of the package is what registers it.
    for module in pkgutil.iter_modules(_package_path()):
        if module.name not in _NOT_FORMATS:
            importlib.import_module(f"dashboard.io.formats.{module.name}")
    names = sorted(_REGISTERED, key=lambda name: (name != DEFAULT_FORMAT, name))
    return {name: _REGISTERED[name] for name in names}


def _package_path() -> list[str]:
    return [str(Path(__file__).resolve().parent)]


def format_names() -> list[str]:
    """The names ``--format`` accepts, the default first."""
    return list(input_formats())


def input_format(name: str) -> InputFormat:
    """The format called ``name``; a ValueError lists the known ones."""
    formats = input_formats()
    if name not in formats:
        raise ValueError(f"unknown format {name!r}: use one of {', '.join(formats)}")
    return formats[name]


def detect_format(header: list[str]) -> str | None:
    """The first format (default first) whose detection accepts the header, or None."""
    return next((fmt.name for fmt in input_formats().values() if fmt.detects(header)), None)


def check_header(file: str, header: list[str], fmt: str) -> None:
    """Raise :class:`FormatMismatch` when a file has no header or its header is not ``fmt``'s.

    The message names the missing columns and, when another format accepts the header,
    that format: "x.csv does not look like acled: missing columns a, b; it looks like
    canonical (try --format canonical)". Rows are not looked at: a header that fits is
    the format's own business, row by row.
    """
    if not any(name.strip() for name in header):
        raise FormatMismatch(f"{file} is empty: no header row")
    missing = input_format(fmt).missing(header)
    if not missing:
        return
    others = [f.name for f in input_formats().values() if f.name != fmt and f.detects(header) and not f.missing(header)]
    if others:
        hint = f"it looks like {others[0]} (try --format {others[0]})"
    else:
        hint = "it looks like none of the known formats (any CSV can be read with --format mapped and a mapping file)"
    raise FormatMismatch(f"{file} does not look like {fmt}: missing columns {', '.join(missing)}; {hint}")
