"""People cut off, counted as people: per place and day, never more than the place's population.

Hand-made cases on top of the seed: water facilities in Kherson, hit on days the seed has
no other water impact, so each case reads only its own rows.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import numpy as np
import pytest

from dashboard.query.totals import Filters, summarize
from dashboard.records.load import load_records
from geo.population import oblast_population, ukraine_population
from tests.builders import record_folder

PLANT_QUOTE = None  # filled from the seed's own rows (quotes must be in the article)


def _rows(text: str) -> tuple[list[str], list[dict]]:
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


def _text(header: list[str], rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def with_incidents(*added: dict):
    """Edit: copies of the power-plant incident (inc-003, Kherson) with other ids and days."""

    def edit(text: str) -> str:
        header, rows = _rows(text)
        template = next(r for r in rows if r["incident_id"] == "inc-003")
        return _text(header, rows + [{**template, **row} for row in added])

    return edit


def with_assets(*added: dict):
    """Edit: copies of the Kherson power plant asset as other facilities."""

    def edit(text: str) -> str:
        header, rows = _rows(text)
        template = next(r for r in rows if r["asset_id"] == "ast-004")
        return _text(header, rows + [{**template, **row} for row in added])

    return edit


def with_impacts(*added: dict):
    """Edit: impacts copied from the power plant's, with a restored_on column added."""

    def edit(text: str) -> str:
        header, rows = _rows(text)
        template = next(r for r in rows if r["impact_id"] == "imp-004")
        header = header + [c for c in ("restored_on", "restoration_as_stated") if c not in header]
        return _text(header, rows + [{**template, **row} for row in added])

    return edit


def water_case(tmp_path, impacts: list[dict], served=(30000, 40000)):
    """Two water stations serving Kherson (30,000 and 40,000 people), hit on 2024-05-01."""
    folder = record_folder(
        tmp_path,
        incidents_edit=with_incidents({"incident_id": "inc-w1", "event_date": "2024-05-01"}),
        assets_edit=with_assets(
            *(
                {
                    "asset_id": f"ast-w{n}",
                    "name": f"Water station {n}",
                    "asset_type": "water_facility",
                    "service": "water",
                    "people_served": str(people),
                }
                for n, people in enumerate(served, start=1)
            )
        ),  # fmt: skip
        impacts_edit=with_impacts(*impacts),
    )
    report = load_records(folder)
    assert report.failures.empty, report.failures.to_dict("records")
    return report.records


def out(impact_id: str, asset_id: str, people: int | str = "", **extra) -> dict:
    return {"impact_id": impact_id, "incident_id": "inc-w1", "asset_id": asset_id, "state_after": "out_of_service",
            "people_without_service": str(people), **extra}  # fmt: skip


MAY = Filters(start=date(2024, 5, 1), end=date(2024, 5, 2))


def test_two_facilities_serving_one_town_count_the_town_once(tmp_path):
    records = water_case(tmp_path, [out("imp-w1", "ast-w1", 30000), out("imp-w2", "ast-w2", 40000)])
    water = summarize(records, MAY)["people_cut_off"]["water"]
    # Both out on 1 May and not restored: 40,000 people (the larger), not 70,000, on both days.
    assert water == {"at_peak": 40000, "on_end_date": 40000, "person_days": 80000}
    assert summarize(records, MAY)["people_without_service"]["water"] == 40000


def test_restored_the_next_day(tmp_path):
    restored = {"restored_on": "2024-05-02", "restoration_as_stated": "Water was restored the next day."}
    records = water_case(
        tmp_path, [out("imp-w1", "ast-w1", 30000, **restored), out("imp-w2", "ast-w2", 40000, **restored)]
    )
    water = summarize(records, MAY)["people_cut_off"]["water"]
    assert water == {"at_peak": 40000, "on_end_date": 0, "person_days": 40000}
    assert summarize(records, MAY)["open_outages"] == 0


def test_one_restored_one_still_out(tmp_path):
    records = water_case(
        tmp_path, [out("imp-w1", "ast-w1", 30000), out("imp-w2", "ast-w2", 40000, restored_on="2024-05-02")]
    )
    water = summarize(records, MAY)["people_cut_off"]["water"]
    # 1 May: max(30,000, 40,000); 2 May: only the 30,000 station is still out.
    assert water == {"at_peak": 40000, "on_end_date": 30000, "person_days": 70000}
    assert summarize(records, MAY)["open_outages"] == 1


def test_a_facility_hit_twice_counts_its_people_once(tmp_path):
    records = water_case(tmp_path, [out("imp-w1", "ast-w1", 30000), out("imp-w2", "ast-w1", 30000)], served=(30000,))
    assert summarize(records, MAY)["people_cut_off"]["water"]["at_peak"] == 30000


def test_no_figure_exceeds_the_place_population(tmp_path):
    from geo.place_ids import place_population

    records = water_case(tmp_path, [out("imp-w1", "ast-w1", 5_000_000)], served=(5_000_000,))
    kherson = records.assets.loc[records.assets["asset_id"] == "ast-w1", "place_key"].iloc[0]
    population = place_population(kherson)
    assert 0 < population < 5_000_000  # GeoNames gives Kherson a population: the settlement ceiling applies
    assert summarize(records, MAY)["people_cut_off"]["water"]["at_peak"] == population


def test_the_seed_keeps_its_40000_without_heating(records):
    totals = summarize(records)
    assert totals["people_cut_off"]["heating"]["at_peak"] == 40000
    assert totals["people_cut_off"]["heating"]["on_end_date"] == 40000
    assert totals["people_without_service"] == {"heating": 40000}
    assert totals["open_outages"] == 1


