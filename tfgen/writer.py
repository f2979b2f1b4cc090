"""Write a rendered tree to disk safely, and compare a rendered tree with disk.

Generated files live next to files people own (terraform.tfvars, .terraform/, state files), so tfgen
only ever touches files it generated, never leaves a half-written file, and refuses to clobber hand
edits. A rendered tree is a ``Mapping[str, bytes]`` keyed by POSIX paths relative to ``root``.

API
    sync_tree(root, rendered, scopes, *, force=False, dry_run=False, lock_timeout=30.0) -> SyncReport
        Plans under the tree lock, then writes. Conflicts (unless ``force``) raise SyncConflictError
        (a ConflictError, exit code 3, with ``.report``) before anything is written. ``dry_run`` takes
        no lock, writes nothing and returns the report even with conflicts (``raise_for_conflicts()``).
    compare_tree(root, rendered, scopes) -> list[Drift]   read-only, no lock; for ``tfgen check``
    lock_tree(root, timeout); read_manifest(root); manifest_bytes(files); unified_diff(path, old, new)

Scopes: a render owns path prefixes. ``"a/b/"`` owns everything below a/b; ``"a/README.md"`` owns that
path (and anything below ``a/README.md/``). Every rendered path must be inside a scope (ValueError
otherwise), so "in scope" == "this render decides about it". Only manifest entries in scope are pruned.

Files under root: ``.tfgen-manifest.json`` (commit it), ``.tfgen.lock``, ``.tfgen-pending.json`` and
``.<name>.tfgen-tmp-<random>`` (gitignore them). The pending journal records the hashes a sync is about
to write and loses a scope's entries once that scope's manifest is written, so after a SIGKILL the next
run still recognises half-applied files as its own (to update or prune) instead of calling them hand edits.
"""

from __future__ import annotations

import contextlib
import difflib
import fcntl
import hashlib
import json
import os
import re
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tfgen.errors import ConflictError, LockError, TfgenError

MANIFEST_NAME = ".tfgen-manifest.json"
PENDING_NAME = ".tfgen-pending.json"
LOCK_NAME = ".tfgen.lock"
MANIFEST_VERSION = 1
TMP_MARK = ".tfgen-tmp-"
_TMP_RE = re.compile(r"^\..+\.tfgen-tmp-[a-z0-9_]+$")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_RESERVED = frozenset({MANIFEST_NAME, PENDING_NAME, LOCK_NAME})
_NEW_FILE_MODE = 0o644

Status = Literal["create", "update", "unchanged", "remove", "conflict"]
DriftKind = Literal["changed", "missing", "extra"]


@dataclass(frozen=True)
class FileChange:
    """What a sync does (or would do) to one path; ``diff`` is set for update/remove/conflict."""

    path: str
    status: Status
    diff: str = ""
    reason: str = ""


@dataclass(frozen=True)
class SyncReport:
    """Every path a sync considered, sorted by path, so callers can print or test one value."""

    changes: tuple[FileChange, ...]
    dry_run: bool = False

    @property
    def conflicts(self) -> list[FileChange]:
        return self.with_status("conflict")

    def with_status(self, status: Status) -> list[FileChange]:
        return [c for c in self.changes if c.status == status]

    def summary(self) -> str:
        """One line such as "3 created, 1 updated, 40 unchanged, 0 removed, 0 conflicts"."""
        n = Counter(c.status for c in self.changes)
        plural = "" if n["conflict"] == 1 else "s"
        parts = [f"{n['create']} created", f"{n['update']} updated", f"{n['unchanged']} unchanged"]
        return ", ".join([*parts, f"{n['remove']} removed", f"{n['conflict']} conflict{plural}"])

    def raise_for_conflicts(self) -> None:
        """Turn conflicts into the exit-code-3 error; a no-op when there are none."""
        if self.conflicts:
            raise SyncConflictError(self)


class SyncConflictError(ConflictError):
    """Conflicts stopped a sync before anything was written; ``.report`` holds the full plan."""

    def __init__(self, report: SyncReport):
        super().__init__([c.path for c in report.conflicts])
        self.report = report

    def __str__(self) -> str:
        details = "".join(f"{c.path}: {c.reason}\n" for c in self.report.conflicts)  # diffs: see .report
        return details + super().__str__()


class TreeError(TfgenError):
    """The tree on disk cannot be handled safely (corrupt manifest, a directory where a file goes)."""


