"""ACLED exports: each ACLED event row becomes one canonical ``incidents`` row.

The input is an ACLED CSV read as text by :func:`dashboard.records.read_text_csv`,
with ACLED's public codebook columns (extra columns are ignored). Mapping decisions:

- Identity: ``incident_id`` is ``<source_id>:<event_id_cnty>``. ACLED keeps an
  event's id across versions of its data, so a newer export updates the record.
- ``event_date``: ISO (``2024-03-14``, also with ``T00:00:00``), ``14 March 2024``,
  ``14-March-2024``, ``March 14, 2024`` (month names full or short) and
  ``14/03/2024``. Every format is tried by name, with no guessing: ACLED's slash
  form is day/month/year, so ``03/14/2024`` fails rather than being read month first.
- ``time_precision`` 1 -> ``day``, 2 -> ``approximate`` (ACLED: within that week;
  ``date_as_stated`` says so), 3 -> ``month``.
- ``geo_precision``: ACLED 1 means the source names a town and ACLED gives that
  town's coordinates, not the site's, so it becomes our 2 (settlement). ACLED 2 (near
  a town, or part of a region, coded to a nearby town) also becomes 2, with a note
  on the record that the event was near the place. ACLED 3 (only a larger region;
  ACLED uses e.g. the regional capital) becomes 3, with ``place`` left blank.
- ``admin1`` goes through :func:`geo.oblasts.resolve_oblast`, except that ACLED's
  ``Kyiv`` is Kyiv Oblast (ACLED calls the city ``Kyiv City``); a bare ``Kyiv``
  resolves to the city elsewhere in this project.
- Blank coordinates are geocoded from ``location`` within the oblast; only a
  ``found`` place is used (geo_precision 2, or 3 if ACLED said 3) and the record
  notes and the source's attribution credit GeoNames.
- ``weapons`` (only what the notes name): Shelling/artillery/missile attack ->
  ``missile`` and/or ``drone`` where the notes name them, plus ``artillery`` where
  they name artillery, mortars or howitzers or name neither of the others
  ("shelled" alone is ACLED's generic verb and is not taken as artillery).
  Air/drone strike -> ``drone`` if the notes name drones, UAVs or Shaheds, else
  ``air_strike``. Remote explosive/landmine/IED -> ``mine``. Anything else -> ``unknown``.
- ``fatalities`` -> ``killed``. ACLED counts every reported death, civilians and
  combatants alike, so every record carries :data:`FATALITIES_CAVEAT` in ``notes``.
"""

from __future__ import annotations

import re

import pandas as pd

from dashboard.io.formats.base import Translation, parse_dates
from dashboard.io.formats.registry import InputFormat, register
from dashboard.records.failures import failure
from dashboard.records.schemas import IncidentSchema, SourceSchema
from geo.gazetteer import GEONAMES_ATTRIBUTION, geocode
from geo.oblasts import OBLASTS_BY_ISO, oblast_or_none

FATALITIES_CAVEAT = "ACLED fatalities are all reported deaths; they do not separate civilians."
PUBLISHER = "Armed Conflict Location & Event Data Project (ACLED)"
ATTRIBUTION = "Armed Conflict Location & Event Data Project (ACLED); acleddata.com"

REQUIRED_COLUMNS = (
    "event_id_cnty",
    "event_date",
    "time_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "country",
    "admin1",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "notes",
    "fatalities",
)
OPTIONAL_COLUMNS = ("source",)  # read as blank when the header leaves it out

ORIGINS = {
    "incident_id": "event_id_cnty",
    "event_date": "event_date",
    "date_precision": "time_precision",
    "date_as_stated": "event_date",
    "place": "location",
    "oblast": "admin1",
    "oblast_iso": "admin1",
    "latitude": "latitude",
    "longitude": "longitude",
    "geo_precision": "geo_precision",
    "weapons": "sub_event_type",
    "perpetrator_as_reported": "actor1",
    "reported_by": "source",
    "killed": "fatalities",
    "description": "event_type",
    "event_type": "event_type",
    "source_record_id": "event_id_cnty",
    "quote": "notes",
}
IDENTITY_NOTE = (
    "An ACLED event's identity is its event_id_cnty: the same event_id_cnty in a newer "
    "export updates the record instead of adding a new one."
)

