"""Filters and totals: the numbers the page shows and ``impact summary`` prints.

Counting rules:

- ``attacks`` counts located incidents; launch counts (salvos) are not attacks.
- Casualties are summed as reported; a blank (not reported) adds nothing, and
  ``reported`` says for each casualty field how many attacks in view give a figure,
  so a sum over no figures reads "not reported", never 0.
- People cut off (``dashboard.query.outages``): per impact the largest figure any
  report gives, or, where none does and the asset went out of service or was
  destroyed, the people it serves; then counted as people, per place and day and
  never above the place's population. ``people_cut_off`` gives, per service,
  ``at_peak``, ``on_end_date`` and ``person_days``; ``people_without_service`` is
  the peak (it was a sum over facilities until 0.4, which could count a town twice);
  ``open_outages`` counts the impacts in view whose restoration no record states.
- ``facilities_hit`` counts each asset once, weighted by its ``asset_count``.
- ``projectiles_launched`` sums salvos in the date range (and weapon filter);
  place and asset filters do not narrow it, because a salvo has no place.

Examples
--------
>>> from pathlib import Path
>>> from dashboard.records.load import load_records
>>> records = load_records(Path("data")).records
>>> summarize(records, Filters(cities=("Odessa",)))["injured"]
6
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from dashboard.query.index import index_of
from dashboard.query.outages import cut_off_per_day, people_cut_off
from dashboard.query.registry import facilities_in_view
from dashboard.records.load import Records
from dashboard.records.schemas import ASSET_TYPES

TOTAL_KEYS = (
    "attacks",
    "killed",
    "injured",
    "children_killed",
    "children_injured",
    "people_without_service",
    "facilities_hit",
    "projectiles_launched",
    "reported",
    "people_cut_off",
    "open_outages",
    "registry_facilities",
)
CASUALTY_COLUMNS = ("killed", "injured", "children_killed", "children_injured")


@dataclass(frozen=True)
class Filters:
    """What the user selected. Empty tuples and None mean "no restriction".

    Cities accept any spelling GeoNames lists, or a GeoNames id, and match every
    record of that place (``geo.place_ids.city_match``; a city GeoNames does not know
    matches only records spelled so, see ``query.places.unknown_cities``). Oblasts
    accept any common spelling, ISO code or P-code; an unknown oblast raises
    ``UnknownOblastError``.
    """

    cities: tuple[str, ...] = field(default=())
    oblasts: tuple[str, ...] = field(default=())
    start: date | None = None
    end: date | None = None
    weapons: tuple[str, ...] = field(default=())
    asset_types: tuple[str, ...] = field(default=())

    def oblast_isos(self) -> set[str]:
        from geo.oblasts import resolve_oblast

        return {resolve_oblast(name).iso for name in self.oblasts if name.strip()}


def filter_problems(filters: Filters) -> list[str]:
    """Why a filter can match nothing whatever the records hold: a value outside its vocabulary
    (with the nearest one), or a start after the end. Empty when the filter is sound.

    >>> filter_problems(Filters(weapons=("drones",)))
    ["'drones' is not a weapon type; did you mean 'drone'?"]
    """
    import difflib

    from dashboard.records.schemas import WEAPONS

    problems = []
    for values, vocabulary, noun in (
        (filters.weapons, WEAPONS, "a weapon type"),
        (filters.asset_types, ASSET_TYPES, "an asset type"),
    ):
        for value in values:
            if value not in vocabulary:
                near = difflib.get_close_matches(value.strip().lower(), vocabulary, n=1)
                hint = f"did you mean {near[0]!r}?" if near else f"one of: {', '.join(vocabulary)}"
                problems.append(f"{value!r} is not {noun}; {hint}")
    if filters.start and filters.end and filters.start > filters.end:
        problems.append(f"the start date {filters.start} is after the end date {filters.end}")
    return problems


def _codes(records: Records, filters: Filters):
    return index_of(records).codes_for(
        cities=filters.cities,
        oblasts=filters.oblasts,
        start=filters.start,
        end=filters.end,
        weapons=filters.weapons,
        asset_types=filters.asset_types,
    )


def incident_mask(records: Records, filters: Filters) -> np.ndarray:
    """Boolean mask over ``records.incidents`` (date order) for the filters."""
    return index_of(records).mask(_codes(records, filters))


def filter_incidents(records: Records, filters: Filters) -> pd.DataFrame:
    """Incidents matching every filter, in date order."""
    return records.incidents[incident_mask(records, filters)]


def impacts_in_view(records: Records, incidents: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Impacts of the given incidents (rows of ``records.incidents``) beside their assets,
    limited to the selected asset types (for popups and tables)."""
    positions = incidents.index.to_numpy()
    total = len(records.incidents)
    if len(positions) and positions.max() < total and positions.min() >= 0:
        index = index_of(records)
        mask = np.zeros(total, dtype=bool)
        mask[positions] = True
        selected = mask[index.impact_incident]
        impacts = records.impacts.iloc[np.sort(index.impact_row[selected])]
        assets = records.assets.iloc[np.unique(index.impact_asset[selected])]
    else:  # rows not taken from records.incidents: match by id
        impacts = records.impacts[records.impacts["incident_id"].isin(incidents["incident_id"])]
        assets = records.assets
    hit = impacts.merge(
        assets[["asset_id", "name", "asset_type", "service", "people_served", "asset_count"]],
        on="asset_id",
        how="inner",
    )
    if filters.asset_types:
        hit = hit[hit["asset_type"].isin(filters.asset_types)]
    return hit


