"""The timeline charts: a day axis (not hours), killed and injured told apart, nothing drawn for nothing."""

from __future__ import annotations

from dashboard.query.totals import Filters, cut_off_timeline, filter_incidents, timeline
from dashboard.views.charts import CASUALTY_COLOURS, attacks_chart, casualties_chart, cut_off_chart


def test_bars_are_days_on_a_day_axis(records):
    spec = attacks_chart(timeline(filter_incidents(records, Filters()))).to_dict()
    assert spec["encoding"]["x"]["timeUnit"] == "yearmonthdate"
    assert "%H" not in spec["encoding"]["x"]["axis"]["format"] and "%p" not in spec["encoding"]["x"]["axis"]["format"]
    assert spec["encoding"]["y"]["axis"]["format"] == "d"  # whole attacks, never "0.000000"


def test_killed_and_injured_have_distinct_colours(records):
    spec = casualties_chart(timeline(filter_incidents(records, Filters()))).to_dict()
    scale = spec["encoding"]["color"]["scale"]
    assert scale["domain"] == ["killed", "injured"] and len(set(scale["range"])) == 2
    assert set(scale["range"]) == set(CASUALTY_COLOURS.values())


def test_an_empty_view_draws_nothing(records):
    empty = Filters(cities=("Lviv",))
    assert attacks_chart(timeline(filter_incidents(records, empty))) is None
    assert casualties_chart(timeline(filter_incidents(records, empty))) is None
    assert cut_off_chart(cut_off_timeline(records, empty)) is None


def test_people_cut_off_chart_plots_the_counted_figures(records):
    per_day = cut_off_timeline(records)
    assert int(per_day["heating"].max()) == 40000
    data = cut_off_chart(per_day).to_dict()["datasets"]
    values = [row["value"] for rows in data.values() for row in rows if row["service"] == "heating"]
    assert max(values) == 40000
