"""Proposed links from an incident's unnamed facility hit to the registry facility it most likely was.

An *unnamed* asset is the one a mapping's ``[facilities]`` table (or a canonical file written
the same way) creates at an incident's location: its name begins "Unnamed " or its id is
``<incident_id>:<asset_type>`` (``dashboard.io.formats.mapped_facilities``). A *registry*
asset is any other asset whose source brings no incidents: a ``kind = "registry"`` mapping
loads facilities only, so its source has none.

For each impact on an unnamed asset, the registry facilities of the same type are proposed:

1. ``id``: the registry's own id (e.g. ``GEODB0043016``) appears in the impact's, asset's or
   incident's text. Score 1.0; the only link accepted without review.
2. ``name``: a run of the record's words names the facility (``query.facility_names``) and
   the facility lies within the incident's settlement. Score 0.9 times the name similarity.
3. ``nearest``: else the nearest facility of the type within reach: 1 km of a site
   (geo_precision 1), the settlement's extent for a settlement (2). Score up to 0.6, less
   the farther it is. An oblast-level incident (3) is never linked: its point is a centroid.

The settlement's extent is a circle around its coordinates whose radius comes from its
GeoNames population at an assumed 2,000 people per km² (the gazetteer holds no outlines),
at least 2 km and at most 25 km; 3 km when the place has no GeoNames population.

Distances are measured in UTM zone 36N (EPSG:32636), Ukraine's central zone: its scale error
is under 0.9 % from the western border (22° E) to the eastern (40° E). Web Mercator
(EPSG:3857) is not used: at Ukraine's latitudes it overstates distances by about half.
"""

from __future__ import annotations

import hashlib
import math
import re

import geopandas as gpd
import pandas as pd

from dashboard.query.facility_names import best_phrase
from geo.place_ids import place_population

METRIC_CRS = "EPSG:32636"
SITE_RADIUS_M = 1_000.0
PEOPLE_PER_KM2 = 2_000.0
SETTLEMENT_RADIUS_M = (2_000.0, 25_000.0)  # at least, at most
UNKNOWN_SETTLEMENT_RADIUS_M = 3_000.0
COLUMNS = ["link_id", "impact_id", "from_asset_id", "to_asset_id", "score", "method", "reason"]
_TEXTS = ("quote", "asset_quote", "incident_quote", "description")


def link_id(impact_id: str, to_asset_id: str) -> str:
    """The stable id of a link: the same impact and facility always give the same id."""
    return hashlib.sha256(f"{impact_id}\x1f{to_asset_id}".encode()).hexdigest()[:16]


def settlement_radius_m(place_key: str) -> float:
    """The radius of a settlement's extent, in metres, from its GeoNames population (module docstring)."""
    population = place_population(place_key) if place_key else 0
    if population <= 0:
        return UNKNOWN_SETTLEMENT_RADIUS_M
    radius = math.sqrt(population / (math.pi * PEOPLE_PER_KM2)) * 1_000.0
    return min(max(radius, SETTLEMENT_RADIUS_M[0]), SETTLEMENT_RADIUS_M[1])


def unnamed_mask(assets: pd.DataFrame, impacts: pd.DataFrame) -> pd.Series:
    """True for the assets an incident's facility hit created (see the module docstring)."""
    by_name = assets["name"].astype("str").str.casefold().str.startswith("unnamed ")
    types = dict(zip(assets["asset_id"], assets["asset_type"].astype("str"), strict=True))
    hit_ids = impacts["asset_id"].astype("str")
    expected = impacts["incident_id"].astype("str") + ":" + hit_ids.map(types).fillna("")
    own = set(hit_ids[expected == hit_ids])
    return by_name | assets["asset_id"].isin(own)


def registry_assets(assets: pd.DataFrame, unnamed: pd.Series, incident_sources: set[str]) -> pd.DataFrame:
    """Assets that are not unnamed and whose source brings no incidents, with coordinates."""
    keep = ~unnamed & ~assets["source_id"].astype("str").isin(incident_sources)
    keep &= assets["latitude"].notna() & assets["longitude"].notna()
    return assets[keep]


