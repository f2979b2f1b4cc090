"""Read files of a git revision without checking it out (`git ls-tree` blob ids, `git cat-file`).

Two users: `tfgen affected` compares blob ids of generated files at a ref with the tree on disk; `tfgen impact`
(and the history check of render/validate) loads the specs of a ref. For the latter the files under `specs/`
are read with one `git cat-file --batch` into a private temporary project directory and loaded there by the
ordinary loader (same hardening, same messages). The user's checkout, index and HEAD are never touched.
Every failure is a SpecError (exit 2) with one clear message.

Reads are bounded like reads from disk: a blob's size is asked first (`git cat-file --batch-check`) and a spec
above the loader's cap is refused unread; a spec path that is not a regular file at the revision (a symlink, a
gitlink, a directory) is refused, never skipped (skipping it would make the environment look "added").
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from tfgen.errors import Problem, SpecError
from tfgen.spec import MAX_SPEC_BYTES

GIT_TIMEOUT_S = 30


class GitRefError(SpecError):
    """The revision cannot be read: not a git repository, git missing, or an unknown ref."""

    def __init__(self, message: str):
        super().__init__([Problem(None, "", message)])


def _git_bytes(project_dir: Path, *args: str, stdin: bytes | None = None) -> bytes:
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        done = subprocess.run(["git", "-C", str(project_dir), *args], input=stdin, capture_output=True, env=env,
                              timeout=GIT_TIMEOUT_S, check=False)
    except FileNotFoundError:
        raise GitRefError("git is not installed (not found on PATH): comparing with a revision needs it") from None
    except subprocess.TimeoutExpired:
        raise GitRefError(f"git {args[0]} did not answer within {GIT_TIMEOUT_S} s") from None
    if done.returncode != 0:
        raise GitRefError(f"git {args[0]}: {done.stderr.decode('utf-8', 'replace').strip() or 'failed'}")
    return done.stdout


def _git(project_dir: Path, *args: str, stdin: bytes | None = None) -> str:
    return _git_bytes(project_dir, *args, stdin=stdin).decode("utf-8", "surrogateescape")


def repository_prefix(project_dir: Path) -> str:
    """The project's path inside its repository (`""` at the top); a clear error outside any repository."""
    if not project_dir.is_dir():
        raise GitRefError(f"{project_dir} is not a directory")
    try:
        return _git(project_dir, "rev-parse", "--show-prefix").strip()
    except GitRefError as exc:
        raise GitRefError(f"{project_dir} is not inside a git repository ({exc.problems[0].message}); comparing "
                          "with a revision needs the project's git history") from None


def _commit_id(project_dir: Path, ref: str) -> str:
    return _git(project_dir, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}").strip()


def resolve_commit(project_dir: Path, ref: str) -> str:
    """The commit id `ref` names; a clear error for an unknown ref or a directory outside any repository."""
    if not ref or ref.startswith("-"):
        raise GitRefError(f"not a git revision: {ref!r}")
    try:
        return _commit_id(project_dir, ref)
    except GitRefError:
        repository_prefix(project_dir)  # "not inside a git repository" when that is the cause
        hint = "fetch it first, e.g. `git fetch origin main` or actions/checkout with fetch-depth: 0"
        raise GitRefError(f"unknown git revision {ref!r} ({hint})") from None


REGULAR_MODES = ("100644", "100755")
_MODE_NAMES = {"120000": "a symbolic link", "160000": "a gitlink (submodule)", "040000": "a directory"}


def _tree_entries(project_dir: Path, commit: str, directories: list[str]) -> list[tuple[str, str, str]]:
    """`(mode, blob id, project-relative path)` of every entry below `directories` at `commit`, with `-t` so that
    a directory shows up too."""
    prefix = repository_prefix(project_dir)
    listing = _git(project_dir, "ls-tree", "-r", "-t", "-z", "--full-tree", commit, "--",
                   *[prefix + d for d in directories])
    entries = []
    for entry in filter(None, listing.split("\0")):
        meta, path = entry.split("\t", 1)
        mode, _kind, blob = meta.split()
        if path.startswith(prefix):
            entries.append((mode, blob, path[len(prefix):]))
    return entries


def blob_ids(project_dir: Path, commit: str, directories: list[str]) -> dict[str, str]:
    """`{project-relative path: blob id}` of every regular file below `directories` at `commit`."""
    return {path: blob for mode, blob, path in _tree_entries(project_dir, commit, directories)
            if mode in REGULAR_MODES}