# Tried in this order; each must match the whole cell.
DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%d %B %Y",
    "%d %b %Y",
    "%d-%B-%Y",
    "%d-%b-%Y",
    "%B %d, %Y",
    "%b %d, %Y",
    "%d/%m/%Y",
)
DATE_PRECISION = {"1": "day", "2": "approximate", "3": "month"}
DATE_NOTE = {"2": "ACLED time_precision 2: within the week", "3": "ACLED time_precision 3: within the month"}
GEO_PRECISION = {"1": "2", "2": "2", "3": "3"}
NEAR_NOTE = ("ACLED geo_precision 2: the event was near ", ", not necessarily in it; coordinates are that place's.")
REGION_NOTE = (
    "ACLED geo_precision 3: only the wider region is known; coordinates are ACLED's, not the oblast's centroid."
)
GEOCODED_NOTE = f" ACLED gave no coordinates; they were geocoded from location ({GEONAMES_ATTRIBUTION})."
ADMIN1_OVERRIDES = {"kyiv": "UA-32", "kiev": "UA-32"}  # ACLED: "Kyiv" oblast, "Kyiv City" the city

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_:\-]*$")
_MISSILE = r"\bmissiles?\b"
_DRONE = r"\b(?:drones?|uavs?|shaheds?)\b"
_ARTILLERY = r"\b(?:artillery|mortars?|howitzers?)\b"
_SHELLING = "shelling/artillery/missile attack"
_AIR = "air/drone strike"
_MINE = "remote explosive/landmine/ied"


