"""Facilities through a mapping: hits declared by an incident mapping, and facility registries.

Used by ``dashboard.io.formats.mapped`` (the mapping language is documented in
``examples/mappings/README.md``); this module registers no format of its own.

- ``[facilities]`` in an incident mapping: each value of a column (or several columns, or a
  constant), split at ``separator``, is looked up in ``map`` to an asset type. Every type a row
  names becomes one impact, on an unnamed asset of that type at the incident's location and
  precision (or, with ``asset_column``, on the existing asset that column names), with the
  type's default service and the row's cell as the quote. A value mapped to nothing is counted
  by name for the import report.
- ``kind = "registry"``: the mapping's fields are asset columns; each row is one facility whose
  id is ``<source_id>:<the registry's id>``, stable across re-imports.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dashboard.io.locate import fill_locations, unlocated
from dashboard.records.failures import failure
from dashboard.records.load import Records
from dashboard.records.schemas import ASSET_TYPES, DEFAULT_SERVICE, STATES_AFTER, AssetSchema, ImpactSchema
from dashboard.store.sql import TABLES

REGISTRY_FIELDS = set(AssetSchema.columns) - {"asset_id", "source_id"}
FACILITIES_KEYS = {"column", "columns", "constant", "separator", "map", "state_after", "asset_column", "asset_prefix"}
_LOCATION = ("place", "oblast", "oblast_iso", "latitude", "longitude", "geo_precision")


def id_part(values: pd.Series) -> pd.Series:
    """A source's own ids made into identifier text: "node/123" (OpenStreetMap) -> "node:123".

    Other characters an identifier may not hold become "-"; the same id always gives the same text.
    """
    return values.str.replace("/", ":", regex=False).str.replace(r"[^A-Za-z0-9_:-]", "-", regex=True)


def facilities_problems(spec: dict) -> list[str]:
    """What is wrong with a ``[facilities]`` table, each naming the key (empty when it is fine)."""
    problems = []
    unknown = sorted(set(spec) - FACILITIES_KEYS)
    if unknown:
        problems.append(f"[facilities] {', '.join(unknown)}: not a key it reads ({', '.join(sorted(FACILITIES_KEYS))})")
    if not ({"column", "constant", "columns"} & set(spec)):
        problems.append("[facilities] needs column, columns or constant")
    for value, asset_type in dict(spec.get("map", {})).items():
        if asset_type and asset_type not in ASSET_TYPES:
            problems.append(
                f"[facilities.map] {value!r} = {asset_type!r}: not an asset type ({', '.join(ASSET_TYPES)})"
            )
    state = spec.get("state_after", "unknown")
    if isinstance(state, str) and state not in STATES_AFTER:
        problems.append(f"[facilities] state_after = {state!r}: use one of {', '.join(STATES_AFTER)} or a field table")
    return problems


def _cells(raw: pd.DataFrame, spec: dict) -> list[tuple[str, pd.Series]]:
    """(input column, stripped cells) for each source of facility types the mapping names."""
    if "constant" in spec:
        return [("(constant)", pd.Series(str(spec["constant"]), index=raw.index, dtype="str"))]
    columns = spec.get("columns") or [spec["column"]]
    return [(c, raw[c].fillna("").str.strip()) for c in columns if c in raw.columns]


def facility_hits(
    raw: pd.DataFrame, incidents: pd.DataFrame, spec: dict, state_after: pd.Series, file: str
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, dict[str, int]], list[dict]]:
    """Assets and impacts for the facilities each incident row names (see the module docstring).

    Parameters
    ----------
    raw : pd.DataFrame
        The input rows as text, indexed by line.
    incidents : pd.DataFrame
        The translated incidents (location already filled), indexed by the same lines.
    spec : dict
        The mapping's ``[facilities]`` table.
    state_after : pd.Series
        The state after the attack for each row.
    file : str
        The input file's name, for failures.

    Returns
    -------
    tuple
        Assets (unnamed ones this file creates), impacts, the unmapped values per input column
        with their counts, and failures (a column the mapping names is missing).
    """
    failures: list[dict] = []
    table = {str(k): str(v) for k, v in dict(spec.get("map", {})).items()}
    folded = {k.casefold(): v for k, v in table.items()}
    separator = str(spec.get("separator", ";"))
    sources = _cells(raw, spec)
    if "constant" not in spec:
        for column in [c for c in (spec.get("columns") or [spec["column"]]) if c not in raw.columns]:
            failures.append(failure(file, 1, column, "", "column named by the mapping for [facilities] is missing"))
    asset_ids = (
        id_part(raw[spec["asset_column"]].fillna("").str.strip())
        if spec.get("asset_column") in raw.columns
        else pd.Series("", index=raw.index, dtype="str")
    ).reindex(incidents.index)
    # One row per value named (line, input column, value), in the order the cells give them.
    parts = [
        pd.DataFrame({"column": column, "value": cells.reindex(incidents.index).str.split(separator).explode()})
        for column, cells in sources
    ]
    values = pd.concat(parts) if parts else pd.DataFrame(columns=["column", "value"])
    values["value"] = values["value"].fillna("").astype("str").str.strip()
    values = values[values["value"] != ""]
    lookup = {v: table.get(v) or folded.get(v.casefold(), "") for v in values["value"].unique()}
    values["asset_type"] = values["value"].map(lookup).fillna("")
    counted = values[values["asset_type"] == ""].groupby(["column", "value"], sort=True).size()
    unmapped: dict[str, dict[str, int]] = {}
    for (column, value), rows in counted.items():
        unmapped.setdefault(str(column), {})[str(value)] = int(rows)
    # The quote: the row's own cells, as written, " | " between several columns.
    quote = pd.Series("", index=incidents.index, dtype="str")
    for _, cells in sources:
        cells = cells.reindex(incidents.index).fillna("")
        quote = quote + ((quote != "") & (cells != "")).map({True: " | ", False: ""}).astype("str") + cells
    named = asset_ids != ""
    # A row naming a facility already recorded (a registry's): one impact on it, no unnamed asset.
    on_named = incidents[named]
    named_ids = str(spec.get("asset_prefix", "")) + asset_ids[named]
    impacts_named = pd.DataFrame(
        {"impact_id": on_named["incident_id"] + ":" + named_ids, "asset_id": named_ids},
        index=on_named.index,
    ).assign(quote=quote[named].where(quote[named] != "", asset_ids[named]))
    hits = values[(values["asset_type"] != "") & ~named.reindex(values.index)]
    hits = hits.assign(line=hits.index).drop_duplicates(["line", "asset_type"])  # each type once per row
    # Lines repeat (one per facility a row hit), so columns are combined as arrays, by position.
    hit_on = incidents.loc[hits.index]
    types = hits["asset_type"].to_numpy(dtype=object)
    asset_id = hit_on["incident_id"].to_numpy(dtype=object) + ":" + types
    place, oblast = hit_on["place"].to_numpy(dtype=object), hit_on["oblast"].to_numpy(dtype=object)
    where = pd.Series(place).where(pd.Series(place) != "", pd.Series(oblast)).to_numpy(dtype=object)
    words = pd.Series(types).str.replace("_", " ", regex=False).radd("Unnamed ").to_numpy(dtype=object)
    hit_quote = quote.loc[hits.index].to_numpy(dtype=object)
    assets = hit_on[list(_LOCATION) + ["source_id"]].assign(
        asset_id=asset_id,
        asset_type=types,
        name=[w if not p else f"{w}, {p}" for w, p in zip(words, where, strict=True)],
        service=[DEFAULT_SERVICE[t] for t in types],
        asset_count="1",
        count_qualifier="at_least",
        quote=hit_quote,
    )
    unnamed = pd.DataFrame({"impact_id": asset_id, "asset_id": asset_id, "quote": hit_quote}, index=hits.index)
    impacts = pd.concat([impacts_named, unnamed])
    lines = impacts.index  # repeats a line for each facility its row hit: values are taken by position
    impacts = impacts.assign(
        incident_id=incidents.loc[lines, "incident_id"].to_numpy(),
        source_id=incidents.loc[lines, "source_id"].to_numpy(),
        state_after=state_after.loc[lines].to_numpy(),
    )
    return _frame(assets, AssetSchema), _frame(impacts, ImpactSchema), unmapped, failures


def _frame(frame: pd.DataFrame, schema) -> pd.DataFrame:
    """Text cells in the schema's columns (blank where not given), indexed by their input line."""
    out = pd.DataFrame({name: frame[name] if name in frame else "" for name in schema.columns}, index=frame.index)
    return out.fillna("").astype("str").sort_index(kind="stable")


