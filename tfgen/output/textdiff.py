"""Git-style unified diffs of file contents, for conflicts, `check` and the schema file."""

from __future__ import annotations

import difflib


def _lines(data: bytes | None) -> list[str]:
    if not data:
        return []
    lines = [line + "\n" for line in data.decode("utf-8", errors="replace").split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def unified_diff(path: str, old: bytes | None, new: bytes | None) -> str:
    """Git-style diff (``a/<path>`` -> ``b/<path>``, ``/dev/null`` for a side that does not exist)."""
    fromfile = f"a/{path}" if old is not None else "/dev/null"
    tofile = f"b/{path}" if new is not None else "/dev/null"
    out = difflib.unified_diff(_lines(old), _lines(new), fromfile, tofile)
    return "".join(ln if ln.endswith("\n") else ln + "\n\\ No newline at end of file\n" for ln in out)