def translate_acled(raw: pd.DataFrame, file: str, *, source_id: str = "acled") -> Translation:
    """Translate an ACLED export, read as text, into canonical incident rows.

    Parameters
    ----------
    raw : pandas.DataFrame
        From :func:`dashboard.records.read_text_csv`: text cells, ACLED's header as
        columns, indexed by the input line each row starts on.
    file : str
        File name, used in failures and in the source's title.
    source_id : str
        The ``sources.source_id`` every record names; ``incident_id`` starts with it.

    Returns
    -------
    Translation
        ``tables["incidents"]`` holds the rows that translated, in
        ``IncidentSchema.columns`` order and indexed by input line; every other row
        has at least one failure naming its line, ACLED column, value and rule.
        A header missing a required column gives one failure per column at line 1
        and no rows.
    """
    failures: list[dict] = []
    names = [str(name) for name in raw.columns]
    for name in REQUIRED_COLUMNS:
        if name not in names:
            failures.append(failure(file, 1, name, "", "required ACLED column is missing from the header"))
    for name in sorted({n for n in names if names.count(n) > 1} & set(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)):
        failures.append(failure(file, 1, name, name, "ACLED column appears more than once in the header"))
    if failures:
        return _translation(file, source_id, _empty(), failures, geocoded=False)

    text = {
        name: (raw[name].fillna("").astype(str).str.strip() if name in names else pd.Series("", index=raw.index))
        for name in REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    }
    bad = pd.Series(False, index=raw.index)

    def fail(mask: pd.Series, column: str, rule: str) -> None:
        nonlocal bad
        mask = mask.fillna(False).astype(bool)
        for line, value in text[column][mask].items():
            failures.append(failure(file, int(line), column, value, rule))
        bad = bad | mask

    # Identity.
    ids = text["event_id_cnty"]
    fail(ids.eq(""), "event_id_cnty", "must not be blank: it is the event's identity across ACLED versions")
    fail(
        ids.ne("") & ~ids.str.match(_ID.pattern),
        "event_id_cnty",
        "an identifier of letters, digits, '-', '_' or ':'",
    )
    first_line = pd.Series(ids.index, index=ids.index).groupby(ids.to_numpy()).transform("first")
    repeated = ids.ne("") & ids.duplicated(keep="first")
    for line in ids.index[repeated.to_numpy()]:
        failures.append(
            failure(
                file,
                int(line),
                "event_id_cnty",
                ids[line],
                f"appears more than once (first on line {first_line[line]})",
            )
        )
    bad = bad | repeated

    # Date.
    event_date = parse_dates(text["event_date"], DATE_FORMATS)
    fail(
        event_date.eq(""),
        "event_date",
        "a date such as 2024-03-14, 14 March 2024, 14-March-2024, March 14, 2024 or 14/03/2024 (day first)",
    )
    time_precision = text["time_precision"]
    fail(~time_precision.isin(list(DATE_PRECISION)), "time_precision", "one of: 1, 2, 3 (ACLED's time precision)")
    date_note = time_precision.map(DATE_NOTE).fillna("")
    date_as_stated = text["event_date"].where(date_note.eq(""), text["event_date"] + " (" + date_note + ")")

    # Place: country, oblast, coordinates.
    fail(text["country"].ne("Ukraine"), "country", "must be Ukraine: this dashboard covers Ukraine only")
    iso = text["admin1"].map(_oblast_iso_map(text["admin1"]))
    fail(
        iso.isna() & text["country"].eq("Ukraine"),
        "admin1",
        "must name one of Ukraine's 27 first-level units (e.g. Kherson, Kyiv City, Crimea)",
    )
    iso = iso.fillna("")
    acled_geo = text["geo_precision"]
    fail(~acled_geo.isin(list(GEO_PRECISION)), "geo_precision", "one of: 1, 2, 3 (ACLED's geo precision)")
    geo_precision = acled_geo.map(GEO_PRECISION).fillna("")

    latitude, longitude = text["latitude"].copy(), text["longitude"].copy()
    blank_coords = latitude.eq("") | longitude.eq("")
    for column, values, low, high in (("latitude", latitude, -90, 90), ("longitude", longitude, -180, 180)):
        number = pd.to_numeric(values.where(values.ne("")), errors="coerce")
        fail(values.ne("") & ~number.between(low, high), column, f"a number from {low} to {high}, or blank")

    geocoded = pd.Series(False, index=raw.index)
    todo = blank_coords & ~bad
    cache: dict[tuple[str, str], object] = {}
    for line in raw.index[todo.to_numpy()]:
        key = (text["location"][line], iso[line])
        if key not in cache:
            cache[key] = geocode(key[0], key[1]) if key[0] else None
        result = cache[key]
        if result is not None and result.status == "found":
            latitude[line], longitude[line] = str(result.place.latitude), str(result.place.longitude)
            geocoded[line] = True
            if acled_geo[line] != "3":
                geo_precision[line] = "2"
        else:
            message = result.message if result is not None else "location is blank too"
            column = "latitude" if text["latitude"][line] == "" else "longitude"
            rule = f"coordinates are blank and location could not be geocoded: {message}"
            failures.append(failure(file, int(line), column, "", rule))
            bad[line] = True

    # What happened, who, and the text it is coded from.
    for column in ("event_type", "sub_event_type"):
        fail(text[column].eq(""), column, "must not be blank: the description is built from it")
    fatalities = text["fatalities"]
    fail(fatalities.ne("") & ~fatalities.str.fullmatch(r"\d+"), "fatalities", "a whole number >= 0, or blank")
    fail(text["notes"].eq(""), "notes", "must not be blank: ACLED's notes are the text the record is coded from")

    keep = ~bad
    if not keep.any():
        return _translation(file, source_id, _empty(), failures, geocoded=False)
    t = {name: values[keep] for name, values in text.items()}
    index = t["event_id_cnty"].index
    location = t["location"]
    geo_kept, acled_geo_kept = geo_precision[keep], acled_geo[keep]
    named = location.where(location.ne(""), "the named place")
    record_notes = pd.Series(FATALITIES_CAVEAT, index=index)
    record_notes = record_notes.mask(
        acled_geo_kept.eq("2"), f"{FATALITIES_CAVEAT} {NEAR_NOTE[0]}" + named + NEAR_NOTE[1]
    )
    record_notes = record_notes.mask(acled_geo_kept.eq("3"), f"{FATALITIES_CAVEAT} {REGION_NOTE}")
    record_notes = record_notes.mask(geocoded[keep], record_notes + GEOCODED_NOTE)
    oblast_iso = iso[keep]
    source = t["source"]
    columns = {
        "incident_id": source_id + ":" + t["event_id_cnty"],
        "event_date": event_date[keep],
        "date_precision": time_precision[keep].map(DATE_PRECISION),
        "date_as_stated": date_as_stated[keep],
        "place": location.where(geo_kept.ne("3"), ""),
        "oblast": oblast_iso.map({code: unit.name for code, unit in OBLASTS_BY_ISO.items()}),
        "oblast_iso": oblast_iso,
        "latitude": latitude[keep],
        "longitude": longitude[keep],
        "geo_precision": geo_kept,
        "weapons": _weapons(t["sub_event_type"], t["notes"]),
        "perpetrator_as_reported": t["actor1"].where(t["actor1"].ne(""), "not stated"),
        "reported_by": ("ACLED, citing " + source).where(source.ne(""), "ACLED"),
        "killed": t["fatalities"],
        "injured": "",
        "children_killed": "",
        "children_injured": "",
        "description": t["event_type"] + ": " + t["sub_event_type"],
        "event_type": t["event_type"] + " / " + t["sub_event_type"],
        "source_id": source_id,
        "source_record_id": t["event_id_cnty"],
        "source_url": "",
        "quote": t["notes"],
        "notes": record_notes,
    }
    frame = pd.DataFrame(columns, index=index)[list(IncidentSchema.columns)].fillna("").astype("str")
    return _translation(file, source_id, frame, failures, geocoded=bool(geocoded.any()))