def registry_assets(
    fields: pd.DataFrame, ids: pd.Series, source_id: str, origins: dict, raw: pd.DataFrame, file: str, boundary: str
) -> tuple[pd.DataFrame, list[dict]]:
    """One asset per registry row, located by point-in-polygon when the mapping gives no oblast.

    The service is the type's default where the mapping gives none; a row is one facility
    (``asset_count`` 1, exact) unless the mapping says otherwise.
    """
    failures: list[dict] = []
    assets = pd.DataFrame(index=fields.index)
    for name in AssetSchema.columns:
        assets[name] = fields[name] if name in fields else ""
    assets["asset_id"] = source_id + ":" + id_part(ids)
    assets["source_id"] = source_id
    blank_id = ids == ""
    column = origins.get("asset_id", "id")
    failures += [failure(file, line, column, "", "the registry's id is blank") for line in ids[blank_id].index]
    defaults = assets["asset_type"].map(lambda t: DEFAULT_SERVICE.get(t, ""))
    assets["service"] = assets["service"].where(assets["service"] != "", defaults)
    assets["asset_count"] = assets["asset_count"].where(assets["asset_count"] != "", "1")
    assets["count_qualifier"] = assets["count_qualifier"].where(assets["count_qualifier"] != "", "exact")
    assets, _ = fill_locations(assets, boundary, file)  # the importer locates incidents only
    # A row without coordinates is reported for them; "falls in no oblast" would only add noise.
    placed = (assets["latitude"] != "") & (assets["longitude"] != "")
    failures += unlocated(assets[placed], raw, origins, boundary, file)
    return assets, failures


