"""Ukraine's 27 first-level units and every spelling that should resolve to one of them.

Oblast names, ISO 3166-2 codes and OCHA P-codes must all land on the same unit.
The ISO and P-code numbers agree except for five units (Crimea, Luhansk,
Chernivtsi, Kyiv city, Sevastopol), so both are listed explicitly.

Examples
--------
>>> resolve_oblast("Odessa").iso
'UA-51'
>>> resolve_oblast("UA80").name
'Kyiv'
>>> resolve_oblast("Khersonska").iso
'UA-65'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Oblast:
    iso: str
    pcode: str
    name: str
    aliases: tuple[str, ...] = field(default=())


# name: the form records use; aliases: geoBoundaries' shapeName, OCHA's ADM1_EN,
# Ukrainian and Russian forms and common transliterations.
OBLASTS: tuple[Oblast, ...] = (
    Oblast("UA-05", "UA05", "Vinnytsia Oblast", ("Vinnytska", "Vinnitsa", "Вінницька", "Винницкая")),
    Oblast("UA-07", "UA07", "Volyn Oblast", ("Volynska", "Волинська", "Волынская")),
    Oblast("UA-09", "UA44", "Luhansk Oblast", ("Luhanska", "Lugansk", "Луганська", "Луганская")),
    Oblast(
        "UA-12",
        "UA12",
        "Dnipropetrovsk Oblast",
        ("Dnipropetrovska", "Dnepropetrovsk", "Дніпропетровська", "Днепропетровская"),
    ),
    Oblast("UA-14", "UA14", "Donetsk Oblast", ("Donetska", "Донецька", "Донецкая")),
    Oblast("UA-18", "UA18", "Zhytomyr Oblast", ("Zhytomyrska", "Zhitomir", "Житомирська")),
    Oblast(
        "UA-21",
        "UA21",
        "Zakarpattia Oblast",
        ("Zakarpatska", "Transcarpathia", "Zakarpattya", "Закарпатська"),
    ),
    Oblast(
        "UA-23",
        "UA23",
        "Zaporizhzhia Oblast",
        ("Zaporizhia", "Zaporizka", "Zaporozhye", "Zaporizhzhya", "Запорізька", "Запорожская"),
    ),
    Oblast(
        "UA-26",
        "UA26",
        "Ivano-Frankivsk Oblast",
        ("Ivano-Frankivska", "Ivano-Frankovsk", "Івано-Франківська"),
    ),
    Oblast("UA-30", "UA80", "Kyiv", ("Kyiv City", "Kiev City", "Kyiv city", "місто Київ")),
    Oblast("UA-32", "UA32", "Kyiv Oblast", ("Kyivska", "Kiev Oblast", "Київська", "Киевская")),
    Oblast("UA-35", "UA35", "Kirovohrad Oblast", ("Kirovohradska", "Kirovograd", "Кіровоградська")),
    Oblast("UA-40", "UA85", "Sevastopol", ("Sevastopol City", "Sebastopol", "Севастополь")),
    Oblast(
        "UA-43",
        "UA01",
        "Autonomous Republic of Crimea",
        ("Crimea", "Avtonomna Respublika Krym", "Krym", "Автономна Республіка Крим"),
    ),
    Oblast("UA-46", "UA46", "Lviv Oblast", ("Lvivska", "Lvov", "Львівська", "Львовская")),
    Oblast("UA-48", "UA48", "Mykolaiv Oblast", ("Mykolaivska", "Nikolaev", "Миколаївська")),
    Oblast("UA-51", "UA51", "Odesa Oblast", ("Odessa Oblast", "Odeska", "Odessa", "Одеська")),
    Oblast("UA-53", "UA53", "Poltava Oblast", ("Poltavska", "Полтавська", "Полтавская")),
    Oblast("UA-56", "UA56", "Rivne Oblast", ("Rivnenska", "Rovno", "Рівненська")),
    Oblast("UA-59", "UA59", "Sumy Oblast", ("Sumska", "Сумська", "Сумская")),
    Oblast("UA-61", "UA61", "Ternopil Oblast", ("Ternopilska", "Тернопільська")),
    Oblast("UA-63", "UA63", "Kharkiv Oblast", ("Kharkivska", "Kharkov", "Харківська", "Харьковская")),
    Oblast("UA-65", "UA65", "Kherson Oblast", ("Khersonska", "Херсонська", "Херсонская")),
    Oblast("UA-68", "UA68", "Khmelnytskyi Oblast", ("Khmelnytska", "Khmelnitsky", "Хмельницька")),
    Oblast("UA-71", "UA71", "Cherkasy Oblast", ("Cherkaska", "Cherkassy", "Черкаська")),
    Oblast("UA-74", "UA74", "Chernihiv Oblast", ("Chernihivska", "Chernigov", "Чернігівська")),
    Oblast("UA-77", "UA73", "Chernivtsi Oblast", ("Chernivetska", "Chernovtsy", "Чернівецька")),
)

_SUFFIX = re.compile(r"\s+(oblast|region|obl\.?|область)$")


def name_key(text: str) -> str:
    """Fold a name for comparison: case, apostrophes, dashes and runs of spaces."""
    folded = text.strip().casefold().replace("’", "'").replace("ʼ", "'")
    return re.sub(r"[\s\-_']+", " ", folded).strip()


OBLASTS_BY_ISO: dict[str, Oblast] = {o.iso: o for o in OBLASTS}


def _build_index() -> dict[str, Oblast]:
    index: dict[str, Oblast] = {}
    for oblast in OBLASTS:
        for code in (oblast.iso, oblast.pcode):
            index[name_key(code).replace(" ", "")] = oblast
        for spelling in (oblast.name, *oblast.aliases):
            index[name_key(spelling)] = oblast
            index.setdefault(_SUFFIX.sub("", name_key(spelling)), oblast)
    # A bare "Kyiv" is the city (UA-30); the oblast needs its suffix. OCHA labels
    # UA80 (the city) "Kyivska", so that spelling stays with the oblast and the
    # P-code decides for OCHA rows.
    index["kyiv"] = OBLASTS_BY_ISO["UA-30"]
    index["kiev"] = OBLASTS_BY_ISO["UA-30"]
    return index


_INDEX = _build_index()


class UnknownOblastError(ValueError):
    """Raised when a name or code matches none of the 27 units."""


def resolve_oblast(text: str) -> Oblast:
    """Return the unit a name, ISO 3166-2 code or OCHA P-code refers to.

    Parameters
    ----------
    text : str
        "Kherson", "Kherson Oblast", "Khersonska", "UA-65", "UA65" ...

    Raises
    ------
    UnknownOblastError
        If nothing matches; the message says which forms are accepted.
    """
    key = name_key(text)
    for candidate in (key, key.replace(" ", ""), _SUFFIX.sub("", key)):
        if candidate in _INDEX:
            return _INDEX[candidate]
    raise UnknownOblastError(
        f"unknown oblast {text!r}: use a name such as 'Kherson Oblast', "
        "an ISO 3166-2 code such as 'UA-65' or an OCHA P-code such as 'UA65'"
    )


def oblast_or_none(text: str) -> Oblast | None:
    """The unit a name or code refers to, or None when it is blank or names none.

    For callers that report an unknown oblast themselves (validation, import
    adapters) instead of stopping at the first one, as :func:`resolve_oblast` does.

    Examples
    --------
    >>> oblast_or_none("Khersonska").iso
    'UA-65'
    >>> oblast_or_none("Narnia") is None
    True
    """
    try:
        return resolve_oblast(text)
    except UnknownOblastError:
        return None
