"""Column widths as hclwrite measures them: extended grapheme clusters (UAX #29, Unicode 15.0 rules).

hclwrite's Tokens.Columns counts each token with go-textseg's ScanGraphemeClusters, and alignment pads
against that count, so `é` written as e + U+0301, a flag (two regional indicators), a ZWJ emoji sequence or
a decomposed Hangul syllable are one column each, and a prepended U+0600 joins the next character.
"""

from __future__ import annotations

from bisect import bisect_right

from tfgen.hcl.unidata import GCB_CLASS, GCB_END, GCB_START, PICT_END, PICT_START

# Grapheme_Cluster_Break classes, numbered as in unidata (0 = Other).
OTHER, CR, LF, CONTROL, EXTEND, ZWJ, RI, PREPEND, SPACING, L, V, T, LV, LVT = range(14)
_BREAK_AFTER = frozenset({CR, LF, CONTROL})


def _gcb(code: int) -> int:
    i = bisect_right(GCB_START, code) - 1
    return GCB_CLASS[i] if i >= 0 and code <= GCB_END[i] else OTHER


def _pictographic(code: int) -> bool:
    i = bisect_right(PICT_START, code) - 1
    return i >= 0 and code <= PICT_END[i]


def columns(text: str) -> int:
    """Number of grapheme clusters in `text` (ASCII text: its length, with CRLF as one)."""
    if text.isascii():
        return len(text) - text.count("\r\n")
    count, prev, ri_run, pict_zwj = 0, -1, 0, 0  # pict_zwj: 1 after ExtPict Extend*, 2 after that and ZWJ
    for ch in text:
        code = ord(ch)
        cls = _gcb(code) if code > 0x7F else (CR if ch == "\r" else LF if ch == "\n" else
                                              CONTROL if code < 0x20 or code == 0x7F else OTHER)
        if prev < 0 or not _joins(prev, cls, ri_run, pict_zwj == 2 and _pictographic(code)):
            count += 1
        ri_run = ri_run + 1 if cls == RI else 0
        if _pictographic(code) or (pict_zwj == 1 and cls == EXTEND):
            pict_zwj = 1
        elif pict_zwj == 1 and cls == ZWJ:
            pict_zwj = 2
        else:
            pict_zwj = 0
        prev = cls
    return count


def _joins(prev: int, cls: int, ri_run: int, emoji_zwj: bool) -> bool:
    """True when there is no grapheme boundary between classes `prev` and `cls` (rules GB3-GB13)."""
    if prev == CR and cls == LF:
        return True
    if prev in _BREAK_AFTER or cls in (CR, LF, CONTROL):
        return False
    if prev == L and cls in (L, V, LV, LVT):
        return True
    if prev in (LV, V) and cls in (V, T):
        return True
    if prev in (LVT, T) and cls == T:
        return True
    if cls in (EXTEND, ZWJ, SPACING) or prev == PREPEND:
        return True
    if emoji_zwj:
        return True
    return prev == RI and cls == RI and ri_run % 2 == 1