@dataclass(frozen=True)
class Drift:
    """One difference found by compare_tree; ``diff`` is set for changed and extra."""

    path: str
    kind: DriftKind
    diff: str = ""


@dataclass(frozen=True)
class _Plan:
    changes: tuple[FileChange, ...]
    writes: dict[str, bytes]
    removes: tuple[str, ...]
    manifest: dict[str, str]
    pending: dict[str, list[str]]  # journal while writing
    pending_after: dict[str, list[str]]  # journal entries of other scopes, kept after success


def _check_path(path: object) -> str:
    """Reject anything that could escape root or alias another path (defence in depth)."""
    if not isinstance(path, str) or not path:
        raise ValueError(f"invalid path {path!r}: must be a non-empty string")
    if "\\" in path or "\0" in path:
        raise ValueError(f"invalid path {path!r}: backslashes and NUL are not allowed")
    if path.startswith("/"):
        raise ValueError(f"invalid path {path!r}: must be relative to the output root")
    if any(part in ("", ".", "..") for part in path.split("/")):
        raise ValueError(f"invalid path {path!r}: empty, '.' and '..' components are not allowed")
    return path


def _check_scopes(scopes: Sequence[str]) -> tuple[str, ...]:
    """A bare string would silently iterate as characters, so insist on a sequence."""
    if isinstance(scopes, str | bytes):
        raise TypeError("scopes must be a sequence of path prefixes, not a string")
    for scope in scopes:
        _check_path(scope.removesuffix("/") if isinstance(scope, str) else scope)
    return tuple(sorted(scopes))


def _in_scope(path: str, scopes: Iterable[str]) -> bool:
    return any(path == s.rstrip("/") or path.startswith(s.rstrip("/") + "/") for s in scopes)


def _ancestors(path: str) -> Iterator[str]:
    parts = path.split("/")
    for i in range(1, len(parts)):
        yield "/".join(parts[:i])


def _validate_rendered(rendered: Mapping[str, bytes], scopes: tuple[str, ...]) -> None:
    """Fail before touching disk if a rendered path is unsafe, reserved or outside this render's scopes."""
    for path in sorted(rendered):
        _check_path(path)
        if not isinstance(rendered[path], bytes):
            raise TypeError(f"rendered content for {path!r} must be bytes")
        if path in _RESERVED or _TMP_RE.match(path.rsplit("/", 1)[-1]):
            raise ValueError(f"invalid path {path!r}: reserved for tfgen's own bookkeeping")
        if not _in_scope(path, scopes):
            raise ValueError(f"rendered path {path!r} is outside the render's scopes {list(scopes)}")
    clashes = sorted({a for p in rendered for a in _ancestors(p)} & set(rendered))
    if clashes:
        raise ValueError(f"rendered paths used both as file and directory: {clashes}")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_bytes(files: Mapping[str, object]) -> bytes:
    """Deterministic manifest (and journal) bytes: sorted keys, 2-space indent, trailing newline."""
    doc = {"version": MANIFEST_VERSION, "files": dict(sorted(files.items()))}
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()


def _load_files(path: Path, as_list: bool) -> dict:
    """Read a ``{"version": 1, "files": {...}}`` document; missing means empty, malformed is an error."""
    raw = _read_file(path)
    if raw is None:
        return {}
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise TreeError(f"{path}: not valid JSON ({exc}); restore it from git or delete it") from exc
    if not isinstance(doc, dict) or doc.get("version") != MANIFEST_VERSION:
        raise TreeError(f"{path}: unsupported format; expected version {MANIFEST_VERSION}")
    if not isinstance(doc.get("files"), dict):
        raise TreeError(f'{path}: "files" must be an object')
    try:
        for key in doc["files"]:
            _check_path(key)
    except ValueError as exc:
        raise TreeError(f"{path}: {exc}") from exc
    if not all(_is_sha(h) for v in doc["files"].values() for h in _hashes(v, as_list)):
        raise TreeError(f"{path}: every hash must be 64 lowercase hex digits")
    return doc["files"]


def _hashes(value: object, as_list: bool) -> list:
    """The journal maps a path to a list of hashes, the manifest to one hash."""
    if not as_list:
        return [value]
    return value if isinstance(value, list) else [None]


def _is_sha(value: object) -> bool:
    return isinstance(value, str) and bool(_SHA_RE.match(value))


def read_manifest(root: Path) -> dict[str, str]:
    """The manifest on disk as ``{relpath: sha256hex}``; empty when there is none yet."""
    return _load_files(Path(root) / MANIFEST_NAME, as_list=False)


