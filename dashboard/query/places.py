"""What the records' places and the city filter resolve to, for messages to the user.

Every record's ``place_key`` is a GeoNames id or an unresolved name
(:mod:`geo.place_ids`). Records with an unresolved place are still counted in every
total, but a city filter finds them only under the exact spelling they use, so the
command line and the page say how many there are; a city filter value that GeoNames
does not know is reported too, rather than silently giving zero.

Examples
--------
>>> from pathlib import Path
>>> from dashboard.records.load import load_records
>>> records = load_records(Path("data")).records
>>> unresolved_places(records)
{'incidents': 0, 'assets': 0}
>>> unknown_cities(records, ("Khersonn",))[0].startswith("city 'Khersonn': No Ukrainian settlement named")
True
"""

from __future__ import annotations

from dashboard.records.load import Records
from geo.oblasts import resolve_oblast
from geo.place_ids import city_match, is_unresolved


def unresolved_places(records: Records) -> dict[str, int]:
    """How many incidents and assets name a place that is not a single GeoNames place.

    Returns
    -------
    dict
        ``{"incidents": n, "assets": m}``; records without a place are not counted.
    """
    return {
        table: int(is_unresolved(records.table(table)["place_key"]).sum()) if "place_key" in records.table(table) else 0
        for table in ("incidents", "assets")
    }


def unknown_cities(records: Records, cities: tuple[str, ...], oblasts: tuple[str, ...] = ()) -> list[str]:
    """One sentence per city filter value that names no GeoNames place (in the selected oblasts).

    Parameters
    ----------
    records : Records
        Used to say how many incidents still use that spelling (they are matched).
    cities, oblasts : tuple of str
        The filter values, as ``Filters`` holds them; an unknown oblast raises
        ``UnknownOblastError`` as the filter itself does.
    """
    isos = tuple(sorted({resolve_oblast(o).iso for o in oblasts if o.strip()}))
    keys = records.incidents["place_key"]
    notes = []
    for city in cities:
        if not city.strip():
            continue
        match = city_match(city, isos)
        if match.status != "unknown":
            continue
        spelled = int(keys.isin(match.keys).sum())
        found = f"{spelled:,} incident(s) use that spelling and are counted" if spelled else "It matches no incident"
        notes.append(f"city {city.strip()!r}: {match.message} {found}.")
    return notes
