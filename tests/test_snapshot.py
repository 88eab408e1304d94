"""The Parquet snapshot: same records as the store, never stale after an import."""

from __future__ import annotations

import pandas as pd

from dashboard.io.open import open_store
from dashboard.store.snapshot import load_records, snapshot_dir
from dashboard.store.sql import read_records, store_version


def test_snapshot_equals_store_and_is_reused(settings, tmp_path):
    settings = settings.__class__(**{**settings.__dict__, "cache_dir": tmp_path / "cache"})
    engine = open_store(settings)
    first = load_records(engine, settings)
    folder = snapshot_dir(settings, store_version(engine))
    assert (folder / "incidents.parquet").is_file()
    second = load_records(engine, settings)
    stored = read_records(engine)
    for table in ("sources", "incidents", "assets", "impacts", "salvos"):
        pd.testing.assert_frame_equal(second.table(table), stored.table(table))
        pd.testing.assert_frame_equal(first.table(table), stored.table(table))


def test_import_makes_the_snapshot_stale(settings, tmp_path):
    from dashboard.config import PROJECT_ROOT
    from dashboard.io.importer import import_file

    settings = settings.__class__(**{**settings.__dict__, "cache_dir": tmp_path / "cache"})
    engine = open_store(settings)
    load_records(engine, settings)
    lines = (PROJECT_ROOT / "data" / "incidents.csv").read_text().splitlines()
    changed = tmp_path / "incidents.csv"
    changed.write_text("\n".join([lines[0], lines[1].replace("inc-001", "inc-101")]) + "\n")
    import_file(changed, engine, settings, "canonical")
    assert len(load_records(engine, settings).incidents) == 6
    versions = [p.name for p in snapshot_dir(settings, 0).parent.iterdir()]
    assert versions == [snapshot_dir(settings, store_version(engine)).name]  # older snapshots are removed


def test_a_snapshot_written_before_place_keys_were_geonames_ids_is_not_read(settings, tmp_path):
    # A snapshot from the previous release keeps "kherson"-style keys; a city filter
    # against it would find nothing, so the new release must rebuild rather than read it.
    settings = settings.__class__(**{**settings.__dict__, "cache_dir": tmp_path / "cache"})
    engine = open_store(settings)
    current = load_records(engine, settings)
    old = snapshot_dir(settings, store_version(engine)).parent / f"v{store_version(engine)}"
    old.mkdir()
    for table in ("sources", "incidents", "assets", "impacts", "salvos"):
        frame = current.table(table)
        if "place_key" in frame:
            frame = frame.assign(place_key="kherson")
        frame.to_parquet(old / f"{table}.parquet", index=False)
    again = load_records(engine, settings)
    assert again.incidents["place_key"].str.startswith("geonames:").sum() == 4


def test_a_damaged_snapshot_is_rebuilt_and_logged(settings, tmp_path, caplog):
    settings = settings.__class__(**{**settings.__dict__, "cache_dir": tmp_path / "cache"})
    engine = open_store(settings)
    load_records(engine, settings)
    damaged = snapshot_dir(settings, store_version(engine)) / "incidents.parquet"
    damaged.write_bytes(b"not parquet")
    with caplog.at_level("WARNING", logger="dashboard.store.snapshot"):
        records = load_records(engine, settings)
    assert len(records.incidents) == 5  # the store's records, not an error
    [message] = [r.getMessage() for r in caplog.records if r.name == "dashboard.store.snapshot"]
    assert "unreadable" in message and str(damaged.parent) in message and "\n" not in message
    pd.read_parquet(damaged)  # the rebuilt snapshot reads again
