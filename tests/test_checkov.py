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


def _skips() -> list[tuple[str, str, str]]:
    """(check id, reason, file) for every inline suppression in the generated tree."""
    found = []
    for path in _generated_files():
        if path.suffix not in (".tf", ".tftpl"):
            continue
        for match in SKIP_RE.finditer(path.read_text()):
            found.append((match["id"], (match["reason"] or "").strip(), str(path.relative_to(TREE))))
    return found


def test_every_skip_has_a_reason():
    missing = [f"{check} in {where}" for check, reason, where in _skips() if len(reason) < 10]
    assert not missing, "checkov skips without a reason: " + ", ".join(missing)


def test_every_skip_is_listed_in_the_readme():
    """Each (check, module) pair skipped in the tree has a row in README.md's exception table, and back."""
    readme = (TREE / "README.md").read_text()
    section = readme.split("## Checkov exceptions", 1)
    assert len(section) == 2, "README.md has no 'Checkov exceptions' section"
    rows = re.findall(r"^\| (CKV2?_[A-Z]+_\d+) \| ([^|]*) \|", section[1], flags=re.M)
    listed = {check for check, _ in rows}
    undocumented = []
    for check, _, where in _skips():
        parts = Path(where).parts
        module = {"modules": parts[1], "bootstrap": "bootstrap"}.get(parts[0], "environment")
        if not any(check == row_check and module in cell for row_check, cell in rows):
            undocumented.append(f"{check} ({module})")
    assert not undocumented, f"skipped in the tree but not documented in README.md: {sorted(set(undocumented))}"
    stale = listed - {check for check, _, _ in _skips()}
    assert not stale, f"documented in README.md but no longer skipped: {sorted(stale)}"


@pytest.mark.slow
@pytest.mark.skipif(not CHECKOV.exists(), reason=f"checkov is not installed in {CHECKOV.parent.parent} "
                    "(run `make security` once to create it)")
def test_checkov_reports_no_failed_checks(tmp_path: Path):
    _generated_files()
    failed = checkov_failures(TREE, tmp_path)
    assert not failed, f"{len(failed)} failed checkov checks:\n" + "\n".join(failed)
