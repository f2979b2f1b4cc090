"""House style of the generated tree that terraform fmt does not enforce: lines a reviewer can read in a diff,
and module inputs a caller may leave out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / "generated" / "terraform"
MAX = 120
# A line whose value is one string literal (an argument, a list item, a one-item list or one-key object holding
# it) or a checkov skip (one line by its syntax): breaking it would only hide the text, so it may run long.
_STRING = r'"(?:[^"\\]|\\.)*"'
ONE_LITERAL = re.compile(r'^\s*(?:#checkov:skip=\S.*|(?:[\w-]+\s*=\s*)?'
                         rf'(?:{_STRING}|\[\s*{_STRING}\s*\]|\{{\s*[\w-]+\s*=\s*{_STRING}\s*\}})\s*,?)$')
TF_FILES = sorted(TREE.rglob("*.tf"))


def long_lines(text: str) -> list[str]:
    return [f"{n}: {line.strip()[:80]}" for n, line in enumerate(text.splitlines(), 1)
            if len(line) > MAX and not ONE_LITERAL.match(line)]


def test_the_rule_finds_long_expressions_and_spares_literals() -> None:
    literal = '  error_message = "' + "x" * 150 + '"'
    expression = "  condition = " + " && ".join(["contains(local.stages, \"AWSCURRENT\")"] * 4)
    comment = "  # " + "word " * 30
    assert long_lines(f"{literal}\n{expression}\n{comment}\n") == [f"2: {expression.strip()[:80]}",
                                                                   f"3: {comment.strip()[:80]}"]


@pytest.mark.parametrize("path", TF_FILES, ids=lambda p: str(p.relative_to(TREE)))
def test_lines_fit_in_a_review(path: Path) -> None:
    assert long_lines(path.read_text()) == []


@pytest.mark.parametrize("module", sorted(p.name for p in (TREE / "modules").iterdir()))
def test_tags_default_to_none(module: str) -> None:
    """A module called without `tags` still plans: provider default_tags tag everything anyway."""
    text = (TREE / "modules" / module / "variables.tf").read_text()
    block = re.search(r'variable "tags" \{(.*?)\n\}', text, re.S)
    assert block and re.search(r"^\s*default\s*=\s*\{\}\s*$", block.group(1), re.M), module
