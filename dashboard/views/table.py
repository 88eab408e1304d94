"""The incident table's column labels: words on the page, the schema's column names in every download.

Examples
--------
>>> labels = column_labels(["event_date", "place", "killed", "some_new_column"])
>>> labels["event_date"], labels["killed"], labels["some_new_column"]
('Date', 'Killed', 'Some new column')
>>> column_width("quote"), column_width("killed"), column_width("place")
('medium', 100, None)
>>> reading_order(["incident_id", "quote", "killed", "event_date", "place"])
['event_date', 'place', 'killed', 'incident_id', 'quote']
"""

from __future__ import annotations

from collections.abc import Iterable

# Schema column -> the label a reader sees. A column missing here still gets a readable label.
INCIDENT_LABELS = {
    "incident_id": "Incident",
    "event_date": "Date",
    "date_precision": "Date precision",
    "date_as_stated": "Date as stated",
    "place": "Place",
    "oblast": "Oblast",
    "oblast_iso": "Oblast code",
    "latitude": "Latitude",
    "longitude": "Longitude",
    "geo_precision": "Location precision",
    "weapons": "Weapons",
    "perpetrator_as_reported": "Perpetrator (as reported)",
    "reported_by": "Reported by",
    "killed": "Killed",
    "injured": "Injured",
    "children_killed": "Children killed",
    "children_injured": "Children injured",
    "description": "Description",
    "event_type": "Event type",
    "source_id": "Source",
    "source_record_id": "Record id at the source",
    "source_url": "Source link",
    "quote": "Quote",
    "notes": "Notes",
}


def column_labels(columns: Iterable[str]) -> dict[str, str]:
    """A human label for each column: the table's own, else the name with spaces, capitalised."""
    return {name: INCIDENT_LABELS.get(name, name.replace("_", " ").capitalize()) for name in columns}


# What a reader scans first, in this order; the other columns follow in the schema's order.
FIRST_COLUMNS = (
    "event_date",
    "place",
    "oblast",
    "weapons",
    "killed",
    "injured",
    "children_killed",
    "children_injured",
)
# Sentences: a column of medium width (the cell shows the start, the whole on hover), so that
# one long "as stated" date does not push the casualty figures out of the table's width.
LONG_TEXT = ("date_as_stated", "description", "quote", "notes", "source_url", "perpetrator_as_reported")


def reading_order(columns: Iterable[str]) -> list[str]:
    """The columns with :data:`FIRST_COLUMNS` first (those present), then the rest as given."""
    names = list(columns)
    first = [name for name in FIRST_COLUMNS if name in names]
    return first + [name for name in names if name not in first]


# Wide enough for "not reported", which stands in a figure's place when the source gives none.
FIGURE_WIDTH_PX = 100
FIGURES = ("killed", "injured", "children_killed", "children_injured")


def column_width(name: str) -> str | int | None:
    """A column's width in the table: medium for sentences, room for "not reported" for figures, else auto."""
    if name in LONG_TEXT:
        return "medium"
    return FIGURE_WIDTH_PX if name in FIGURES else None
