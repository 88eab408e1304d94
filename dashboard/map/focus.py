"""One incident brought into view with its popup open, and the map's view reported when the page needs it.

Both sit in the filtered feature group, which st_folium replaces on every rerun without
remounting the map (its key and the base map stay the same): a child layer's "add" event
gives them the map, as for :class:`dashboard.map.fit.FitView`.
"""

from __future__ import annotations

import json

from branca.element import MacroElement
from jinja2 import Template


class FocusIncident(MacroElement):
    """Fit the map to one incident and open its popup, once per choice (``key``).

    The popup is the incident's own, or that of the spot or oblast area it is drawn in (merged
    symbols list every record there; the chosen one comes first). Reruns with the same key
    leave the map alone, so the user can pan away; a new choice, even of the same incident,
    has a new key. On a hidden tab the map waits until it is shown: a popup laid out with no
    size would be placed wrong.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.layerGroup().on("add", function (event) {
            var map = event.target._map, key = {{ this.key|tojson }}, target = {{ this.incident_id|tojson }};
            var state = window.impactFocus = window.impactFocus || {};
            state.key = key;
            if (state.opened === key) { return; }
            function symbol() {
                var found = null;
                map.eachLayer(function (layer) {
                    var p = layer.feature && layer.feature.properties;
                    if (found || !p || !layer.getPopup || !layer.getPopup()) { return; }
                    if (p.kind !== "incident" && p.kind !== "oblast_area") { return; }
                    if (p.id === target || (p.ids || []).indexOf(target) >= 0) { found = layer; }
                });
                return found;
            }
            // After the whole group is on the map (its symbols are added after this layer).
            setTimeout(function () {
                window.impactWhenShown(map, function () {
                    if (state.key !== key || state.opened === key) { return; }  // a newer choice, or done
                    if (state.fitted !== key) {
                        map.closePopup();  // before fitting: closing a popup puts back the view it opened on
                        state.fitted = key;
                        window.impactFit(map, {{ this.bounds|tojson }}, false);
                    }
                    var layer = symbol();
                    if (layer) { state.opened = key; layer.openPopup(); }
                });
            }, 0);
        }).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, incident_id: str, bounds: list[list[float]], key: str) -> None:
        super().__init__()
        self._name = "FocusIncident"
        self.incident_id = incident_id
        self.bounds = bounds
        self.key = key


class ReportView(MacroElement):
    """Tell the mounted map which of its state the page wants back (st_folium's ``returned_objects``).

    st_folium reads ``returned_objects`` once, when the map is mounted; a page that starts
    needing the map's bounds later (the table's "only in view" switched on) would never get
    them. This sets the list on every rerun and, when the bounds are newly wanted, reports the
    current view at once.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.layerGroup().on("add", function (event) {
            var map = event.target._map, data = window.__GLOBAL_DATA__, wanted = {{ this.objects|tojson }};
            if (!data) { return; }
            var had = (data.returned_objects || []).indexOf("bounds") >= 0;
            data.returned_objects = wanted;
            if (!had && wanted.indexOf("bounds") >= 0) { map.fire("moveend"); }
        }).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, objects: list[str]) -> None:
        super().__init__()
        self._name = "ReportView"
        self.objects = json.loads(json.dumps(list(objects)))
