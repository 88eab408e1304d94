"""Quotes and the documents they come from: word for word, and the nearest passage when not.

Every record quotes the sentence it was coded from. A quote is found in its document
when it appears there after collapsing whitespace (line breaks in a document do not
hide a quote); when it does not, the user is shown the passage it most likely meant,
so that a typo or an edited figure is fixed in one look.

Examples
--------
>>> document = squash("A missile struck the city.  Six people were injured.\\nThe school was damaged.")
>>> in_document("Six people were injured.", document)
True
>>> in_document("Sixty people were injured.", document)
False
>>> nearest_passage("Sixty people were injured.", document)
'Six people were injured.'
"""

from __future__ import annotations

import difflib
import re

# Sentences end at ., ! or ? followed by whitespace (and a closing quote mark, if any).
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’]?\s+")
# Bounds so that a long document or a long made-up quote cannot make the check unbounded.
MAX_SENTENCES = 5000
MAX_QUOTE_CHARS = 2000
SHOWN_CHARS = 160


def squash(text: str) -> str:
    """Collapse runs of whitespace, so that line breaks in a document do not hide a quote."""
    return re.sub(r"\s+", " ", text).strip()


def in_document(quote: str, document: str) -> bool:
    """Whether ``quote`` appears word for word in ``document`` (already squashed)."""
    return squash(quote) in document


def nearest_passage(quote: str, document: str) -> str:
    """The run of the document's sentences most like ``quote`` (as many sentences as it seems to span).

    Ties go to the earliest passage. An empty document gives an empty string.
    """
    quote = squash(quote)[:MAX_QUOTE_CHARS]
    sentences = [s for s in _SENTENCE_END.split(document) if s][:MAX_SENTENCES]
    if not sentences or not quote:
        return ""
    # A quote of two sentences is compared with runs of two sentences, and so on.
    width = max(1, min(len(_SENTENCE_END.split(quote)), 5))
    candidates = [" ".join(sentences[start : start + width]) for start in range(max(1, len(sentences) - width + 1))]
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(quote)
    best, best_ratio = "", -1.0
    for candidate in candidates:
        matcher.set_seq1(candidate)
        # quick_ratio bounds ratio from above: most candidates are ruled out without the full comparison.
        if matcher.real_quick_ratio() <= best_ratio or matcher.quick_ratio() <= best_ratio:
            continue
        ratio = matcher.ratio()
        if ratio > best_ratio:
            best, best_ratio = candidate, ratio
    return best


def not_found_rule(quote: str, document: str, *, with_nearest: bool = True) -> str:
    """The failure rule for a quote missing from its document, naming the nearest passage."""
    rule = "must appear word for word in the source document"
    if not with_nearest:
        return rule
    nearest = nearest_passage(quote, document)
    if not nearest:
        return rule
    shown = nearest if len(nearest) <= SHOWN_CHARS else nearest[: SHOWN_CHARS - 1] + "…"
    return f"{rule}; nearest: {shown!r}"