def test_population_table_covers_every_unit():
    from geo.oblasts import OBLASTS

    assert {o.iso for o in OBLASTS} == set(oblast_population())
    assert 40_000_000 < ukraine_population() < 46_000_000


@pytest.mark.slow
def test_synthetic_totals_never_exceed_ukraine(tmp_path):
    from dashboard.io.synth import synthesize
    from dashboard.records.load import validate_texts

    tables = synthesize(100_000, seed=3)
    records = validate_texts(
        {name: frame.astype(str) for name, frame in tables.items()}, tmp_path, known_documents=None
    ).records
    totals = summarize(records)
    for service, figures in totals["people_cut_off"].items():
        assert figures["at_peak"] <= ukraine_population(), service
        assert figures["on_end_date"] <= figures["at_peak"]
    for service, people in totals["people_without_service"].items():
        assert people <= ukraine_population(), service


def test_a_restoration_before_the_attack_is_rejected(tmp_path):
    folder = record_folder(
        tmp_path,
        incidents_edit=with_incidents({"incident_id": "inc-w1", "event_date": "2024-05-01"}),
        impacts_edit=with_impacts(out("imp-w1", "ast-004", 100, restored_on="2024-04-30")),
    )
    failures = load_records(folder).failures
    rows = failures[failures["column"] == "restored_on"].to_dict("records")
    assert [(r["file"], r["line"], r["value"]) for r in rows] == [("impacts.csv", 8, "2024-04-30")]
    assert rows[0]["rule"] == "must not be before the incident's day (2024-05-01)"


# ---------------------------------------------------------------- the rule, against brute force

GROUPS = {  # group: (pair, oblast-wide, place ceiling)
    0: (0, False, 60),  # settlement A of oblast 1
    1: (0, False, 50),  # settlement B of oblast 1
    2: (0, True, 150),  # oblast 1 as a whole
    3: (1, False, 40),  # settlement C of oblast 2
}
OBLAST_CAP = {0: 150, 1: 45}


def brute_force(impacts, last_day):
    """Expand every day: per place the largest active figure, per oblast max(wide, sum), capped."""
    levels = []
    for day in range(last_day + 1):
        place = dict.fromkeys(GROUPS, 0)
        for group, start, stop, people in impacts:
            if start <= day < min(stop, last_day + 1):
                place[group] = max(place[group], min(people, GROUPS[group][2]))
        total = 0
        for pair, cap in OBLAST_CAP.items():
            settlements = sum(v for g, v in place.items() if GROUPS[g][0] == pair and not GROUPS[g][1])
            wide = max([v for g, v in place.items() if GROUPS[g][0] == pair and GROUPS[g][1]], default=0)
            total += min(cap, max(settlements, wide))
        levels.append(total)
    first = min((start for _, start, _, _ in impacts), default=0)
    in_range = levels[first:]
    return {"at_peak": max(levels), "on_end_date": levels[-1], "person_days": sum(in_range)}


def test_the_rule_matches_a_day_by_day_count():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from dashboard.query.outages import NO_END, OutageIndex, people_cut_off

    impact = st.tuples(
        st.sampled_from(sorted(GROUPS)),
        st.integers(0, 6),
        st.one_of(st.just(None), st.integers(0, 8)),
        st.integers(1, 120),
    )

    @settings(max_examples=300, deadline=None)
    @given(st.lists(impact, min_size=1, max_size=8), st.integers(0, 9))
    def check(rows, last_day):
        rows = [(g, s, NO_END if r is None else s + r, p) for g, s, r, p in rows if s <= last_day]
        rows.sort(key=lambda row: (row[0], row[1]))
        if not rows:
            return
        group, start, stop, people = (np.array(column, dtype=np.int64) for column in zip(*rows, strict=True))
        caps = np.array([GROUPS[g][2] for g in sorted(GROUPS)], dtype=np.int64)
        outages = OutageIndex(
            order=np.arange(len(rows)),
            group=group,
            start=start,
            stop=stop,
            people=np.minimum(people, caps[group]),
            group_cap=caps,
            group_pair=np.array([GROUPS[g][0] for g in sorted(GROUPS)], dtype=np.int64),
            group_is_oblast=np.array([GROUPS[g][1] for g in sorted(GROUPS)], dtype=bool),
            pair_service=np.array([0, 0], dtype=np.int64),
            pair_cap=np.array([OBLAST_CAP[0], OBLAST_CAP[1]], dtype=np.int64),
        )
        figures, _ = people_cut_off(outages, np.ones(len(rows), dtype=bool), last_day)
        expected = brute_force(rows, last_day)
        got = figures.get("heating", {"at_peak": 0, "on_end_date": 0, "person_days": 0})
        assert got == expected if expected["at_peak"] else not figures

    check()


def test_the_timeline_of_people_cut_off_ends_on_the_end_date_figure(tmp_path):
    from dashboard.query.totals import cut_off_timeline

    records = water_case(
        tmp_path, [out("imp-w1", "ast-w1", 30000), out("imp-w2", "ast-w2", 40000, restored_on="2024-05-02")]
    )
    water = cut_off_timeline(records, MAY)["water"]
    assert list(water.index.strftime("%Y-%m-%d")) == ["2024-05-01", "2024-05-02"]
    assert list(water) == [40000, 30000]
    totals = summarize(records, MAY)["people_cut_off"]["water"]
    assert water.iloc[-1] == totals["on_end_date"] and water.max() == totals["at_peak"]
    assert water.sum() == totals["person_days"]
