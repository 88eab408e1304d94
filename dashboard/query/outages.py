"""People cut off from a service, counted as people: per place and day, never above its population.

The rule (also in ``data/README.md`` and each tile's help):

- A facility's people belong to a place: its settlement (site or settlement precision
  and a GeoNames place), else its oblast.
- An impact cuts people off from the incident's day until the day before its
  ``restored_on``; without one, until the end of the range (a later record may say otherwise).
- For a service, a settlement and a day, the people cut off are the largest figure
  among its facilities out that day, never more than the settlement's population
  (GeoNames; the oblast's where GeoNames gives none). Two facilities serving one town
  count the town once; a facility hit twice counts once.
- For an oblast: the larger of an oblast-wide figure and the sum of its settlements,
  never more than the oblast's population (``geo/population.py``); a service's total is
  the sum over oblasts, so it can never exceed Ukraine's population.
- Per service: ``at_peak`` (the most people cut off on any one day of the range),
  ``on_end_date`` (still cut off on the range's last day) and ``person_days`` (the sum over days).

Everything is numpy over arrays the index builds once (``OutageIndex``); only places with
a restoration inside the range are swept in Python, one small loop each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.records.schemas import SERVICES
from geo.place_ids import place_population
from geo.population import oblast_population

NO_END = np.int64(2**31 - 1)
_BIG = np.int64(2**33)  # above any people count: offsets that keep one place's running maximum apart


@dataclass
class OutageIndex:
    """Per indexed impact (in the query index's order): day out, first day back, people; per place: the ceiling."""

    # Impacts that cut anyone off, sorted by place group and then day; the arrays below are
    # in that order, so a query takes one gather (its mask) and sequential compressions.
    order: np.ndarray  # positions of those impacts among the indexed impacts
    group: np.ndarray  # its (service, place) group
    start: np.ndarray  # first day out
    stop: np.ndarray  # first day back (NO_END: not stated)
    people: np.ndarray  # its figure, capped at the place's population
    group_cap: np.ndarray  # per group: the place's population
    group_pair: np.ndarray  # per group: its (service, oblast) pair
    group_is_oblast: np.ndarray  # per group: an oblast-wide place (not a settlement)
    pair_service: np.ndarray  # per pair: service code
    pair_cap: np.ndarray  # per pair: the oblast's population

    @classmethod
    def build(
        cls,
        assets: pd.DataFrame,
        impact_asset: np.ndarray,
        impact_day: np.ndarray,
        impact_people: np.ndarray,
        impact_restored: pd.Series,
    ) -> OutageIndex:
        """From the assets and, per indexed impact, its asset position, day, people and ``restored_on``."""
        oblasts = oblast_population()
        service = pd.Categorical(assets["service"], categories=SERVICES).codes.astype(np.int64)
        iso = assets["oblast_iso"].astype("str").to_numpy(dtype=object)
        key = assets["place_key"].astype("str").fillna("").to_numpy(dtype=object) if "place_key" in assets else iso
        precise = assets["geo_precision"].astype("str").isin(["1", "2"]).to_numpy(dtype=bool)
        settled = precise & np.array([bool(k) for k in key], dtype=bool)
        place = np.where(settled, key, "oblast:" + iso.astype(str))
        group_codes, group_names = pd.factorize(pd.Series(service.astype(str)) + "|" + pd.Series(place))
        pair_codes, pair_names = pd.factorize(pd.Series(service.astype(str)) + "|" + pd.Series(iso.astype(str)))
        groups, pairs = len(group_names), len(pair_names)
        group_pair = np.zeros(groups, dtype=np.int64)
        group_pair[group_codes] = pair_codes
        group_is_oblast = np.zeros(groups, dtype=bool)
        group_is_oblast[group_codes] = ~settled
        pair_service = np.zeros(pairs, dtype=np.int64)
        pair_service[pair_codes] = service
        oblast_cap = np.array([oblasts.get(i, 0) for i in iso], dtype=np.int64)
        pair_cap = np.zeros(pairs, dtype=np.int64)
        pair_cap[pair_codes] = oblast_cap
        # A settlement's ceiling: GeoNames' population, else (no figure) its oblast's.
        populations = {name: place_population(name) for name in set(place[settled])}
        settlement_cap = np.array(
            [populations.get(p, 0) if s else 0 for p, s in zip(place, settled, strict=True)], dtype=np.int64
        )
        cap = np.where(settled & (settlement_cap > 0), np.minimum(settlement_cap, oblast_cap), oblast_cap)
        group_cap = np.zeros(groups, dtype=np.int64)
        group_cap[group_codes] = cap
        group = group_codes[impact_asset].astype(np.int64)
        restored = pd.to_datetime(impact_restored).to_numpy(dtype="datetime64[D]")
        stop = np.where(
            np.isnat(restored), NO_END, (restored - np.datetime64("1970-01-01", "D")).astype(np.int64)
        ).astype(np.int64)
        start = impact_day.astype(np.int64)
        people = np.minimum(np.nan_to_num(impact_people).astype(np.int64), group_cap[group])
        order = np.lexsort((start, group))
        order = order[people[order] > 0]
        return cls(
            order, group[order], start[order], stop[order], people[order],
            group_cap, group_pair, group_is_oblast, pair_service, pair_cap,
        )  # fmt: skip


def _settlement_events(group, start, stop, people, last_day):
    """(group, day, change) of each place's level: the largest figure out, per day."""
    first = np.ones(len(group), dtype=bool)
    first[1:] = group[1:] != group[:-1]
    restored_in_range = stop <= last_day
    swept = np.zeros(len(group), dtype=bool)
    if restored_in_range.any():
        # Places with a restoration in range need a sweep; the others only ever rise.
        swept = np.isin(group, np.unique(group[restored_in_range]))
    keep = ~swept
    g, d, v = group[keep], start[keep], people[keep]
    running = np.maximum.accumulate(g * _BIG + v) - g * _BIG
    before = np.concatenate(([0], running[:-1]))
    before[first[keep]] = 0
    rises = running > before
    events = [(g[rises], d[rises], (running - before)[rises])]
    if swept.any():
        events.append(_swept_events(group[swept], start[swept], stop[swept], people[swept], last_day))
    return tuple(np.concatenate(parts) for parts in zip(*events, strict=True))


def _swept_events(group, start, stop, people, last_day):
    """Level changes of places with restorations: the largest figure among impacts active each day."""
    out_g, out_d, out_v = [], [], []
    for g in np.unique(group):
        mine = group == g
        s, e, v = start[mine], stop[mine], people[mine]
        level = 0
        for day in np.unique(np.concatenate((s, e[e <= last_day]))):
            active = v[(s <= day) & (e > day)]
            now = int(active.max()) if len(active) else 0
            if now != level:
                out_g.append(g), out_d.append(day), out_v.append(now - level)
                level = now
    return np.array(out_g, dtype=np.int64), np.array(out_d, dtype=np.int64), np.array(out_v, dtype=np.int64)


def _runs_last(keys: np.ndarray) -> np.ndarray:
    """Mask of the last element of each run of equal keys."""
    last = np.ones(len(keys), dtype=bool)
    last[:-1] = keys[1:] != keys[:-1]
    return last


def _oblast_events(outages: OutageIndex, group, day, change):
    """(service, day, change) after combining each oblast: max(oblast-wide, sum of settlements), capped."""
    pair = outages.group_pair[group]
    oblast_wide = outages.group_is_oblast[group]
    order = np.argsort(pair * _BIG + day, kind="stable")
    pair, day, change, oblast_wide = pair[order], day[order], change[order], oblast_wide[order]
    first = np.ones(len(pair), dtype=bool)
    first[1:] = pair[1:] != pair[:-1]

    def within_pair(values):
        total = np.cumsum(values)
        start_of_pair = np.maximum.accumulate(np.where(first, np.arange(len(values)), 0))
        return total - (total[start_of_pair] - values[start_of_pair])

    settlements = within_pair(np.where(oblast_wide, 0, change))
    wide = within_pair(np.where(oblast_wide, change, 0))
    last = _runs_last(pair * _BIG + day)  # the level after every change of that pair and day
    pair, day, settlements, wide = pair[last], day[last], settlements[last], wide[last]
    level = np.minimum(outages.pair_cap[pair], np.maximum(settlements, wide))
    before = np.concatenate(([0], level[:-1]))
    before[np.concatenate(([True], pair[1:] != pair[:-1]))] = 0
    return outages.pair_service[pair], day, level - before


def _service_levels(
    outages: OutageIndex, impacts: np.ndarray, last_day: int
) -> tuple[dict[int, tuple[np.ndarray, np.ndarray]], int]:
    """Per service code: the days its level changes and the level from each; and the open impacts."""
    chosen = impacts[outages.order]
    group, start, stop, people = (a[chosen] for a in (outages.group, outages.start, outages.stop, outages.people))
    open_count = int(np.count_nonzero(stop == NO_END))
    stop = np.minimum(stop, last_day + 1)
    lasting = stop > start
    if not lasting.all():
        group, start, stop, people = group[lasting], start[lasting], stop[lasting], people[lasting]
    if not len(group):
        return {}, open_count
    service, day, change = _oblast_events(outages, *_settlement_events(group, start, stop, people, last_day))
    order = np.argsort(service * _BIG + day, kind="stable")
    service, day, change = service[order], day[order], change[order]
    levels = {}
    for code in np.unique(service):
        low, high = np.searchsorted(service, [code, code + 1])
        days, changes = day[low:high], change[low:high]
        last = _runs_last(days)
        levels[int(code)] = (days[last], np.cumsum(changes)[last])
    return levels, open_count


def people_cut_off(outages: OutageIndex, impacts: np.ndarray, last_day: int) -> tuple[dict[str, dict[str, int]], int]:
    """Per service with anyone cut off: at_peak, on_end_date, person_days; and how many impacts are still open.

    ``impacts`` selects indexed impacts (the query index's order), ``last_day`` is the range's
    last day (days since 1970-01-01).
    """
    levels, open_count = _service_levels(outages, impacts, last_day)
    figures: dict[str, dict[str, int]] = {}
    for code, (days, level) in levels.items():
        span = np.diff(np.concatenate((days, [last_day + 1])))
        peak = int(level.max(initial=0))
        if peak > 0:
            figures[SERVICES[code]] = {
                "at_peak": peak,
                "on_end_date": int(level[-1]),
                "person_days": int((level * span).sum()),
            }
    return figures, open_count


def cut_off_per_day(outages: OutageIndex, impacts: np.ndarray, first_day: int, last_day: int) -> pd.DataFrame:
    """People cut off per service (columns) on each day from ``first_day`` to ``last_day`` (the index)."""
    levels, _ = _service_levels(outages, impacts, last_day)
    days = np.arange(first_day, last_day + 1)
    index = pd.DatetimeIndex(np.datetime64("1970-01-01", "D") + days, name="day")
    columns = {}
    for code, (changed, level) in levels.items():
        if level.max(initial=0) <= 0:
            continue
        # The level of the last change on or before each day (0 before the first).
        position = np.searchsorted(changed, days, side="right") - 1
        columns[SERVICES[code]] = np.where(position >= 0, level[np.maximum(position, 0)], 0)
    return pd.DataFrame(columns, index=index)
