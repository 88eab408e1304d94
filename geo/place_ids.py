"""One identity per place: the GeoNames id behind every spelling of a settlement.

Records, the importer, the synthetic generator and the city filter all name places
through this module, so "Zaporizhzhia", "Zaporizhzhya", "Запоріжжя" and "687700" are
one place everywhere. A place's key is text:

- ``"geonames:<id>"``: the place is the GeoNames populated place with that id;
- ``"unresolved:<folded name>"``: no single GeoNames place has that name in the
  record's oblast (a typo, a hamlet below GeoNames' 500 people, a name shared by
  several villages of one oblast far from the record's point); the key keeps the
  folded name, so records spelled alike still match each other;
- ``""``: the record names no place (it is located by oblast only).

The ambiguity rule
------------------
*A record's place* is its ``place`` read within its ``oblast_iso``
(:func:`geo.gazetteer.geocode` with the oblast, so the same answer the importer
gets when it fills in coordinates). When several places of that name lie in the
oblast (many villages share a name), the one nearest the record's point wins if it
is within :data:`NEAREST_WITHIN_KM`; otherwise the place is unresolved, never guessed.

*A city filter* is read with :func:`geo.gazetteer.geocode`: a name it resolves
(including a big city chosen over villages of the same name: "Rivne" is the oblast
capital) matches that place; a name it finds ambiguous ("Ivanivka") matches every
place of that name. When oblasts are selected too, the name is read within each of
them, so "Rivne" with Kirovohrad Oblast is the village there. A filter also matches
unresolved records spelled like it, and a GeoNames id ("687700" or
"geonames:687700") matches that place.

Examples
--------
>>> city_match("Kiev").keys[0] == city_match("Київ").keys[0] == "geonames:703448"
True
>>> city_match("687700").keys
('geonames:687700',)
>>> city_match("Khersonn").status
'unknown'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from geo.distance import great_circle_km
from geo.gazetteer import all_places, geocode
from geo.oblasts import UnknownOblastError, name_key

GEONAMES_PREFIX = "geonames:"
UNRESOLVED_PREFIX = "unresolved:"
KEY_FORMAT = "geonames-1"
"""Changes whenever the keys of the same records would change (a cache of keys must be rebuilt)."""

NEAREST_WITHIN_KM = 25.0
"""A record's point picks among same-name places of its oblast only when one is this close."""

_ID_TEXT = re.compile(r"(?:geonames:)?\s*(\d+)")


def geonames_key(geonames_id: int) -> str:
    """The key of the GeoNames place with this id."""
    return f"{GEONAMES_PREFIX}{geonames_id}"


def unresolved_key(name: str) -> str:
    """The key of a place name that resolves to no single GeoNames place."""
    return f"{UNRESOLVED_PREFIX}{name_key(name)}"


def is_unresolved(keys: pd.Series) -> pd.Series:
    """True where a key column says the place is not a (single) GeoNames place."""
    return keys.astype("str").str.startswith(UNRESOLVED_PREFIX)


@lru_cache(maxsize=1)
def _places_by_id() -> dict:
    return {place.geonames_id: place for place in all_places()}


def place_population(key: str) -> int:
    """GeoNames' population of the place a key names; 0 for an unresolved key, a blank or no figure.

    >>> place_population("geonames:703448") > 2_000_000  # Kyiv
    True
    >>> place_population("unresolved:atlantis")
    0
    """
    match = _ID_TEXT.fullmatch(key.removeprefix(GEONAMES_PREFIX)) if key.startswith(GEONAMES_PREFIX) else None
    place = _places_by_id().get(int(match.group(1))) if match else None
    return int(place.population) if place is not None else 0


def place_point(key: str) -> tuple[float, float] | None:
    """(latitude, longitude) of the settlement centre a key names; None for an unresolved key or a blank.

    >>> place_point("geonames:703448") is not None  # Kyiv
    True
    >>> place_point("unresolved:atlantis") is None
    True
    """
    match = _ID_TEXT.fullmatch(key.removeprefix(GEONAMES_PREFIX)) if key.startswith(GEONAMES_PREFIX) else None
    place = _places_by_id().get(int(match.group(1))) if match else None
    return (float(place.latitude), float(place.longitude)) if place is not None else None


# ---------------------------------------------------------------- records


def _pair_result(name: str, oblast_iso: str) -> tuple[str, tuple]:
    """(key, same-name candidates to choose from by distance) for one distinct place and oblast."""
    try:
        result = geocode(name, oblast_iso or None)
    except UnknownOblastError:  # an unreadable oblast is reported by validation; read the name alone
        result = geocode(name)
    if result.status == "found":
        return geonames_key(result.place.geonames_id), ()
    return unresolved_key(name), result.candidates if result.status == "ambiguous" else ()


