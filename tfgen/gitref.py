"""Read the environment specs of a git revision without checking anything out.

`tfgen impact --since REF` and the history check of `render`/`validate` compare today's specs with the
committed ones. The files under `specs/` at REF are listed with `git ls-tree` and read with one
`git cat-file --batch`, written into a private temporary project directory, and loaded there by the
ordinary loader (so they get the same hardening and the same error messages). The user's checkout, index
and HEAD are never touched.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from tfgen.errors import TfgenError

GIT_TIMEOUT_S = 30


class GitRefError(TfgenError):
    """The revision cannot be read: not a git repository, git missing, or an unknown ref."""

    def __init__(self, message: str):
        super().__init__(message)


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> bytes:
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        done = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, env=env,
                              timeout=GIT_TIMEOUT_S, check=False)
    except FileNotFoundError:
        raise GitRefError("git is not installed; reading specs at a revision needs git") from None
    except subprocess.TimeoutExpired:
        raise GitRefError(f"git {args[0]} did not answer within {GIT_TIMEOUT_S} s") from None
    if done.returncode != 0:
        raise GitRefError(done.stderr.decode("utf-8", "replace").strip() or f"git {args[0]} failed")
    return done.stdout


def repository_prefix(project_dir: Path) -> str:
    """The project's path inside its repository (`""` at the top), or GitRefError when it is not in one."""
    if not project_dir.is_dir():
        raise GitRefError(f"{project_dir} is not a directory")
    try:
        prefix = _git(project_dir, "rev-parse", "--show-prefix").decode().strip()
    except GitRefError as exc:
        raise GitRefError(f"{project_dir} is not inside a git repository ({exc}); comparing with a "
                          "revision needs the project's git history") from None
    return prefix


def resolve_commit(project_dir: Path, ref: str) -> str:
    """The commit id REF names; a clear error for anything else (typos, branches not fetched)."""
    if not ref or ref.startswith("-"):
        raise GitRefError(f"{ref!r} is not a git revision")
    try:
        return _git(project_dir, "rev-parse", "--verify", "--quiet", "--end-of-options",
                    f"{ref}^{{commit}}").decode().strip()
    except GitRefError:
        raise GitRefError(f"unknown git revision {ref!r} (in CI, fetch it first: git fetch origin <branch>)"
                          ) from None


def _spec_blobs(project_dir: Path, commit: str, prefix: str) -> list[tuple[str, str]]:
    """(blob id, path below specs/) of every YAML file under specs/ at the commit."""
    listing = _git(project_dir, "ls-tree", "-r", "-z", "--full-tree", commit, "--", f"{prefix}specs/")
    blobs = []
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, name = entry.decode("utf-8", "surrogateescape").partition("\t")
        mode, kind, blob = meta.split()
        rel = PurePosixPath(name).relative_to(f"{prefix}specs")
        if kind == "blob" and mode != "120000" and rel.suffix in (".yaml", ".yml") and ".." not in rel.parts:
            blobs.append((blob, rel.as_posix()))
    return blobs


def _read_blobs(project_dir: Path, blob_ids: list[str]) -> list[bytes]:
    """Contents of the blobs, in order, from one `git cat-file --batch` process."""
    out = _git(project_dir, "cat-file", "--batch", stdin="".join(f"{b}\n" for b in blob_ids).encode())
    contents, pos = [], 0
    for _ in blob_ids:
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        contents.append(out[header_end + 1: header_end + 1 + size])
        pos = header_end + 1 + size + 1
    return contents


@contextmanager
def project_at(project_dir: Path, ref: str) -> Iterator[Path]:
    """A temporary project directory holding the specs/ of REF (deleted afterwards).

    Only spec files are materialised: loading and validating them needs nothing else.
    """
    prefix = repository_prefix(project_dir)
    commit = resolve_commit(project_dir, ref)
    blobs = _spec_blobs(project_dir, commit, prefix)
    with tempfile.TemporaryDirectory(prefix="tfgen-ref-") as tmp:
        root = Path(tmp)
        (root / "specs").mkdir()
        for (_, rel), data in zip(blobs, _read_blobs(project_dir, [b for b, _ in blobs]), strict=True):
            target = root / "specs" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        yield root


def in_repository(project_dir: Path) -> bool:
    """Whether the project is inside a git work tree with at least one commit (history checks need both)."""
    try:
        repository_prefix(project_dir)
        resolve_commit(project_dir, "HEAD")
    except GitRefError:
        return False
    return True
