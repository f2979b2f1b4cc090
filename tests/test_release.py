"""Release hygiene: one version (written once in tfgen/__init__.py; pyproject reads it, CHANGELOG.md's top entry,
the generated README's header, the pre-commit snippets' `rev:` and its git tag follow it), the release script
the release workflow runs, and no documentation that names a file the repository does not have."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

import tfgen
from tfgen.toolchain import REQUIRED_TERRAFORM

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import release  # noqa: E402

DOCS = ["README.md", "CHANGELOG.md", "mkdocs.yml", ".pre-commit-config.yaml", ".pre-commit-hooks.yaml", "Makefile",
        ".ci/run", "tests/fixtures/schemas/README.md", "tfgen/cost/data/aws_prices.yaml",
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
    assert release.version() == tfgen.__version__  # what the release workflow reads without importing tfgen
    installed = subprocess.run([sys.executable, "-c", "import importlib.metadata as m; print(m.version('tfgen-iac'))"],
                               cwd=ROOT, capture_output=True, text=True)
    if installed.returncode == 0:
        assert installed.stdout.strip() == tfgen.__version__


def test_changelog_top_entry_is_the_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in text and "keepachangelog.com" in text
    assert release.changelog_top() == version()
    assert release.notes().startswith("### ")


def test_generated_tree_states_the_tfgen_and_terraform_versions() -> None:
    header = (ROOT / "generated/terraform/README.md").read_text()[:1500]
    assert f"Rendered by tfgen {version()}; needs Terraform `{REQUIRED_TERRAFORM}`" in header
    required = {m for p in (ROOT / "generated/terraform").rglob("versions.tf")
                for m in re.findall(r'required_version\s*=\s*"([^"]+)"', p.read_text())}
    assert required == {REQUIRED_TERRAFORM}


def _repo(tmp_path: Path, init_version: str, top: str) -> Path:
    (tmp_path / "tfgen").mkdir()
    (tmp_path / "tfgen/__init__.py").write_text(f'"""x"""\n\n__version__ = "{init_version}"\n')
    (tmp_path / "CHANGELOG.md").write_text(f"# Changelog\n\n## [Unreleased]\n\n## [{top}] - 2026-12-04\n\n"
                                           "### Added\n- a thing\n\n## [0.0.1] - 2026-01-01\n- old\n")
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "x"]):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, env={**os.environ, **env})
    return tmp_path


def test_release_check_releases_a_new_version_once(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "1.2.0", "1.2.0")
    assert release.check(repo) == {"release": "true", "tag": "v1.2.0", "version": "1.2.0"}
    subprocess.run(["git", "tag", "v1.2.0"], cwd=repo, check=True)
    assert release.check(repo)["release"] == "false"  # the next push of the same version does nothing
    assert release.notes(repo) == "### Added\n- a thing\n"


def test_release_check_refuses_a_version_missing_from_the_changelog(tmp_path: Path) -> None:
    with pytest.raises(release.ReleaseError, match="top entry is 1.1.0"):
        release.check(_repo(tmp_path, "1.2.0", "1.1.0"))


def test_release_dist_wants_exactly_the_wheel_and_the_sdist(tmp_path: Path) -> None:
    (tmp_path / "tfgen_iac-0.3.0-py3-none-any.whl").write_text("")
    with pytest.raises(release.ReleaseError):
        release.check_dist(tmp_path, "0.3.0")
    (tmp_path / "tfgen_iac-0.3.0.tar.gz").write_text("")
    assert len(release.check_dist(tmp_path, "0.3.0")) == 2


def test_release_workflow_wires_the_script() -> None:
    workflow = yaml.safe_load((ROOT / ".github/workflows/release.yml").read_text())
    steps = workflow["jobs"]["release"]["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "scripts/release.py check" in runs and "python3 -m build" in runs and "scripts/release.py dist" in runs
    assert 'gh release create "$TAG"' in runs and '--target "$SHA"' in runs
    assert workflow[True]["push"]["branches"] == ["main"]


@pytest.mark.slow
def test_the_wheel_and_sdist_carry_the_one_version(tmp_path: Path) -> None:
    """A real build (PyPI for the build backend): the files are named after tfgen.__version__."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0 and "Could not find a version" in done.stderr:
        pytest.skip("no package index for the build backend")
    assert done.returncode == 0, done.stderr
    assert [p.name for p in tmp_path.glob("*.whl")] == [f"tfgen_iac-{version()}-py3-none-any.whl"]


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