def _nearest_keys(candidates: tuple, latitude: np.ndarray, longitude: np.ndarray, fallback: str) -> np.ndarray:
    """Per point, the key of the nearest candidate within NEAREST_WITHIN_KM, else ``fallback``."""
    km = np.stack([great_circle_km(c.latitude, c.longitude, latitude, longitude) for c in candidates])
    km = np.where(np.isnan(km), np.inf, km)
    nearest = km.argmin(axis=0)
    keys = np.array([geonames_key(c.geonames_id) for c in candidates], dtype=object)[nearest]
    return np.where(km.min(axis=0) <= NEAREST_WITHIN_KM, keys, fallback)


def record_place_keys(
    places: pd.Series,
    oblast_isos: pd.Series | None = None,
    latitudes: pd.Series | None = None,
    longitudes: pd.Series | None = None,
) -> np.ndarray:
    """The place key of every record, resolving each distinct (place, oblast) pair once.

    Parameters
    ----------
    places : Series of str
        The records' ``place`` (blank: no place).
    oblast_isos : Series of str, optional
        Their ``oblast_iso``; a name is read within its oblast.
    latitudes, longitudes : Series of float, optional
        Their point, which chooses among same-name places of one oblast.

    Returns
    -------
    numpy.ndarray of str (object)
        One key per record, in order (see the module docstring).
    """
    n = len(places)
    place_codes, place_names = pd.factorize(places.fillna("").astype("str"))
    if oblast_isos is None:
        oblast_codes, oblast_names = np.zeros(n, dtype=np.int64), np.array([""], dtype=object)
    else:
        oblast_codes, oblast_names = pd.factorize(oblast_isos.fillna("").astype("str"))
    width = max(len(oblast_names), 1)
    pair_codes, pairs = pd.factorize(place_codes.astype(np.int64) * width + oblast_codes)
    place_names, oblast_names = np.asarray(place_names, dtype=object), np.asarray(oblast_names, dtype=object)
    keys = np.empty(len(pairs), dtype=object)
    choices: dict[int, tuple] = {}
    for position, (name, iso) in enumerate(zip(place_names[pairs // width], oblast_names[pairs % width], strict=True)):
        if not name.strip():
            keys[position] = ""
            continue
        keys[position], candidates = _pair_result(name, iso)
        if candidates and latitudes is not None and longitudes is not None:
            choices[position] = candidates
    out = keys[pair_codes]
    if choices:  # same-name places within one oblast: the record's point decides
        latitude = pd.to_numeric(latitudes, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        longitude = pd.to_numeric(longitudes, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        rows = np.flatnonzero(np.isin(pair_codes, list(choices)))
        for position, candidates in choices.items():
            mine = rows[pair_codes[rows] == position]
            out[mine] = _nearest_keys(candidates, latitude[mine], longitude[mine], keys[position])
    return out


# ---------------------------------------------------------------- filters


@dataclass(frozen=True)
class CityMatch:
    """What a city filter value matches.

    Attributes
    ----------
    query : str
        The value as given.
    keys : tuple of str
        Place keys to match: GeoNames places, then the unresolved key of that spelling.
    status : str
        ``"found"`` (one place), ``"ambiguous"`` (several places of that name) or
        ``"unknown"`` (no GeoNames place: only records with that unresolved spelling match).
    message : str
        One sentence for the user; for an unknown name, what GeoNames said.
    """

    query: str
    keys: tuple[str, ...]
    status: str
    message: str


@lru_cache(maxsize=4096)
def city_match(name: str, oblast_isos: tuple[str, ...] = ()) -> CityMatch:
    """The place keys a city filter value matches (the rule in the module docstring).

    Parameters
    ----------
    name : str
        A settlement in any spelling GeoNames lists, or a GeoNames id.
    oblast_isos : tuple of str, optional
        ISO codes of the oblasts also selected; the name is read within each.
    """
    text = name.strip()
    by_id = _ID_TEXT.fullmatch(text.casefold())
    if by_id:
        place = _places_by_id().get(int(by_id.group(1)))
        if place is None:
            return CityMatch(name, (), "unknown", f"No GeoNames place of Ukraine has the id {by_id.group(1)}.")
        return CityMatch(name, (geonames_key(place.geonames_id),), "found", f"{text!r} is {place.name}.")
    results = [geocode(text, iso) for iso in oblast_isos] or [geocode(text)]
    ids: dict[int, None] = {}
    for result in results:
        if result.status == "found":
            ids[result.place.geonames_id] = None
        elif result.status == "ambiguous":
            ids.update((place.geonames_id, None) for place in result.candidates)
    keys = (*(geonames_key(i) for i in ids), unresolved_key(text))
    if not ids:
        return CityMatch(name, keys, "unknown", results[0].message.replace(" or give coordinates", ""))
    status = "found" if len(ids) == 1 else "ambiguous"
    return CityMatch(name, keys, status, " ".join(r.message for r in results))
