"""Issue 11, caches: a planted, shared or broken cache can only make tfgen slower, never run code or change
output. Each test reproduces one finding against the real CLI in a subprocess (its own cache directory).
"""

from __future__ import annotations

import hashlib
import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_hostile_tree import _in_mount_namespace
from tfhelpers import copy_project

TFGEN = [sys.executable, "-m", "tfgen.cli"]


def _render(project: Path, cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    env.pop("TFGEN_NO_CACHE", None)
    return subprocess.run([*TFGEN, "-C", str(project), *(args or ("render", "dev"))], capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def _tree(project: Path) -> dict[str, bytes]:
    return {p.relative_to(project).as_posix(): p.read_bytes() for p in sorted((project / "generated").rglob("*"))
            if p.is_file() and p.name != ".tfgen.lock"}


def test_planted_bytecode_in_a_world_writable_cache_is_never_loaded(project: Path, tmp_path: Path) -> None:
    """Finding: the cache directory's owner and mode were never checked, and the directory handed to Jinja's
    bytecode cache skipped Jinja's own check: a planted pickle ran as the victim."""
    cache = tmp_path / "cache"
    assert _render(project, cache).returncode == 0
    root = cache / "tfgen"
    pwned = tmp_path / "pwned"
    payload = marshal.dumps(compile(f"open({str(pwned)!r}, 'w').write('x')", "<planted>", "exec"))
    for entry in [p for p in root.rglob("*") if p.is_file() and p.name != "key"]:
        entry.write_bytes(b"0" * 64 + b"\n" + payload)  # what a second user could write
    for directory in [root, *[p for p in root.iterdir() if p.is_dir()]]:
        directory.chmod(0o777)
    (project / "generated").rename(tmp_path / "first")
    result = _render(project, cache)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("caching is off for this run") == 1 and "mode 0777" in result.stderr
    assert not pwned.exists()
    root.chmod(0o700)
    for directory in [p for p in root.iterdir() if p.is_dir()]:
        directory.chmod(0o700)
    (project / "generated").rename(tmp_path / "second")
    result = _render(project, cache)  # a private cache again, but the planted entries do not verify
    assert result.returncode == 0 and "warning" not in result.stderr, result.stderr
    assert not pwned.exists()


def test_planted_format_cache_entry_cannot_change_the_output(project: Path, tmp_path: Path) -> None:
    """Finding: a planted format-cache entry added a `local-exec` resource that `check` then accepted."""
    cache = tmp_path / "cache"
    assert _render(project, cache).returncode == 0
    expected = _tree(project)
    evil = b'resource "terraform_data" "x" {\n  provisioner "local-exec" {\n    command = "touch /tmp/pwned"\n  }\n}\n'
    for entry in (cache / "tfgen").glob("fmt-*/*"):
        entry.write_bytes(hashlib.sha256(evil).hexdigest().encode() + b"\n" + evil)  # the old checksum format
    check = _render(project, cache, "check", "dev")
    assert check.returncode == 0, check.stdout
    (project / "generated").rename(tmp_path / "old")
    assert _render(project, cache).returncode == 0
    assert _tree(project) == expected and b"local-exec" not in b"".join(expected.values())


def test_linked_cache_directory_is_skipped_with_one_warning(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (tmp_path / "shared").mkdir(mode=0o700)
    cache.mkdir()
    (cache / "tfgen").symlink_to(tmp_path / "shared")
    result = _render(project, cache)
    assert result.returncode == 0 and result.stderr.count("is a symbolic link; caching is off") == 1
    assert not list((tmp_path / "shared").iterdir())


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the directory to another user")
def test_cache_directory_of_another_user_is_skipped(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (cache / "tfgen").mkdir(parents=True, mode=0o700)
    os.chown(cache / "tfgen", 4321, 4321)
    result = _render(project, cache)
    assert result.returncode == 0 and "is owned by uid 4321" in result.stderr


def test_created_cache_is_private(project: Path, tmp_path: Path) -> None:
    """Also the 0755 cache of an older tfgen: others could only read it, so it is tightened, not skipped."""
    cache = tmp_path / "cache"
    (cache / "tfgen").mkdir(parents=True, mode=0o755)
    (cache / "tfgen").chmod(0o755)
    result = _render(project, cache)
    assert result.returncode == 0 and "warning" not in result.stderr, result.stderr
    for path in [cache / "tfgen", *(cache / "tfgen").iterdir()]:
        assert path.stat().st_mode & 0o077 == 0, path


def test_full_cache_disk_falls_back_to_no_cache(project: Path, tmp_path: Path) -> None:
    """Finding: a full cache disk failed the render (the README says an unusable cache is skipped)."""
    cache = tmp_path / "cache"
    cache.mkdir()
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    env.pop("TFGEN_NO_CACHE", None)
    result = _in_mount_namespace(cache, "12k", [*TFGEN, "-C", str(project), "render", "dev"], env)
    assert result.returncode == 0, result.stderr
    assert "caching is off for this run" in result.stderr and result.stderr.count("warning: cannot write") <= 2
    assert (project / "generated" / "terraform" / "environments" / "dev" / "main.tf").is_file()
