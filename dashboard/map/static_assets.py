"""Leaflet and markercluster from installed XStatic packages, served by Streamlit's static serving.

folium's defaults fetch Leaflet, jQuery, Bootstrap and Font Awesome from CDNs.
The map needs only Leaflet and markercluster, copied here from the XStatic
packages and served at ``/app/static/vendor/...`` by the app itself.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import xstatic.pkg.leaflet as xs_leaflet
import xstatic.pkg.leaflet_markercluster as xs_markercluster

# Streamlit serves the folder named static beside the page script (dashboard/ui/app.py).
STATIC_DIR = Path(__file__).resolve().parent.parent / "ui" / "static"
VENDOR_DIR = STATIC_DIR / "vendor"
URL_PREFIX = "/app/static/vendor"

_PACKAGES = {"leaflet": Path(xs_leaflet.BASE_DIR), "markercluster": Path(xs_markercluster.BASE_DIR)}

LEAFLET_JS = f"{URL_PREFIX}/leaflet/leaflet.js"
LEAFLET_CSS = f"{URL_PREFIX}/leaflet/leaflet.css"
MARKERCLUSTER_JS = f"{URL_PREFIX}/markercluster/leaflet.markercluster.js"
MARKERCLUSTER_CSS = (
    f"{URL_PREFIX}/markercluster/MarkerCluster.css",
    f"{URL_PREFIX}/markercluster/MarkerCluster.Default.css",
)


def ensure_vendor_assets(target: Path = VENDOR_DIR) -> Path:
    """Copy the packaged files under ``target`` unless they are already there and current."""
    for name, source in _PACKAGES.items():
        destination = target / name
        for path in source.rglob("*"):
            if path.is_file() and path.suffix in (".js", ".css", ".png"):
                copy = destination / path.relative_to(source)
                if not copy.exists() or copy.stat().st_size != path.stat().st_size:
                    copy.parent.mkdir(parents=True, exist_ok=True)
                    _replace_with_copy(path, copy)
    return target


def _replace_with_copy(source: Path, copy: Path) -> None:
    """Write ``copy`` under a temporary name and rename it into place.

    Two app processes of one installation start together (deploy/), and Streamlit may serve a
    file while it is copied: a reader sees the old file or the whole new one, never a part.
    """
    with tempfile.NamedTemporaryFile(dir=copy.parent, prefix=f".{copy.name}.", delete=False) as staged:
        with open(source, "rb") as original:
            shutil.copyfileobj(original, staged)
    os.chmod(staged.name, 0o644)  # a temporary file is private to its owner; these are served
    os.replace(staged.name, copy)
