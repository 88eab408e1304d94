"""Map features for individual records: incidents styled by what they hit, facilities, oblast-level areas.

Every value from a record goes through ``records.safe_text.html_text`` here: escaped
(``$`` and backticks too) and isolated in a ``<bdi>``, so a right-to-left override in a
record cannot reverse the popup's own labels. The features reach the browser as JSON
(see ``dashboard.map.view.DataLayer``), never inside a JavaScript template literal.
"""

from __future__ import annotations

import html

import pandas as pd

from dashboard.map.cells import OBLAST_AREA_STYLE
from dashboard.query.index import index_of
from dashboard.records.load import Records
from dashboard.records.safe_text import html_text
from geo.boundaries import Boundaries

AREA_POPUP_LIMIT = (
    20  # oblast-level reports listed in one area's popup  # an oblast-sized circle when no outline is available
)
# Records listed in the popup of one spot (a city centre may hold hundreds); the rest are in the table.
SPOT_POPUP_LIMIT = 50
# What an incident hit decides its colour; the first category present wins.
HIT_CATEGORIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Heating, power or energy", "#d95f02", ("heating", "electricity", "energy")),
    ("Gas", "#e6ab02", ("gas",)),
    ("Water", "#1f78b4", ("water",)),
    ("Health", "#e7298a", ("health",)),
    ("Education", "#7570b3", ("education",)),
    ("Homes", "#a6761d", ("housing",)),
    ("Other civilian infrastructure", "#666666", ("transport", "unspecified")),
)
PEOPLE_ONLY = ("People harmed, no facility reported", "#1b9e77")
# The page's own font (Streamlit's "Source Sans"), if this machine has it, else its sans-serif:
# local fonts only, nothing fetched (the page works offline).
PAGE_FONT = '"Source Sans", "Source Sans Pro", "Source Sans 3", sans-serif'
# Narrow: every fitted view leaves its width free (dashboard.map.legend), at 1400 px a quarter of the map.
LEGEND_STYLE = (
    f"background:#fff;padding:6px 8px;font:12px/1.4 {PAGE_FONT};"
    "border-radius:4px;box-shadow:0 0 4px #0004;max-width:168px"
)
# Popup styles, defined once in the base map's page (``dashboard.map.view.MapNotes``), not in each popup.
POPUP_CSS = (
    f".leaflet-popup-content{{font-family:{PAGE_FONT};font-size:13px}}"
    ".impact-quote{margin:4px 0;padding-left:6px;border-left:3px solid #ccc}"
    ".impact-hits{margin:2px 0 2px 16px;padding:0}"
    ".leaflet-control-attribution{font-size:10px}"  # it covered the scale bar, four lines on a phone
)
# The page's font inside the map's frame: Streamlit's own @font-face rules, read from the page
# around the frame (same origin) with their font files' addresses made absolute. Only files of
# this server are used; another origin's page, or none, leaves the fallback of PAGE_FONT.
PAGE_FONT_JS = r"""
try {
    Array.prototype.forEach.call(window.parent.document.styleSheets, function (sheet) {
        var rules; try { rules = sheet.cssRules; } catch (e) { return; }
        Array.prototype.forEach.call(rules, function (rule) {
            if (rule.type !== CSSRule.FONT_FACE_RULE || rule.cssText.indexOf("Source Sans") < 0) { return; }
            css.textContent += rule.cssText.replace(/url\("?([^")]+)"?\)/g, function (whole, href) {
                var url = new URL(href, sheet.href || window.parent.location.href);
                return url.origin === window.location.origin ? 'url("' + url.href + '")' : "none";
            });
        });
    });
} catch (e) {}
"""
PRECISION_LABELS = {"1": "exact site", "2": "settlement centre (approximate)", "3": "oblast only"}


