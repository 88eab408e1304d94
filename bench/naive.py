"""The baseline for filter + totals: a plain-pandas implementation on object-dtype columns.

This is what one writes without an index: every column is a Python object (strings,
None), filters are string comparisons, casualties are summed after ``fillna``, people
cut off come from a merge and groupbys per place and per oblast (a Python loop for places
with a restoration), facilities from ``drop_duplicates``. It follows the counting rules of
data/README.md, so its totals must equal ``dashboard.query.totals.summarize`` for the same filter.
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
    """Every table as read by ``pandas.read_sql`` over sqlite3, each column cast to object dtype.

    Each asset also gets its place (GeoNames key or ``oblast:<iso>``) and that place's
    population, as the counting rule needs: derived once here, not per query.
    """
    from geo.place_ids import place_population, record_place_keys
    from geo.population import oblast_population

    with sqlite3.connect(sqlite_file) as connection:
        frames = {
            table: pd.read_sql(f"SELECT * FROM {table}", connection).astype(object)
            for table in ("incidents", "assets", "impacts", "salvos")
        }
    assets = frames["assets"]
    keys = pd.Series(
        record_place_keys(
            assets["place"].fillna("").astype(str),
            assets["oblast_iso"].astype(str),
            assets["latitude"].astype(float),
            assets["longitude"].astype(float),
        ),
        index=assets.index,
    )
    settled = assets["geo_precision"].astype(str).isin(["1", "2"]) & (keys != "")
    assets["people_place"] = keys.where(settled, "oblast:" + assets["oblast_iso"].astype(str))
    oblast_cap = assets["oblast_iso"].map(oblast_population())
    town = keys.map(place_population).where(settled, 0)
    assets["place_cap"] = town.where(town > 0, oblast_cap).clip(upper=oblast_cap).astype(object)
    assets["oblast_cap"] = oblast_cap.astype(object)
    assets["oblast_wide"] = ~settled
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
    last_day = pd.Timestamp(end) if end else pd.Timestamp(incidents["event_date"].max())
    asset_columns = ["asset_id", "asset_type", "service", "people_served", "asset_count"]
    asset_columns += ["people_place", "place_cap", "oblast_iso", "oblast_cap", "oblast_wide"]
    hit = frames.impacts.merge(chosen[["incident_id", "event_date"]], on="incident_id").merge(
        frames.assets[asset_columns], on="asset_id"
    )
    cut_off: dict = {}
    open_outages = 0
    if hit.empty:
        totals["people_without_service"], totals["facilities_hit"] = {}, {}
    else:
        lost = _number(hit["people_without_service"])
        served = _number(hit["people_served"]).where(hit["state_after"].isin(_LOST))
        hit["people"] = lost.fillna(served).fillna(0).clip(upper=_number(hit["place_cap"]))
        out = hit[hit["people"] > 0].copy()
        restored = out["restored_on"] if "restored_on" in out else pd.Series(None, index=out.index)
        open_outages = int(restored.isna().sum())
        cut_off = _naive_cut_off(out, pd.to_datetime(restored), last_day)
        totals["people_without_service"] = {k: v["at_peak"] for k, v in cut_off.items()}
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
    totals["reported"] = {column: int(chosen[column].notna().sum()) for column in CASUALTIES}
    totals["people_cut_off"] = cut_off
    totals["open_outages"] = open_outages
    return totals


def _place_levels(out: pd.DataFrame, restored: pd.Series, last_day: pd.Timestamp) -> pd.DataFrame:
    """Per place: (day, level) rows, the largest figure out from that day on."""
    out = out.assign(day=pd.to_datetime(out["event_date"]), stop=restored.fillna(last_day + pd.Timedelta(days=1)))
    out["stop"] = out["stop"].clip(upper=last_day + pd.Timedelta(days=1))
    out = out[out["stop"] > out["day"]]
    keys = ["service", "oblast_iso", "people_place", "oblast_wide"]
    swept_places = set(out.loc[out["stop"] <= last_day, "people_place"])
    plain = out[~out["people_place"].isin(swept_places)].sort_values(keys + ["day"])
    plain = plain.assign(level=plain.groupby(keys)["people"].cummax())
    rows = [plain.groupby(keys + ["day"], as_index=False)["level"].max()]
    for key, group in out[out["people_place"].isin(swept_places)].groupby(keys):
        for day in sorted(set(group["day"]) | set(group.loc[group["stop"] <= last_day, "stop"])):
            active = group[(group["day"] <= day) & (group["stop"] > day)]
            rows.append(
                pd.DataFrame(
                    [[*key, day, active["people"].max() if len(active) else 0]], columns=keys + ["day", "level"]
                )
            )
    return pd.concat(rows, ignore_index=True)


def _naive_cut_off(out: pd.DataFrame, restored: pd.Series, last_day: pd.Timestamp) -> dict:
    """at_peak, on_end_date and person_days per service, by expanding levels to every change day."""
    levels = _place_levels(out, restored, last_day)
    caps = out.drop_duplicates(["service", "oblast_iso"]).set_index(["service", "oblast_iso"])["oblast_cap"]
    figures = {}
    for service, rows in levels.groupby("service"):
        days = sorted(set(rows["day"]))
        per_day = []
        for day in days:
            # Each place's level on this day: its last change on or before it.
            current = (
                rows[rows["day"] <= day]
                .sort_values("day")
                .groupby(["oblast_iso", "people_place", "oblast_wide"])
                .tail(1)
            )
            settlements = current[~current["oblast_wide"].astype(bool)].groupby("oblast_iso")["level"].sum()
            wide = current[current["oblast_wide"].astype(bool)].groupby("oblast_iso")["level"].max()
            combined = pd.concat([settlements, wide], axis=1).fillna(0).max(axis=1)
            cap = pd.Series([int(caps[(service, iso)]) for iso in combined.index], index=combined.index)
            per_day.append(int(combined.clip(upper=cap).sum()))
        spans = [(b - a).days for a, b in zip(days, days[1:] + [last_day + pd.Timedelta(days=1)], strict=True)]
        if max(per_day, default=0) > 0:
            figures[service] = {
                "at_peak": max(per_day),
                "on_end_date": per_day[-1],
                "person_days": sum(level * span for level, span in zip(per_day, spans, strict=True)),
            }
    return dict(sorted(figures.items()))


def differences(ours: dict, naive: dict) -> list[str]:
    """Keys whose values differ between two totals dicts (empty when they agree)."""
    return [
        f"{key}: ours {ours.get(key)!r} vs naive {naive.get(key)!r}"
        for key in sorted(set(ours) | set(naive))
        if ours.get(key) != naive.get(key)
    ]
