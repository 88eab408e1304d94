"""How many people a place holds: the ceiling for any count of people cut off there.

Settlements take GeoNames' population (``geo.place_ids.place_population``); oblasts,
Crimea, Kyiv and Sevastopol take the bundled table ``geo/data/oblast_population.csv``:
the State Statistics Service of Ukraine's estimate of the present population on
1 January 2022 (the last before the full-scale invasion; displacement since then
means the true figures are lower in the east and south, so the ceiling stays a
ceiling), and for Crimea and Sevastopol its last estimate, 1 January 2014.

Examples
--------
>>> oblast_population()["UA-65"]
1001598
>>> ukraine_population() > 40_000_000
True
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

POPULATION_FILE = Path(__file__).parent / "data" / "oblast_population.csv"
POPULATION_SOURCE = (
    "State Statistics Service of Ukraine, present population on 1 January 2022 (Crimea and Sevastopol: 1 January 2014)"
)


@lru_cache(maxsize=1)
def oblast_population() -> dict[str, int]:
    """Population of each first-level unit, by ISO 3166-2 code."""
    with POPULATION_FILE.open(encoding="utf-8", newline="") as handle:
        return {row["oblast_iso"]: int(row["population"]) for row in csv.DictReader(handle)}


def ukraine_population() -> int:
    """All 27 units together: no count of people in Ukraine can exceed it."""
    return sum(oblast_population().values())
