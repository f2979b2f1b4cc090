"""Release hygiene: one version (pyproject, tfgen.__version__, the pre-commit snippets' `rev:` and its git
tag), and no documentation that names a file the repository does not have."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import tfgen

ROOT = Path(__file__).resolve().parent.parent
DOCS = ["README.md", "mkdocs.yml", ".pre-commit-config.yaml", ".pre-commit-hooks.yaml", "Makefile", ".ci/run",
        "tests/fixtures/schemas/README.md", "tfgen/cost/data/aws_prices.yaml",
        *sorted(str(p.relative_to(ROOT)) for p in (ROOT / ".github/workflows").glob("*.yml")),
        *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
REPO_PATH = re.compile(r"(?<![\w/.<>-])((?:docs|scripts|tests|tfgen|specs|templates|\.github|\.ci)/[\w./-]*\w)")
EXAMPLES = {"specs/ENV.yaml", "specs/qa.yaml"}  # files the docs tell you to create


def version() -> str:
    return tfgen.__version__


def test_the_version_lives_in_one_place() -> None:
    """pyproject reads it from tfgen.__version__ (setuptools dynamic) instead of repeating it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "tfgen.__version__"}
    installed = subprocess.run([sys.executable, "-c", "import importlib.metadata as m; print(m.version('tfgen-iac'))"],
                               cwd=ROOT, capture_output=True, text=True)
    if installed.returncode == 0:
        assert installed.stdout.strip() == tfgen.__version__


@pytest.mark.parametrize("doc", ["docs/pre-commit.md", ".pre-commit-hooks.yaml"])
def test_pre_commit_snippets_name_this_release(doc: str) -> None:
    revs = re.findall(r"^\s*#?\s*rev:\s*(\S+)", (ROOT / doc).read_text(), re.MULTILINE)
    assert revs and set(revs) == {f"v{version()}"}, doc


def test_the_release_tag_is_in_the_history_when_it_exists() -> None:
    """`git tag v<version>` is made on main when the release is integrated; a tag must not point elsewhere."""
    tag = f"v{version()}"
    listed = subprocess.run(["git", "tag", "-l", tag], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode != 0 or tag not in listed.stdout.split():
        pytest.skip(f"no {tag} tag in this clone (created on main at release)")
    ancestor = subprocess.run(["git", "merge-base", "--is-ancestor", tag, "HEAD"], cwd=ROOT)
    assert ancestor.returncode == 0, f"{tag} is not in the history of HEAD"


def test_docs_name_only_files_that_exist() -> None:
    missing = []
    for doc in DOCS:
        for match in REPO_PATH.finditer((ROOT / doc).read_text()):
            path = match.group(1).rstrip(".")
            if path not in EXAMPLES and not (ROOT / path).exists():
                missing.append(f"{doc}: {path}")
    assert missing == []


def test_the_path_check_can_fail() -> None:
    assert REPO_PATH.findall("see docs/ecosystem.md and `tests/x.py`") == ["docs/ecosystem.md", "tests/x.py"]
