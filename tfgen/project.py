"""Find the tfgen project a command acts on: the nearest directory, from the start directory upwards, that
holds both `specs/` and `templates/` (like git finding `.git`), so tfgen runs from anywhere inside it.
"""

from __future__ import annotations

from pathlib import Path

from tfgen.errors import TfgenError

MARKERS = ("specs", "templates")


class ProjectNotFound(TfgenError):
    """No tfgen project at or above the directory given (or the directory does not exist)."""

    def __init__(self, start: Path, reason: str):
        super().__init__(f"no tfgen project at {start}: {reason}")


def is_project(directory: Path) -> bool:
    return all((directory / marker).is_dir() for marker in MARKERS)


def _could_be_project(directory: Path) -> bool:
    """The directory given (or the current one) is taken when it holds either marker, so a half-made
    project gets the precise error ("no templates found") rather than "no project"."""
    return any((directory / marker).is_dir() for marker in MARKERS)


def find_project(start: Path) -> Path:
    """`start` itself when it holds specs/ or templates/ (kept as given, so relative paths stay relative),
    else the nearest ancestor holding both (absolute)."""
    if not start.exists():
        raise ProjectNotFound(start, "the directory does not exist")
    if not start.is_dir():
        raise ProjectNotFound(start, "not a directory")
    if _could_be_project(start):
        return start
    for parent in start.resolve().parents:
        if is_project(parent):
            return parent
    raise ProjectNotFound(start.resolve(), "neither it nor any parent directory holds specs/ and templates/ "
                                 "(run tfgen inside a project, or point -C at one)")
