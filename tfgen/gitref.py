"""Read files of a git revision without checking it out (`git ls-tree` blob ids, `git cat-file`).

Only what `tfgen affected` needs: the blob id of every file under some project-relative directories at a ref,
and the blob id git would give to bytes on disk, so two trees compare without reading old contents.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from tfgen.errors import Problem, SpecError


def _git(project_dir: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(project_dir), *args], capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise SpecError([Problem(None, "", "git is not installed: --since needs it")]) from exc
    if done.returncode != 0:
        raise SpecError([Problem(None, "", f"git {args[0]}: {done.stderr.strip() or 'failed'}")])
    return done.stdout


def resolve_commit(project_dir: Path, ref: str) -> str:
    """The commit id `ref` names; a clear error for an unknown ref or a directory outside any repository."""
    if ref.startswith("-"):
        raise SpecError([Problem(None, "", f"not a git revision: {ref!r}")])
    try:
        return _git(project_dir, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}").strip()
    except SpecError:
        _git(project_dir, "rev-parse", "--show-toplevel")  # "not a git repository" when that is the cause
        hint = "fetch it first, e.g. `git fetch origin main` or actions/checkout with fetch-depth: 0"
        raise SpecError([Problem(None, "", f"unknown git revision {ref!r} ({hint})")]) from None


def blob_ids(project_dir: Path, commit: str, directories: list[str]) -> dict[str, str]:
    """`{project-relative path: blob id}` of every file below `directories` at `commit`."""
    prefix = _git(project_dir, "rev-parse", "--show-prefix").strip()
    listing = _git(project_dir, "ls-tree", "-r", "-z", "--full-tree", commit, "--",
                   *[prefix + d for d in directories])
    found = {}
    for entry in filter(None, listing.split("\0")):
        meta, path = entry.split("\t", 1)
        _mode, kind, blob = meta.split()
        if kind == "blob" and path.startswith(prefix):
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
