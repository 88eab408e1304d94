"""CSV extracts: exactly the filtered rows, documented columns, safe in a spreadsheet."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from dashboard.io.csv_writer import neutralise_formula, to_csv_bytes
from dashboard.query.totals import Filters, filter_incidents
from dashboard.records.schemas import IncidentSchema


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_neutralised(cell):
    assert neutralise_formula(cell) == "'" + cell


def test_ordinary_text_is_untouched():
    assert neutralise_formula("Kherson Thermal Power Plant") == "Kherson Thermal Power Plant"


def test_csv_has_documented_header_and_filtered_rows(records):
    data = to_csv_bytes(filter_incidents(records, Filters(oblasts=("Kherson",))))
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    assert list(frame.columns) == list(IncidentSchema.columns)
    assert frame["incident_id"].tolist() == ["inc-002", "inc-003", "inc-005"]
    assert frame["event_date"].tolist() == ["2024-03-12", "2024-03-14", "2024-03-14"]


def test_numbers_untouched_and_text_neutralised(records):
    incidents = filter_incidents(records, Filters()).copy()
    incidents.loc[incidents.index[0], "description"] = '=HYPERLINK("http://evil")'
    frame = pd.read_csv(io.BytesIO(to_csv_bytes(incidents)), dtype=str, keep_default_na=False)
    assert frame.loc[0, "description"].startswith("'=")
    by_id = frame.set_index("incident_id")
    assert by_id.loc["inc-005", "latitude"] == "46.5506" and by_id.loc["inc-005", "killed"] == "2"
    assert by_id.loc["inc-001", "killed"] == ""  # not reported stays blank, not 0