def stale_hits(engine: Engine, records: Records, source_id: str) -> dict[str, list[str]]:
    """Stored impacts of this file's incidents its translation no longer gives, and their unnamed assets.

    A corrected area type replaces the impact rather than adding one: the old impact goes,
    and so does the unnamed asset it alone pointed at (one of this source's own).
    """
    incidents = records.incidents["incident_id"].to_numpy(dtype=object).tolist()
    kept_impacts, kept_assets = set(records.impacts["impact_id"]), set(records.assets["asset_id"])
    impacts, assets = TABLES["impacts"], TABLES["assets"]
    stale: dict[str, list[str]] = {"impacts": [], "assets": []}
    query = sa.select(impacts.c.impact_id, impacts.c.asset_id, assets.c.source_id).join(
        assets, assets.c.asset_id == impacts.c.asset_id, isouter=True
    )
    with engine.connect() as connection:
        for start in range(0, len(incidents), 5000):
            chunk = incidents[start : start + 5000]
            where = impacts.c.incident_id.in_(chunk) & (impacts.c.source_id == source_id)
            for impact_id, asset_id, asset_source in connection.execute(query.where(where)):
                if impact_id in kept_impacts:
                    continue
                stale["impacts"].append(impact_id)
                if asset_source == source_id and asset_id not in kept_assets:
                    stale["assets"].append(asset_id)
    return stale
