"""How the synthetic generator names its GeoNames places so that every name leads back to its place.

A synthetic record names a place as reports do: mostly by GeoNames' main name, and
for big cities sometimes by another common spelling (Kharkov, Харків, Dnipropetrovsk,
Запоріжжя). Either way the name, read within the record's oblast and near its point
(:func:`geo.place_ids.record_place_keys`), must be the place it was drawn from, or the
city filter would miss or mis-count it. Places whose own name leads elsewhere (a
village named like the big city of its oblast) are therefore not drawn, and only
spellings that lead back are written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from geo.gazetteer import GazetteerPlace
from geo.geonames import _skeleton, _ukrainian_records
from geo.oblasts import name_key
from geo.place_ids import geonames_key, record_place_keys

_LOCATED = ("name", "oblast_iso", "latitude", "longitude")
MAX_SPELLINGS = 6
"""Other spellings kept per big city (GeoNames' order: its main transliterations come first)."""

# Spellings a report in English, Ukrainian or Russian would use: capitalised Latin or Cyrillic words, not
# codes ("ZTR") or lower-case romanisations. They must also spell the place's own name (same consonants,
# as the gazetteer's big-city rule reads it): transliterations (Kharkov, Харків, Rovno) stay, former
# names (Aleksandrovsk for Zaporizhzhia) go.
_WRITTEN = re.compile(r"[A-Z][a-z][A-Za-z' \-]*|[А-ЯІЇЄҐ][а-яіїєґ][А-ЯІЇЄҐа-яіїєґʼ' \-]*")


def resolving_back(places: Sequence[GazetteerPlace], candidates: np.ndarray) -> np.ndarray:
    """The candidates (positions in ``places``) whose name, read within their oblast at their centre, is them."""
    chosen = [places[i] for i in candidates]
    names, isos, lats, lons = (pd.Series([getattr(p, a) for p in chosen], dtype=object) for a in _LOCATED)
    keys = record_place_keys(names, isos, lats.astype(float), lons.astype(float))
    return candidates[keys == np.array([geonames_key(p.geonames_id) for p in chosen], dtype=object)]


def written_names(
    rng: np.random.Generator, drawn: np.ndarray, names: np.ndarray, spellings: np.ndarray, share: float
) -> np.ndarray:
    """The drawn places' names as records write them: another spelling for ``share`` of those that have one."""
    count = (spellings != "").sum(axis=1)[drawn]
    respell = (rng.random(len(drawn)) < share) & (count > 0)
    pick = (rng.random(len(drawn)) * count).astype(np.int64)
    return np.where(respell, spellings[drawn, pick], names[drawn])


def spelling_table(places: Sequence[GazetteerPlace], respelled: np.ndarray) -> np.ndarray:
    """Per place, up to MAX_SPELLINGS other spellings that lead back to it, padded with "".

    Parameters
    ----------
    places : sequence of GazetteerPlace
        The places the generator draws from.
    respelled : numpy.ndarray of bool
        Which of them get other spellings (the generator: big cities).
    """
    table = np.full((len(places), MAX_SPELLINGS), "", dtype=np.dtypes.StringDType())
    alternates = {int(r["geonameid"]): r.get("alternatenames") or () for r in _ukrainian_records()[0]}
    wanted: list[tuple[int, str, str]] = []
    for row in np.flatnonzero(respelled):
        place = places[row]
        seen, own = {name_key(place.name)}, _skeleton(place.name)
        for spelling in sorted(alternates.get(place.geonames_id, ()), key=lambda a: a.isascii()):  # Cyrillic first
            if _WRITTEN.fullmatch(spelling) and _skeleton(spelling) == own and name_key(spelling) not in seen:
                seen.add(name_key(spelling))
                wanted.append((int(row), spelling, place.oblast_iso))
    if not wanted:
        return table
    rows, spellings, oblasts = (pd.Series(column, dtype=object) for column in zip(*wanted, strict=True))
    keys = record_place_keys(spellings, oblasts)
    back = keys == np.array([geonames_key(places[r].geonames_id) for r in rows], dtype=object)
    filled = np.zeros(len(places), dtype=np.int64)
    for row, spelling in zip(rows[back], spellings[back], strict=True):
        if filled[row] < MAX_SPELLINGS:
            table[row, filled[row]] = spelling
            filled[row] += 1
    return table