def _read_pending(root: Path) -> dict[str, list[str]]:
    return _load_files(root / PENDING_NAME, as_list=True)


def _read_file(path: Path) -> bytes | None:
    """File content, or None when absent; a directory in the way is an error, never a silent skip."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except (IsADirectoryError, NotADirectoryError) as exc:
        raise TreeError(f"{path}: expected a file or nothing, but something is in the way ({exc.strerror})") from exc


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


def _next_manifest(manifest: Mapping[str, str], rendered: Mapping[str, bytes], scopes: tuple[str, ...]):
    """Entries outside scope are someone else's: kept as-is; inside scope the render decides."""
    kept = {p: s for p, s in manifest.items() if not _in_scope(p, scopes)}
    return dict(sorted({**kept, **{p: _sha(c) for p, c in rendered.items()}}.items()))


def _plan_rendered(path: str, new: bytes, disk: bytes | None, ours: set[str], force: bool) -> FileChange:
    if disk is None:
        return FileChange(path, "create")
    if disk == new:
        return FileChange(path, "unchanged")
    reason = "edited by hand" if ours else "exists but was not generated by tfgen"
    return _decide(path, "update", unified_diff(path, disk, new), _sha(disk) in ours, reason, force)


def _plan_prune(path: str, disk: bytes | None, ours: set[str], force: bool) -> FileChange:
    if disk is None:
        return FileChange(path, "remove", "", "already gone")
    reason = "edited by hand and no longer generated"
    return _decide(path, "remove", unified_diff(path, disk, None), _sha(disk) in ours, reason, force)


def _decide(path: str, status: Status, diff: str, mine: bool, reason: str, force: bool) -> FileChange:
    """Disk content we did not write is a conflict, unless forced (then the reason says so)."""
    if mine:
        return FileChange(path, status, diff)
    if force:
        return FileChange(path, status, diff, f"forced: {reason}")
    return FileChange(path, "conflict", diff, reason)


def _refuse_symlinks(root: Path, path: str) -> None:
    """Never follow a link below the root: a linked file or directory would make tfgen write outside it."""
    current = root
    for part in path.split("/"):
        current = current / part
        if current.is_symlink():
            raise TreeError(f"{current} is a symbolic link; tfgen only writes real files and directories "
                            f"below {root} (replace the link with a directory or file)")


def _plan(root: Path, rendered: Mapping[str, bytes], scopes: tuple[str, ...], force: bool) -> _Plan:
    """Decide every path from disk, manifest and pending journal; pure apart from reading."""
    manifest, pending = read_manifest(root), _read_pending(root)
    ours = {p: {*pending.get(p, ()), *filter(None, [manifest.get(p)])} for p in {*manifest, *pending}}
    gone = [p for p in sorted({*manifest, *pending}) if _in_scope(p, scopes) and p not in rendered]
    for path in sorted([*rendered, *gone]):
        _refuse_symlinks(root, path)
    disk = {p: _read_file(root / p) for p in sorted([*rendered, *gone])}
    # A journal-only path (a killed run created it) is pruned only if it is still our content.
    gone = [p for p in gone if p in manifest or disk[p] is None or _sha(disk[p]) in ours[p]]
    changes = [_plan_rendered(p, rendered[p], disk[p], ours.get(p, set()), force) for p in sorted(rendered)]
    changes += [_plan_prune(p, disk[p], ours[p], force) for p in gone]
    writes = {c.path: rendered[c.path] for c in changes if c.status in ("create", "update")}
    journal = {p: sorted({*pending.get(p, ()), _sha(c)}) for p, c in writes.items()}
    return _Plan(
        changes=tuple(sorted(changes, key=lambda c: c.path)),
        writes=writes,
        removes=tuple(c.path for c in changes if c.status == "remove"),
        manifest=_next_manifest(manifest, rendered, scopes),
        pending=dict(sorted({**pending, **journal}.items())),
        pending_after={p: v for p, v in sorted(pending.items()) if not _in_scope(p, scopes)},
    )


