"""Synthetic record folders for load and scale testing: plausible, reproducible, not real events.

Places are GeoNames settlements (no city districts), drawn by oblast (front line most),
then by population; a fifth of big-city names use another spelling (synth_places.py).
Dates follow waves (the invasion's first weeks, winter energy campaigns, surge
weeks); weapons shift towards drones and glide bombs; casualties have a long tail.
About half the incidents hit an asset, some assets more than once, so the
counted-once rule matters. Each table draws from its own stream of the seed: the
same seed and count give byte-identical files, and salvos do not depend on the count.

Examples
--------
>>> frames = synthesize(100, seed=1)
>>> frames["incidents"]["incident_id"].iloc[0], len(frames["sources"])
('syn-1-0000001', 1)
"""

from __future__ import annotations

import argparse
import time
from functools import lru_cache, reduce
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from dashboard.io.synth_places import resolving_back, spelling_table, written_names
from dashboard.records import schemas
from dashboard.records.schemas import SCHEMAS, STATES_AFTER
from geo.distance import great_circle_km
from geo.gazetteer import BIG_CITY_POPULATION, GEONAMES_ATTRIBUTION, _gazetteer, all_places
from geo.oblasts import OBLASTS

START, END = np.datetime64("2022-02-24"), np.datetime64("2026-10-31")
OBLAST_LEVEL_SHARE, SITE_SHARE, RESPELLED_SHARE = 0.05, 0.15, 0.2  # respelled: of big-city names
_S = np.dtypes.StringDType()
# The generator draws by position in these vocabularies, so a seed's output is pinned to the values
# they had when it was written; values appended since are not drawn.
WEAPONS, ASSET_TYPES = schemas.WEAPONS[:11], schemas.ASSET_TYPES[:12]
# fmt: off
_NEAR_FRONT = ("UA-14", "UA-23", "UA-65", "UA-63", "UA-09", "UA-12", "UA-48", "UA-59", "UA-74", "UA-51")
# Oblast weight = tier weight * sqrt(people in millions); 1.0 for oblasts not listed. Luhansk is on the
# front line too, but mostly occupied since 2022, so fewer strikes there are reported.
_TIERS = {10.0: ("UA-14", "UA-23", "UA-65", "UA-63"), 5.0: ("UA-09",), 4.0: _NEAR_FRONT[5:],
          0.3: ("UA-07", "UA-21", "UA-26", "UA-46", "UA-56", "UA-61", "UA-68", "UA-77")}
_UKRAINIAN_SHARE = {"UA-43": 0.5, "UA-40": 0.5, "UA-09": 0.35, "UA-14": 0.05, "UA-23": 0.05, "UA-65": 0.04}
_SECTION_KM, _SECTION_KM_PER_SQRT_MILLION, _SECTION_MIN_POPULATION = 3.5, 8.0, 5_000
# Weapon shares in WEAPONS order, near the front and far from it, and factors for 2022..2026.
_W_FRONT, _W_REAR = np.array([[2, 2, 1, 28, 32, 10, 8, 3, 2, 2, 8], [14, 12, 14, 50, 0, 0, 0, 1, 0, 0, 9]], float)
_YEAR_FACTOR = dict(drone=(0.35, 0.8, 1.2, 1.6, 1.8), glide_bomb=(0.05, 1, 1.6, 1.4, 1.2),
                    artillery=(1.5, 1.2, 1, 0.8, 0.7))
