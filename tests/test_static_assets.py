"""The page's own copy of Leaflet: complete, current, and never half-written where it is served."""

from __future__ import annotations

import stat

from dashboard.map.static_assets import _PACKAGES, ensure_vendor_assets


def test_a_part_written_copy_is_replaced_whole_and_leaves_no_temporary_file(tmp_path):
    ensure_vendor_assets(tmp_path)
    leaflet = tmp_path / "leaflet" / "leaflet.js"
    original = (_PACKAGES["leaflet"] / "leaflet.js").read_bytes()
    assert leaflet.read_bytes() == original
    leaflet.write_bytes(original[:1000])  # what a copy cut off midway leaves
    ensure_vendor_assets(tmp_path)
    assert leaflet.read_bytes() == original
    assert stat.S_IMODE(leaflet.stat().st_mode) & 0o044 == 0o044  # readable by the server, whoever runs it
    assert [p.name for p in tmp_path.rglob(".*")] == []
