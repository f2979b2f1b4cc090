"""`tfgen fmt`: format .tf/.tfvars files in place like `terraform fmt`, or only report (--check/--diff).

Defaults follow `terraform fmt`: no path means the current directory, a directory means the files directly
in it (`-recursive` descends, skipping .terraform/, .git/ and virtualenvs), a file named directly must have a
.tf, .tfvars or .tftest.hcl name, and `-` formats stdin to stdout.

Inputs come from checkouts, so a file is read only when it is a regular file no larger than MAX_BYTES, opened
without blocking (a FIFO cannot hang the run) and, when reached through a symbolic link, only when the link
stays inside the directory it was found in (the directory named, or a named file's own directory): a
committed `x.tf -> /proc/self/environ` or `-> /dev/zero` is refused with a message, never read.
"""

from __future__ import annotations

import difflib
import os
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tfgen.errors import EXIT_INVALID, FormatError, TfgenError
from tfgen.hcl import format_hcl
from tfgen.output.writer import atomic_write

SUFFIXES = (".tf", ".tfvars", ".tftest.hcl")
SKIP_DIRS = {".terraform", ".git", ".venv", "node_modules"}
MAX_BYTES = 16 * 1024 * 1024  # far above any real configuration file; bounds what one input can cost


class InputRefused(TfgenError):
    """A path tfgen fmt will not read (wrong kind of file, link leaving its directory, too large)."""

    exit_code = EXIT_INVALID

    def __init__(self, path: Path | str, reason: str):
        self.path = str(path)
        super().__init__(f"{path}: {reason}")


class NotFormatted(TfgenError):
    """Some files were refused or do not parse; each was reported as it was met, and left unchanged."""

    exit_code = EXIT_INVALID

    def __init__(self, errors: list[TfgenError]):
        self.errors = errors
        count = len(errors)
        super().__init__(f"{count} file{'s' if count != 1 else ''} not formatted (see above); "
                         f"nothing was written to {'them' if count != 1 else 'it'}")


@dataclass(frozen=True)
class Target:
    """A file to format and the directory its real file must stay inside."""

    path: Path
    root: Path


def collect(paths: list[Path], recursive: bool = False) -> list[Target]:
    """Files named directly (with a supported suffix), and the supported files in each directory named."""
    found: dict[Path, Target] = {}
    for path in paths:
        if path.is_dir():
            root = path.resolve()
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if recursive and d not in SKIP_DIRS
                                     and not d.startswith(".venv"))
                for name in filenames:
                    if name.endswith(SUFFIXES):
                        found.setdefault(Path(dirpath) / name, Target(Path(dirpath) / name, root))
        elif not path.name.endswith(SUFFIXES):
            raise InputRefused(path, "only .tf, .tfvars and .tftest.hcl files can be formatted")
        else:
            found.setdefault(path, Target(path, path.absolute().parent.resolve()))
    return [found[p] for p in sorted(found)]


def format_paths(paths: list[Path], *, check_only: bool, show_diff: bool, echo: Callable[[str], None],
                 status: Callable[[str], None], recursive: bool = False) -> list[Path]:
    """Format every file; return those that changed (or would change).

    Every file is tried even when one does not parse or is refused, like `terraform fmt`: each error is
    reported when met, then NotFormatted is raised (exit 2); nothing was written for the files with errors.
    Writes go through permitted symbolic links to the real file and keep its permissions.
    """
    changed: list[Path] = []
    errors: list[TfgenError] = []
    for target in collect(paths, recursive):
        path = target.path
        try:
            real, original = read_input(target)
            formatted = format_hcl(original, source=str(path))
        except (FormatError, InputRefused) as exc:
            errors.append(exc)
            status(str(exc))
            continue
        if formatted == original:
            continue
        changed.append(path)
        echo(str(path))  # the list of changed files goes to stdout, as `terraform fmt` prints it
        if show_diff:
            echo(unified_diff(original, formatted, str(path)))
        if not check_only:
            atomic_write(real, formatted.encode("utf-8"))
    if errors:
        raise NotFormatted(errors)
    return changed


def format_stdin(*, check_only: bool, show_diff: bool, echo: Callable[[str], None]) -> bool:
    """`tfgen fmt -`: format stdin to stdout (only a diff with --diff, nothing with --check); True if changed."""
    raw = sys.stdin.buffer.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise InputRefused("<stdin>", f"larger than {MAX_BYTES // (1024 * 1024)} MiB")
    original = _decode(raw, "<stdin>")
    formatted = format_hcl(original, source="<stdin>")
    if show_diff:
        echo(unified_diff(original, formatted, "<stdin>"))
    elif not check_only:
        sys.stdout.write(formatted)
        sys.stdout.flush()
    return formatted != original


def unified_diff(original: str, formatted: str, name: str) -> str:
    return "".join(difflib.unified_diff(original.splitlines(True), formatted.splitlines(True),
                                        f"a/{name}", f"b/{name}"))


def read_input(target: Target) -> tuple[Path, str]:
    """The real path and text of a target, refusing what a checkout could turn against the user."""
    path = target.path
    real = path.resolve()
    if path.is_symlink() and not real.is_relative_to(target.root):
        raise InputRefused(path, f"symbolic link to {real}, outside {target.root}: not followed")
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        raise InputRefused(path, exc.strerror or str(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputRefused(path, f"not a regular file ({_kind(info.st_mode)}): not read")
        if info.st_size > MAX_BYTES:
            raise InputRefused(path, f"larger than {MAX_BYTES // (1024 * 1024)} MiB: not read")
        raw = os.read(fd, MAX_BYTES + 1)
        while len(raw) <= MAX_BYTES and (chunk := os.read(fd, MAX_BYTES + 1 - len(raw))):
            raw += chunk
    finally:
        os.close(fd)
    if len(raw) > MAX_BYTES:
        raise InputRefused(path, f"larger than {MAX_BYTES // (1024 * 1024)} MiB: not read")
    return real, _decode(raw, str(path))


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a directory" if stat.S_ISDIR(mode) else "not a file"


def _decode(raw: bytes, source: str) -> str:
    """Text as UTF-8 (keeping CRLF); undecodable bytes are a located format error."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FormatError(source, line, "Invalid character encoding; the file is not valid UTF-8") from None
