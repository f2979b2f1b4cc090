"""Shared fixtures: a throwaway copy of the project (specs + templates) and a CLI runner."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from tfhelpers import copy_project

from tfgen.cli import main

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    """Tests (and the tfgen subprocesses they start) use a fresh per-run cache, never the user's."""
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="tfgen-test-cache-")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project directory with the real specs and templates and no generated/ tree yet."""
    return copy_project(tmp_path / "project")


@pytest.fixture
def run():
    """Invoke the CLI in-process; returns click's Result (stdout and stderr kept apart)."""

    def invoke(*args: str):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return invoke


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root with its bytes, for before/after comparisons."""
    if not root.exists():
        return {}
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".tfgen.lock"  # the lock file is runtime state, gitignored
    }
