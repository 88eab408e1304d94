"""The fast ``summarize`` gives exactly the totals of the implementation it replaced, on random filters.

``reference_summarize`` below is the code path of 0.x before the speed-up (boolean masks over
every incident, ``np.isin`` for places and oblasts, the first impact per asset, the registry's
pandas ``isin`` on every call). It lives here, not in the package, only to be compared against.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.io.synth import write_synth
from dashboard.query.index import index_of
from dashboard.query.outages import people_cut_off
from dashboard.query.totals import CASUALTY_COLUMNS, Filters, _codes, _named_totals, summarize
from dashboard.records.load import load_records
from dashboard.records.schemas import ASSET_TYPES, WEAPONS


def reference_mask(index, codes) -> np.ndarray:
    window = index.date_slice(codes)
    inside = np.ones(window.stop - window.start, dtype=bool)
    if codes.places is not None:
        inside &= np.isin(index.place_code[window], codes.places)
    if codes.oblasts is not None:
        inside &= np.isin(index.oblast_code[window], codes.oblasts)
    if codes.weapon_bits:
        inside &= (index.weapon_bits[window] & max(codes.weapon_bits, 0)) != 0
    if codes.asset_type_bits:
        inside &= (index.asset_type_bits[window] & max(codes.asset_type_bits, 0)) != 0
    mask = np.zeros(len(index.day), dtype=bool)
    mask[window] = inside
    return mask


def reference_registry(records, mask, asset_types) -> dict:
    assets = records.assets
    chosen = ~assets["source_id"].isin(set(records.incidents["source_id"].unique())) & (assets["geo_precision"] != "3")
    if asset_types:
        chosen &= assets["asset_type"].isin(asset_types)
    rows = np.flatnonzero(chosen.to_numpy(dtype=bool))
    if len(rows) == 0:
        return {}
    index = index_of(records)
    types = assets["asset_type"].to_numpy(dtype=object)[rows]
    hit = np.bincount(index.impact_asset[mask[index.impact_incident]], minlength=len(assets))[rows] > 0
    return {
        str(t): {"registered": int((types == t).sum()), "hit": int(((types == t) & hit).sum())}
        for t in sorted(set(types))
    }


def reference_summarize(records, filters: Filters) -> dict:
    index = index_of(records)
    codes = _codes(records, filters)
    mask = reference_mask(index, codes)
    totals: dict = {"attacks": int(mask.sum())}
    for column in CASUALTY_COLUMNS:
        totals[column] = int(round(index.casualties[column][mask].sum()))
    selected = index.impacts_mask(mask, codes)
    assets = index.impact_asset[selected]
    first = np.ones(len(assets), dtype=bool)
    first[1:] = assets[1:] != assets[:-1]
    assets = assets[first]
    last_day = codes.end if codes.end is not None else index.last_day
    cut_off, open_outages = people_cut_off(index.outages, selected, last_day)
    by_type = np.bincount(index.asset_type[assets], weights=index.asset_count[assets], minlength=len(ASSET_TYPES))
    totals["people_without_service"] = {service: figures["at_peak"] for service, figures in cut_off.items()}
    totals["facilities_hit"] = _named_totals(by_type, ASSET_TYPES)
    salvo_days = (index.salvo_day >= (codes.start if codes.start is not None else -(2**31))) & (
        index.salvo_day <= (codes.end if codes.end is not None else 2**31 - 1)
    )
    if codes.weapons is not None:
        salvo_days &= np.isin(index.salvo_weapon, codes.weapons)
    totals["projectiles_launched"] = int(round(index.salvo_launched[salvo_days].sum()))
    totals["reported"] = {
        column: int(np.count_nonzero(index.casualty_reported[column] & mask)) for column in CASUALTY_COLUMNS
    }
    totals["people_cut_off"] = cut_off
    totals["open_outages"] = open_outages
    totals["registry_facilities"] = reference_registry(records, mask, filters.asset_types)
    return totals


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    folder = write_synth(3000, 7, tmp_path_factory.mktemp("synth"))
    records = load_records(folder).records
    places = sorted(p for p in records.incidents["place"].unique() if p)
    oblasts = sorted(records.incidents["oblast"].unique())
    first, last = records.incidents["event_date"].min().date(), records.incidents["event_date"].max().date()
    return records, places, oblasts, first, last


def filters_for(draw, places, oblasts, first: date, last: date) -> Filters:
    span = (last - first).days
    start = draw(st.none() | st.integers(-5, span + 5).map(lambda d: first + timedelta(days=d)))
    end = draw(st.none() | st.integers(-5, span + 5).map(lambda d: first + timedelta(days=d)))
    return Filters(
        cities=tuple(draw(st.lists(st.sampled_from(places + ["Nowhere-on-earth"]), max_size=3))),
        oblasts=tuple(draw(st.lists(st.sampled_from(oblasts), max_size=2))),
        start=start,
        end=end,
        weapons=tuple(draw(st.lists(st.sampled_from(list(WEAPONS)), max_size=2))),
        asset_types=tuple(draw(st.lists(st.sampled_from(list(ASSET_TYPES)), max_size=3))),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_total_equals_the_reference_implementation_on_random_filters(synthetic, data):
    records, places, oblasts, first, last = synthetic
    filters = filters_for(data.draw, places, oblasts, first, last)
    assert summarize(records, filters) == reference_summarize(records, filters)


@pytest.mark.parametrize(
    "filters",
    [Filters(), Filters(cities=("Kharkiv",)), Filters(oblasts=("Kharkiv Oblast",)), Filters(start=date(2024, 1, 1))],
    ids=["no filter", "city", "oblast", "from a date"],
)
def test_the_bench_filters_give_the_reference_totals_and_count_something(synthetic, filters):
    records = synthetic[0]
    totals = summarize(records, filters)
    assert totals == reference_summarize(records, filters)
    assert totals["attacks"] > 0 and totals["facilities_hit"]  # the comparison is not over empty views
