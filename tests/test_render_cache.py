"""The map's unchanging parts are compiled once per process, and the map is the same as without that."""

from __future__ import annotations

import re

import branca.element
import jinja2

from dashboard.config import SEED_DATA_DIR
from dashboard.map.render_cache import labels_for
from dashboard.map.view import build_map
from dashboard.query.totals import Filters, filter_incidents
from dashboard.records.load import load_records
from geo.boundaries import load_boundaries


def _html(boundary_file) -> str:
    records = load_records(SEED_DATA_DIR).records
    m = build_map(records, filter_incidents(records, Filters()), load_boundaries(str(boundary_file)))
    return re.sub(r"[0-9a-f]{32}", "ID", m.get_root().render())  # folium names elements by random ids


def test_a_rerun_reuses_the_compiled_outlines_and_draws_the_same_map(boundary_file, monkeypatch):
    first = _html(boundary_file)
    # The same text (outlines, labels, legend) gives the same compiled template, not a new compile.
    source = "<div>{{ 6 * 7 }}</div>"
    assert branca.element.Template(source) is branca.element.Template(source)
    assert _html(boundary_file) == first
    monkeypatch.setattr(branca.element, "Template", jinja2.Template)  # what folium does on its own
    assert _html(boundary_file) == first


def test_labels_are_computed_once_per_boundaries(boundary_file):
    boundaries = load_boundaries(str(boundary_file))
    assert labels_for(boundaries) is labels_for(boundaries)
    assert labels_for(load_boundaries(None)) is not labels_for(boundaries)
