"""The terminal/CI-log escaping rule, in one place (no dependencies: errors.py and the CLI both use it).

`terminal_text` is for whole messages that tfgen lays out over several lines itself; `one_line` is for every
piece of input-controlled text placed inside one line (a spec key in a location prefix, a file or directory
name, a value): line breaks and tabs are escaped as well, so such text can never start a line of its own
(a forged status line, or a `::warning::` workflow command in a CI log).
"""

from __future__ import annotations

import re

# ANSI/OSC escape sequences and every other control character: a spec or a committed file could set the
# terminal title, hide lines or fake output when tfgen prints it.
_TERMINAL_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_LINE_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def _escape(match: re.Match[str]) -> str:
    return match[0].encode("unicode_escape").decode("ascii")


def terminal_text(text: str) -> str:
    """What tfgen prints on a terminal or CI log: control and bidi characters shown as \\xNN / \\uNNNN escapes,
    newlines and tabs kept, so nothing printed can act on the terminal."""
    return _TERMINAL_UNSAFE.sub(_escape, text)


def one_line(text: str) -> str:
    """Input-controlled text inside a line: every control character escaped, newlines and tabs included."""
    return _LINE_UNSAFE.sub(_escape, text)
