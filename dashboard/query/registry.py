"""Registered facilities: the assets a facility registry brought, where they are, and which were hit.

A facility registry (a ``kind = "registry"`` mapping, such as the Global Power Plant Database)
brings assets and no incidents, so a registered facility is an asset whose source codes no
incident. Only facilities located at a site or settlement (geo precision 1 or 2) count: an
oblast-level one is not a point, and cannot be "in view".

Examples
--------
>>> from dashboard.config import SEED_DATA_DIR
>>> from dashboard.records.load import load_records
>>> records = load_records(SEED_DATA_DIR).records
>>> facilities_in_view(records, np.ones(len(records.incidents), dtype=bool))  # the seed has no registry
{}
"""

from __future__ import annotations

import numpy as np

from dashboard.query.aggregate import MapView
from dashboard.query.index import index_of
from dashboard.records.load import Records


def registry_rows(records: Records, asset_types: tuple[str, ...] = ()) -> np.ndarray:
    """Positions in ``records.assets`` of the located registered facilities of these types (all when empty).

    Parameters
    ----------
    records : Records
        The records.
    asset_types : tuple of str
        The asset-type filter; empty means every type.

    Returns
    -------
    np.ndarray
        Row positions, in the assets' order.
    """
    assets = records.assets
    if assets.empty:
        return np.zeros(0, dtype=np.int64)
    # The located registered facilities, once per records (the index lives as long as they do):
    # a million incidents take ~60 ms to scan for their sources, and the page asks on every pan;
    # the assets' isin over those sources costs ~2 ms a call at 1M, so it is kept as well.
    index = index_of(records)
    located = getattr(index, "registry_located", None)
    if located is None:
        incident_sources = set(records.incidents["source_id"].unique())
        chosen = ~assets["source_id"].isin(incident_sources) & (assets["geo_precision"] != "3")
        located = index.registry_located = np.flatnonzero(chosen.to_numpy(dtype=bool))
    if asset_types and len(located):
        return located[assets["asset_type"].iloc[located].isin(asset_types).to_numpy(dtype=bool)]
    return located


def hits_per_asset(records: Records, mask: np.ndarray) -> np.ndarray:
    """How many impacts of the incidents in ``mask`` each row of ``records.assets`` has."""
    index = index_of(records)
    selected = mask[index.impact_incident]
    return np.bincount(index.impact_asset[selected], minlength=len(records.assets))


def inside(records: Records, rows: np.ndarray, view: MapView) -> np.ndarray:
    """Which of the asset ``rows`` lie inside the view's bounds (not padded: what the user sees)."""
    latitude = records.assets["latitude"].to_numpy(dtype=float)[rows]
    longitude = records.assets["longitude"].to_numpy(dtype=float)[rows]
    return (latitude >= view.south) & (latitude <= view.north) & (longitude >= view.west) & (longitude <= view.east)


def facilities_in_view(
    records: Records, mask: np.ndarray, asset_types: tuple[str, ...] = (), view: MapView | None = None
) -> dict[str, dict[str, int]]:
    """Per asset type, the registered facilities in view and how many of them were hit.

    Parameters
    ----------
    records : Records
        The records.
    mask : np.ndarray
        The filtered incidents (a boolean mask over ``records.incidents``): "hit" means an
        impact from one of them.
    asset_types : tuple of str
        The asset-type filter; empty means every type.
    view : MapView or None
        The map's bounds; None counts the whole country (what ``impact summary`` prints).

    Returns
    -------
    dict
        ``{asset_type: {"in_view": N, "hit": M}}`` for every type with a registered facility,
        in view or not (0 when none is in view), sorted by type; empty without a registry.
    """
    rows = registry_rows(records, asset_types)
    if len(rows) == 0:
        return {}
    types = records.assets["asset_type"].to_numpy(dtype=object)[rows]
    seen = np.ones(len(rows), dtype=bool) if view is None else inside(records, rows, view)
    hit = hits_per_asset(records, mask)[rows] > 0
    counts = {}
    for asset_type in sorted(set(types)):
        of_type = (types == asset_type) & seen
        counts[str(asset_type)] = {"in_view": int(of_type.sum()), "hit": int((of_type & hit).sum())}
    return counts
