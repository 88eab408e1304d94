"""Distance on the sphere, for place lookups and the synthetic generator alike."""

from __future__ import annotations

import numpy as np

EARTH_DIAMETER_KM = 12_742.0  # twice the mean radius, 6,371 km


def great_circle_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in km by the haversine formula.

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : float or numpy.ndarray
        Degrees; arrays broadcast against each other.

    Returns
    -------
    float or numpy.ndarray
        Kilometres, in the broadcast shape of the inputs.

    Examples
    --------
    >>> round(float(great_circle_km(50.45, 30.52, 46.48, 30.72)))  # Kyiv to Odesa
    442
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(np.subtract(lon2, lon1)) / 2) ** 2
    return EARTH_DIAMETER_KM * np.arcsin(np.sqrt(h))
