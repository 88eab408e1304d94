"""The timeline charts as Altair specifications: one bar per day on a day axis, distinct colours.

Built here, without Streamlit, so tests read the specification; the page hands them to
``st.altair_chart``. An empty view gives None, and the page says so instead of drawing an
empty axis labelled "0.000000".

Examples
--------
>>> import pandas as pd
>>> days = pd.DataFrame({"attacks": [2, 0, 1], "killed": [1, 0, 0], "injured": [0, 0, 3]},
...                     index=pd.date_range("2024-03-12", periods=3, name="day"))
>>> spec = attacks_chart(days).to_dict()
>>> spec["encoding"]["x"]["timeUnit"], spec["encoding"]["x"]["type"]
('yearmonthdate', 'temporal')
>>> attacks_chart(days.iloc[:0]) is None
True
"""

from __future__ import annotations

import altair as alt
import pandas as pd

# Killed and injured in colours told apart by colour-blind readers too (Okabe-Ito).
CASUALTY_COLOURS = {"killed": "#D55E00", "injured": "#0072B2"}
SERVICE_COLOURS = {
    "heating": "#D55E00",
    "electricity": "#E69F00",
    "energy": "#CC79A7",
    "gas": "#F0E442",
    "water": "#0072B2",
}
CHART_HEIGHT = 220  # three charts fit one screen under the tabs
_DAY_AXIS = alt.Axis(format="%d %b %Y", labelAngle=0, title=None)


def _long(per_day: pd.DataFrame, columns: list[str], name: str) -> pd.DataFrame:
    frame = per_day[columns].reset_index(names="day")
    return frame.melt(id_vars="day", var_name=name, value_name="value")


def _day(title: str) -> alt.X:
    return alt.X("yearmonthdate(day):T", axis=_DAY_AXIS, title=title)


def attacks_chart(per_day: pd.DataFrame) -> alt.Chart | None:
    """Attacks per day as bars, one per calendar day."""
    if per_day.empty or not per_day["attacks"].any():
        return None
    frame = per_day[["attacks"]].reset_index(names="day")
    return (
        alt.Chart(frame)
        .mark_bar(color="#555555")
        .encode(
            x=_day("Day"),
            y=alt.Y("attacks:Q", title="Attacks", axis=alt.Axis(format="d", tickMinStep=1)),
            tooltip=[alt.Tooltip("yearmonthdate(day):T", title="Day"), alt.Tooltip("attacks:Q", title="Attacks")],
        )
        .properties(height=CHART_HEIGHT)
    )


def casualties_chart(per_day: pd.DataFrame) -> alt.Chart | None:
    """Killed and injured per day, side by side in two distinct colours (as reported; blanks add nothing)."""
    if per_day.empty or not per_day[["killed", "injured"]].to_numpy().any():
        return None
    frame = _long(per_day, ["killed", "injured"], "harm")
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=_day("Day"),
            xOffset="harm:N",
            y=alt.Y("value:Q", title="People (as reported)", axis=alt.Axis(format="d", tickMinStep=1)),
            color=alt.Color(
                "harm:N",
                scale=alt.Scale(domain=list(CASUALTY_COLOURS), range=list(CASUALTY_COLOURS.values())),
                legend=alt.Legend(title=None, orient="top"),
            ),
            tooltip=["yearmonthdate(day):T", "harm:N", "value:Q"],
        )
        .properties(height=CHART_HEIGHT)
    )


def cut_off_chart(per_day: pd.DataFrame) -> alt.Chart | None:
    """People cut off per service per day, a step line each (counted as people, per place and day)."""
    if per_day.empty or not per_day.to_numpy().any():
        return None
    frame = _long(per_day, list(per_day.columns), "service")
    colours = {service: SERVICE_COLOURS.get(service, "#777777") for service in per_day.columns}
    return (
        alt.Chart(frame)
        .mark_line(interpolate="step-after")
        .encode(
            x=_day("Day"),
            y=alt.Y("value:Q", title="People cut off", axis=alt.Axis(format=",d")),
            color=alt.Color(
                "service:N",
                scale=alt.Scale(domain=list(colours), range=list(colours.values())),
                legend=alt.Legend(title=None, orient="top"),
            ),
            tooltip=["yearmonthdate(day):T", "service:N", alt.Tooltip("value:Q", format=",d")],
        )
        .properties(height=CHART_HEIGHT)
    )
