"""What every rerun's map renders the same way, made once per process instead of on every rerun.

The page builds a new folium map on each rerun (``st_folium`` adds the data layers to the
map it is given), and folium renders it several times per rerun. Two costs repeat although
their result does not change:

- branca wraps every rendered piece of the map in a new ``jinja2.Template`` and so
  tokenizes and compiles the same text again on every rerun (about a quarter of a seed
  rerun's server time); :func:`install` makes branca reuse the template compiled from the
  same text (within a rerun, where st_folium renders the same map three times, and across
  reruns for the pieces that name no element). Building and rendering the base map twice
  took 95-134 ms with it, 170-260 ms without (seed, shared machine);
- the map's labels depend only on the boundaries: :func:`labels_for` computes them once.

Examples
--------
>>> install()
>>> import branca.element
>>> branca.element.Template("<b>{{ 1 + 1 }}</b>") is branca.element.Template("<b>{{ 1 + 1 }}</b>")
True
>>> branca.element.Template("<b>{{ 1 + 1 }}</b>").render()
'<b>2</b>'
"""

from __future__ import annotations

import functools
import threading

import branca.element
import jinja2

from dashboard.map.labels import map_labels
from geo.boundaries import Boundaries

# A rerun compiles about 13 pieces, 6 of them distinct per map: the pieces that name the map's
# elements recur within the rerun (st_folium renders the map three times), the rest on every
# rerun. 32 covers a few reruns; at 1M incidents a data layer's piece is up to ~500 KB, so
# this holds about 15 MB at most.
TEMPLATES_KEPT = 32


@functools.lru_cache(maxsize=TEMPLATES_KEPT)
def _compiled(source: str) -> jinja2.Template:
    return jinja2.Template(source)


class _SameSourceTemplate(jinja2.Template):
    """``jinja2.Template(source)``, reusing the template compiled from an equal source.

    A compiled template is immutable and renders the same for the same context, so
    sharing it changes no output; only the plain ``Template(source)`` call is cached.
    """

    def __new__(cls, source, *args, **kwargs):  # noqa: D102 - jinja2.Template's signature
        if args or kwargs or not isinstance(source, str):
            return jinja2.Template(source, *args, **kwargs)
        return _compiled(source)


def install() -> None:
    """Make branca (folium's element tree) reuse compiled templates; idempotent."""
    branca.element.Template = _SameSourceTemplate


_labels: dict[int, tuple[Boundaries, list[list]]] = {}
_labels_lock = threading.Lock()


def labels_for(boundaries: Boundaries) -> list[list]:
    """:func:`dashboard.map.labels.map_labels` of these boundaries, computed once per boundaries object.

    Keyed by the object (the page keeps one per boundary file, ``st.cache_resource``), which
    the entry holds, so its id is not reused while the entry lives.
    """
    with _labels_lock:
        entry = _labels.get(id(boundaries))
        if entry is not None and entry[0] is boundaries:
            return entry[1]
    labels = map_labels(boundaries)
    with _labels_lock:
        if len(_labels) >= 8:  # a few boundary files at most; forget the oldest
            _labels.pop(next(iter(_labels)))
        _labels[id(boundaries)] = (boundaries, labels)
    return labels