def _oblast_iso_map(admin1: pd.Series) -> dict[str, str]:
    """ISO code per distinct admin1 spelling that resolves; the rest are left out."""
    resolved = {}
    for name in admin1.unique():
        key = re.sub(r"\s+", " ", name.strip().casefold())
        if key in ADMIN1_OVERRIDES:
            resolved[name] = ADMIN1_OVERRIDES[key]
            continue
        unit = oblast_or_none(name) if name else None
        resolved[name] = unit.iso if unit else None
    return {name: code for name, code in resolved.items() if code}


def _weapons(sub_event_type: pd.Series, notes: pd.Series) -> pd.Series:
    """Weapons the row's sub-event type and notes name, ';'-separated (see module docstring)."""
    sub = sub_event_type.str.casefold()
    missile = notes.str.contains(_MISSILE, case=False, regex=True)
    drone = notes.str.contains(_DRONE, case=False, regex=True)
    artillery = notes.str.contains(_ARTILLERY, case=False, regex=True)
    shelling, air = sub.eq(_SHELLING), sub.eq(_AIR)
    named = (
        ("missile", shelling & missile),
        ("drone", (shelling | air) & drone),
        ("artillery", shelling & (artillery | ~(missile | drone))),
        ("air_strike", air & ~drone),
        ("mine", sub.eq(_MINE)),
    )
    joined = pd.Series("", index=notes.index, dtype="str")
    for label, mask in named:
        joined = joined.mask(mask, joined + ";" + label)
    joined = joined.str.lstrip(";")
    return joined.where(joined.ne(""), "unknown")


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=list(IncidentSchema.columns), index=pd.Index([], name="line"), dtype="str")


def _translation(
    file: str, source_id: str, frame: pd.DataFrame, failures: list[dict], *, geocoded: bool
) -> Translation:
    values = {
        "source_id": source_id,
        "title": f"ACLED export {file}",
        "publisher": PUBLISHER,
        "date_published": "",
        "dates_as_stated": "",
        "path": "",
        "notes": (
            "ACLED fatalities are all reported deaths, civilians and combatants together, and are often "
            "estimates; they do not separate civilians. ACLED edits and deletes events after publication: "
            "a newer export updates events by event_id_cnty, and an event missing from it may have been "
            "deleted by ACLED. Use is subject to ACLED's terms of use."
        ),
        "url": "https://acleddata.com",
        "attribution": ATTRIBUTION + (f"; {GEONAMES_ATTRIBUTION}" if geocoded else ""),
    }
    source = {name: values.get(name, "") for name in SourceSchema.columns}
    return Translation(
        source=source,
        tables={"incidents": frame},
        failures=sorted(failures, key=lambda row: row["line"]),
        origins=dict(ORIGINS),
        identity_note=IDENTITY_NOTE,
    )


register(
    InputFormat(
        name="acled",
        title="ACLED export",
        help="a standard ACLED export (the codebook's columns; extra columns are ignored)",
        detects=lambda header: set(REQUIRED_COLUMNS) <= set(header),
        missing=lambda header: [name for name in REQUIRED_COLUMNS if name not in header],
        translate=lambda raw, file, mapping_path: translate_acled(raw, file),
    )
)
