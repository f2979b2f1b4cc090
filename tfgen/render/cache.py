"""A per-user cache that can only save time: compiled templates and formatted HCL.

A cache is code tfgen runs (Jinja bytecode is unmarshalled into code objects) and output tfgen trusts (a
formatted file is written as-is), so a planted entry must never be used:

* the cache root (`$XDG_CACHE_HOME/tfgen`, default `~/.cache/tfgen`) and each cache in it are created 0700
  and checked before every use with lstat: a real directory, owned by the current user, no access for
  group or others; otherwise the cache is skipped for the run with one warning;
* every entry is authenticated: named by the sha256 of its key and stored with an HMAC-SHA256 of name and
  value under a random per-user secret (`key`, 0600, created O_EXCL | O_NOFOLLOW); an entry that does not
  verify is a miss, so nothing is ever unmarshalled from an unchecked file (and Jinja's pickle-based
  FileSystemBytecodeCache is not used at all);
* reads are bounded and never follow links; any error (unreadable, full disk, ...) means "no cache".
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import marshal
import os
import secrets
import stat
import sys
from pathlib import Path

import jinja2

MAX_ENTRY_BYTES = 8 * 1024 * 1024
KEY_BYTES = 32
_warned: set[str] = set()


def _warn_once(message: str) -> None:
    """One line on stderr per problem and process: a bad cache makes tfgen slower, never wrong."""
    if message not in _warned:
        _warned.add(message)
        sys.stderr.write(f"warning: {message}\n")


def private_dir_problem(path: Path) -> str | None:
    """Why ``path`` cannot hold a cache (a link, not ours, readable or writable by others), or None."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        return "is a symbolic link"
    if not stat.S_ISDIR(info.st_mode):
        return "is not a directory"
    if info.st_uid != os.geteuid():
        return f"is owned by uid {info.st_uid}, not by you (uid {os.geteuid()})"
    if info.st_mode & 0o077:
        return f"is accessible to other users (mode {stat.S_IMODE(info.st_mode):04o}; run chmod 700 on it)"
    return None


def _private_dir(path: Path) -> str | None:
    """Create (0700) or check a cache directory. One of ours that others can only read (the 0755 an older
    tfgen created) is tightened to 0700; one that others could write to is refused, its entries untrusted."""
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)
    info = os.lstat(path)
    if (stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and info.st_mode & 0o077
            and not info.st_mode & 0o022):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            os.fchmod(fd, 0o700)
        finally:
            os.close(fd)
    return private_dir_problem(path)


def _secret(root: Path) -> bytes:
    """The per-user HMAC key, created once; a key file that is not exactly ours is an error (no cache)."""
    path = root / "key"
    with contextlib.suppress(FileExistsError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(KEY_BYTES))
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        key = handle.read(KEY_BYTES + 1)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077 or len(key) != KEY_BYTES:
        raise OSError(f"{path} is not a private {KEY_BYTES}-byte key file")
    return key


class Store:
    """One named cache: ``get``/``put`` of bytes by key bytes; ``None`` means off (disabled or unusable)."""

    def __init__(self, name: str) -> None:
        self.directory: Path | None = None
        self._key = b""
        if os.environ.get("TFGEN_NO_CACHE"):
            return
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tfgen"
        try:
            root.parent.mkdir(parents=True, exist_ok=True)
            problem = _private_dir(root) or _private_dir(root / name)
            if problem is None:
                self._key = _secret(root)
        except OSError as exc:
            problem = f"cannot be used ({exc.strerror or exc})"
        if problem:
            _warn_once(f"cache directory {root} {problem}; caching is off for this run (tfgen is only slower)")
            return
        self.directory = root / name

    def _tag(self, name: str, value: bytes) -> bytes:
        return hmac.new(self._key, name.encode() + b"\0" + value, hashlib.sha256).hexdigest().encode()

    def get(self, key: bytes) -> bytes | None:
        """The value stored under ``key``, only if its HMAC verifies; any problem is a miss."""
        if self.directory is None:
            return None
        name = hashlib.sha256(key).hexdigest()
        try:
            fd = os.open(self.directory / name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
            with os.fdopen(fd, "rb") as handle:
                if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                    return None
                raw = handle.read(MAX_ENTRY_BYTES + 1)
        except OSError:
            return None
        tag, _, value = raw.partition(b"\n")
        return value if hmac.compare_digest(tag, self._tag(name, value)) else None

    def put(self, key: bytes, value: bytes) -> None:
        """Store atomically; any error (a full disk, permissions) turns the cache off, never fails a render."""
        if self.directory is None or len(value) > MAX_ENTRY_BYTES:
            return
        name = hashlib.sha256(key).hexdigest()
        tmp = self.directory / f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(self._tag(name, value) + b"\n" + value)
            os.replace(tmp, self.directory / name)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            _warn_once(f"cannot write the cache in {self.directory} ({exc.strerror or exc}); caching is off "
                       "for this run (tfgen is only slower)")
            self.directory = None


class SafeBytecodeCache(jinja2.BytecodeCache):
    """Jinja bytecode in an authenticated Store, keyed by Jinja's and Python's versions, the template's name
    and the sha1 of its source (Jinja's own checksum), so an edited template is recompiled."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _key(self, bucket: jinja2.bccache.Bucket) -> bytes:
        return f"{jinja2.__version__}\0{sys.version}\0{bucket.key}\0{bucket.checksum}".encode()

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self.store.get(self._key(bucket))
        if data is None:
            return
        try:
            bucket.code = marshal.loads(data)  # authenticated above: bytes this user's tfgen wrote
        except (EOFError, ValueError, TypeError):
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.code is not None:
            self.store.put(self._key(bucket), marshal.dumps(bucket.code))


def bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates cached per user (like .pyc files): compiling dominates a cold render otherwise."""
    store = Store(f"jinja-{jinja2.__version__}")
    return SafeBytecodeCache(store) if store.directory is not None else None