def unnamed_hits(assets: pd.DataFrame, impacts: pd.DataFrame, incidents: pd.DataFrame) -> pd.DataFrame:
    """One row per impact on an unnamed asset, with its asset's and incident's location and texts."""
    unnamed = assets[unnamed_mask(assets, impacts)]
    hits = impacts[["impact_id", "incident_id", "asset_id", "quote"]].merge(
        unnamed[["asset_id", "asset_type", "quote"]].rename(columns={"quote": "asset_quote"}), on="asset_id"
    )
    located = incidents[["incident_id", "place", "place_key", "latitude", "longitude", "geo_precision"]]
    located = located.assign(incident_quote=incidents["quote"], description=incidents["description"])
    hits = hits.merge(located, on="incident_id")
    hits = hits.rename(columns={"asset_id": "from_asset_id"})
    return hits[hits["geo_precision"].astype("str") != "3"].reset_index(drop=True)


def propose_links(
    assets: pd.DataFrame, impacts: pd.DataFrame, incidents: pd.DataFrame, incident_sources: set[str]
) -> pd.DataFrame:
    """Every proposal for the stored records (module docstring), as a frame of :data:`COLUMNS`.

    Parameters
    ----------
    assets, impacts, incidents : pd.DataFrame
        Typed record tables as stored (links not applied); incidents need ``place_key``.
    incident_sources : set[str]
        Ids of the sources that bring incidents: their assets are no registry's.
    """
    unnamed = unnamed_mask(assets, impacts)
    registry = registry_assets(assets, unnamed, incident_sources)
    hits = unnamed_hits(assets, impacts, incidents)
    if hits.empty or registry.empty:
        return pd.DataFrame(columns=COLUMNS)
    hits["radius_m"] = [
        SITE_RADIUS_M if str(p) == "1" else settlement_radius_m(str(k))
        for p, k in zip(hits["geo_precision"], hits["place_key"].fillna(""), strict=True)
    ]
    # A name is looked for within the settlement the record names, even for a site's record.
    keys = hits["place_key"].fillna("").astype("str")
    hits["area_m"] = [settlement_radius_m(k) if k else r for k, r in zip(keys, hits["radius_m"], strict=True)]
    points = _points(hits)
    plants = registry[["asset_id", "asset_type", "name", "latitude", "longitude"]].reset_index(drop=True)
    plants = _points(plants.rename(columns={"asset_id": "to_asset_id", "asset_type": "plant_type"}))
    proposals = _by_id(hits, registry)
    decided = {p["impact_id"] for p in proposals}
    named = _by_name(points[~points["impact_id"].isin(decided)], plants)
    proposals += named
    decided |= {p["impact_id"] for p in named}
    proposals += _nearest(points[~points["impact_id"].isin(decided)], plants)
    frame = pd.DataFrame(proposals, columns=COLUMNS[1:])
    frame.insert(0, "link_id", [link_id(i, a) for i, a in zip(frame["impact_id"], frame["to_asset_id"], strict=True)])
    return frame.drop_duplicates("link_id").sort_values(["impact_id", "score"], ascending=[True, False])


