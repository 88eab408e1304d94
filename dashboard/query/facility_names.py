"""Facility names compared across spellings: "DniproHES" and "Dnieper Hydroelectric Power Plant" are one plant.

A name is normalised (casefolded, Cyrillic transliterated, "Ukraine" and punctuation dropped,
the abbreviations HES/HPP/ГЕС, TES/TPP/ТЕС and TETs/CHP/ТЕЦ written out) and split into the
words that tell plants apart (``distinctive``) and its numbers. Two names match when their
numbers are the same and each distinctive word has a close partner in the other name: close
by spelling, or the same consonant skeleton, which is what transliterations of one name keep
("Dnipro", "Dnepr", "Danipro", "Dnieper" are all ``dnpr``).

Examples
--------
>>> name_similarity("DniproHES", "Danipro (Dnieper) Hydroelectric Power Plant Ukraine")
1.0
>>> name_similarity("Kyiv CHP-5", "Kyiv CHP-6")
0.0
>>> best_phrase("A missile struck the DniproHES dam in Zaporizhzhia.", "Dnipro HPP")
('DniproHES', 1.0)
"""

from __future__ import annotations

import difflib
import re

MATCH = 0.8  # names at or above this similarity are the same facility's
MAX_PHRASE_WORDS = 6  # the longest run of a text's words compared with a name

# Ukrainian and Russian letters, romanised close to the national system; the skeleton then
# absorbs what the two systems (and older English spellings) write differently.
_CYRILLIC = dict(
    zip(
        "абвгґдеєжзиіїйклмнопрстуфхцчшщьюяыэъё",
        "a b v h g d e ie zh z y i i i k l m n o p r s t u f kh ts ch sh shch _ iu ia y e _ e".split(),
        strict=True,
    )
)
# Glued abbreviations ("DniproHES", "ДніпроГЕС"): a capitalised suffix after a lower-case letter.
_GLUED = re.compile(r"(?<=[a-zа-яіїєґ])(HES|HPP|TES|TPP|TETs|TETS|TEC|CHP|NPP|AES|ГЕС|ТЕС|ТЕЦ|АЕС)\b")
_ABBREVIATIONS = {
    "hes": "hydroelectric power plant",
    "hpp": "hydroelectric power plant",
    "ges": "hydroelectric power plant",
    "tes": "thermal power plant",
    "tpp": "thermal power plant",
    "tets": "chp",
    "tec": "chp",
    "npp": "nuclear power plant",
    "aes": "nuclear power plant",
    "station": "plant",
}
# Words every plant of a type shares: they say what a facility is, not which one.
GENERIC = frozenset(
    "hydroelectric hydro thermal nuclear power plant chp combined heat and pumped storage station "
    "dam the of in at a an ukraine state district heating solar wind farm park".split()
)


def transliterate(text: str) -> str:
    """Cyrillic letters in Latin, everything else as it was (casefold first)."""
    return "".join(_CYRILLIC.get(ch, ch) for ch in text).replace("_", "")


def normalise(name: str) -> list[str]:
    """The name's words, casefolded, transliterated, abbreviations written out, "Ukraine" and punctuation gone.

    >>> normalise("Kyiv CHP-5 (ТЕЦ-5), Ukraine")
    ['kyiv', 'chp', '5', 'chp', '5']
    """
    text = _GLUED.sub(r" \1", name)
    text = transliterate(text.casefold())
    text = re.sub(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])", " ", text)  # "chp5" -> "chp 5"
    words = re.findall(r"[a-z]+|\d+", text)
    out: list[str] = []
    for word in words:
        out += _ABBREVIATIONS.get(word, word).split()
    return [w for w in out if w != "ukraine"]


def skeleton(word: str) -> str:
    """Consonants only, repeats collapsed: what transliterations of one name keep in common."""
    consonants = re.sub(r"[aeiouy]", "", word.replace("kh", "h"))
    return re.sub(r"(.+?)\1+", r"\1", consonants)


def _word_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if len(a) >= 4 and len(b) >= 4 and skeleton(a) == skeleton(b) and len(skeleton(a)) >= 3:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


# Ukrainian and Russian adjectives made from a place name ("Dniprovska", "Burshtynskaya") name the place.
_ADJECTIVE = re.compile(r"(?:ov)?s?k(?:a|aia|aya|yi|yy|iy|ii|y|e)$")


def _parts(name: str) -> tuple[list[str], set[str]]:
    words = normalise(name)
    distinct = [_ADJECTIVE.sub("", w) if len(w) > 6 else w for w in words if not w.isdigit() and w not in GENERIC]
    return [w for w in distinct if len(w) > 1], {w for w in words if w.isdigit()}


def name_similarity(a: str, b: str) -> float:
    """How alike two facility names are, 0 to 1 (see the module docstring); 0 when their numbers differ.

    Each distinctive word of either name is scored by its closest word in the other, and the
    scores are averaged over both names: a word only one name has pulls the score down.
    """
    words_a, numbers_a = _parts(a)
    words_b, numbers_b = _parts(b)
    if numbers_a != numbers_b or not words_a or not words_b:
        return 0.0
    scores = [max(_word_similarity(w, v) for v in words_b) for w in words_a]
    scores += [max(_word_similarity(w, v) for v in words_a) for w in words_b]
    return round(sum(scores) / len(scores), 3)


def best_phrase(text: str, name: str) -> tuple[str, float] | None:
    """The run of ``text``'s words that best names ``name``, with its similarity; None below :data:`MATCH`.

    Of equally good runs the shortest and earliest is kept, so the reason quotes just the name.
    """
    words = text.split()
    best: tuple[str, float] | None = None
    for start in range(len(words)):
        for end in range(start + 1, min(len(words), start + MAX_PHRASE_WORDS) + 1):
            phrase = " ".join(words[start:end]).strip(".,;:!?\"'()«»“”")
            score = name_similarity(phrase, name)
            shorter = best is not None and score == best[1] and len(phrase) < len(best[0])
            if score >= MATCH and (best is None or score > best[1] or shorter):
                best = (phrase, score)
    return best
