"""`make bench` measures renders of many synthetic environments: they must stay valid specs (a rule that
became stricter once made every one of them an error, and the benchmark stopped at its first command)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from click.testing import CliRunner

from tfgen.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _bench():
    spec = importlib.util.spec_from_file_location("bench", ROOT / "scripts" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_synthetic_environments_validate(tmp_path: Path) -> None:
    project = tmp_path / "project"
    for name in ("specs", "templates"):
        shutil.copytree(ROOT / name, project / name)
    _bench().add_synthetic_envs(project, 3)
    result = CliRunner().invoke(main, ["-C", str(project), "validate", "--all"])
    assert result.exit_code == 0, result.output
