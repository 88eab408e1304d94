"""Large stores are read with repeating text columns as categories (a third less memory at 1M incidents).

Every output must be the same as from plain text columns: totals, the map, exports, timelines,
the filter choices and the snapshot. Here a small synthetic store is read both ways.
"""

from __future__ import annotations

from datetime import date

import pytest

import dashboard.store.sql as sql
from dashboard.io.csv_writer import to_csv_bytes
from dashboard.io.extract import geojson_bytes
from dashboard.io.importer import import_path
from dashboard.io.synth import write_synth
from dashboard.map.view import build_map
from dashboard.query.totals import Filters, choices, cut_off_timeline, filter_incidents, summarize, timeline
from dashboard.store.migrate import prepare_store
from geo.boundaries import load_boundaries

FILTERS = [
    Filters(),
    Filters(oblasts=("Kharkiv Oblast",)),
    Filters(cities=("Kharkiv",)),
    Filters(start=date(2023, 1, 1), end=date(2023, 3, 31)),
    Filters(weapons=("drone",)),
    Filters(asset_types=("school",)),
]


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    from dashboard.config import Settings

    folder = tmp_path_factory.mktemp("compact")
    settings = Settings.from_env(
        {"IMPACT_DB_URL": f"sqlite:///{folder / 's.sqlite'}", "IMPACT_QUARANTINE_DIR": str(folder / "q")}
    )
    engine = sql.create_engine(settings.db_url)
    prepare_store(engine)
    import_path(write_synth(3000, 4, folder / "synth"), engine, settings)
    plain = sql.read_records(engine)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sql, "COMPACT_FROM", 0)
        compact = sql.read_records(engine)
    assert str(compact.incidents["oblast"].dtype) == "category"
    return plain, compact


@pytest.mark.parametrize("filters", FILTERS, ids=repr)
def test_totals_and_timelines_are_the_same(both, filters):
    plain, compact = both
    assert summarize(compact, filters) == summarize(plain, filters)
    assert timeline(filter_incidents(compact, filters)).equals(timeline(filter_incidents(plain, filters)))
    assert cut_off_timeline(compact, filters).equals(cut_off_timeline(plain, filters))


def test_exports_and_choices_are_the_same(both):
    plain, compact = both
    kharkiv = Filters(oblasts=("Kharkiv Oblast",))
    assert to_csv_bytes(filter_incidents(compact, kharkiv)) == to_csv_bytes(filter_incidents(plain, kharkiv))
    assert geojson_bytes(filter_incidents(compact, kharkiv), compact) == geojson_bytes(
        filter_incidents(plain, kharkiv), plain
    )
    assert choices(compact) == choices(plain)


def test_the_map_is_the_same(both):
    plain, compact = both
    boundaries = load_boundaries(None)
    for filters in (Filters(cities=("Kharkiv",)), Filters()):
        ours = build_map(compact, filter_incidents(compact, filters), boundaries).get_root().render()
        theirs = build_map(plain, filter_incidents(plain, filters), boundaries).get_root().render()
        # Element ids are random per map: compare the data the map carries.
        strip = __import__("re").compile(r"_[0-9a-f]{32}")
        assert strip.sub("", ours) == strip.sub("", theirs)


def test_the_snapshot_keeps_the_values(both, tmp_path):
    from dashboard.store.snapshot import _write

    plain, compact = both
    _write(compact, tmp_path / "snap")
    import pandas as pd

    for table in sql.SCHEMAS:
        back = pd.read_parquet(tmp_path / "snap" / f"{table}.parquet")
        assert back.astype(str).equals(compact.table(table).astype(str)), table
