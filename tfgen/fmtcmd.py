"""`tfgen fmt`: format .tf/.tfvars files in place like `terraform fmt`, or only report (--check/--diff)."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from pathlib import Path

from tfgen.hclfmt import format_hcl

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


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tfgen-tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def format_paths(paths: list[Path], *, check_only: bool, show_diff: bool,
                 echo: Callable[[str], None], status: Callable[[str], None]) -> list[Path]:
    """Format every file; return those that changed (or would change). Parse errors raise FormatError."""
    changed = []
    for path in collect(paths):
        original = path.read_text(encoding="utf-8")
        formatted = format_hcl(original, source=str(path))
        if formatted == original:
            continue
        changed.append(path)
        status(str(path))
        if show_diff:
            echo("".join(difflib.unified_diff(original.splitlines(True), formatted.splitlines(True),
                                              f"a/{path}", f"b/{path}")))
        if not check_only:
            _write_atomic(path, formatted)
    return changed
