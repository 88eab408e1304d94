"""Hostile text for the "text shows as text" tests, and a record folder carrying it in every text column.

Each payload becomes one source (its document holds the payload, so the quote rule
passes), one incident in its own oblast (markers far enough apart to click one by one),
one asset next to it, one impact and one salvo; every text column of each holds the
payload. The folder is the seed records plus these, imported through the importer like
any record folder.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from dashboard.records.schemas import SCHEMAS
from tests.builders import record_folder

BIDI = "\u202eoverride"
LONG = "100 KB: " + "<b>${x}</b> `y` " * 6_400  # 102,400 characters after the prefix
PAYLOADS: tuple[str, ...] = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">a javascript: link</a>',
    "[a javascript: link](javascript:alert(1))",
    "![x](http://evil.example/p.png)",
    "[a link](http://evil.example/)",
    "{{7*7}}",
    "${alert(1)}",
    "`code` and ```fence```",
    "</script><script>alert(1)</script>",
    "**bold** _em_ :red[red] :smile: $x^2$ # heading",
    BIDI,
    LONG,
)
# Each payload's incident: an oblast and a point inside it (its capital), far from the others.
PLACES: tuple[tuple[str, str, float, float], ...] = (
    ("Lviv Oblast", "UA-46", 49.8397, 24.0297),
    ("Volyn Oblast", "UA-07", 50.7472, 25.3254),
    ("Rivne Oblast", "UA-56", 50.6199, 26.2516),
    ("Zhytomyr Oblast", "UA-18", 50.2547, 28.6587),
    ("Vinnytsia Oblast", "UA-05", 49.2331, 28.4682),
    ("Chernivtsi Oblast", "UA-77", 48.2915, 25.9403),
    ("Ivano-Frankivsk Oblast", "UA-26", 48.9226, 24.7111),
    ("Odesa Oblast", "UA-51", 46.4825, 30.7233),
    ("Cherkasy Oblast", "UA-71", 49.4444, 32.0598),
    ("Poltava Oblast", "UA-53", 49.5883, 34.5514),
    ("Sumy Oblast", "UA-59", 50.9077, 34.7981),
    ("Chernihiv Oblast", "UA-74", 51.4982, 31.2893),  # the bidi payload: "…, Chernihiv Oblast" must read right
    ("Kharkiv Oblast", "UA-63", 49.9935, 36.2304),
)
assert len(PLACES) == len(PAYLOADS)
BIDI_OBLAST = PLACES[PAYLOADS.index(BIDI)][0]
# Where the oblast-level copies go (``payload_folder(..., oblast_level=True)``): an oblast no
# other payload or seed symbol is in, so a click inside its area opens the area's popup.
AREA_PLACE: tuple[str, str, float, float] = ("Kirovohrad Oblast", "UA-35", 48.5079, 32.2623)


def payload_rows(index: int, payload: str) -> dict[str, dict[str, str]]:
    """One row per table for payload number ``index``, every text column holding the payload."""
    oblast, iso, lat, lon = PLACES[index]
    source = f"src-p{index:02d}"
    return {
        "sources": {
            "source_id": source,
            "title": payload,
            "publisher": payload,
            "date_published": "2024-03-20",
            "dates_as_stated": payload,
            "path": f"seeds/payload_{index:02d}.txt",
            "notes": payload,
            "url": payload,
            "attribution": payload,
        },
        "incidents": {
            "incident_id": f"inc-p{index:02d}",
            "event_date": "2024-03-20",
            "date_precision": "day",
            "date_as_stated": payload,
            "place": payload,
            "oblast": oblast,
            "oblast_iso": iso,
            "latitude": f"{lat}",
            "longitude": f"{lon}",
            "geo_precision": "2",
            "weapons": "drone",
            "perpetrator_as_reported": payload,
            "reported_by": payload,
            "killed": "1",
            "injured": "2",
            "description": payload,
            "event_type": payload,
            "source_id": source,
            "source_record_id": payload,
            "source_url": payload,
            "quote": payload,
            "notes": payload,
        },
        "assets": {
            "asset_id": f"ast-p{index:02d}",
            "name": payload,
            "asset_type": "school",
            "service": "education",
            "people_served": "100",
            "people_served_qualifier": "exact",
            "asset_count": "1",
            "count_qualifier": "exact",
            "place": payload,
            "oblast": oblast,
            "oblast_iso": iso,
            # Just south of the incident: its own dot, clickable beside the incident's circle.
            "latitude": f"{lat - 0.3:.4f}",
            "longitude": f"{lon:.4f}",
            "geo_precision": "1",
            "source_id": source,
            "quote": payload,
        },
        "impacts": {
            "impact_id": f"imp-p{index:02d}",
            "incident_id": f"inc-p{index:02d}",
            "asset_id": f"ast-p{index:02d}",
            "state_after": "damaged",
            "people_without_service": "10",
            "people_qualifier": "exact",
            "source_id": source,
            "quote": payload,
        },
        "salvos": {
            "salvo_id": f"sal-p{index:02d}",
            "launch_date": "2024-03-20",
            "date_precision": "day",
            "date_as_stated": payload,
            "weapon": "drone",
            "launched": "1",
            "launched_by_as_reported": payload,
            "target_area": payload,
            "source_id": source,
            "quote": payload,
        },
    }


def text_columns(table: str) -> list[str]:
    """The free-text columns of a table, per the schema."""
    return [name for name, spec in SCHEMAS[table].columns.items() if spec.kind == "text"]


def _with_rows(table: str, rows: list[dict[str, str]]):
    def edit(text: str) -> str:
        existing = list(csv.DictReader(io.StringIO(text)))
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(SCHEMAS[table].columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(existing + rows)
        return out.getvalue()

    return edit


def area_incident(index: int, payload: str) -> dict[str, str]:
    """Payload number ``index`` again, as an oblast-level report (no place, drawn as the oblast's area)."""
    oblast, iso, lat, lon = AREA_PLACE
    row = payload_rows(index, payload)["incidents"]
    row.update(
        incident_id=f"inc-a{index:02d}",
        place="",
        oblast=oblast,
        oblast_iso=iso,
        latitude=f"{lat}",
        longitude=f"{lon}",
        geo_precision="3",
    )
    return row


def payload_folder(target: Path, oblast_level: bool = False) -> Path:
    """The seed records plus one set of rows per payload, with each payload's source document.

    With ``oblast_level``, each payload is also one oblast-level incident in ``AREA_PLACE``'s
    oblast, so the area's popup carries every payload too.
    """
    rows = [payload_rows(i, p) for i, p in enumerate(PAYLOADS)]
    if oblast_level:
        rows += [{"incidents": area_incident(i, p)} for i, p in enumerate(PAYLOADS)]
    folder = record_folder(target, **{f"{t}_edit": _with_rows(t, [r[t] for r in rows if t in r]) for t in SCHEMAS})
    for i, payload in enumerate(PAYLOADS):
        (target / "seeds" / f"payload_{i:02d}.txt").write_text(f"A document.\n{payload}\n", encoding="utf-8")
    return folder


def rejected_upload(path: Path) -> Path:
    """An incidents CSV whose every row is rejected, each naming a payload as the rejected value."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(SCHEMAS["incidents"].columns), lineterminator="\n")
    writer.writeheader()
    for i, payload in enumerate(PAYLOADS):
        row = payload_rows(i, payload)["incidents"]
        row.update(incident_id=f"inc-r{i:02d}", event_date=payload, oblast_iso=payload, source_id="src-000")
        writer.writerow(row)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path
