"""Common spellings that GeoNames' alternate names lack, each added to one GeoNames place.

This is not a gazetteer: it holds no coordinates, oblasts or populations, only a few
extra spellings, each attached to the GeoNames id whose names it belongs with. Every
other spelling the dashboard matches (Odessa, Kiev, Kharkov, Krivoy Rog, Запоріжжя,
Харьков ...) comes from GeoNames itself. A test checks that every id here is a place
in the gazetteer and that none of these spellings is already a GeoNames name of another
place, so the table cannot silently shadow GeoNames.

Add a spelling here only when users type it and GeoNames does not list it.
"""

from __future__ import annotations

EXTRA_SPELLINGS: dict[int, tuple[str, ...]] = {
    687700: ("Zaporizhia",),  # Zaporizhzhia: the single-zh form common in English-language news
    703845: ("Kryvyi Rig", "Kriviy Rih"),  # Kryvyi Rih: mixed transliterations
    712160: ("Belgorod-Dnestrovsky",),  # Bilhorod-Dnistrovskyi: the Russian form without the final i
    689558: ("Vinnitsa",),  # Vinnytsia: the Russian transliteration
    706369: ("Khmelnitsky",),  # Khmelnytskyi: the Russian transliteration
}
"""GeoNames id -> spellings to index as alternate names of that place."""
