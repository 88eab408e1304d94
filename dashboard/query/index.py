"""A column index over the records, built once, so that a filter and its totals take milliseconds.

Incidents are kept sorted by date, so a date range is a slice; places, oblasts,
weapons and asset types become integer codes and bit masks; impacts are sorted by
asset and then by people affected (largest first), so "each asset counted once,
at its largest figure" is the first impact of each asset in the view. Every total
is then a handful of numpy gathers and ``bincount`` calls.

Examples
--------
>>> from pathlib import Path
>>> from dashboard.records.load import load_records
>>> index = QueryIndex.build(load_records(Path("data")).records)
>>> int(index.mask(index.codes_for(cities=("Odessa",))).sum())
1
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from dashboard.query.outages import OutageIndex
from dashboard.records.schemas import ASSET_TYPES, SERVICES, WEAPONS
from geo.oblasts import resolve_oblast
from geo.place_ids import city_match

_LOST_SERVICE_STATES = ("out_of_service", "destroyed")
_EPOCH = np.datetime64("1970-01-01", "D")


def _days(values: pd.Series) -> np.ndarray:
    return (values.to_numpy(dtype="datetime64[D]") - _EPOCH).astype(np.int32)


def _bits(cells: pd.Series, vocabulary: tuple[str, ...]) -> np.ndarray:
    """A bit per vocabulary entry for ';'-separated cells (vectorised over unique cells)."""
    position = {name: i for i, name in enumerate(vocabulary)}
    unique = cells.unique()
    lookup = {
        cell: sum(1 << position[p.strip()] for p in str(cell).split(";") if p.strip() in position) for cell in unique
    }
    return cells.map(lookup).to_numpy(dtype=np.int64)


def _member(codes: np.ndarray, chosen: np.ndarray, size: int) -> np.ndarray:
    """``np.isin(codes, chosen)`` for category codes in ``-1..size-1`` by one table lookup (no sort)."""
    table = np.zeros(size + 1, dtype=bool)  # the last slot is where code -1 (no category) lands, never chosen
    table[chosen[(chosen >= 0) & (chosen < size)]] = True
    return table[codes]


def mercator(latitude: np.ndarray, longitude: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator coordinates scaled to 0..1 (x east, y south), as map tiles use."""
    lat = np.clip(np.asarray(latitude, dtype=np.float64), -85.0511, 85.0511)
    x = (np.asarray(longitude, dtype=np.float64) + 180.0) / 360.0
    y = (1.0 - np.log(np.tan(np.radians(lat)) + 1.0 / np.cos(np.radians(lat))) / np.pi) / 2.0
    return x, y


@dataclass(frozen=True)
class Codes:
    """Filters translated to the index's codes; None means "no restriction"."""

    start: int | None = None
    end: int | None = None
    places: np.ndarray | None = None
    oblasts: np.ndarray | None = None
    weapon_bits: int = 0
    asset_type_bits: int = 0
    asset_types: np.ndarray | None = None
    weapons: np.ndarray | None = None


