"""Which spec strings can reach an output at all (characters with no safe form anywhere), and short reprs
that keep a huge value from flooding an error message."""

from __future__ import annotations

import unicodedata


def short_repr(value: str, limit: int = 60) -> str:
    """repr of a string, shortened so a huge value cannot flood the error output."""
    return repr(value) if len(value) <= limit else repr(value[:limit]) + f"... ({len(value)} characters)"


# Characters with no safe form in some output a spec string reaches: controls (C0, DEL, C1 such as \x85,
# including \t \n \r \x0b \x0c \x1c-\x1e that str.splitlines() breaks on), format characters (bidi
# overrides, zero-width), surrogates, and the line and paragraph separators U+2028/U+2029. Any of them
# could end a line of a shell comment, a systemd unit or a Markdown table, or rewrite a terminal.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def unsafe_character(value: str) -> tuple[int, str] | None:
    """The first character of ``value`` that no output can hold safely, as (index, description), or None."""
    for index, ch in enumerate(value):
        if unicodedata.category(ch) in _UNSAFE_CATEGORIES:
            name = unicodedata.name(ch, "control character")
            return index, f"U+{ord(ch):04X} ({name})"
    return None


def unsafe_text_message(value: str) -> str | None:
    """Why a spec string cannot reach the generated files, or None when every character is safe."""
    found = unsafe_character(value)
    if found is None:
        return None
    index, what = found
    return (f"{short_repr(value)} contains {what} at character {index + 1}; line breaks, control and invisible "
            "formatting characters have no safe form in the generated shell scripts, units and docs: remove it")
