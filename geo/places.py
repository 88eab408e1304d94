"""A small offline gazetteer of Ukrainian settlements, enough to match common spellings.

City filters accept the spellings users type (Odesa/Odessa, Kyiv/Kiev, Kryvyi
Rih/Kryvyy Rih); every spelling folds to one canonical name.

Examples
--------
>>> canonical_place("Kryvyy Rih")
'Kryvyi Rih'
>>> canonical_place("ODESSA")
'Odesa'
>>> canonical_place("Somewhere Else")
'Somewhere Else'
"""

from __future__ import annotations

from dataclasses import dataclass

from geo.oblasts import name_key


@dataclass(frozen=True)
class Place:
    name: str
    oblast_iso: str
    latitude: float
    longitude: float
    aliases: tuple[str, ...] = ()


# Coordinates are settlement centres (GeoNames-style, rounded to 4 places).
PLACES: tuple[Place, ...] = (
    Place("Kyiv", "UA-30", 50.4501, 30.5234, ("Kiev", "Київ", "Киев")),
    Place("Kharkiv", "UA-63", 49.9935, 36.2304, ("Kharkov", "Харків", "Харьков")),
    Place("Odesa", "UA-51", 46.4825, 30.7233, ("Odessa", "Одеса", "Одесса")),
    Place("Dnipro", "UA-12", 48.4647, 35.0462, ("Dnepr", "Dnipropetrovsk", "Дніпро")),
    Place("Donetsk", "UA-14", 48.0159, 37.8028, ("Донецьк",)),
    Place("Zaporizhzhia", "UA-23", 47.8388, 35.1396, ("Zaporizhia", "Zaporozhye", "Запоріжжя")),
    Place("Lviv", "UA-46", 49.8397, 24.0297, ("Lvov", "Львів", "Львов")),
    Place(
        "Kryvyi Rih",
        "UA-12",
        47.9105,
        33.3918,
        ("Kryvyy Rih", "Krivoy Rog", "Kryvyi Rig", "Kriviy Rih", "Кривий Ріг"),
    ),
    Place("Mykolaiv", "UA-48", 46.9750, 31.9946, ("Nikolaev", "Mykolayiv", "Миколаїв")),
    Place("Kherson", "UA-65", 46.6354, 32.6169, ("Херсон",)),
    Place("Sumy", "UA-59", 50.9077, 34.7981, ("Суми",)),
    Place("Chernihiv", "UA-74", 51.4982, 31.2893, ("Chernigov", "Чернігів")),
    Place("Poltava", "UA-53", 49.5883, 34.5514, ("Полтава",)),
    Place("Kramatorsk", "UA-14", 48.7389, 37.5848, ("Краматорськ",)),
    Place("Sloviansk", "UA-14", 48.8533, 37.6050, ("Slavyansk", "Slovyansk", "Слов'янськ")),
    Place("Pokrovsk", "UA-14", 48.2820, 37.1750, ("Покровськ",)),
    Place("Nikopol", "UA-12", 47.5667, 34.4000, ("Нікополь",)),
    Place("Bilhorod-Dnistrovskyi", "UA-51", 46.1871, 30.3410, ("Belgorod-Dnestrovsky",)),
    Place("Izmail", "UA-51", 45.3500, 28.8500, ("Izmayil", "Ізмаїл")),
    Place("Vinnytsia", "UA-05", 49.2331, 28.4682, ("Vinnitsa", "Вінниця")),
    Place("Zhytomyr", "UA-18", 50.2547, 28.6587, ("Zhitomir", "Житомир")),
    Place("Cherkasy", "UA-71", 49.4444, 32.0598, ("Cherkassy", "Черкаси")),
    Place("Kropyvnytskyi", "UA-35", 48.5079, 32.2623, ("Kirovohrad", "Кропивницький")),
    Place("Rivne", "UA-56", 50.6199, 26.2516, ("Rovno", "Рівне")),
    Place("Lutsk", "UA-07", 50.7472, 25.3254, ("Луцьк",)),
    Place("Ternopil", "UA-61", 49.5535, 25.5948, ("Тернопіль",)),
    Place("Khmelnytskyi", "UA-68", 49.4230, 26.9871, ("Khmelnitsky", "Хмельницький")),
    Place("Ivano-Frankivsk", "UA-26", 48.9226, 24.7111, ("Івано-Франківськ",)),
    Place("Uzhhorod", "UA-21", 48.6208, 22.2879, ("Uzhgorod", "Ужгород")),
    Place("Chernivtsi", "UA-77", 48.2915, 25.9403, ("Chernovtsy", "Чернівці")),
    Place("Luhansk", "UA-09", 48.5740, 39.3078, ("Lugansk", "Луганськ")),
    Place("Sevastopol", "UA-40", 44.6167, 33.5254, ("Севастополь",)),
    Place("Simferopol", "UA-43", 44.9521, 34.1024, ("Сімферополь",)),
)

_INDEX: dict[str, Place] = {name_key(spelling): place for place in PLACES for spelling in (place.name, *place.aliases)}


def find_place(name: str) -> Place | None:
    """Return the gazetteer entry for a spelling, or None when it is not listed."""
    return _INDEX.get(name_key(name))


def canonical_place(name: str) -> str:
    """Return the canonical spelling of a settlement name; unknown names come back trimmed."""
    place = find_place(name)
    return place.name if place else name.strip()


def place_key(name: str) -> str:
    """Comparison key for a settlement name, equal for every spelling of one place."""
    return name_key(canonical_place(name)) if name else ""
