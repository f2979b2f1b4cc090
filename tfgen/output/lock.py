"""One writer per tree at a time: flock on `<root>/.tfgen.lock`, dropped by the kernel if the holder dies."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from tfgen.errors import LockError
from tfgen.output.manifest import LOCK_NAME
from tfgen.output.safeio import open_lock_file


@contextlib.contextmanager
def lock_tree(root: Path, timeout: float = 30.0) -> Iterator[None]:
    """Serialize writers with flock on ``<root>/.tfgen.lock``; the kernel drops it if the holder dies.

    The lock file is opened with O_NOFOLLOW: a committed `.tfgen.lock -> ~/.bashrc` is refused, not created
    or truncated."""
    root = Path(root)
    fd = open_lock_file(root, LOCK_NAME)
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
