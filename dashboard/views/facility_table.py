"""The table of registered facilities in the map's view: per type, how many, and how many were hit.

Examples
--------
>>> facility_table({"hydro_power_plant": {"in_view": 11, "hit": 2}}).to_dict("records")
[{'Facility type': 'hydro power plant', 'Registered in view': 11, 'Of which hit': 2}]
"""

from __future__ import annotations

import pandas as pd

COLUMNS = ("Facility type", "Registered in view", "Of which hit")


def facility_table(counts: dict[str, dict[str, int]]) -> pd.DataFrame:
    """One row per asset type, from :func:`dashboard.query.registry.facilities_in_view`.

    Parameters
    ----------
    counts : dict
        ``{asset_type: {"in_view": N, "hit": M}}``.

    Returns
    -------
    pd.DataFrame
        The columns of ``COLUMNS``; a row per type, in the order given.
    """
    rows = [(kind.replace("_", " "), value["in_view"], value["hit"]) for kind, value in counts.items()]
    return pd.DataFrame(rows, columns=list(COLUMNS)).astype({COLUMNS[1]: "int64", COLUMNS[2]: "int64"})
