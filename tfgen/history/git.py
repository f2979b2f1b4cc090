"""Read files of a git revision without checking it out (`git ls-tree` blob ids, `git cat-file`).

Two users: `tfgen affected` compares blob ids of generated files at a ref with the tree on disk; `tfgen impact`
(and the history check of render/validate) loads the specs of a ref. For the latter the files under `specs/`
are read with one `git cat-file --batch` into a private temporary project directory and loaded there by the
ordinary loader (same hardening, same messages). The user's checkout, index and HEAD are never touched.
Every failure is a SpecError (exit 2) with one clear message.
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
        raise GitRefError("git is not installed: --since needs it") from None
    except subprocess.TimeoutExpired:
        raise GitRefError(f"git {args[0]} did not answer within {GIT_TIMEOUT_S} s") from None
    if done.returncode != 0:
        raise GitRefError(f"git {args[0]}: {done.stderr.decode('utf-8', 'replace').strip() or 'failed'}")
    return done.stdout


def _git(project_dir: Path, *args: str) -> str:
    return _git_bytes(project_dir, *args).decode("utf-8", "surrogateescape")


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


def blob_ids(project_dir: Path, commit: str, directories: list[str]) -> dict[str, str]:
    """`{project-relative path: blob id}` of every file below `directories` at `commit`."""
    prefix = repository_prefix(project_dir)
    listing = _git(project_dir, "ls-tree", "-r", "-z", "--full-tree", commit, "--",
                   *[prefix + d for d in directories])
    found = {}
    for entry in filter(None, listing.split("\0")):
        meta, path = entry.split("\t", 1)
        mode, kind, blob = meta.split()
        if kind == "blob" and mode != "120000" and path.startswith(prefix):
            found[path[len(prefix):]] = blob
    return found


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
                found[path.relative_to(project_dir).as_posix()] = blob_id(path.read_bytes())
    return found


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


@contextmanager
def project_at(project_dir: Path, ref: str) -> Iterator[Path]:
    """A temporary project directory holding the `specs/` of REF (deleted afterwards).

    Only spec files are materialised: loading and validating them needs nothing else.
    """
    commit = resolve_commit(project_dir, ref)
    specs = {path: blob for path, blob in blob_ids(project_dir, commit, ["specs/"]).items()
             if PurePosixPath(path).suffix in (".yaml", ".yml") and ".." not in PurePosixPath(path).parts}
    with tempfile.TemporaryDirectory(prefix="tfgen-ref-") as tmp:
        root = Path(tmp)
        (root / "specs").mkdir()
        for path, data in zip(specs, _read_blobs(project_dir, list(specs.values())), strict=True):
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        yield root


def in_repository(project_dir: Path) -> bool:
    """Whether the project is inside a git work tree with at least one commit (history checks need both)."""
    try:
        _commit_id(project_dir, "HEAD")  # one git call: the reason it fails does not matter here
    except GitRefError:
        return False
    return True
