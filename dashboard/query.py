"""Filters and totals: the numbers the page shows and ``impact summary`` prints.

Counting rules:

- ``attacks`` counts located incidents; launch counts (salvos) are not attacks.
- Casualties are summed as reported; a blank (not reported) adds nothing.
- ``people_without_service`` counts each asset once however often it was hit:
  per asset the largest figure any of its impacts reports, or, where none does
  and the asset went out of service or was destroyed, the people it serves.
- ``facilities_hit`` counts each asset once, weighted by its ``asset_count``.
- ``projectiles_launched`` sums salvos in the date range (and weapon filter);
  place and asset filters do not narrow it, because a salvo has no place.

Examples
--------
>>> from pathlib import Path
>>> from dashboard.records import load_records
>>> records = load_records(Path("data")).records
>>> summarize(records, Filters(cities=("Odessa",)))["injured"]
6
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from dashboard.records import Records
from geo.oblasts import resolve_oblast
from geo.places import place_key

TOTAL_KEYS = (
    "attacks",
    "killed",
    "injured",
    "children_killed",
    "children_injured",
    "people_without_service",
    "facilities_hit",
    "projectiles_launched",
)
CASUALTY_COLUMNS = ("killed", "injured", "children_killed", "children_injured")
_LOST_SERVICE_STATES = ("out_of_service", "destroyed")


@dataclass(frozen=True)
class Filters:
    """What the user selected. Empty tuples and None mean "no restriction".

    Cities and oblasts accept any common spelling, ISO code or P-code; an
    unknown oblast raises ``UnknownOblastError``.
    """

    cities: tuple[str, ...] = field(default=())
    oblasts: tuple[str, ...] = field(default=())
    start: date | None = None
    end: date | None = None
    weapons: tuple[str, ...] = field(default=())
    asset_types: tuple[str, ...] = field(default=())

    def place_keys(self) -> set[str]:
        return {place_key(city) for city in self.cities if city.strip()}

    def oblast_isos(self) -> set[str]:
        return {resolve_oblast(name).iso for name in self.oblasts if name.strip()}


def _in_dates(dates: pd.Series, filters: Filters) -> pd.Series:
    mask = pd.Series(True, index=dates.index)
    if filters.start is not None:
        mask &= dates >= pd.Timestamp(filters.start)
    if filters.end is not None:
        mask &= dates <= pd.Timestamp(filters.end)
    return mask


def _weapon_mask(weapon_lists: pd.Series, weapons: tuple[str, ...]) -> pd.Series:
    wanted = set(weapons)
    return weapon_lists.map(lambda cell: bool(wanted & {w.strip() for w in cell.split(";")})).astype(bool)


def filter_incidents(records: Records, filters: Filters) -> pd.DataFrame:
    """Incidents matching every filter, in date order."""
    incidents = records.incidents
    mask = _in_dates(incidents["event_date"], filters)
    if filters.cities:
        mask &= incidents["place_key"].isin(filters.place_keys())
    if filters.oblasts:
        mask &= incidents["oblast_iso"].isin(filters.oblast_isos())
    if filters.weapons:
        mask &= _weapon_mask(incidents["weapons"], filters.weapons)
    if filters.asset_types:
        hit = impacts_with_assets(records)
        hit = hit[hit["asset_type"].isin(filters.asset_types)]
        mask &= incidents["incident_id"].isin(hit["incident_id"])
    return incidents[mask].sort_values(["event_date", "incident_id"], kind="stable")


def impacts_with_assets(records: Records) -> pd.DataFrame:
    """Each impact beside the asset it hit."""
    asset_columns = ["asset_id", "name", "asset_type", "service", "people_served", "asset_count"]
    return records.impacts.merge(records.assets[asset_columns], on="asset_id", how="inner")


def impacts_in_view(records: Records, incidents: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Impacts of the filtered incidents, limited to the selected asset types."""
    hit = impacts_with_assets(records)
    hit = hit[hit["incident_id"].isin(incidents["incident_id"])]
    if filters.asset_types:
        hit = hit[hit["asset_type"].isin(filters.asset_types)]
    return hit


def people_without_service(hit: pd.DataFrame) -> dict[str, int]:
    """People who lost each service, each asset counted once."""
    if hit.empty:
        return {}
    lost = hit["people_without_service"].astype("Float64")
    fallback = hit["people_served"].astype("Float64").where(hit["state_after"].isin(_LOST_SERVICE_STATES))
    per_impact = hit.assign(people=lost.fillna(fallback))
    per_asset = per_impact.groupby("asset_id").agg(service=("service", "first"), people=("people", "max"))
    per_asset = per_asset[per_asset["people"].fillna(0) > 0]
    by_service = per_asset.groupby("service")["people"].sum()
    return {service: int(people) for service, people in by_service.sort_index().items()}


def facilities_hit(hit: pd.DataFrame) -> dict[str, int]:
    """Facilities hit by asset type, each asset counted once."""
    if hit.empty:
        return {}
    per_asset = hit.drop_duplicates("asset_id")
    by_type = per_asset.groupby("asset_type")["asset_count"].sum()
    return {asset_type: int(count) for asset_type, count in by_type.sort_index().items()}


def filter_salvos(records: Records, filters: Filters) -> pd.DataFrame:
    """Launch counts in the date range and weapon filter (they have no place)."""
    salvos = records.salvos
    mask = _in_dates(salvos["launch_date"], filters)
    if filters.weapons:
        mask &= salvos["weapon"].isin(filters.weapons)
    return salvos[mask]


def summarize(records: Records, filters: Filters | None = None) -> dict:
    """The totals for a filter, keyed as ``impact summary --json`` prints them."""
    filters = filters or Filters()
    incidents = filter_incidents(records, filters)
    hit = impacts_in_view(records, incidents, filters)
    totals: dict = {"attacks": int(len(incidents))}
    for column in CASUALTY_COLUMNS:
        totals[column] = int(incidents[column].fillna(0).sum())
    totals["people_without_service"] = people_without_service(hit)
    totals["facilities_hit"] = facilities_hit(hit)
    totals["projectiles_launched"] = int(filter_salvos(records, filters)["launched"].sum())
    return totals


def timeline(incidents: pd.DataFrame) -> pd.DataFrame:
    """Incidents, killed and injured per day, every day of the span present."""
    if incidents.empty:
        return pd.DataFrame(columns=["attacks", "killed", "injured"], index=pd.DatetimeIndex([], name="day"))
    per_day = incidents.groupby(incidents["event_date"].dt.normalize()).agg(
        attacks=("incident_id", "size"),
        killed=("killed", lambda s: int(s.fillna(0).sum())),
        injured=("injured", lambda s: int(s.fillna(0).sum())),
    )
    days = pd.date_range(per_day.index.min(), per_day.index.max(), freq="D", name="day")
    return per_day.reindex(days, fill_value=0)


def choices(records: Records) -> dict[str, list[str]]:
    """Values offered in the filters: those present in the records."""
    weapons = sorted({w.strip() for cell in records.incidents["weapons"] for w in cell.split(";") if w.strip()})
    return {
        "cities": sorted(p for p in records.incidents["place"].unique() if p),
        "oblasts": sorted(records.incidents["oblast"].unique()),
        "weapons": weapons,
        "asset_types": sorted(records.assets["asset_type"].unique()),
    }
