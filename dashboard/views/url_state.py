"""The page's filters as a URL query string, so that a copied link reopens the same view.

Examples
--------
>>> from datetime import date
>>> params = query_from_filters(Filters(cities=("Kherson",), start=date(2024, 3, 13)))
>>> params
{'city': ['Kherson'], 'start': ['2024-03-13']}
>>> filters_from_query(params) == Filters(cities=("Kherson",), start=date(2024, 3, 13))
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from dashboard.query.totals import Filters

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


def _as_date(value: str | Sequence[str] | None) -> date | None:
    values = _as_list(value)
    try:
        return date.fromisoformat(values[0]) if values else None
    except ValueError:
        return None  # a mangled link falls back to the whole range rather than failing


def filters_from_query(params: Mapping[str, str | Sequence[str]]) -> Filters:
    """Filters from query parameters; unknown keys and unreadable dates are ignored."""
    lists = {field: tuple(_as_list(params.get(key))) for key, field in LIST_KEYS.items()}
    return Filters(start=_as_date(params.get("start")), end=_as_date(params.get("end")), **lists)


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
