"""One error hierarchy; every message is built in its constructor so the CLI only prints it."""

from __future__ import annotations

from dataclasses import dataclass

from tfgen.terminal import one_line

EXIT_OK = 0
EXIT_STALE = 1
EXIT_INVALID = 2
EXIT_CONFLICT = 3
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug in tfgen, reported without a traceback (see --debug)
EXIT_INTERRUPTED = 130


@dataclass(frozen=True, order=True)
class Location:
    """Where a value came from: a spec file (project-relative) and a 1-based line and column."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{one_line(self.file)}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec, pointing at the value that is wrong."""

    location: Location | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        field = f"{one_line(self.path)}: " if self.path else ""
        return f"{where}{field}{one_line(self.message)}"  # one line each: spec text cannot forge another

    def sort_key(self) -> tuple:
        loc = self.location or Location("", 0, 0)
        return (loc.file, loc.line, loc.col, self.path, self.message)


class TfgenError(Exception):
    """Base of every error tfgen reports; `exit_code` is what the CLI exits with."""

    exit_code = EXIT_INVALID


class SpecError(TfgenError):
    """A spec (or a set of specs) is invalid; carries every problem found, not just the first."""

    exit_code = EXIT_INVALID

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=Problem.sort_key)
        count = len(self.problems)
        lines = [str(p) for p in self.problems]
        lines.append(f"{count} problem{'s' if count != 1 else ''} found")  # writers add "; nothing was written"
        super().__init__("\n".join(lines))


class TemplateError(TfgenError):
    """A template failed to render; names the template file and line."""

    exit_code = EXIT_INVALID

    def __init__(self, template: str, line: int | None, message: str):
        self.template, self.line = template, line
        where = f"{template}:{line}" if line else template
        super().__init__(f"{where}: template error: {message}")


class FormatError(TfgenError):
    """HCL text could not be formatted: it does not parse (file:line:column, as Terraform locates it)."""

    exit_code = EXIT_INVALID

    def __init__(self, source: str, line: int, message: str, col: int | None = None):
        self.source, self.line, self.col, self.message = source, line, col, message
        where = f"{one_line(source)}:{line}:{col}" if col else f"{one_line(source)}:{line}"
        super().__init__(f"{where}: {message}")


class ConflictError(TfgenError):
    """Generated files were edited by hand (or are not ours); nothing was overwritten."""

    exit_code = EXIT_CONFLICT

    def __init__(self, paths: list[str]):
        self.paths = sorted(paths)
        listing = "\n".join(f"  {p}" for p in self.paths)
        super().__init__(
            f"{len(self.paths)} file(s) changed by hand or not owned by tfgen; left alone:\n{listing}\n"
            "re-run with --force to overwrite them"
        )


class LockError(TfgenError):
    """Another tfgen process holds the tree lock for too long."""

    exit_code = EXIT_INVALID


class FileSystemError(TfgenError):
    """A file or directory could not be read or written (permissions, a directory where a file belongs, bad
    encoding): reported as a located message with exit code 2, never as a traceback."""

    exit_code = EXIT_INVALID

    def __init__(self, exc: OSError | UnicodeError):
        if isinstance(exc, UnicodeDecodeError):
            message = f"not valid UTF-8 ({exc.reason} at byte {exc.start})"
        elif isinstance(exc, OSError):
            where = one_line(str(exc.filename)) if exc.filename is not None else ""
            message = f"{where}: {exc.strerror or exc}" if where else str(exc.strerror or exc)
        else:
            message = str(exc)
        super().__init__(message)


def as_tfgen_error(exc: BaseException) -> TfgenError:
    """The error the CLI reports for any failure it expects: tfgen's own, or file-system trouble."""
    if isinstance(exc, TfgenError):
        return exc
    if isinstance(exc, OSError | UnicodeError):
        return FileSystemError(exc)
    raise exc


EXPECTED_ERRORS = (TfgenError, OSError, UnicodeError)


class StateError(TfgenError):
    """A Terraform state given to `tfgen adopt` cannot be read: too large, too deep, or not a state."""

    exit_code = EXIT_INVALID

    def __init__(self, source: str, reason: str):
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")
