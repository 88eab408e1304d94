"""The incident table's column labels: words on the page, the schema's column names in every download.

Examples
--------
>>> labels = column_labels(["event_date", "place", "killed", "some_new_column"])
>>> labels["event_date"], labels["killed"], labels["some_new_column"]
('Date', 'Killed', 'Some new column')
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