_SEVERITY = dict(ballistic_missile=3, missile=2.5, cruise_missile=2, glide_bomb=2, air_strike=2, drone=0.7)
_WEAPON_WORD = dict(air_strike="air", small_arms="small-arms", unknown="unidentified")
_ASSETS = {  # ASSET_TYPES order: (service, share, words for names and quotes)
    "thermal_power_plant": ("heating", 3, "thermal power plant"), "power_plant": ("electricity", 3, "power plant"),
    "substation": ("electricity", 10, "substation"), "energy_infrastructure": ("energy", 9, "energy facility"),
    "gas_pipeline": ("gas", 5, "gas pipeline"), "water_facility": ("water", 5, "water facility"),
    "school": ("education", 7, "school"), "hospital": ("health", 4, "hospital"),
    "residential_building": ("housing", 30, "residential building"),
    "civilian_infrastructure": ("unspecified", 12, "civilian facility"),
    "transport": ("transport", 7, "transport facility"), "other": ("unspecified", 5, "facility"),
}
_UTILITIES = ("heating", "electricity", "energy", "gas", "water")  # people_served and outages
_STATE_SHARE = np.array([[75, 15, 0, 10], [45, 8, 30, 17], [70, 10, 5, 15]], float)  # housing, utility, other
_STATE_WORD = dict(damaged="damaged", destroyed="destroyed", out_of_service="put out of service", unknown="hit")
_UA_REPORTERS = ("Russian-installed governor of {}", "Russian-installed head of {}",
                 "Moscow-installed authorities in {}")  # reported_by of strikes blamed on Ukrainian forces
_RU_REPORTERS = {"regional military administration": 30, "city military administration": 15, "": 20,
                 "State Emergency Service of Ukraine": 15, "Ukrainian Air Force": 8, "National Police of Ukraine": 8,
                 "Ministry of Energy of Ukraine": 4}  # reported_by of strikes blamed on Russian forces, weighted
_UNSTATED_REPORTERS = {"local officials": 50, "the report": 20, "": 30}
_APPROXIMATE = ("the previous night", "earlier this week", "over the weekend", "not stated")
_MONTHS = "January February March April May June July August September October November December".split()
_WINTER = (0, 1, 2, 9, 10, 11)  # month index, October to March
_LOCATION = ("place", "oblast", "oblast_iso", "latitude", "longitude", "geo_precision")
_SYNTHETIC = "Synthetic report, not a real event: "
_NOTES = ("Synthetic records for load and scale testing: they describe no real events. Places are GeoNames "
          "settlements; dates, weapons, perpetrators, casualties, assets and figures are random draws.")
# fmt: on


def _s(values) -> np.ndarray:
    """Values as a numpy variable-width string array."""
    return np.asarray(values).astype(_S)


