"""The baseline for filter + totals: a plain-pandas implementation on object-dtype columns.

This is what one writes without an index: every column is a Python object (strings,
None), filters are string comparisons, casualties are summed after ``fillna``, people
without service come from a merge and a groupby per asset, facilities from
``drop_duplicates``. It follows the counting rules of data/README.md, so its totals
must equal ``dashboard.query.totals.summarize`` for the same filter.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

import pandas as pd

_LOST = ("out_of_service", "destroyed")
CASUALTIES = ("killed", "injured", "children_killed", "children_injured")


@dataclass
class NaiveFrames:
    incidents: pd.DataFrame
    assets: pd.DataFrame
    impacts: pd.DataFrame
    salvos: pd.DataFrame


def load_naive(sqlite_file: str) -> NaiveFrames:
    """Every table as read by ``pandas.read_sql`` over sqlite3, each column cast to object dtype."""
    with sqlite3.connect(sqlite_file) as connection:
        frames = {
            table: pd.read_sql(f"SELECT * FROM {table}", connection).astype(object)
            for table in ("incidents", "assets", "impacts", "salvos")
        }
    # SQLite hands back dates as 'YYYY-MM-DD' text: string comparison orders them correctly.
    return NaiveFrames(**frames)


def _number(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce")


def naive_summarize(
    frames: NaiveFrames,
    city: str | None = None,
    oblast: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> dict:
    """Totals for one city / oblast name / date range, the way a first pandas version does it."""
    incidents = frames.incidents
    mask = pd.Series(True, index=incidents.index)
    if city:
        mask &= incidents["place"].fillna("").str.lower() == city.lower()
    if oblast:
        mask &= incidents["oblast"] == oblast
    if start:
        mask &= incidents["event_date"] >= start.isoformat()
    if end:
        mask &= incidents["event_date"] <= end.isoformat()
    chosen = incidents[mask]
    totals: dict = {"attacks": len(chosen)}
    for column in CASUALTIES:
        totals[column] = int(chosen[column].fillna(0).sum())
    hit = frames.impacts.merge(chosen[["incident_id"]], on="incident_id").merge(
        frames.assets[["asset_id", "asset_type", "service", "people_served", "asset_count"]], on="asset_id"
    )
    if hit.empty:
        totals["people_without_service"], totals["facilities_hit"] = {}, {}
    else:
        lost = _number(hit["people_without_service"])
        served = _number(hit["people_served"]).where(hit["state_after"].isin(_LOST))
        hit["people"] = lost.fillna(served)
        per_asset = hit.groupby("asset_id").agg(service=("service", "first"), people=("people", "max"))
        per_asset = per_asset[per_asset["people"].fillna(0) > 0]
        by_service = per_asset.groupby("service")["people"].sum()
        totals["people_without_service"] = {k: int(v) for k, v in sorted(by_service.items())}
        facilities = hit.drop_duplicates("asset_id")
        by_type = facilities.groupby("asset_type")["asset_count"].sum()
        totals["facilities_hit"] = {k: int(v) for k, v in sorted(by_type.items())}
    salvos = frames.salvos
    in_range = pd.Series(True, index=salvos.index)
    if start:
        in_range &= salvos["launch_date"] >= start.isoformat()
    if end:
        in_range &= salvos["launch_date"] <= end.isoformat()
    totals["projectiles_launched"] = int(_number(salvos.loc[in_range, "launched"]).sum())
    return totals


def differences(ours: dict, naive: dict) -> list[str]:
    """Keys whose values differ between two totals dicts (empty when they agree)."""
    return [
        f"{key}: ours {ours.get(key)!r} vs naive {naive.get(key)!r}"
        for key in sorted(set(ours) | set(naive))
        if ours.get(key) != naive.get(key)
    ]