class QueryIndex:
    """Numpy arrays over incidents (date-sorted), impacts (asset-sorted) and salvos."""

    def __init__(self) -> None:
        self.day: np.ndarray
        self.place_code: np.ndarray
        self.place_lookup: dict[str, int]
        self.oblast_code: np.ndarray
        self.oblast_lookup: dict[str, int]
        self.weapon_bits: np.ndarray
        self.asset_type_bits: np.ndarray
        self.casualties: dict[str, np.ndarray]
        self.casualty_reported: dict[str, np.ndarray]
        self.casualty_matrix: np.ndarray  # (4, incidents) float: the casualties' rows
        self.reported_matrix: np.ndarray  # (4, incidents) bool: the casualty_reported rows
        self.geo_precision: np.ndarray
        self.mx: np.ndarray
        self.my: np.ndarray
        self.impact_incident: np.ndarray
        self.impact_asset: np.ndarray
        self.impact_people: np.ndarray
        self.impact_row: np.ndarray  # position of each indexed impact in records.impacts
        self.asset_position: pd.Index  # asset_id -> row of records.assets
        self.asset_service: np.ndarray
        self.asset_type: np.ndarray
        self.asset_type_slot: np.ndarray
        self.asset_count: np.ndarray
        self.salvo_day: np.ndarray
        self.salvo_weapon: np.ndarray
        self.salvo_launched: np.ndarray
        self.last_day: int  # the records' last day: an open-ended range ends there
        self.outages: OutageIndex

    @classmethod
    def build(cls, records) -> QueryIndex:
        """Index records whose incidents are sorted by date (``Records`` keeps them so)."""
        index = cls()
        incidents, assets, impacts, salvos = records.incidents, records.assets, records.impacts, records.salvos
        index.day = _days(incidents["event_date"])
        places = pd.Categorical(incidents["place_key"])
        index.place_code = places.codes.astype(np.int32)
        index.place_lookup = {name: i for i, name in enumerate(places.categories)}
        oblasts = pd.Categorical(incidents["oblast_iso"])
        index.oblast_code = oblasts.codes.astype(np.int32)
        index.oblast_lookup = {name: i for i, name in enumerate(oblasts.categories)}
        index.weapon_bits = _bits(incidents["weapons"], WEAPONS)
        columns = ("killed", "injured", "children_killed", "children_injured")
        # One row per casualty column, so that a filter sums all four in one pass; the dict's
        # arrays are views of those rows (no second copy).
        index.casualty_matrix = np.stack(
            [incidents[column].astype("Float64").fillna(0).to_numpy(dtype=np.float64) for column in columns]
        )
        index.casualties = dict(zip(columns, index.casualty_matrix, strict=True))
        # Whether each incident gives the figure at all: a blank is "not reported", not 0.
        index.reported_matrix = np.stack([incidents[column].notna().to_numpy(dtype=bool) for column in columns])
        index.casualty_reported = dict(zip(columns, index.reported_matrix, strict=True))
        index.geo_precision = incidents["geo_precision"].to_numpy(dtype=object).astype("U1")
        index.mx, index.my = mercator(incidents["latitude"].to_numpy(float), incidents["longitude"].to_numpy(float))

        asset_position = pd.Index(assets["asset_id"])
        index.asset_position = asset_position
        incident_position = pd.Index(incidents["incident_id"])
        hit_all = impacts.assign(
            asset=asset_position.get_indexer(impacts["asset_id"]),
            incident=incident_position.get_indexer(impacts["incident_id"]),
        )
        hit = hit_all[(hit_all["asset"] >= 0) & (hit_all["incident"] >= 0)]
        served = assets["people_served"].astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
        lost = hit["people_without_service"].astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
        fallback = np.where(hit["state_after"].isin(_LOST_SERVICE_STATES), served[hit["asset"].to_numpy()], np.nan)
        people = np.nan_to_num(np.where(np.isnan(lost), fallback, lost), nan=0.0)
        order = np.lexsort((-people, hit["asset"].to_numpy()))
        index.impact_row = np.flatnonzero((hit_all["asset"] >= 0) & (hit_all["incident"] >= 0))[order]
        index.impact_asset = hit["asset"].to_numpy(np.int64)[order]
        index.impact_incident = hit["incident"].to_numpy(np.int64)[order]
        index.impact_people = people[order]
        index.asset_service = pd.Categorical(assets["service"], categories=SERVICES).codes.astype(np.int64)
        index.asset_type = pd.Categorical(assets["asset_type"], categories=ASSET_TYPES).codes.astype(np.int64)
        # The type code with a last slot for a type outside ASSET_TYPES, so bincount never sees -1.
        index.asset_type_slot = np.where(index.asset_type >= 0, index.asset_type, len(ASSET_TYPES))
        index.asset_count = assets["asset_count"].astype("Float64").fillna(0).to_numpy(dtype=np.float64)
        types_hit = np.zeros(len(incidents), dtype=np.int64)
        np.bitwise_or.at(types_hit, index.impact_incident, np.left_shift(1, index.asset_type[index.impact_asset]))
        index.asset_type_bits = types_hit
        index.last_day = int(index.day.max()) if len(index.day) else 0
        restored = hit["restored_on"] if "restored_on" in hit else pd.Series(pd.NaT, index=hit.index)
        index.outages = OutageIndex.build(
            assets,
            index.impact_asset,
            index.day[index.impact_incident],
            index.impact_people,
            restored.iloc[order].reset_index(drop=True),
        )

        index.salvo_day = _days(salvos["launch_date"])
        index.salvo_weapon = pd.Categorical(salvos["weapon"], categories=WEAPONS).codes.astype(np.int64)
        index.salvo_launched = salvos["launched"].astype("Float64").fillna(0).to_numpy(dtype=np.float64)
        return index

    def codes_for(
        self,
        cities: tuple[str, ...] = (),
        oblasts: tuple[str, ...] = (),
        start: date | None = None,
        end: date | None = None,
        weapons: tuple[str, ...] = (),
        asset_types: tuple[str, ...] = (),
    ) -> Codes:
        """Filter values as codes. Unknown oblast names raise ``UnknownOblastError``.

        A city matches every record of the GeoNames place(s) it names, read within the
        selected oblasts if any (``geo.place_ids.city_match``).
        """

        def day(value: date | None) -> int | None:
            return None if value is None else int((np.datetime64(value, "D") - _EPOCH).astype(int))

        isos = [resolve_oblast(o).iso for o in oblasts if o.strip()]
        # Every spelling of a place, and its GeoNames id, give the same keys (geo/place_ids.py).
        keys = {key for c in cities if c.strip() for key in city_match(c, tuple(sorted(set(isos)))).keys}
        places = [self.place_lookup[key] for key in keys if key in self.place_lookup] or [-2]
        return Codes(
            start=day(start),
            end=day(end),
            places=np.array(places, dtype=np.int32) if cities else None,
            oblasts=np.array([self.oblast_lookup.get(iso, -2) for iso in isos], dtype=np.int32) if oblasts else None,
            weapon_bits=sum(1 << WEAPONS.index(w) for w in weapons if w in WEAPONS) or (-1 if weapons else 0),
            asset_type_bits=sum(1 << ASSET_TYPES.index(a) for a in asset_types if a in ASSET_TYPES)
            or (-1 if asset_types else 0),
            asset_types=np.array([ASSET_TYPES.index(a) for a in asset_types if a in ASSET_TYPES], dtype=np.int64)
            if asset_types
            else None,
            weapons=np.array([WEAPONS.index(w) for w in weapons if w in WEAPONS], dtype=np.int64) if weapons else None,
        )

    def date_slice(self, codes: Codes) -> slice:
        # The bound as the array's own dtype: a Python int would make numpy copy the whole
        # int32 column to int64 before searching (over a millisecond at 1M incidents).
        low = 0 if codes.start is None else int(np.searchsorted(self.day, self.day.dtype.type(codes.start), "left"))
        high = (
            len(self.day)
            if codes.end is None
            else int(np.searchsorted(self.day, self.day.dtype.type(codes.end), "right"))
        )
        return slice(low, max(low, high))

    def window(self, codes: Codes) -> tuple[slice, np.ndarray | None]:
        """The date window of the filter and, within it, which incidents match (None: all of them)."""
        window = self.date_slice(codes)
        inside = None

        def narrow(matches: np.ndarray) -> None:
            nonlocal inside
            inside = matches if inside is None else inside & matches

        if codes.places is not None:
            narrow(_member(self.place_code[window], codes.places, len(self.place_lookup)))
        if codes.oblasts is not None:
            narrow(_member(self.oblast_code[window], codes.oblasts, len(self.oblast_lookup)))
        if codes.weapon_bits:
            narrow((self.weapon_bits[window] & max(codes.weapon_bits, 0)) != 0)
        if codes.asset_type_bits:
            narrow((self.asset_type_bits[window] & max(codes.asset_type_bits, 0)) != 0)
        return window, inside

    def mask(self, codes: Codes) -> np.ndarray:
        """Boolean mask over incidents for the filter codes."""
        window, inside = self.window(codes)
        mask = np.zeros(len(self.day), dtype=bool)
        mask[window] = True if inside is None else inside
        return mask

    def impacts_mask(self, mask: np.ndarray, codes: Codes) -> np.ndarray:
        """Impacts of the incidents in ``mask``, limited to the selected asset types."""
        selected = mask[self.impact_incident]
        if codes.asset_types is not None:
            selected &= np.isin(self.asset_type[self.impact_asset], codes.asset_types)
        return selected

    def assets_hit(self, impacts: np.ndarray) -> np.ndarray:
        """Boolean mask over ``records.assets``: the assets of the selected impacts."""
        hit = np.zeros(len(self.asset_type), dtype=bool)
        hit[self.impact_asset[impacts]] = True
        return hit

    def first_per_asset(self, impacts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(asset, people) for each asset in the selected impacts, at its largest figure."""
        assets = self.impact_asset[impacts]
        people = self.impact_people[impacts]
        first = np.ones(len(assets), dtype=bool)
        first[1:] = assets[1:] != assets[:-1]
        return assets[first], people[first]


def index_of(records) -> QueryIndex:
    """The query index over ``records``, built on first use and kept with them."""
    if records._index is None:
        records._index = QueryIndex.build(records)
    return records._index