def _ints(values: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """Whole numbers as text, blank where ``shown`` is False."""
    return np.where(shown, np.asarray(values, dtype=np.int64).astype(_S), "")


def _decimals(values: np.ndarray, places: int) -> np.ndarray:
    """Non-negative numbers as text with exactly ``places`` decimals, by integer arithmetic."""
    scaled = np.rint(np.asarray(values) * 10**places).astype(np.int64)
    return _join(_s(scaled // 10**places), ".", np.strings.zfill(_s(scaled % 10**places), places))


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    return np.strings.add(prefix, np.strings.zfill(_s(np.arange(1, n + 1)), width))


def _join(*parts) -> np.ndarray:
    return reduce(np.strings.add, parts)


def _pick(rng: np.random.Generator, shares, rows: np.ndarray | None = None, n: int = 0) -> np.ndarray:
    """Category codes drawn with ``shares``: one row of shares per value of ``rows``, or one row for ``n``."""
    cum = np.cumsum(np.atleast_2d(np.asarray(shares, float)), axis=1)
    cum /= cum[:, -1:]
    rows = np.zeros(n, np.int64) if rows is None else rows
    return (rng.random(len(rows))[:, None] > cum[rows]).sum(axis=1)


def _round2(values: np.ndarray) -> np.ndarray:
    """Round to two significant figures, as sources state such figures ("about 40,000")."""
    step = 10.0 ** np.maximum(np.floor(np.log10(np.maximum(values, 1.0))) - 1, 0)
    return (np.rint(values / step) * step).astype(np.int64)


@lru_cache(maxsize=1)
def _places() -> dict[str, np.ndarray]:
    """Gazetteer places without city districts, with draw probabilities, per-oblast facts and centroids.

    A district is a place of 100,000+ that the gazetteer does not count as a big city,
    or a place of 5,000+ (not a big city) within 3.5 km of a more populous place or
    within 3.5 + 8 * sqrt(millions) km of a more populous big city (Kyiv: 17 km).
    """
    places, big = all_places(), np.array([entry.big_city for entry in _gazetteer().entries])
    pop, lat, lon = (np.array([getattr(p, a) for p in places], float) for a in ("population", "latitude", "longitude"))
    check = np.flatnonzero((pop >= _SECTION_MIN_POPULATION) & ~big)
    km = great_circle_km(lat[check, None], lon[check, None], lat[None, :], lon[None, :])
    radius = np.where(big, _SECTION_KM + _SECTION_KM_PER_SQRT_MILLION * np.sqrt(pop / 1e6), _SECTION_KM)
    district = (pop >= BIG_CITY_POPULATION) & ~big  # the gazetteer's own rule
    district[check] |= ((km <= radius[None, :]) & (pop[None, :] > pop[check, None])).any(axis=1)
    keep = resolving_back(places, np.flatnonzero(~district))  # a name that leads elsewhere is not drawn
    spellings, isos = spelling_table([places[i] for i in keep], big[keep]), [o.iso for o in OBLASTS]
    oblast = np.array([isos.index(places[i].oblast_iso) for i in keep])
    within = np.maximum(pop[keep], 300.0) ** 0.75  # within an oblast, by population
    tier = np.array([next((w for w, group in _TIERS.items() if iso in group), 1.0) for iso in isos])
    share = tier * np.sqrt(np.bincount(oblast, pop[keep], len(isos)) / 1e6)
    counts = np.bincount(oblast, None, len(isos))
    regions = [o.name.replace(" Oblast", " region").replace("Autonomous Republic of ", "") for o in OBLASTS]
    return {
        "name": _s([places[i].name for i in keep]), "oblast": oblast, "spellings": spellings,  # big cities only
        "lat": lat[keep], "lon": lon[keep], "pop": pop[keep],
        "p": share[oblast] / share.sum() * within / np.bincount(oblast, within, len(isos))[oblast],
        "centroid": np.stack([np.bincount(oblast, v[keep], len(isos)) / np.maximum(counts, 1) for v in (lat, lon)], 1),
        "iso": _s(isos), "oblast_name": _s([o.name for o in OBLASTS]), "front": np.isin(isos, _NEAR_FRONT),
        "on_place": _s([f" on {places[i].name}" for i in keep]), "in_oblast": _s([f" in {o.name}" for o in OBLASTS]),
        "ukrainian": np.array([_UKRAINIAN_SHARE.get(iso, 0.0) for iso in isos]),
        "ua_reporters": _s([[r.format(region) for r in _UA_REPORTERS] for region in regions]),
    }  # fmt: skip


def _calendar(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Every day of the period and its share of attacks: invasion surge, winters (x1.6 in January), surge weeks."""
    days, t = np.arange(START, END + 1), np.arange((END - START).astype(int) + 1, dtype=float)
    winter = 1 + 0.3 * (1 + np.cos(2 * np.pi * ((days - days.astype("datetime64[Y]")).astype(int) - 20) / 365.25))
    intensity = (1 + 1.5 * np.exp(-t / 45)) * winter * (1 + 0.2 * t / 365.25) * rng.gamma(8.0, 1 / 8, len(days))
    for start in rng.choice(len(days) - 7, size=6, replace=False):
        intensity[start : start + 7] *= 2.5
    return days, intensity / intensity.sum()


def _incidents(n: int, seed: int, rng: np.random.Generator, days: np.ndarray, p_day: np.ndarray) -> dict:
    """Incident columns as text, plus the draws assets are built from (keys starting with '_')."""
    g = _places()
    place = rng.choice(len(g["p"]), size=n, p=g["p"])
    oblast = g["oblast"][place]
    date = days[rng.choice(len(days), size=n, p=p_day)]
    year, month = date.astype("datetime64[Y]").astype(int) + 1970, date.astype("datetime64[M]").astype(int) % 12
    precision = _pick(rng, [92, 5, 2.5, 0.5], n=n)  # day, approximate, month, year
    shown = np.where(precision == 2, date.astype("datetime64[M]"), date)
    shown = np.maximum(np.where(precision == 3, date.astype("datetime64[Y]"), shown).astype("datetime64[D]"), START)
    day_of_month = (date - date.astype("datetime64[M]")).astype(int) + 1
    night = (precision == 0) & (rng.random(n) < 0.25)
    as_stated = np.where(night, _join("on the night of ", _s(_MONTHS)[month], " ", _s(day_of_month)), "")
    as_stated = np.where(precision == 1, _s(_APPROXIMATE)[rng.integers(0, len(_APPROXIMATE), n)], as_stated)
    in_period = _join("in ", np.where(precision == 2, _join(_s(_MONTHS)[month], " "), ""), _s(year))
    as_stated = np.where(precision >= 2, in_period, as_stated)
    level = np.array([3, 1, 2])[np.digitize(rng.random(n), [OBLAST_LEVEL_SHARE, OBLAST_LEVEL_SHARE + SITE_SHARE])]
    km = np.where(level == 1, 0.3 + 2.5 * np.sqrt(g["pop"][place] / 1e6), 0.15)  # sites spread over the town
    lat = g["lat"][place] + rng.normal(0, 1, n) * km / 111.0
    lon = g["lon"][place] + rng.normal(0, 1, n) * km / (111.0 * np.cos(np.radians(g["lat"][place])))
    lat, lon = (np.where(level == 3, g["centroid"][oblast, axis], v) for axis, v in enumerate((lat, lon)))
    place_s = np.where(level == 3, "", written_names(rng, place, g["name"], g["spellings"], RESPELLED_SHARE))
    area = np.where(level == 3, g["oblast_name"][oblast], place_s)
    shares = np.array([base for base in (_W_FRONT, _W_REAR) for _ in range(5)])
    for weapon, factors in _YEAR_FACTOR.items():
        shares[:, WEAPONS.index(weapon)] *= np.tile(factors, 2)
    profile = np.where(g["front"][oblast], 0, 5) + np.clip(year - 2022, 0, 4)
    first = _pick(rng, shares, profile)
    second = np.where(rng.random(n) < 0.1, _pick(rng, shares, profile), first)
    pair = np.minimum(first, second) * len(WEAPONS) + np.maximum(first, second)
    words = [_WEAPON_WORD.get(w, w.replace("_", " ")) for w in WEAPONS]
    codes = _s([a if a == b else f"{a};{b}" for a in WEAPONS for b in WEAPONS])[pair]
    phrases = [a if a == b else f"{a} and {b}" for a in words for b in words]
    capital = _s([phrase[0].upper() + phrase[1:] for phrase in phrases])[pair]
    with_article = _s([("an " if phrase[0] in "aeiou" else "a ") + phrase for phrase in phrases])[pair]
    ukrainian = rng.random(n) < g["ukrainian"][oblast]
    unstated = ~ukrainian & (rng.random(n) < 0.08)
    perpetrator = np.where(ukrainian, "Ukrainian forces", np.where(unstated, "not stated", "Russian forces"))
    reported_by = np.where(ukrainian, g["ua_reporters"][oblast, rng.integers(0, len(_UA_REPORTERS), n)], "")
    for mask, table in ((~ukrainian & ~unstated, _RU_REPORTERS), (unstated, _UNSTATED_REPORTERS)):
        reported_by = np.where(mask, _s(list(table))[_pick(rng, list(table.values()), n=n)], reported_by)
    severity = np.array([_SEVERITY.get(w, 1.0) for w in WEAPONS])[first]
    killed = np.where(rng.random(n) < 0.15, 1 + np.floor(rng.pareto(2.0, n) * severity * 0.8), 0)
    injured = np.where(rng.random(n) < 0.35, 1 + np.floor(rng.pareto(1.8, n) * severity * 2.0), 0)
    injured = np.minimum(injured + np.rint(killed * rng.uniform(0, 2.5, n)), 800).astype(np.int64)
    killed = np.minimum(killed, 300).astype(np.int64)
    children_killed, children_injured = rng.binomial(killed, 0.07), rng.binomial(injured, 0.08)
    harm = np.where(killed > 0, _join("; ", _s(killed), " killed"), "")
    hurt = np.where(injured > 0, _join(np.where(killed > 0, ", ", "; "), _s(injured), " injured"), "")
    where = np.where(level == 3, g["in_oblast"][oblast], g["on_place"][place])
    columns = {
        "incident_id": _ids(f"syn-{seed}-", n, 7), "event_date": shown.astype(str).astype(_S),
        "date_precision": _s(["day", "approximate", "month", "year"])[precision], "date_as_stated": as_stated,
        "place": place_s, "oblast": g["oblast_name"][oblast], "oblast_iso": g["iso"][oblast],
        "latitude": np.where(level == 1, _decimals(lat, 5), _decimals(lat, 4)),
        "longitude": np.where(level == 1, _decimals(lon, 5), _decimals(lon, 4)), "geo_precision": _s(level),
        "weapons": codes, "perpetrator_as_reported": perpetrator, "reported_by": reported_by,
        "killed": _ints(killed, (killed > 0) | (rng.random(n) < 0.5)),
        "injured": _ints(injured, (injured > 0) | (rng.random(n) < 0.6)),
        "children_killed": _ints(children_killed, children_killed > 0),
        "children_injured": _ints(children_injured, children_injured > 0),
        "description": _join(capital, " attack", where, harm, hurt, "."),
        "quote": _join(_SYNTHETIC, with_article, " attack", where, " was reported."),
    }  # fmt: skip
    key = np.where(level == 3, len(g["p"]) + oblast, place)  # assets are shared within a place (or oblast)
    return columns | {"_key": key, "_month": month, "_area": area}


def _assets_impacts(inc: dict, seed: int, rng: np.random.Generator) -> tuple[dict, dict]:
    """Half the incidents hit one asset (some two); a fifth of the hits land on an asset of the same place."""
    hitting = np.flatnonzero(rng.random(len(inc["_key"])) < 0.5)
    incident = np.repeat(hitting, 1 + (rng.random(len(hitting)) < 0.15))  # some incidents hit two assets
    key = inc["_key"][incident]
    new = rng.random(len(incident)) >= 0.2
    known = np.sort(key[new])
    new |= np.searchsorted(known, key, "left") == np.searchsorted(known, key, "right")  # nothing there to hit again
    creator = np.flatnonzero(new)  # the impact that first records each asset, in asset order
    order = np.argsort(key[creator], kind="stable")
    lo, hi = np.searchsorted(key[creator][order], key, "left"), np.searchsorted(key[creator][order], key, "right")
    again = order[np.minimum(lo + np.floor(rng.random(len(key)) * (hi - lo)).astype(np.int64), hi - 1)]
    asset = np.where(new, np.cumsum(new) - 1, again)
    by_incident = incident[creator]
    _, first = np.unique(incident * (len(creator) + 1) + asset, return_index=True)  # one impact per pair
    incident, asset = incident[np.sort(first)], asset[np.sort(first)]
    m, k, winter = len(creator), len(incident), np.isin(inc["_month"][by_incident], _WINTER).astype(np.int64)
    base = np.array([share for _, share, _ in _ASSETS.values()], float)
    utility_type = np.isin([service for service, _, _ in _ASSETS.values()], _UTILITIES)
    kind = _pick(rng, np.stack([base, base * np.where(utility_type, 2.0, 1.0)]), winter)  # energy campaigns in winter
    service = _s([service for service, _, _ in _ASSETS.values()])[kind]
    utility, housing = utility_type[kind], kind == ASSET_TYPES.index("residential_building")
    served = _round2(np.clip(rng.lognormal(np.log(6000), 1.6, m), 50, 450_000))
    served_shown = utility & (rng.random(m) < 0.6)
    group = housing & (rng.random(m) < 0.3)
    count = np.where(group, np.clip(2 + np.floor(rng.pareto(1.2, m) * 4), 2, 60), 1).astype(np.int64)
    words = [w for _, _, w in _ASSETS.values()]
    singular = _s([("an " if w[0] in "aeiou" else "a ") + w for w in words])[kind]
    noun = np.where(group, _join(_s(count), " residential buildings"), singular)
    place_in = _join(" in ", inc["_area"][by_incident])
    assets = {
        "asset_id": _ids(f"syn-{seed}-a", m, 7),
        "name": _join(np.where(group, noun, _s([w.capitalize() for w in words])[kind]), place_in),
        "asset_type": _s(ASSET_TYPES)[kind], "service": service, "people_served": _ints(served, served_shown),
        "people_served_qualifier": np.where(served_shown, np.where(rng.random(m) < 0.4, "at_least", "exact"), ""),
        "asset_count": _s(count), "count_qualifier": np.where(group & (rng.random(m) < 0.6), "at_least", "exact"),
        "quote": _join(_SYNTHETIC, noun, place_in, np.where(group, " were", " was"), " hit."),
    }  # fmt: skip
    assets |= {column: inc[column][by_incident] for column in _LOCATION}  # where the first incident hit it
    state = _pick(rng, _STATE_SHARE, np.where(housing[asset], 0, np.where(utility[asset], 1, 2)))
    lost = utility[asset] & (np.isin(state, (1, 2)) & (rng.random(k) < 0.6) | (state == 0) & (rng.random(k) < 0.1))
    basis = np.where(served_shown[asset], served[asset], rng.lognormal(np.log(6000), 1.6, k))
    without = _round2(np.clip(basis * rng.uniform(0.3, 1.0, k), 20, 450_000))
    verb = _join(np.where(group[asset], " were ", " was "), _s([_STATE_WORD[s] for s in STATES_AFTER])[state])
    impacts = {
        "impact_id": _ids(f"syn-{seed}-h", k, 7), "incident_id": inc["incident_id"][incident],
        "asset_id": assets["asset_id"][asset], "state_after": _s(STATES_AFTER)[state],
        "people_without_service": _ints(without, lost),
        "people_qualifier": np.where(lost, np.where(rng.random(k) < 0.35, "at_least", "exact"), ""),
        "quote": _join(_SYNTHETIC, noun[asset], place_in[asset], verb, "."),
    }  # fmt: skip
    return assets, impacts


def _salvos(seed: int, rng: np.random.Generator, days: np.ndarray, p_day: np.ndarray) -> dict:
    """Nightly launch counts: drones from mid-September 2022, missiles on busier nights."""
    busy, d, year = p_day / p_day.mean(), len(days), np.clip(days.astype("datetime64[Y]").astype(int) - 52, 0, 4)
    drone_night = (days >= np.datetime64("2022-09-13")) & (rng.random(d) < np.minimum(0.55 * busy, 0.95))
    missile_night = rng.random(d) < np.minimum(0.12 * busy**2, 0.9)
    parts = []
    for weapon, nights, counts in (
        ("drone", drone_night, np.array([25, 30, 60, 120, 150])[year] * busy * rng.lognormal(0, 0.6, d)),
        ("ballistic_missile", missile_night & (rng.random(d) < 0.6), rng.lognormal(np.log(4), 0.8, d)),
        ("cruise_missile", missile_night & (rng.random(d) < 0.7), rng.lognormal(np.log(12), 0.9, d)),
        ("missile", missile_night & (rng.random(d) < 0.2), rng.lognormal(np.log(5), 0.7, d)),
    ):
        night = np.flatnonzero(nights)
        parts.append((night, np.full(len(night), WEAPONS.index(weapon)), np.clip(np.rint(counts[night]), 1, 900)))
    night, weapon, launched = (np.concatenate(columns) for columns in zip(*parts, strict=True))
    order = np.lexsort((weapon, night))
    night, weapon, launched, n = night[order], weapon[order], launched[order].astype(np.int64), len(order)
    winter = np.isin(days[night].astype("datetime64[M]").astype(int) % 12, _WINTER) & (night > 220)  # from October 2022
    target = np.where(winter & (rng.random(n) < 0.5), "energy infrastructure", "various Ukrainian targets")
    noun = np.strings.add(_s([w.replace("_", " ") for w in WEAPONS])[weapon], np.where(launched == 1, "", "s"))
    return {
        "salvo_id": _ids(f"syn-{seed}-s", n, 6), "launch_date": days[night].astype(str).astype(_S),
        "date_precision": np.full(n, "day", dtype=_S), "weapon": _s(WEAPONS)[weapon], "launched": _s(launched),
        "launched_by_as_reported": np.full(n, "Russian forces", dtype=_S),
        "target_area": np.where(rng.random(n) < 0.2, "", target),
        "quote": _join(_SYNTHETIC, "Russian forces launched ", _s(launched), " ", noun, " overnight."),
    }  # fmt: skip


def _frame(table: str, columns: dict, source_id: str) -> pd.DataFrame:
    """A text frame with exactly the schema's columns, in order; columns not given are blank."""
    names, n = list(SCHEMAS[table].columns), len(next(iter(columns.values())))
    blank, source = np.full(n, "", dtype=_S), np.full(n, source_id, dtype=_S)
    data = {name: source if name == "source_id" else columns.get(name, blank) for name in names}
    return pd.DataFrame({name: pd.Series(pa.array(np.asarray(v, dtype=_S)), dtype="str") for name, v in data.items()})


def synthesize(incidents: int, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Synthetic records for all five tables, as the text frames a loader reads from CSV.

    Parameters
    ----------
    incidents : int
        Number of incidents. Assets and impacts scale with it; salvos do not.
    seed : int, default 0
        The same seed and count always give the same frames. Neither may be negative (ValueError).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``sources`` (one row, ``synth-<seed>``), ``incidents``, ``assets``,
        ``impacts`` and ``salvos``, each with every column of its schema in
        schema order, as text: blank is "not reported", integers without ".0".
    """
    if incidents < 0 or seed < 0:
        raise ValueError(f"incidents and seed must be >= 0, got {incidents} and {seed}")
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)]
    (days, p_day), source_id = _calendar(streams[0]), f"synth-{seed}"
    inc = _incidents(incidents, seed, streams[1], days, p_day)
    assets, impacts = _assets_impacts(inc, seed, streams[2])
    title = f"Synthetic incidents (seed {seed}, {incidents} incidents) — not real events"
    source = dict(source_id=[source_id], title=[title], publisher=["dashboard.io.synth"], notes=[_NOTES])
    source["attribution"] = [GEONAMES_ATTRIBUTION]  # the places' licence (CC BY 4.0)
    tables = {"sources": source, "incidents": inc, "assets": assets, "impacts": impacts}
    tables["salvos"] = _salvos(seed, streams[3], days, p_day)
    return {table: _frame(table, columns, source_id) for table, columns in tables.items()}


def write_synth(incidents: int, seed: int, out: Path) -> Path:
    """Write the five record files of :func:`synthesize` (sources.csv ... salvos.csv) into ``out``.

    Parameters
    ----------
    incidents, seed : int
        As for :func:`synthesize`.
    out : Path
        Folder to write into; created if missing, its record files replaced.

    Returns
    -------
    Path
        ``out``, ready for ``load_records(out)``.
    """
    (out := Path(out)).mkdir(parents=True, exist_ok=True)
    for table, frame in synthesize(incidents, seed).items():  # Arrow's writer: fast, and quotes every text cell
        columns = {name: pa.array(frame[name], pa.string()) for name in frame.columns}
        blank_as_null = {name: pc.if_else(pc.equal(cells, ""), None, cells) for name, cells in columns.items()}
        pa_csv.write_csv(pa.table(blank_as_null), out / SCHEMAS[table].file)  # blank cells stay unquoted
    return out


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``impact synth --incidents N --seed S --out FOLDER``; returns the exit status.

    Parameters
    ----------
    argv : list of str, optional
        Arguments after the command name; ``sys.argv[1:]`` when None.
    """
    parser = argparse.ArgumentParser(prog="impact synth", description="Write synthetic record files (not real events).")
    parser.add_argument("--incidents", type=int, default=10_000, help="number of incidents (default 10000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed, >= 0 (default 0)")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the five CSV files into")
    args = parser.parse_args(argv)
    if args.incidents < 0 or args.seed < 0:
        parser.error("--incidents and --seed must be >= 0")
    started, folder = time.perf_counter(), write_synth(args.incidents, args.seed, args.out)
    megabytes, seconds = sum(f.stat().st_size for f in folder.glob("*.csv")) / 1e6, time.perf_counter() - started
    print(f"wrote {args.incidents} synthetic incidents to {folder} ({megabytes:.1f} MB in {seconds:.1f} s)")
    return 0