def esc(value: object) -> str:
    """HTML-escape the application's own text and ids; record text goes through ``html_text``."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return html.escape(str(value), quote=True)


def _point(longitude: object, latitude: object) -> list[float]:
    """GeoJSON coordinates to 5 decimals (about 1 m): a map needs no more, and the payload is smaller."""
    return [round(float(longitude), 5), round(float(latitude), 5)]


def _figure(value: object, unit: str = "") -> str:
    if value is None or pd.isna(value):
        return "not reported"
    return f"{int(value):,}{unit}"


def hit_category(services: set[str]) -> tuple[str, str]:
    """Legend label and colour for an incident that hit facilities with these services."""
    for label, colour, members in HIT_CATEGORIES:
        if services & set(members):
            return label, colour
    return PEOPLE_ONLY


def _services_by_incident(hit: pd.DataFrame) -> dict[str, set[str]]:
    return {incident: set(group["service"]) for incident, group in hit.groupby("incident_id")}


def _facility_items(hit: pd.DataFrame) -> dict[str, str]:
    """Per incident, its facilities as escaped list items (one pass over the impacts)."""
    if hit.empty:
        return {}
    items = "<li>" + hit["name"].map(html_text) + ": " + hit["state_after"].str.replace("_", " ").map(esc) + "</li>"
    return items.groupby(hit["incident_id"]).agg("".join).to_dict()


def _incident_popup(row, source_title: str, facility_rows: str) -> str:
    place = html_text(row.place) if row.place else f"{html_text(row.oblast)} (oblast-level report)"
    return (
        f"<b>{place}</b>, {html_text(row.oblast)}<br>"
        f"{esc(row.event_date.strftime('%Y-%m-%d'))} ({esc(row.date_precision)}; "
        f"as stated: {html_text(row.date_as_stated)})<br>"
        f"Location: {esc(PRECISION_LABELS.get(row.geo_precision, row.geo_precision))}<br>"
        f"Weapons: {esc(row.weapons.replace(';', ', '))}<br>"
        f"Perpetrator as reported: {html_text(row.perpetrator_as_reported)}<br>"
        f"{'Account and figures from: ' + html_text(row.reported_by) + '<br>' if row.reported_by else ''}"
        f"Killed: {_figure(row.killed)} (children {_figure(row.children_killed)}); "
        f"injured: {_figure(row.injured)} (children {_figure(row.children_injured)})<br>"
        + (f"Facilities hit:<ul class='impact-hits'>{facility_rows}</ul>" if facility_rows else "")
        + f"<blockquote class='impact-quote'>{html_text(row.quote)}</blockquote>"
        f"<small>Source: {html_text(source_title)} [{esc(row.source_id)}]</small>"
    )


def incident_features(
    records: Records, incidents: pd.DataFrame, hit: pd.DataFrame, boundaries: Boundaries
) -> list[dict]:
    """One feature per located incident; oblast-level incidents as one area per oblast."""
    services = _services_by_incident(hit)
    facility_items = _facility_items(hit)
    titles = dict(zip(records.sources["source_id"], records.sources["title"], strict=True))
    features: list[dict] = []
    areas: dict[str, list[str]] = {}
    # The first incident each area lists: a table row puts its incident first, and opens that popup.
    listed_ids: dict[str, list[str]] = {}
    area_counts = incidents.loc[incidents["geo_precision"] == "3", "oblast_iso"].value_counts().to_dict()
    for row in incidents.itertuples():
        if row.geo_precision == "3":
            # An area's popup lists its first reports only; the rest are in the Incidents tab.
            listed = areas.setdefault(row.oblast_iso, [])
            if len(listed) < AREA_POPUP_LIMIT:
                listed_ids.setdefault(row.oblast_iso, []).append(esc(row.incident_id))
                listed.append(
                    _incident_popup(
                        row, titles.get(row.source_id, row.source_id), facility_items.get(row.incident_id, "")
                    )
                )
            continue
        label, colour = hit_category(services.get(row.incident_id, set()))
        popup = _incident_popup(row, titles.get(row.source_id, row.source_id), facility_items.get(row.incident_id, ""))
        harmed = int((0 if pd.isna(row.killed) else row.killed) + (0 if pd.isna(row.injured) else row.injured))
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": _point(row.longitude, row.latitude),
                },
                "properties": {
                    "kind": "incident",
                    "id": esc(row.incident_id),
                    "services": sorted(services.get(row.incident_id, set())),
                    "popup": popup,
                    "tooltip": f"{html_text(row.place)}: {esc(label)} ({esc(row.event_date.strftime('%Y-%m-%d'))})",
                    "style": {
                        "className": "impact-incident",
                        "radius": 7 + min(harmed, 40) ** 0.5 * 2,
                        "color": "#222" if row.geo_precision == "1" else colour,
                        "weight": 2 if row.geo_precision == "1" else 1,
                        "fillColor": colour,
                        "fillOpacity": 0.8,
                    },
                },
            }
        )
    for iso, popups in areas.items():
        rows = incidents[(incidents["oblast_iso"] == iso) & (incidents["geo_precision"] == "3")]
        name = rows["oblast"].iloc[0]
        tooltip = f"{html_text(name)}: {area_counts[iso]:,} oblast-level report(s); exact location not known"
        style = OBLAST_AREA_STYLE
        popup = "<hr>".join(popups)
        if area_counts[iso] > len(popups):
            popup += f"<hr>… and {area_counts[iso] - len(popups):,} more oblast-level reports (see the Incidents tab)"
        outline = boundaries.outlines.get(iso)
        if outline is not None:
            features.append(
                {
                    "type": "Feature",
                    "geometry": outline,
                    "properties": {
                        "kind": "oblast_area",
                        "ids": listed_ids[iso][:1],
                        "shape": "area",
                        "popup": popup,
                        "tooltip": tooltip,
                        "style": style,
                    },
                }
            )
        else:
            row = rows.iloc[0]
            features.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "Point",
                        "coordinates": _point(row.longitude, row.latitude),
                    },
                    "properties": {
                        "kind": "oblast_area",
                        "ids": listed_ids[iso][:1],
                        "shape": "approximate",
                        "popup": popup,
                        "tooltip": "≈ approximate: " + tooltip,
                        "style": style,
                    },
                }
            )
    return features


def facility_features(hit: pd.DataFrame, records: Records) -> list[dict]:
    """One dot per asset hit (counted once), with service, people served and state."""
    features = []
    if hit.empty:
        return features
    per_asset = hit.groupby("asset_id").agg(
        states=("state_after", lambda s: ", ".join(sorted({v.replace("_", " ") for v in s}))),
        hits=("impact_id", "size"),
    )
    positions = index_of(records).asset_position.get_indexer(per_asset.index)
    assets = records.assets.iloc[positions[positions >= 0]].set_index("asset_id").join(per_asset)
    for asset_id, asset in zip(assets.index, assets.to_dict("records"), strict=True):
        if asset["geo_precision"] == "3":
            continue  # drawn with its incident's oblast area, never as a point
        label, colour = hit_category({asset["service"]})
        served = asset["people_served"]
        served_text = (
            "not stated"
            if pd.isna(served)
            else ("over " if asset["people_served_qualifier"] == "at_least" else "") + f"{int(served):,}"
        )
        states = asset["states"]
        count = ("at least " if asset["count_qualifier"] == "at_least" else "") + str(int(asset["asset_count"]))
        popup = (
            f"<b>{html_text(asset['name'])}</b><br>"
            f"Type: {esc(asset['asset_type'].replace('_', ' '))} ({esc(count)})<br>"
            f"Service: {esc(asset['service'])}; people served: {esc(served_text)}<br>"
            f"State after attack: {esc(states)}; hit {asset['hits']} time(s)<br>"
            f"<blockquote class='impact-quote'>{html_text(asset['quote'])}</blockquote>"
        )
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": _point(asset["longitude"], asset["latitude"]),
                },
                "properties": {
                    "kind": "facility",
                    "id": esc(asset_id),
                    "services": [esc(asset["service"])],
                    "popup": popup,
                    "tooltip": f"{html_text(asset['name'])}: {esc(states)}",
                    "style": {
                        "className": "impact-facility",
                        "radius": 4,
                        "color": "#222",
                        "weight": 2,
                        "fillColor": colour,
                        "fillOpacity": 1,
                    },
                },
            }
        )
    return features


def _spot(feature: dict) -> tuple[float, float]:
    longitude, latitude = feature["geometry"]["coordinates"]
    return round(latitude, 4), round(longitude, 4)  # about 10 m: the same point on screen at any zoom


def merge_spots(incidents: list[dict], facilities: list[dict]) -> tuple[list[dict], list[dict]]:
    """One incident symbol per spot, whose popup lists every incident and facility there.

    Symbols at one spot overlap on screen, so a click cannot choose among them: the
    spot's incidents become one circle (the largest one's size, the colour of everything
    they hit) opening the list, incidents in date order, then facilities. A facility
    under such a circle shows through it but takes no clicks of its own.
    """
    facilities_at: dict[tuple[float, float], list[dict]] = {}
    for feature in facilities:
        facilities_at.setdefault(_spot(feature), []).append(feature)
    incidents_at: dict[tuple[float, float], list[dict]] = {}
    for feature in incidents:
        incidents_at.setdefault(_spot(feature), []).append(feature)
    merged = []
    for spot, here in incidents_at.items():
        below = facilities_at.get(spot, [])
        if len(here) == 1 and not below:
            merged.append(here[0])
            continue
        records = len(here) + len(below)
        listed = (here + below)[:SPOT_POPUP_LIMIT]
        popup = f"<b>{records} records at this spot</b><hr>" + "<hr>".join(f["properties"]["popup"] for f in listed)
        if records > len(listed):
            popup += f"<hr>… and {records - len(listed):,} more here (see the Incidents tab)"
        largest = max(here, key=lambda f: f["properties"]["style"]["radius"])
        label, colour = hit_category(set().union(*(f["properties"]["services"] for f in here + below)))
        style = {**largest["properties"]["style"], "fillColor": colour, "fillOpacity": 0.55 if below else 0.8}
        tooltip = largest["properties"]["tooltip"] if len(here) == 1 else f"{len(here)} incidents here: {esc(label)}"
        properties = {**largest["properties"], "popup": popup, "tooltip": tooltip, "style": style}
        merged.append({**largest, "properties": {**properties, "ids": [f["properties"]["id"] for f in here]}})
    # A covered facility takes no clicks, so it needs no popup or tooltip of its own.
    covered = {"popup", "tooltip"}
    shown = [
        {**f, "properties": {**{k: v for k, v in f["properties"].items() if k not in covered}, "interactive": False}}
        if _spot(f) in incidents_at
        else f
        for f in facilities
    ]
    return merged, shown
