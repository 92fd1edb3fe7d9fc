"""How the app writes a vocabulary character for people to read: one rule for the bars, the
context boxes, the embedding scatter, the name list and the command line.

Names are made of printable letters, but a dataset may hold a space, a tab or a control
character. Printed raw they vanish, move the cursor, or start a new line; here each gets a
visible stand-in of one character, so a label never disappears and a name keeps its length.
"""

from __future__ import annotations

import unicodedata

# Stand-ins people recognise from editors and keyboards.
_NAMED = {
    " ": "␣",  # U+2423 OPEN BOX, the usual sign for a space
    "\t": "⇥",  # the Tab key's arrow
    "\n": "↵",  # the Return key's arrow
    "\r": "␍",
    "\x7f": "␡",  # DEL
}
UNPRINTABLE = "�"  # any other character that would be invisible (C1 controls, format marks)


def display_char(ch: str) -> str:
    """One visible character for `ch`: a space as '␣', a tab as '⇥', a newline as '↵', other
    C0 controls as their Unicode control pictures ('␀'..'␟'), anything else invisible as '�'.
    Printable characters, the boundary token '.' included, are shown as they are."""
    if ch in _NAMED:
        return _NAMED[ch]
    if len(ch) == 1 and ord(ch) < 0x20:
        return chr(0x2400 + ord(ch))  # the control pictures block mirrors C0
    if ch.isprintable() and not ch.isspace() and unicodedata.category(ch) != "Cf":
        return ch
    return UNPRINTABLE


def display_text(text: str) -> str:
    """`text` with every character shown by display_char (same length as `text`)."""
    return "".join(display_char(ch) for ch in text)


def is_shown_as_is(ch: str) -> bool:
    """True when display_char leaves `ch` unchanged (so quoting it as 'x' is unambiguous)."""
    return display_char(ch) == ch


def format_probability(p: float, decimals: int = 3) -> str:
    """0.312 (`decimals` places), or 4.2e-05 for a probability that would round to 0.000:
    one rule for the bar labels, the header above them and the score table."""
    if p != 0 and abs(p) < 0.5 * 10.0**-decimals:
        return f"{p:.1e}"
    return f"{p:.{decimals}f}"
