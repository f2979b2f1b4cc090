"""checkov over the generated tree: zero failed checks; every inline skip is documented in the README.

checkov runs from its own virtualenv (.venv-checkov, `make security` creates it) because its bc-python-hcl2
dependency installs a module named `hcl2` that shadows python-hcl2 in the main venv.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tfhelpers import CHECKOV, checkov_failures

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / "generated" / "terraform"
SKIP_RE = re.compile(r"#\s*checkov:skip=(?P<id>CKV2?_[A-Z]+_\d+)(?::(?P<reason>.*))?")


def _generated_files() -> list[Path]:
    if not TREE.is_dir():
        pytest.fail(f"{TREE} is missing: run `make render-all`")
    return sorted(p for p in TREE.rglob("*") if p.is_file() and ".terraform" not in p.parts)


RESOURCE_RE = re.compile(r'^(?P<kind>resource|data) "(?P<type>[^"]+)" "(?P<name>[^"]+)"')
ROW_RE = re.compile(r"^\| (?P<id>CKV2?_[A-Z]+_\d+) \| (?P<module>[a-z0-9_]+): `(?P<resource>[^`]+)` "
                    r"\| (?P<reason>[^|]*) \|$")


def _module(where: Path) -> str:
    """The module column of a file in the tree: the module's name, "bootstrap" or "environment"."""
    return {"modules": where.parts[1], "bootstrap": "bootstrap"}.get(where.parts[0], "environment")


def _skips() -> list[tuple[str, str, str]]:
    """(check id, reason, file) for every inline suppression in the generated tree."""
    return [(check, reason, where) for check, _, _, reason, where in _located_skips()]


def _located_skips() -> list[tuple[str, str, str, str, str]]:
    """(check id, module, resource address, reason, file) for every inline suppression in the generated tree."""
    found = []
    for path in _generated_files():
        if path.suffix not in (".tf", ".tftpl"):
            continue
        where = path.relative_to(TREE)
        block = None
        for line in path.read_text().splitlines():
            if header := RESOURCE_RE.match(line):
                prefix = "data." if header["kind"] == "data" else ""
                block = f"{prefix}{header['type']}.{header['name']}"
            if match := SKIP_RE.search(line):
                found.append((match["id"], _module(where), block or "(outside any block)",
                              (match["reason"] or "").strip(), str(where)))
    return found


def _exception_rows(readme: str, heading: str) -> list[tuple[str, str, str, str]]:
    """(check id, module, resource, reason) of each row of the checkov exception table below `heading`."""
    section = readme.split(heading, 1)
    assert len(section) == 2, f"no {heading.strip()!r} section"
    lines = section[1].splitlines()
    rows = []
    start = next(i for i, line in enumerate(lines) if line.startswith("| Check |"))
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        row = ROW_RE.match(line)
        assert row, f"checkov exception row not in the form | ID | module: `resource` | reason |: {line}"
        rows.append((row["id"], row["module"], row["resource"], row["reason"].replace("`", "").strip()))
    return rows


def test_every_skip_has_a_reason():
    missing = [f"{check} in {where}" for check, reason, where in _skips() if len(reason) < 10]
    assert not missing, "checkov skips without a reason: " + ", ".join(missing)


def test_every_skip_sits_inside_a_resource():
    stray = [f"{check} in {where}" for check, _, block, _, where in _located_skips()
             if block == "(outside any block)"]
    assert not stray, "checkov skips outside any resource block: " + ", ".join(stray)


def test_every_skip_is_listed_in_the_readme():
    """One row per skip in the generated README's exception table, with the same check, module, resource and
    reason, and no row without its skip: the table cannot drift from the tree."""
    skips = sorted((check, module, block, reason) for check, module, block, reason, _ in _located_skips())
    rows = sorted(_exception_rows((TREE / "README.md").read_text(), "## Checkov exceptions\n"))
    assert len(rows) == len(set(rows)), f"duplicate rows: {sorted(r for r in set(rows) if rows.count(r) > 1)}"
    undocumented = [s for s in skips if s not in rows]
    stale = [r for r in rows if r not in skips]
    assert not undocumented and not stale, (
        "the README's checkov exception table and the tree's #checkov:skip comments differ:\n"
        + "".join(f"  skipped, no matching row: {s}\n" for s in undocumented)
        + "".join(f"  row, no matching skip:    {r}\n" for r in stale))


def test_the_docs_list_the_same_exceptions():
    """tfgen's docs (docs/security.md) repeat the generated exception table row for row."""
    generated = sorted(_exception_rows((TREE / "README.md").read_text(), "## Checkov exceptions\n"))
    project = sorted(_exception_rows((ROOT / "docs/security.md").read_text(), "## Checkov exceptions\n"))
    assert project == generated, (
        "docs/security.md's checkov exception table differs from the generated one:\n"
        + "".join(f"  only in docs/security.md: {r}\n" for r in project if r not in generated)
        + "".join(f"  only in generated/terraform/README.md: {r}\n" for r in generated if r not in project))


@pytest.mark.slow
@pytest.mark.skipif(not CHECKOV.exists(), reason=f"checkov is not installed in {CHECKOV.parent.parent} "
                    "(run `make security` once to create it)")
def test_checkov_reports_no_failed_checks(tmp_path: Path):
    _generated_files()
    failed = checkov_failures(TREE, tmp_path)
    assert not failed, f"{len(failed)} failed checkov checks:\n" + "\n".join(failed)