def _named_totals(counts: np.ndarray, names: tuple[str, ...]) -> dict[str, int]:
    return {names[i]: int(round(value)) for i, value in enumerate(counts) if value > 0}


def summarize(records: Records, filters: Filters | None = None) -> dict:
    """The totals for a filter, keyed as ``impact summary --json`` prints them."""
    filters = filters or Filters()
    index = index_of(records)
    codes = _codes(records, filters)
    window, inside = index.window(codes)
    mask = np.zeros(len(index.day), dtype=bool)
    mask[window] = True if inside is None else inside
    # The four casualty sums and "reported" counts in one pass each, over the date window only
    # (a date range is a slice of the date-sorted incidents; a place filter compresses within it).
    figures, given = index.casualty_matrix[:, window], index.reported_matrix[:, window]
    if inside is not None:
        # ``take`` of the matching positions: a 2-D boolean index is four times slower here.
        matching = np.flatnonzero(inside)
        figures, given = figures.take(matching, axis=1), given.take(matching, axis=1)
    # count_nonzero per row: with ``axis=`` numpy sums bools as integers, seven times slower.
    sums, counts = figures.sum(axis=1), [np.count_nonzero(row) for row in given]
    totals: dict = {"attacks": int(figures.shape[1])}
    for i, column in enumerate(CASUALTY_COLUMNS):
        totals[column] = int(round(sums[i]))
    selected = index.impacts_mask(mask, codes)
    hit = index.assets_hit(selected)
    last_day = codes.end if codes.end is not None else index.last_day
    cut_off, open_outages = people_cut_off(index.outages, selected, last_day)
    # Each asset once, in asset order (as the first impact per asset gave it before), weighted.
    # Over every asset with weight 0 where not hit (cheaper than compressing both arrays);
    # the counts are whole numbers, so adding zeros changes no total.
    by_type = np.bincount(index.asset_type_slot, weights=index.asset_count * hit, minlength=len(ASSET_TYPES) + 1)
    by_type = by_type[: len(ASSET_TYPES)]
    totals["people_without_service"] = {service: figures["at_peak"] for service, figures in cut_off.items()}
    totals["facilities_hit"] = _named_totals(by_type, ASSET_TYPES)
    salvo_days = (index.salvo_day >= (codes.start if codes.start is not None else -(2**31))) & (
        index.salvo_day <= (codes.end if codes.end is not None else 2**31 - 1)
    )
    if codes.weapons is not None:
        salvo_days &= np.isin(index.salvo_weapon, codes.weapons)
    totals["projectiles_launched"] = int(round(index.salvo_launched[salvo_days].sum()))
    totals["reported"] = {column: int(counts[i]) for i, column in enumerate(CASUALTY_COLUMNS)}
    totals["people_cut_off"] = cut_off
    totals["open_outages"] = open_outages
    # The page's table below the map, for the whole country: registered facilities and those hit.
    registered = facilities_in_view(records, mask, filters.asset_types)
    totals["registry_facilities"] = {
        kind: {"registered": n["in_view"], "hit": n["hit"]} for kind, n in registered.items()
    }
    return totals


def timeline(incidents: pd.DataFrame) -> pd.DataFrame:
    """Incidents, killed and injured per day, every day of the span present."""
    if incidents.empty:
        return pd.DataFrame(columns=["attacks", "killed", "injured"], index=pd.DatetimeIndex([], name="day"))
    numbers = pd.DataFrame(
        {
            "attacks": 1,
            "killed": incidents["killed"].fillna(0).astype("int64"),
            "injured": incidents["injured"].fillna(0).astype("int64"),
        }
    )
    per_day = numbers.groupby(incidents["event_date"].dt.normalize().to_numpy()).sum()
    days = pd.date_range(per_day.index.min(), per_day.index.max(), freq="D", name="day")
    return per_day.reindex(days, fill_value=0)


def cut_off_timeline(records: Records, filters: Filters | None = None) -> pd.DataFrame:
    """People cut off per service (columns) per day of the range (the index), by the rule of ``summarize``.

    The range runs from the filter's start (else the first incident in view) to its end (else
    the records' last day); its last row is ``people_cut_off[service]["on_end_date"]``.
    """
    filters = filters or Filters()
    index = index_of(records)
    codes = _codes(records, filters)
    mask = index.mask(codes)
    last_day = codes.end if codes.end is not None else index.last_day
    if codes.start is not None:
        first_day = codes.start
    else:
        first_day = int(index.day[mask].min()) if mask.any() else last_day
    return cut_off_per_day(index.outages, index.impacts_mask(mask, codes), first_day, last_day)


def choices(records: Records) -> dict[str, list[str]]:
    """Values offered in the filters: those present in the records."""
    weapons = sorted({w.strip() for cell in records.incidents["weapons"] for w in cell.split(";") if w.strip()})
    return {
        "cities": sorted(p for p in records.incidents["place"].unique() if p),
        "oblasts": sorted(records.incidents["oblast"].unique()),
        "weapons": weapons,
        "asset_types": sorted(records.assets["asset_type"].unique()),
    }
