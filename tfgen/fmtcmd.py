"""`tfgen fmt`: format .tf/.tfvars files in place like `terraform fmt`, or only report (--check/--diff)."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from pathlib import Path

from tfgen.errors import FormatError
from tfgen.hclfmt import format_hcl
from tfgen.writer import atomic_write

SUFFIXES = (".tf", ".tfvars", ".tftest.hcl")
SKIP_DIRS = {".terraform", ".git", ".venv", "node_modules"}


def collect(paths: list[Path]) -> list[Path]:
    """Files named directly are taken as they are; directories are searched recursively."""
    found: set[Path] = set()
    for path in paths:
        if path.is_file():
            found.add(path)
            continue
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".venv"))
            found.update(Path(dirpath) / f for f in filenames if f.endswith(SUFFIXES))
    return sorted(found)


def format_paths(paths: list[Path], *, check_only: bool, show_diff: bool,
                 echo: Callable[[str], None], status: Callable[[str], None]) -> list[Path]:
    """Format every file; return those that changed (or would change).

    Every file is tried even when one does not parse; then the first parse error is raised (exit 2). Writes go
    through symbolic links to the real file and keep its permissions, like `terraform fmt`.
    """
    changed, errors = [], []
    for path in collect(paths):
        try:
            original = _read(path)
            formatted = format_hcl(original, source=str(path))
        except FormatError as exc:
            errors.append(exc)
            status(str(exc))
            continue
        if formatted == original:
            continue
        changed.append(path)
        status(str(path))
        if show_diff:
            echo("".join(difflib.unified_diff(original.splitlines(True), formatted.splitlines(True),
                                              f"a/{path}", f"b/{path}")))
        if not check_only:
            atomic_write(path.resolve(), formatted.encode("utf-8"))
    if errors:
        raise errors[0]
    return changed


def _read(path: Path) -> str:
    """Read a file as UTF-8 (keeping CRLF); undecodable bytes are a located format error."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FormatError(str(path), line, "not valid UTF-8") from None
