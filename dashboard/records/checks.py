"""Checks that need more than one column or more than one file, vectorised.

References must point at accepted records (in this load or already stored),
quotes must appear word for word in their source document, an oblast's name
and ISO code must agree, and children cannot outnumber all the people harmed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from dashboard.records.failures import failure
from dashboard.records.membership import is_in
from dashboard.records.paths import confined_file
from dashboard.records.quotes import in_document, not_found_rule, squash
from dashboard.records.schemas import SCHEMAS
from geo.oblasts import oblast_or_none

# How many missing quotes per file get their nearest passage named.
NEAREST_SHOWN = 200


def _rows(file: str, lines, column: str, values, rule: str) -> list[dict]:
    return [failure(file, int(line), column, value, rule) for line, value in zip(lines, values, strict=True)]


def _roots(root: Path | Sequence[Path]) -> list[Path]:
    return [root] if isinstance(root, Path) else list(root)


def source_documents(sources: pd.DataFrame, root: Path | Sequence[Path]) -> dict[str, str]:
    """Text of each source that has a document under ``root``, whitespace collapsed.

    Paths are confined to ``root`` (``records.paths``): an absolute path or ``..`` that leads
    elsewhere names no document, whether or not such a file exists.
    """
    documents = {}
    for source_id, path in zip(sources["source_id"], sources["path"], strict=True):
        if path and (found := confined_file(path, _roots(root))) is not None:
            documents[source_id] = squash(found.read_text(encoding="utf-8"))
    return documents


def cross_file_failures(
    accepted: dict[str, pd.DataFrame],
    table: str,
    root: Path | Sequence[Path],
    known_ids: dict[str, set[str]],
    known_documents: Mapping[str, str] | None = None,
) -> list[dict]:
    """Failures of ``accepted[table]`` rows against each other and against earlier tables.

    Quotes are checked against the documents of accepted sources and ``known_documents``
    (source id to squashed text: documents stored earlier or read earlier in this import).
    A quote whose source has no document anywhere is not checked.
    """
    schema = SCHEMAS[table]
    frame = accepted[table]
    file = schema.file
    failures: list[dict] = []
    for name, spec in schema.columns.items():
        if not spec.references:
            continue
        target_table, target_column = spec.references.split(".")
        known = set(known_ids.get(target_table, set()))
        if target_table in accepted:
            known |= set(accepted[target_table][target_column].to_numpy(dtype=object))
        bad = frame[(frame[name] != "").to_numpy(dtype=bool) & ~is_in(frame[name], known)]
        failures += _rows(
            file, bad.index, name, bad[name], f"must name an accepted record in {SCHEMAS[target_table].file}"
        )
    if "quote" in frame.columns and not frame.empty:
        documents = dict(known_documents or {})
        if "sources" in accepted and table != "sources":
            documents |= source_documents(accepted["sources"], root)
        checked = frame[is_in(frame["source_id"], documents)]
        if not checked.empty:
            missing = [
                not in_document(quote, documents[source])
                for quote, source in zip(checked["quote"], checked["source_id"], strict=True)
            ]
            bad = checked[missing]
            for position, (line, quote, source) in enumerate(
                zip(bad.index, bad["quote"], bad["source_id"], strict=True)
            ):
                # The nearest passage costs a comparison per sentence: shown for the first rows only.
                rule = not_found_rule(quote, documents[source], with_nearest=position < NEAREST_SHOWN)
                failures += _rows(file, [line], "quote", [quote], rule)
    if "oblast_iso" in frame.columns and not frame.empty:
        units = {name: oblast_or_none(name) for name in frame["oblast"].unique()}
        named = frame["oblast"].map({name: unit.iso if unit else "" for name, unit in units.items()})
        unknown = frame[named == ""]
        failures += _rows(file, unknown.index, "oblast", unknown["oblast"], "must name one of Ukraine's 27 units")
        clash = frame[(named != "") & (frame["oblast_iso"] != "") & (named != frame["oblast_iso"])]
        for line, value, expected in zip(clash.index, clash["oblast_iso"], named[clash.index], strict=True):
            failures += _rows(file, [line], "oblast_iso", [value], f"must match the oblast named ({expected})")
    if table == "incidents" and not frame.empty:
        for part in ("killed", "injured"):
            total = pd.to_numeric(frame[part].replace("", None))
            children = pd.to_numeric(frame[f"children_{part}"].replace("", None))
            bad = frame[(children > total).fillna(False)]
            for line, value, whole in zip(bad.index, bad[f"children_{part}"], bad[part], strict=True):
                failures += _rows(file, [line], f"children_{part}", [value], f"must not exceed {part} ({whole})")
    if table == "impacts" and "restored_on" in frame.columns and "incidents" in accepted and not frame.empty:
        days = dict(zip(accepted["incidents"]["incident_id"], accepted["incidents"]["event_date"], strict=True))
        # As object: with no incident in this file known, map() gives floats (NaN), which "" cannot fill.
        hit_on = frame["incident_id"].map(days).astype(object).fillna("").astype(str)
        # Both are YYYY-MM-DD text here, so text order is date order.
        bad = frame[(frame["restored_on"] != "") & (hit_on != "") & (frame["restored_on"] < hit_on)]
        for line, value, day in zip(bad.index, bad["restored_on"], hit_on[bad.index], strict=True):
            failures += _rows(file, [line], "restored_on", [value], f"must not be before the incident's day ({day})")
    if table == "sources":
        bad = frame[
            (frame["path"] != "")
            & ~frame["path"].map(lambda p: confined_file(p, _roots(root)) is not None).astype(bool)
        ]
        failures += _rows(file, bad.index, "path", bad["path"], "source document must exist under the project root")
    return failures
