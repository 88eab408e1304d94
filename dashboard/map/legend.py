"""The map's legend: its rows, and the room every fitted view leaves beside it for the data.

The legend is a Leaflet control at the top left (over Poland and Belarus in the country's
view). A view fitted to some bounds (the first view, the filters' view, a row chosen in the
incident table) leaves the legend's width free on the left, or its height free at the top,
whichever keeps the larger zoom, plus :data:`SYMBOL_MARGIN_PX` for the symbols' radius: so
no incident or facility drawn inside those bounds starts under the legend. A folded legend
(narrow maps) is a small button and needs little room.
"""

from __future__ import annotations

from dashboard.map.cells import NO_PEOPLE_COLOUR, PEOPLE_COLOURS
from dashboard.map.features import HIT_CATEGORIES, PEOPLE_ONLY, esc
from dashboard.map.fit import ATTRIBUTION_ROOM_PX, FIT_PADDING_PX

# Room for the legend costs at most this many zoom levels; a map too small for that (a frame
# still taking its size) fits as if there were no legend.
MAX_ZOOM_COST = 1
# The largest incident circle's radius (7 + 2 * sqrt(40) px) and a few pixels of air.
SYMBOL_MARGIN_PX = 24
# ``window.impactFit(map, bounds, animate)``, defined with the base map, used by every fitted view
# (the frame may still be taking its size: until the user presses or scrolls on the map, a resize
# fits the last fitted bounds again);
# ``window.impactWhenShown(map, fn)`` runs fn once the map is on screen (a hidden tab has no size,
# and a legend or a popup measured there would be measured as nothing).
FIT_JS = f"""
window.impactFit = function (map, bounds, animate) {{
var c = map.getContainer();
window.impactLastFit = bounds;
if (!c.clientWidth || !c.clientHeight || window.impactFitting) {{ return; }}
window.impactFitting = true;
map.invalidateSize({{pan: false}});
var tl = L.point({list(FIT_PADDING_PX)}), br = L.point([{FIT_PADDING_PX[0]}, {ATTRIBUTION_ROOM_PX}]);
var legend = c.querySelector(".impact-legend");
if (legend && legend.offsetWidth) {{
var f = c.getBoundingClientRect(), b = legend.getBoundingClientRect();
var beside = L.point(Math.max(tl.x, b.right - f.left + {SYMBOL_MARGIN_PX}), tl.y);
var under = L.point(tl.x, Math.max(tl.y, b.bottom - f.top + {SYMBOL_MARGIN_PX}));
var z = function (p) {{ var v = map.getBoundsZoom(bounds, false, p.add(br)); return isFinite(v) ? v : -1; }};
var zb = z(beside), zu = z(under);
if (Math.max(zb, zu) >= z(tl) - {MAX_ZOOM_COST}) {{ tl = zb >= zu ? beside : under; }}
}}
map.fitBounds(bounds, {{paddingTopLeft: tl, paddingBottomRight: br, animate: animate}});
window.impactFitting = false;
if (!window.impactRefits) {{
window.impactRefits = true;
var off = function () {{ window.impactLastFit = null; }};
c.addEventListener("pointerdown", off);
c.addEventListener("wheel", off);
map.on("resize", function () {{ if (window.impactLastFit) {{ impactFit(map, window.impactLastFit, false); }} }});
}}
}};
window.impactWhenShown = function (map, fn) {{
if (map.getContainer().clientWidth > 0) {{ fn(); return; }}
setTimeout(function () {{ window.impactWhenShown(map, fn); }}, 150);
}};
"""


def legend_html(boundary_note: str) -> str:
    """The legend's rows: what each colour and shape means, and the boundary file's note."""
    rows = [
        f'<div><span style="display:inline-block;width:10px;height:10px;border-radius:50%;'
        f'background:{colour};margin-right:4px"></span>{esc(label)}</div>'
        for label, colour, _ in HIT_CATEGORIES
    ]
    rows.append(
        f'<div><span style="display:inline-block;width:10px;height:10px;border-radius:50%;'
        f'background:{PEOPLE_ONLY[1]};margin-right:4px"></span>{esc(PEOPLE_ONLY[0])}</div>'
    )
    rows.append(
        '<div><span style="display:inline-block;width:10px;height:10px;border:2px solid #333;'
        'border-radius:50%;margin-right:4px"></span>Facility hit (small dot, dark ring)</div>'
    )
    rows.append(
        '<div><span style="display:inline-block;width:12px;height:8px;border:2px dashed #444;'
        'margin-right:4px"></span>Oblast-level report: area, not a point</div>'
    )
    rows.append("<div>Circle size: people killed and injured</div>")
    swatches = "".join(
        f'<span style="display:inline-block;width:10px;height:10px;border-radius:50%;background:{colour}"></span>'
        for colour in (NO_PEOPLE_COLOUR, *PEOPLE_COLOURS)
    )
    rows.append(
        f"<div>Numbered circles sum an area: size = incidents; colour = people cut off "
        f"{swatches} none, &gt;0, 1k, 10k, 100k+</div>"
    )
    rows.append(f'<div style="color:#555;overflow-wrap:anywhere">{esc(boundary_note)}</div>')
    return '<div style="font-weight:600">What was hit</div>' + "".join(rows)
