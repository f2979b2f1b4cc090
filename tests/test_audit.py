"""The workflow auditors `make audit` runs (zizmor --offline, actionlint; .venv-audit from PyPI): the
repository's workflows pass both, and both catch the mistakes they are there for (so a clean run means
something). Skipped where `make audit` has not installed them, except under CI=true, where .ci/run has."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv-audit/bin"
BAD = """name: bad
on: pull_request_target
jobs:
  x:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo "${{ github.event.pull_request.title }}"
"""


def tool(name: str) -> Path:
    path = BIN / name
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing: .ci/run runs `make audit` first")
        pytest.skip(f"{name} is not installed (make audit)")
    return path


def test_zizmor_finds_nothing_at_medium_or_above() -> None:
    done = subprocess.run([str(tool("zizmor")), "--offline", "--min-severity", "medium", ".github"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_is_clean() -> None:
    done = subprocess.run([str(tool("actionlint"))], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_both_catch_an_injected_title(tmp_path: Path) -> None:
    workflows = tmp_path / ".github/workflows"
    workflows.mkdir(parents=True)
    (workflows / "bad.yml").write_text(BAD)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    zizmor = subprocess.run([str(tool("zizmor")), "--offline", "--min-severity", "medium", ".github"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert zizmor.returncode != 0 and "template-injection" in zizmor.stdout + zizmor.stderr
    actionlint = subprocess.run([str(tool("actionlint"))], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert actionlint.returncode != 0 and "potentially untrusted" in actionlint.stdout