def atomic_write(target: Path, data: bytes) -> None:
    """Temp file in the same directory, fsync, os.replace: readers see the old or the new file, never half."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = target.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = _NEW_FILE_MODE
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}{TMP_MARK}", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _fsync_dir(directory: Path) -> None:
    """Make renames and unlinks in ``directory`` durable before the manifest claims them."""
    with contextlib.suppress(FileNotFoundError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove_owned(root: Path, path: str) -> None:
    """Delete one owned file, then each parent it leaves empty (rmdir refuses non-empty ones)."""
    target = root / path
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
    directory = target.parent
    while directory != root:
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent


def _clean_temp_files(root: Path, paths: Iterable[str]) -> None:
    """Drop temp files left by a killed run, looking only in directories tfgen writes to."""
    dirs = sorted({root, *((root / p).parent for p in paths)})
    for directory in dirs:
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            for entry in sorted(os.scandir(directory), key=lambda e: e.name):
                if _TMP_RE.match(entry.name) and entry.is_file(follow_symlinks=False):
                    os.unlink(entry.path)


def _apply(root: Path, plan: _Plan) -> None:
    """Journal, files, prunes, then the manifest last, so a kill at any point is recoverable."""
    if plan.writes:
        atomic_write(root / PENDING_NAME, manifest_bytes(plan.pending))
        _fsync_dir(root)
    for path in sorted(plan.writes):
        atomic_write(root / path, plan.writes[path])
    for path in plan.removes:
        _remove_owned(root, path)
    for directory in sorted({(root / p).parent for p in (*plan.writes, *plan.removes)}):
        _fsync_dir(directory)
    new_manifest = manifest_bytes(plan.manifest)
    if _read_file(root / MANIFEST_NAME) != new_manifest:
        atomic_write(root / MANIFEST_NAME, new_manifest)
    if plan.pending_after:
        atomic_write(root / PENDING_NAME, manifest_bytes(plan.pending_after))
    else:
        (root / PENDING_NAME).unlink(missing_ok=True)
    _fsync_dir(root)


@contextlib.contextmanager
def lock_tree(root: Path, timeout: float = 30.0) -> Iterator[None]:
    """Serialize writers with flock on ``<root>/.tfgen.lock``; the kernel drops it if the holder dies."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, _NEW_FILE_MODE)
    try:
        _acquire(fd, root / LOCK_NAME, timeout)
        yield
    finally:
        os.close(fd)


def _acquire(fd: int, lock_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LockError(
                    f"another tfgen process is writing this tree: {lock_path} still locked after "
                    f"{timeout:g}s; wait for it to finish and retry"
                ) from None
            time.sleep(min(0.05, remaining))


def sync_tree(
    root: Path,
    rendered: Mapping[str, bytes],
    scopes: Sequence[str],
    *,
    force: bool = False,
    dry_run: bool = False,
    lock_timeout: float = 30.0,
) -> SyncReport:
    """Make disk match ``rendered`` within ``scopes``; raises SyncConflictError before writing anything."""
    root, scope_list = Path(root), _check_scopes(scopes)
    _validate_rendered(rendered, scope_list)
    if dry_run:
        return SyncReport(_plan(root, rendered, scope_list, force).changes, dry_run=True)
    with lock_tree(root, lock_timeout):
        plan = _plan(root, rendered, scope_list, force)
        report = SyncReport(plan.changes)
        report.raise_for_conflicts()
        _clean_temp_files(root, [*plan.manifest, *plan.removes, *plan.pending])
        _apply(root, plan)
    return report


def compare_tree(root: Path, rendered: Mapping[str, bytes], scopes: Sequence[str]) -> list[Drift]:
    """What ``tfgen check`` reports: disk vs render (owned or not) and a stale manifest, sorted by path."""
    root, scope_list = Path(root), _check_scopes(scopes)
    _validate_rendered(rendered, scope_list)
    manifest = read_manifest(root)
    drifts = [d for p in sorted(rendered) if (d := _drift(p, _read_file(root / p), rendered[p]))]
    extra = [p for p in sorted(manifest) if _in_scope(p, scope_list) and p not in rendered]
    drifts += [Drift(p, "extra", unified_diff(p, d, None)) for p in extra if (d := _read_file(root / p)) is not None]
    expected = manifest_bytes(_next_manifest(manifest, rendered, scope_list))
    stale = _drift(MANIFEST_NAME, _read_file(root / MANIFEST_NAME), expected)
    return sorted([*drifts, *([stale] if stale else [])], key=lambda d: d.path)


def _drift(path: str, disk: bytes | None, new: bytes) -> Drift | None:
    if disk is None:
        return Drift(path, "missing")
    if disk != new:
        return Drift(path, "changed", unified_diff(path, disk, new))
    return None
