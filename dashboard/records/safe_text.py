"""Record text for display: shown as the source wrote it, never run as HTML, Markdown or script.

Record text (quotes, titles, place names, a rejected cell's value, an uploaded file's name)
comes from sources and uploads nobody here controls. Three rules hold wherever it is shown:

* it is never markup: HTML is escaped; Markdown's syntax characters are escaped so the
  text shows literally; ``${`` and backticks are escaped too, so a value that ever ends up
  in a JavaScript template literal (folium's own Popup and Tooltip use them) runs nothing;
* bidirectional control characters stay inside the value: an HTML value is a ``<bdi>``
  element, a plain-text value is wrapped in FIRST STRONG ISOLATE .. POP DIRECTIONAL
  ISOLATE (U+2068 .. U+2069), so a right-to-left override (U+202E) in a record reverses
  at most that record's own text, never the application's label next to it;
* the stored text is untouched: containment happens here, at display time, so a quote
  stays word for word as its source states it.

The record layer holds this module because both the map (HTML popups) and the pages
(Streamlit text) use it and neither may import the other.

Examples
--------
>>> html_text("<b>Kherson</b>")
'<bdi>&lt;b&gt;Kherson&lt;/b&gt;</bdi>'
>>> plain_text("\\u202eKherson") == "\\u2068\\u202eKherson\\u2069"
True
>>> markdown_text("{{7*7}} `x`")
'\\u2068\\\\{\\\\{7\\\\*7\\\\}\\\\} \\\\`x\\\\`\\u2069'
"""

from __future__ import annotations

import html
import re

import pandas as pd

FSI, PDI = "\u2068", "\u2069"
# Explicit embeddings, overrides and isolates (LRE, RLE, PDF, LRO, RLO; LRI, RLI, FSI, PDI).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# CommonMark lets a backslash escape any ASCII punctuation; Streamlit's extensions
# (":red[...]" colours, ":smile:" emoji, "$...$" maths) start with punctuation too.
_MARKDOWN_SYNTAX = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")
# GFM links a bare address (http://, https://, www., a@b.c) after its escapes are resolved, but
# only where it starts a word: an invisible WORD JOINER before the scheme and after an "@" keeps it text.
WORD_JOINER = "\u2060"
_AUTOLINK_STARTS = re.compile(r"(?=https?:|www\.)|(?<=@)", re.IGNORECASE)


def _text(value: object) -> str:
    """The value as a string; None, NaN, NaT and pd.NA as an empty one."""
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    return str(value)


def html_text(value: object) -> str:
    """A record value as HTML text: escaped, its direction isolated in ``<bdi>``; blank stays blank.

    Parameters
    ----------
    value : object
        A record value; None and missing values (NaN, NaT, pd.NA) give an empty string.

    Returns
    -------
    str
        ``<bdi>…</bdi>`` holding the escaped text, with ``$`` and backticks as character
        references (``&#36;``, ``&#96;``): they read the same, and do nothing in a template literal.

    Examples
    --------
    >>> html_text("${alert(1)} `x` </script>")
    '<bdi>&#36;{alert(1)} &#96;x&#96; &lt;/script&gt;</bdi>'
    >>> html_text('<img src=x onerror="alert(1)">')
    '<bdi>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</bdi>'
    >>> html_text(None), html_text(float("nan")), html_text("")
    ('', '', '')
    """
    text = _text(value)
    if not text:
        return ""
    escaped = html.escape(text, quote=True).replace("$", "&#36;").replace("`", "&#96;")
    return f"<bdi>{escaped}</bdi>"


def plain_text(value: object) -> str:
    """A record value for a plain-text element (``st.text``, a widget's option): direction isolated.

    Examples
    --------
    >>> plain_text("Kyiv") == FSI + "Kyiv" + PDI
    True
    >>> plain_text(None)
    ''
    """
    text = _text(value)
    return f"{FSI}{text}{PDI}" if text else ""


def markdown_text(value: object) -> str:
    """A record value for a Markdown element (a heading, a caption, a message), shown literally.

    Every ASCII punctuation character is backslash-escaped (so no emphasis, link, image,
    code span, HTML tag, colour, emoji or maths is made), a bare web or e-mail address gets
    an invisible word joiner (U+2060) so GFM does not link it, line breaks become spaces (a
    Markdown line break could start a list or heading), and the direction is isolated.

    Examples
    --------
    >>> escaped = r"\\!\\[x\\]\\(" + WORD_JOINER + r"http\\:\\/\\/e\\.ex\\/p\\.png\\)"
    >>> markdown_text("![x](http://e.ex/p.png)") == FSI + escaped + PDI
    True
    >>> markdown_text("line one\\n# line two") == FSI + r"line one \\# line two" + PDI
    True
    """
    text = _text(value)
    if not text:
        return ""
    unlinked = _AUTOLINK_STARTS.sub(WORD_JOINER, _LINE_BREAKS.sub(" ", text))
    return FSI + _MARKDOWN_SYNTAX.sub(r"\\\1", unlinked) + PDI


def has_bidi_controls(value: object) -> bool:
    """Whether a value holds an explicit bidirectional control character.

    >>> has_bidi_controls("\\u202eabc"), has_bidi_controls("abc")
    (True, False)
    """
    return any(character in BIDI_CONTROLS for character in _text(value))


def visible_controls(text: str) -> str:
    """A message with each bidirectional control shown as its code (``\\u202e``), for mixed text.

    A message that quotes a value among the application's own words cannot isolate the
    value (its bounds are not known here), so the controls are made visible instead.

    Examples
    --------
    >>> visible_controls("column '\u202eabc' is missing")
    "column '\\\\u202eabc' is missing"
    """
    return "".join(f"\\u{ord(c):04x}" if c in BIDI_CONTROLS else c for c in text)
