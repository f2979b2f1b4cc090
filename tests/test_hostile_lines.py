"""Issue 23, forged lines: spec-controlled text (keys, values, file and directory names) is escaped to one line
wherever tfgen prints it inside a line (location prefixes of check/validate/render, warnings, `tfgen affected`),
and the workflow's annotation steps encode it per GitHub's workflow-command rules, so no input can add a line
of its own to a CI log (a fake status line, or a `::warning::`/`::add-mask::` command)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_impact import git
from tfhelpers import copy_project

from tfgen.errors import Location, Problem, SpecError
from tfgen.terminal import one_line

ROOT = Path(__file__).resolve().parent.parent
FORGED = "x\n::warning title=tfgen::all environments approved\n::add-mask::y\r\u2028z"
RAW_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def _hostile_key(project: Path, key: str = FORGED) -> None:
    spec = project / "specs/dev.yaml"
    spec.write_text(spec.read_text() + "\n" + yaml.safe_dump({key: 1}, allow_unicode=True))


def _assert_no_forged_lines(text: str, allowed_first: tuple[str, ...]) -> None:
    for line in text.splitlines():
        assert line.startswith(allowed_first), f"forged line: {line!r}"
        assert not RAW_CONTROL.search(line), line


def test_problem_text_is_one_line_per_problem() -> None:
    problem = Problem(Location(f"specs/{FORGED}.yaml", 3, 4), FORGED, f"unknown key {FORGED}")
    text = str(problem)
    assert "\n" not in text and "\r" not in text and "\u2028" not in text
    assert text.startswith("specs/x\\n::warning title=tfgen::") and ": x\\n::warning" in text
    assert str(SpecError([problem])).count("\n") == 1  # the problem, then "1 problem found"


@pytest.mark.parametrize("command", ["validate", "check", "render"])
def test_hostile_spec_key_prints_one_line(run, project: Path, command: str) -> None:
    _hostile_key(project)
    result = run("-C", str(project), command, "dev")
    assert result.exit_code == 2
    _assert_no_forged_lines(result.stderr, ("specs/dev.yaml:", "1 problem found"))
    assert "x\\n::warning title=tfgen::all environments approved\\n::add-mask::y\\r\\u2028z" in result.stderr


def test_affected_escapes_directory_names_from_the_base(run, tmp_path: Path) -> None:
    root = copy_project(tmp_path / "repo")
    assert run("-C", str(root), "render", "--all").exit_code == 0
    forged = root / "generated/terraform/environments" / "gone\n::warning::forged"
    forged.mkdir()
    (forged / "main.tf").write_text("# old\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    result = run("-C", str(root), "affected", "--since", "HEAD")
    assert result.exit_code == 0, result.stderr
    assert "gone\\n::warning::forged: removed" in result.stdout
    _assert_no_forged_lines(result.stdout, ("gone\\n", "dev", "staging", "prod"))


def _annotation_scripts() -> list[str]:
    text = (ROOT / ".github/workflows/terraform.yml").read_text()
    blocks = re.findall(r"<<'PY'\n(.*?)\n\s*PY\n", text, flags=re.DOTALL)
    assert len(blocks) == 2, "the check and impact annotation steps"
    lines = [b.splitlines() for b in blocks]
    indent = min(len(s) - len(s.lstrip()) for s in lines[0] if s.strip())
    return ["\n".join(s[indent:] for s in block) for block in lines]


def _annotations(script: str, cwd: Path) -> list[str]:
    """The lines the runner reads (it splits on CR and LF only, not on U+2028)."""
    done = subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True, check=True)
    return re.split(r"\r\n|\r|\n", done.stdout.decode().rstrip("\n"))


def test_check_annotations_cannot_start_workflow_commands(run, project: Path, tmp_path: Path) -> None:
    _hostile_key(project)
    result = run("-C", str(project), "check", "--all", "--json")
    (tmp_path / "tfgen-check.json").write_text(result.stdout)
    report = json.loads(result.stdout)
    report["files"].append({"path": "generated/a,b:c\n::error::x.tf", "kind": "stale"})
    (tmp_path / "tfgen-check.json").write_text(json.dumps(report))
    out = _annotations(_annotation_scripts()[0], tmp_path)
    assert len(out) == len(report["problems"]) + len(report["files"]) > 1
    for line in out:
        assert line.startswith("::error "), line  # "::" later in a message is text, not a command
    assert "x%0A::warning title=tfgen::all environments approved%0A::add-mask::y%0D" in "\n".join(out)
    assert out[0].startswith("::error file=generated/a%2Cb%3Ac%0A%3A%3Aerror%3A%3Ax.tf::stale: ")


def test_impact_annotations_cannot_start_workflow_commands(tmp_path: Path) -> None:
    report = {"environments": [{"name": "dev", "findings": [
        {"blocking": True, "file": "specs/dev.yaml", "line": 1, "column": 1, "key": FORGED, "message": FORGED}],
        "resources": [{"blocking": True, "action": "replace", "address": FORGED, "key": FORGED}]}],
        "problems": [{"file": None, "line": None, "column": None, "path": FORGED, "message": "100%"}]}
    (tmp_path / "tfgen-impact.json").write_text(json.dumps(report))
    out = _annotations(_annotation_scripts()[1], tmp_path)
    assert len(out) == 3
    for line in out:
        assert line.startswith("::error "), line  # "::" later in a message is text, not a command
    assert out[-1].endswith("100%25")


FRAGMENTS = ["a", "\n", "\r", "\u2028", "\x85", "\x1b]0;t\x07", "\t", "::", "::warning::", "\x00", "\u202e", "%",
             "é", " "]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=6).map("".join),
       st.lists(st.sampled_from(FRAGMENTS), min_size=0, max_size=6).map("".join))
def test_problems_never_print_raw_control_text(path: str, message: str) -> None:
    """Property: whatever a key, file name or message holds, a problem prints as one line, nothing raw."""
    text = str(Problem(Location(f"specs/{path}.yaml", 1, 1), path, message or "m"))
    assert "\n" not in text and not RAW_CONTROL.search(text)
    assert one_line(path) in text


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=5).map("".join))
def test_validate_messages_stay_one_line_per_problem(tmp_path_factory, key: str) -> None:
    """Property on the real CLI: a hostile key (top level and nested) gives only located, escaped lines."""
    from click.testing import CliRunner

    from tfgen.cli import main
    project = copy_project(tmp_path_factory.mktemp("p") / "project")
    spec = project / "specs/dev.yaml"
    spec.write_text(spec.read_text() + "\n" + yaml.safe_dump({key: 1, "tags": {key: key}}, allow_unicode=True))
    result = CliRunner().invoke(main, ["-C", str(project), "validate", "dev"], catch_exceptions=False)
    assert result.exit_code == 2
    _assert_no_forged_lines(result.stderr, ("specs/", *(f"{n} problem" for n in range(1, 6))))
