"""The page's filters as a URL query string, so that a copied link reopens the same view.

Examples
--------
>>> from datetime import date
>>> params = query_from_filters(Filters(cities=("Kherson",), start=date(2024, 3, 13)))
>>> params
{'city': ['Kherson'], 'start': ['2024-03-13']}
>>> filters_from_query(params) == Filters(cities=("Kherson",), start=date(2024, 3, 13))
True
>>> filters, warnings = filters_and_warnings_from_query({"oblast": ["Nowhere"], "end": ["bad"]})
>>> filters == Filters()
True
>>> for warning in warnings:
...     print(warning)
oblast 'Nowhere' in the link is not one of Ukraine's 27 units; it was ignored
end 'bad' in the link is not a date written YYYY-MM-DD; it was ignored
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from dashboard.query.totals import Filters, filter_problems
from geo.oblasts import oblast_or_none

# query-string key -> Filters field, for the list-valued filters
LIST_KEYS = {
    "city": "cities",
    "oblast": "oblasts",
    "weapon": "weapons",
    "asset_type": "asset_types",
}


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [v for v in value if v]


def _as_date(key: str, value: str | Sequence[str] | None, warnings: list[str]) -> date | None:
    """The link's date, or None; an unreadable one adds a warning and is ignored (the whole range)."""
    values = _as_list(value)
    if not values:
        return None
    try:
        return date.fromisoformat(values[0])
    except ValueError:
        warnings.append(f"{key} {values[0]!r} in the link is not a date written YYYY-MM-DD; it was ignored")
        return None


def filters_and_warnings_from_query(params: Mapping[str, str | Sequence[str]]) -> tuple[Filters, list[str]]:
    """Filters from query parameters, and a warning for each value that was left out.

    A link is typed, pasted and cut short by hand: an oblast that is none of the 27 units,
    a date that is not ``YYYY-MM-DD`` or a start after the end is ignored (that filter is not
    applied) and said, naming the parameter and its value. Unknown keys are ignored silently.
    """
    warnings: list[str] = []
    lists = {field: tuple(_as_list(params.get(key))) for key, field in LIST_KEYS.items()}
    known = []
    for name in lists["oblasts"]:
        if oblast_or_none(name) is None:
            warnings.append(f"oblast {name!r} in the link is not one of Ukraine's 27 units; it was ignored")
        else:
            known.append(oblast_or_none(name).name)  # "UA-65" or "Khersonska" shows as "Kherson Oblast"
    lists["oblasts"] = tuple(dict.fromkeys(known))
    for field, key in (("weapons", "weapon"), ("asset_types", "asset_type")):
        kept = []
        for value in lists[field]:
            # A value outside its vocabulary can match no record: named (with the nearest value) and left out.
            problems = filter_problems(Filters(**{field: (value,)}))
            if problems:
                warnings.append(f"{key} in the link: {problems[0]}; it was ignored")
            else:
                kept.append(value)
        lists[field] = tuple(kept)
    start = _as_date("start", params.get("start"), warnings)
    end = _as_date("end", params.get("end"), warnings)
    if start is not None and end is not None and start > end:
        warnings.append(f"start {start.isoformat()!r} is after end {end.isoformat()!r} in the link; both were ignored")
        start = end = None
    return Filters(start=start, end=end, **lists), warnings


def filters_from_query(params: Mapping[str, str | Sequence[str]]) -> Filters:
    """Filters from query parameters; values :func:`filters_and_warnings_from_query` warns of are left out."""
    return filters_and_warnings_from_query(params)[0]


def query_from_filters(filters: Filters) -> dict[str, list[str]]:
    """Query parameters for filters, leaving out those that restrict nothing."""
    params: dict[str, list[str]] = {}
    for key, field in LIST_KEYS.items():
        if getattr(filters, field):
            params[key] = list(getattr(filters, field))
    for key in ("start", "end"):
        if getattr(filters, key) is not None:
            params[key] = [getattr(filters, key).isoformat()]
    return dict(
        sorted(
            params.items(),
            key=lambda item: ["city", "oblast", "start", "end", "weapon", "asset_type"].index(item[0]),
        )
    )
