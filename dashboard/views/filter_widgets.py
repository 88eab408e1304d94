"""The sidebar's filter widgets: their state from the link, one reset for all, a date range that runs forward.

Pure functions of the filters and the records' first and last day, so the page's rules are
tested without Streamlit (``dashboard/ui/overview.py`` only lays the widgets out).

Examples
--------
>>> from datetime import date
>>> first, last = date(2024, 3, 12), date(2024, 3, 14)
>>> state = widget_state(Filters(cities=("Kherson",)), first, last)
>>> state["filter_city"], state["filter_dates"]
(['Kherson'], (datetime.date(2024, 3, 12), datetime.date(2024, 3, 14)))
>>> widget_state(Filters(), first, last) == cleared_state(first, last)
True
>>> picked_range((date(2024, 3, 14), date(2024, 3, 13)), first, last)
(None, None, 'The end date 2024-03-13 is before the start date 2024-03-14: choose an end on or after the start.')
>>> picked_range((date(2024, 3, 13),), first, last)
(datetime.date(2024, 3, 13), None, None)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from dashboard.query.totals import Filters

# What the page says when the filters leave nothing (a browser test looks for it).
NO_MATCH = "No incidents match these filters"
CLEAR_LABEL = "Clear filters"
NO_RECORDS = "The store holds no incidents yet: import a file on the Import data page, or run `impact import FILE`."
# Every filter widget's session key: the "Clear filters" button resets exactly these.
FILTER_KEYS = ("filter_city", "filter_dates", "filter_oblast", "filter_weapon", "filter_asset_type")


def widget_state(filters: Filters, first_day: date, last_day: date) -> dict[str, object]:
    """The value of each filter widget for ``filters``; an open date end is the records' first or last day.

    Parameters
    ----------
    filters
        The filters to show, typically those the link carries.
    first_day, last_day
        The records' first and last day, which a date range without that end shows.
    """
    return {
        "filter_city": list(filters.cities),
        "filter_dates": (filters.start or first_day, filters.end or last_day),
        "filter_oblast": list(filters.oblasts),
        "filter_weapon": list(filters.weapons),
        "filter_asset_type": list(filters.asset_types),
    }


def cleared_state(first_day: date, last_day: date) -> dict[str, object]:
    """Every filter widget as if nothing were selected: all places, weapons and assets, every day."""
    return widget_state(Filters(), first_day, last_day)


def picked_range(
    picked: date | Sequence[date] | None, first_day: date, last_day: date
) -> tuple[date | None, date | None, str | None]:
    """The start and end the date widget means (None: no restriction), and why it was refused if it was.

    A range that covers all the records is no restriction (it stays out of the link). One day
    picked (the second click still to come) restricts the start only. An end before the start,
    which a typed range can give, restricts nothing and returns the message shown next to the
    widget, rather than an empty page that looks like "no attacks".

    Parameters
    ----------
    picked
        What ``st.date_input`` returned: a date, or a tuple of zero, one or two dates.
    first_day, last_day
        The records' first and last day.
    """
    if picked is None:
        days: list[date] = []
    elif isinstance(picked, date):
        days = [picked, picked]
    else:
        days = list(picked)
    start, end = (days + [None, None])[:2]
    if start is not None and end is not None and end < start:
        message = (
            f"The end date {end.isoformat()} is before the start date {start.isoformat()}: "
            "choose an end on or after the start."
        )
        return None, None, message
    return (start if start and start != first_day else None, end if end and end != last_day else None, None)


def date_link_warnings(warnings: list[str]) -> tuple[list[str], list[str]]:
    """The link's warnings about its dates (shown next to the date widget) and the others.

    ``dashboard.views.url_state`` starts each warning with the link's parameter name.
    """
    dated = [warning for warning in warnings if warning.startswith(("start ", "end "))]
    return dated, [warning for warning in warnings if warning not in dated]