def blob_id(data: bytes) -> str:
    """The id git gives a file with these bytes (sha1 of `blob <size>\\0<data>`)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def disk_blob_ids(project_dir: Path, directories: list[str]) -> dict[str, str]:
    """The same map for the files on disk now (regular files only, symlinks skipped)."""
    found = {}
    for directory in directories:
        base = project_dir / directory
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.is_file() and not path.is_symlink():
                found[path.relative_to(project_dir).as_posix()] = _file_blob_id(path)
    return found


def _file_blob_id(path: Path, chunk: int = 1 << 20) -> str:
    """blob_id of a file read in chunks: a huge file on disk costs time, never its size in memory."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        digest = hashlib.sha1(b"blob %d\0" % size, usedforsecurity=False)
        read = 0
        while data := handle.read(chunk):
            digest.update(data)
            read += len(data)
    if read != size:  # the file changed while it was read: the id would be wrong
        raise GitRefError(f"{path} changed while it was read; re-run")
    return digest.hexdigest()


def _blob_sizes(project_dir: Path, ids: list[str]) -> list[int]:
    """Sizes of the blobs, in order, without reading them (`git cat-file --batch-check`)."""
    out = _git(project_dir, "cat-file", "--batch-check", stdin="".join(f"{b}\n" for b in ids).encode())
    return [int(line.split()[2]) for line in out.splitlines()]


def _read_blobs(project_dir: Path, ids: list[str]) -> list[bytes]:
    """Contents of the blobs, in order, from one `git cat-file --batch` process."""
    out = _git_bytes(project_dir, "cat-file", "--batch", stdin="".join(f"{b}\n" for b in ids).encode())
    contents, pos = [], 0
    for _ in ids:
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        contents.append(out[header_end + 1: header_end + 1 + size])
        pos = header_end + 1 + size + 1
    return contents


def _is_spec_path(path: str) -> bool:
    return PurePosixPath(path).suffix in (".yaml", ".yml") and ".." not in PurePosixPath(path).parts


def _spec_blobs(project_dir: Path, commit: str, ref: str) -> dict[str, str]:
    """`{path: blob}` of the spec files at `commit`; an error for a spec path that is not a regular file or a
    spec above the size cap (neither is read)."""
    specs = {}
    for mode, blob, path in _tree_entries(project_dir, commit, ["specs/"]):
        if not _is_spec_path(path):
            continue
        if mode not in REGULAR_MODES:
            what = _MODE_NAMES.get(mode, f"an entry of mode {mode}")
            raise GitRefError(f"{path} at {ref} is {what}, not a regular file: its spec cannot be read, so the "
                              "environment cannot be compared with that revision")
        specs[path] = blob
    for (path, _blob), size in zip(specs.items(), _blob_sizes(project_dir, list(specs.values())), strict=True):
        if size > MAX_SPEC_BYTES:
            raise GitRefError(f"{path} at {ref} is {size} bytes, larger than the {MAX_SPEC_BYTES}-byte limit of a "
                              "spec; it was not read")
    return specs


@contextmanager
def project_at(project_dir: Path, ref: str) -> Iterator[Path]:
    """A temporary project directory holding the `specs/` of REF (deleted afterwards).

    Only spec files are materialised: loading and validating them needs nothing else.
    """
    commit = resolve_commit(project_dir, ref)
    specs = _spec_blobs(project_dir, commit, ref)
    with tempfile.TemporaryDirectory(prefix="tfgen-ref-") as tmp:
        root = Path(tmp)
        (root / "specs").mkdir()
        for path, data in zip(specs, _read_blobs(project_dir, list(specs.values())), strict=True):
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        yield root


def in_repository(project_dir: Path) -> bool:
    """Whether the project is inside a git work tree with at least one commit (history checks need both).

    False only when git positively says so (no repository here, or no commit yet); any other failure (git not
    on PATH, a repository git refuses to read, e.g. "dubious ownership") is a GitRefError: a safety check that
    needs the history must not pass silently because the history could not be read."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        done = subprocess.run(["git", "-C", str(project_dir), "rev-parse", "--verify", "--quiet", "HEAD^{commit}"],
                              capture_output=True, env=env, timeout=GIT_TIMEOUT_S, check=False)
    except FileNotFoundError:
        raise GitRefError("git is not installed (not found on PATH)") from None
    except subprocess.TimeoutExpired:
        raise GitRefError(f"git rev-parse did not answer within {GIT_TIMEOUT_S} s") from None
    stderr = done.stderr.decode("utf-8", "replace").strip()
    if done.returncode == 0:
        return True
    if not stderr or stderr.startswith("fatal: not a git repository"):
        return False  # no commit yet (--quiet prints nothing) or no repository at all
    raise GitRefError(f"git refuses the repository: {stderr.splitlines()[0]}")


def files_at(project_dir: Path, commit: str, directory: str) -> dict[str, str]:
    """`{path below directory: text}` of the `.tf`/`.tftpl` files under `directory` at `commit` (one cat-file)."""
    ids = {path: blob for path, blob in blob_ids(project_dir, commit, [directory]).items()
           if path.endswith((".tf", ".tftpl"))}
    texts = _read_blobs(project_dir, list(ids.values())) if ids else []
    return {path[len(directory):]: data.decode("utf-8", "replace") for path, data in zip(ids, texts, strict=True)}
