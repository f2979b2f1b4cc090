"""The project's own docs: README.md is a front door (short, its links resolve), docs/spec-reference.md is
generated from the spec model and current, and the mkdocs site builds with strict link checking."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tfgen.model.definition import SPEC

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MKDOCS = ROOT / ".venv-docs" / "bin" / "mkdocs"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_is_a_front_door() -> None:
    text = README.read_text()
    assert len(text.splitlines()) < 250 and len(text.encode()) < 14_000
    for command in ("make render ENV=dev", "make test", "make check", "make plan ENV=dev"):
        assert command in text, command


def test_readme_links_resolve() -> None:
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README.read_text())
    assert links, "the README links to the docs"
    missing = [link for link in links if not link.startswith("http") and not (ROOT / link).exists()]
    assert missing == []


def test_every_docs_page_is_in_the_site_nav() -> None:
    nav = (ROOT / "mkdocs.yml").read_text()
    pages = sorted(p.name for p in (ROOT / "docs").glob("*.md"))
    assert [p for p in pages if f": {p}" not in nav] == []


def test_spec_reference_is_current() -> None:
    """The committed page is what the generator writes from tfgen.model today (`make docs` regenerates it)."""
    page = (ROOT / "docs" / "spec-reference.md").read_text()
    assert page == _generator().render_reference(), "docs/spec-reference.md is stale: run `make docs`"


def test_security_page_lists_the_tree_skips() -> None:
    """docs/security.md's checkov table is the one the generator builds from the committed tree."""
    generator = _generator()
    page = (ROOT / "docs" / "security.md").read_text()
    assert page == generator.with_checkov_table(page, generator.TREE), "docs/security.md is stale: run `make docs`"
    assert page.count("| CKV") == len(generator.checkov_table(generator.TREE).splitlines()) - 2 > 20


def _paths(field, path: str = ""):
    yield path
    if field.kind == "object":
        for name, sub in field.fields.items():
            yield from _paths(sub, f"{path}.{name}" if path else name)


def test_spec_reference_documents_every_setting() -> None:
    """Walk the model independently of the generator: each setting's key and description are on the page."""
    page = (ROOT / "docs" / "spec-reference.md").read_text()
    keys = set(re.findall(r"^\| `([^`]+)` \|", page, flags=re.M))
    sections = {name for name, field in SPEC.fields.items() if field.kind == "object"}  # headings, not rows
    settings = [p for p in _paths(SPEC) if p and p not in sections]
    assert len(settings) > 50
    assert [p for p in settings if p not in keys] == []
    assert "`services.<name>.port`" in page and "`database.engine_version`" in page


def test_the_reference_check_can_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generator = _generator()
    stale = tmp_path / "spec-reference.md"
    stale.write_text(generator.render_reference().replace("TCP port the service listens on.", "Port."))
    security = tmp_path / "security.md"
    security.write_text((ROOT / "docs" / "security.md").read_text())
    monkeypatch.setattr(generator, "PAGE", stale)
    monkeypatch.setattr(generator, "SECURITY", security)
    monkeypatch.setattr(generator, "ROOT", tmp_path)
    assert generator.main(["--check"]) == 1
    assert generator.main([]) == 0 and generator.main(["--check"]) == 0
    security.write_text(security.read_text().replace("| CKV_AWS_119 |", "| CKV_AWS_120 |"))
    assert generator.main(["--check"]) == 1


@pytest.mark.slow
def test_the_site_builds_strictly(tmp_path: Path) -> None:
    """`mkdocs build --strict` (what `make docs` and CI run): a broken link or anchor fails the build."""
    mkdocs = str(MKDOCS) if MKDOCS.exists() else shutil.which("mkdocs")
    if mkdocs is None:
        pytest.skip("mkdocs is not installed: `make docs` creates .venv-docs (CI runs it)")
    result = subprocess.run([mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "spec-reference" / "index.html").is_file()


@pytest.mark.slow
def test_a_broken_link_fails_the_build(tmp_path: Path) -> None:
    mkdocs = str(MKDOCS) if MKDOCS.exists() else shutil.which("mkdocs")
    if mkdocs is None:
        pytest.skip("mkdocs is not installed: `make docs` creates .venv-docs (CI runs it)")
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    with (tmp_path / "docs" / "index.md").open("a") as page:
        page.write("\n[gone](cost.md#no-such-section)\n")
    result = subprocess.run([mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode != 0 and "no-such-section" in result.stderr

