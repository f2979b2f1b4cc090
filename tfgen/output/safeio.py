"""File access inside the trees a checkout controls (generated/, specs/): never through a link, never a
device, FIFO or socket, never more than a bounded number of bytes.

A pull request can commit `generated/terraform/AGENTS.md -> /proc/self/environ` or a link to `/dev/zero`; a
path-based `read_bytes()` would print the CI job's environment in a diff or exhaust memory, and a linked
directory would make tfgen write outside the tree. So every access here walks the path one component at a
time from a directory descriptor of the tree's root, opening each directory with ``O_NOFOLLOW`` (a link or
a file in the way is an error that names it), checks the final entry with ``lstat`` before opening it with
``O_NOFOLLOW | O_NONBLOCK`` (a FIFO cannot block) and re-checks the opened descriptor, then reads at most
``limit`` bytes. Writes go to a temporary file created ``O_EXCL | O_NOFOLLOW`` in the same directory,
fsynced and renamed over the target, so readers see the old or the new file, never half of one.

API (``rel`` is a POSIX path relative to ``root``; the caller has validated it):
    read_file(root, rel, limit) -> bytes | None      None when absent
    write_file(root, rel, data)                       atomic; keeps an existing file's mode
    remove_file(root, rel)                            and every parent directory it leaves empty
    fsync_dir(root, rel_dir); temp_files(root, rel_dir, pattern); open_lock_file(root, name) -> fd
    regular_file_status(path) -> str | None           why a path is not a plain file (for the loader)
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

from tfgen.errors import TfgenError

MAX_FILE_BYTES = 16 * 1024 * 1024  # generated files are a few KiB; anything this big is not ours
TMP_MARK = ".tfgen-tmp-"
NEW_FILE_MODE = 0o644
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


class TreeError(TfgenError):
    """The tree on disk cannot be handled safely (a link, device or FIFO, a directory where a file goes, a
    corrupt manifest); the message names the path."""


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words, for error messages."""
    for test, name in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def regular_file_status(path: Path) -> str | None:
    """None for a regular file (or nothing at all); else what is there instead, e.g. 'a FIFO'."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    return None if stat.S_ISREG(mode) else kind_of(mode)


def _refusal(root: Path, rel: str, what: str) -> TreeError:
    return TreeError(f"{root / rel} is {what}; tfgen only reads and writes regular files and directories below "
                     f"{root} (links, devices and FIFOs are refused: replace it with a real file or directory)")


def _open_root(root: Path, create: bool) -> int | None:
    """A descriptor of ``root`` itself, which must be a real directory (a committed `generated -> /` link is
    refused); None when it does not exist and ``create`` is false."""
    if create:
        root.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.mkdir(root)
    try:
        return os.open(root, _DIR_FLAGS)
    except FileNotFoundError:
        if create:
            raise
        return None
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise _refusal(root.parent, root.name, kind_of(os.lstat(root).st_mode)) from None
        raise


def _open_child_dir(parent: int, name: str, create: bool, root: Path, rel: str) -> int | None:
    if create:
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, 0o755, dir_fd=parent)
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=parent)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            mode = os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode
            if stat.S_ISREG(mode):
                raise TreeError(f"{root / rel}: expected a directory, but a file is in the way") from None
            raise _refusal(root, rel, kind_of(mode)) from None
        raise


@contextlib.contextmanager
def _directory(root: Path, rel_dir: str, create: bool) -> Iterator[int | None]:
    """A descriptor of ``root/rel_dir`` reached without following any link, or None when it is absent."""
    fd = _open_root(root, create)
    try:
        walked: list[str] = []
        for part in [p for p in rel_dir.split("/") if p]:
            walked.append(part)
            if fd is None:
                break
            child = _open_child_dir(fd, part, create, root, "/".join(walked))
            os.close(fd)
            fd = child
        yield fd
    finally:
        if fd is not None:
            os.close(fd)


def _split(rel: str) -> tuple[str, str]:
    head, _, name = rel.rpartition("/")
    return head, name


def _entry_mode(directory: int, name: str) -> int | None:
    try:
        return os.stat(name, dir_fd=directory, follow_symlinks=False).st_mode
    except FileNotFoundError:
        return None


def read_file(root: Path, rel: str, limit: int = MAX_FILE_BYTES) -> bytes | None:
    """The content of ``root/rel`` (at most ``limit`` bytes, else an error), or None when it is absent."""
    head, name = _split(rel)
    with _directory(root, head, create=False) as directory:
        if directory is None:
            return None
        mode = _entry_mode(directory, name)
        if mode is None:
            return None
        if stat.S_ISDIR(mode):
            raise TreeError(f"{root / rel}: expected a file or nothing, but a directory is in the way")
        if not stat.S_ISREG(mode):
            raise _refusal(root, rel, kind_of(mode))
        fd = os.open(name, _READ_FLAGS, dir_fd=directory)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # replaced between lstat and open
            raise _refusal(root, rel, kind_of(os.fstat(handle.fileno()).st_mode))
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise TreeError(f"{root / rel} is larger than {limit} bytes; it cannot be a file tfgen generated")
    return data


def disk_error(exc: OSError, path: Path) -> OSError:
    """The same error naming ``path``, so the message says where (a full disk otherwise names nothing)."""
    if exc.errno in _NO_SPACE:
        return OSError(exc.errno, f"{os.strerror(exc.errno)} while writing it (free some space and re-run; files "
                                  "are replaced atomically, so nothing was left half-written)", str(path))
    return OSError(exc.errno, exc.strerror or str(exc), str(path))


def write_file(root: Path, rel: str, data: bytes) -> None:
    """Atomically replace (or create) ``root/rel``: temp file, fsync, rename; an existing file keeps its mode."""
    head, name = _split(rel)
    try:
        with _directory(root, head, create=True) as directory:
            assert directory is not None
            mode = _entry_mode(directory, name)
            if mode is not None and not stat.S_ISREG(mode):
                raise _refusal(root, rel, kind_of(mode)) if not stat.S_ISDIR(mode) else TreeError(
                    f"{root / rel}: expected a file or nothing, but a directory is in the way")
            _replace(directory, name, data, stat.S_IMODE(mode) if mode is not None else NEW_FILE_MODE)
    except OSError as exc:
        raise disk_error(exc, root / rel) from None


def _replace(directory: int, name: str, data: bytes, mode: int) -> None:
    tmp = f".{name}{TMP_MARK}{secrets.token_hex(6)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, name, src_dir_fd=directory, dst_dir_fd=directory)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=directory)
        raise


def remove_file(root: Path, rel: str) -> None:
    """Delete ``root/rel`` if it is a regular file, then each parent directory it leaves empty (also when the
    file is already gone: a run killed between the unlink and the rmdir leaves an empty directory)."""
    parts = rel.split("/")
    with _directory(root, "/".join(parts[:-1]), create=False) as directory:
        if directory is None:
            return
        mode = _entry_mode(directory, parts[-1])
        if mode is not None and not stat.S_ISREG(mode):
            raise _refusal(root, rel, kind_of(mode))
        if mode is not None:
            os.unlink(parts[-1], dir_fd=directory)
    for depth in range(len(parts) - 1, 0, -1):
        with _directory(root, "/".join(parts[: depth - 1]), create=False) as parent:
            if parent is None:
                return
            try:
                os.rmdir(parts[depth - 1], dir_fd=parent)
            except OSError:
                return  # not empty (or gone): rmdir never removes anything that holds files


def fsync_dir(root: Path, rel_dir: str = "") -> None:
    """Make renames and unlinks in a directory durable before the manifest claims them."""
    with _directory(root, rel_dir, create=False) as directory:
        if directory is not None:
            os.fsync(directory)


def remove_temp_files(root: Path, rel_dir: str, pattern: re.Pattern[str]) -> None:
    """Delete regular files named like ``pattern`` (temp files of a killed run) in one directory."""
    with _directory(root, rel_dir, create=False) as directory:
        if directory is None:
            return
        for name in sorted(os.listdir(directory)):
            if pattern.match(name) and stat.S_ISREG(_entry_mode(directory, name) or 0):
                os.unlink(name, dir_fd=directory)


def open_lock_file(root: Path, name: str) -> int:
    """Open (creating) the lock file without following a link: a `.tfgen.lock -> ~/.bashrc` stays untouched."""
    with _directory(root, "", create=True) as directory:
        assert directory is not None
        try:
            fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, NEW_FILE_MODE,
                         dir_fd=directory)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise _refusal(root, name, "a symbolic link") from None
            raise disk_error(exc, root / name) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        mode = os.fstat(fd).st_mode
        os.close(fd)
        raise _refusal(root, name, kind_of(mode))
    return fd