def _points(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    geometry = gpd.points_from_xy(frame["longitude"].astype(float), frame["latitude"].astype(float), crs="EPSG:4326")
    return gpd.GeoDataFrame(frame.drop(columns=["latitude", "longitude"]), geometry=geometry).to_crs(METRIC_CRS)


def _texts(hit) -> list[str]:
    """The record's own words: the impact's, its asset's and its incident's quotes, the description."""
    return list(dict.fromkeys(str(hit[c]) for c in _TEXTS if c in hit and isinstance(hit[c], str) and hit[c]))


def _proposal(hit, plant_id: str, score: float, method: str, reason: str) -> dict:
    return {
        "impact_id": hit["impact_id"],
        "from_asset_id": hit["from_asset_id"],
        "to_asset_id": plant_id,
        "score": round(float(score), 2),
        "method": method,
        "reason": reason,
    }


def _by_id(hits: pd.DataFrame, registry: pd.DataFrame) -> list[dict]:
    """The registry's own id (4 characters or more, as a whole word) in the record's texts."""
    own = registry["asset_id"].astype("str").str.split(":", n=1).str[-1]
    pairs = zip(own, registry["asset_id"], registry["asset_type"], strict=True)
    known = {ident.casefold(): (asset_id, t) for ident, asset_id, t in pairs if len(ident) >= 4}
    out = []
    for hit in hits.to_dict("records"):
        for word in set(re.findall(r"[\w:-]+", " ".join(_texts(hit)).casefold())):
            found = known.get(word) or known.get(word.split(":", 1)[-1])
            if found and found[1] == hit["asset_type"]:
                out.append(_proposal(hit, found[0], 1.0, "id", f"same id {word!r} in the record and the registry"))
    return out


def _pairs_within(points: gpd.GeoDataFrame, plants: gpd.GeoDataFrame, radius: str) -> pd.DataFrame:
    """Each hit beside each facility of its type within its own ``radius`` column, with the distance."""
    parts = []
    for distance, group in points.groupby(radius):
        joined = gpd.sjoin(group, plants, predicate="dwithin", distance=float(distance))
        joined = joined[joined["asset_type"] == joined["plant_type"]]
        where = plants.geometry.iloc[joined["index_right"].to_numpy()].reset_index(drop=True)
        joined = joined.assign(distance_m=joined.geometry.reset_index(drop=True).distance(where).to_numpy())
        parts.append(joined)
    return pd.concat(parts) if parts else pd.DataFrame()


def _display(name: str) -> str:
    return re.sub(r"\s+Ukraine\s*$", "", str(name))


def _by_name(points: gpd.GeoDataFrame, plants: gpd.GeoDataFrame) -> list[dict]:
    if points.empty:
        return []
    out = []
    for hit in _pairs_within(points, plants, "area_m").to_dict("records"):
        # Each text on its own: a phrase never runs from the end of one into the next.
        found = max(
            (f for t in _texts(hit) if (f := best_phrase(t, hit["name"])) is not None), key=lambda f: f[1], default=None
        )
        if found is None:
            continue
        phrase, similarity = found
        where = f" in {hit['place']}" if hit["place"] else ""
        reason = f"name {phrase!r} ~ {_display(hit['name'])!r}{where}, {hit['distance_m'] / 1000:.1f} km"
        out.append(_proposal(hit, hit["to_asset_id"], 0.9 * similarity, "name", reason))
    return out


def _nearest(points: gpd.GeoDataFrame, plants: gpd.GeoDataFrame) -> list[dict]:
    """The nearest facility of the hit's type within its reach (``sjoin_nearest``'s max_distance)."""
    out = []
    for (asset_type, distance), group in points.groupby(["asset_type", "radius_m"]):
        of_type = plants[plants["plant_type"] == asset_type]
        if of_type.empty:
            continue
        joined = gpd.sjoin_nearest(group, of_type, max_distance=float(distance), distance_col="distance_m")
        for hit in joined.dropna(subset=["to_asset_id"]).drop_duplicates("impact_id").to_dict("records"):
            place = hit["place"] or "the settlement"
            within = "1 km of the site" if hit["geo_precision"] == "1" else f"{distance / 1000:.0f} km of {place}"
            kind = str(asset_type).replace("_", " ")
            reason = f"nearest {kind}: {_display(hit['name'])!r}, {hit['distance_m'] / 1000:.1f} km (within {within})"
            score = max(0.05, 0.6 * (1 - hit["distance_m"] / distance))
            out.append(_proposal(hit, hit["to_asset_id"], score, "nearest", reason))
    return out
