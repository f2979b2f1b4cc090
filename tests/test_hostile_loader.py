"""Issue 11, tracebacks: every hostile spec layout is a located error (file:line: field: message, exit 2), and
anything unexpected is one short line with a hint to report it (the traceback only with --debug).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from tfhelpers import copy_project

from tfgen.cli import main


def _invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def _set_extends(project: Path, target: str) -> None:
    dev = project / "specs" / "dev.yaml"
    dev.write_text(dev.read_text().replace("extends: base.yaml", f'extends: "{target}"'))


def _fails_located(project: Path, where: str, message: str, commands: tuple[str, ...] = ("validate", "render")):
    for command in commands:
        result = _invoke("-C", str(project), command, "--all")
        assert result.exit_code == 2, (command, result.stderr)
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
        assert any(line.startswith(where) and message in line for line in result.stderr.splitlines()), \
            result.stderr
    return result.stderr


def test_nul_in_extends_is_located(project: Path) -> None:
    """Finding: `extends: "base.yaml\\0"` was a traceback."""
    _set_extends(project, "base.yaml\\0")
    _fails_located(project, "specs/dev.yaml:3:10: extends:", "U+0000")


def test_five_thousand_character_extends_is_located(project: Path) -> None:
    """Finding: a 5000-character `extends` had no location (and a filename-too-long OS error)."""
    _set_extends(project, "a" * 5000)
    stderr = _fails_located(project, "specs/dev.yaml:3:10: extends:", "longer than 255 characters")
    assert len(stderr) < 1000, "the value is shortened in the message"


def test_symlink_loop_among_specs_is_located_and_other_commands_still_explain(project: Path) -> None:
    """Finding: a symlink loop among specs/*.yaml broke every command with a traceback."""
    specs = project / "specs"
    os.symlink("loop-b.yaml", specs / "loop-a.yaml")
    os.symlink("loop-a.yaml", specs / "loop-b.yaml")
    _fails_located(project, "specs/loop-a.yaml:1:1:", "is a symbolic link, not a regular file")
    result = _invoke("-C", str(project), "show", "dev")
    assert result.exit_code == 2 and "specs/loop-b.yaml:1:1:" in result.stderr


def test_symlink_loop_as_extends_target_is_located(project: Path) -> None:
    specs = project / "specs"
    os.symlink("base-loop.yaml", specs / "base-loop.yaml")
    _set_extends(project, "base-loop.yaml")
    _fails_located(project, "specs/dev.yaml:3:10: extends:", "is a symbolic link")


@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_spec_that_is_a_directory_or_fifo_is_named_as_such(project: Path, kind: str) -> None:
    """Finding: a spec that is a directory or FIFO was reported as "no spec for environment"."""
    path = project / "specs" / "qa.yaml"
    if kind == "directory":
        path.mkdir()
    else:
        os.mkfifo(path)  # must not block: lstat first, O_NONBLOCK
    word = "a directory" if kind == "directory" else "a FIFO"
    _fails_located(project, "specs/qa.yaml:1:1:", f"is {word}, not a regular file")


def test_linked_specs_directory_is_refused(project: Path, tmp_path: Path) -> None:
    os.rename(project / "specs", tmp_path / "elsewhere")
    os.symlink(tmp_path / "elsewhere", project / "specs")
    _fails_located(project, "specs:1:1:", "specs/ is a symbolic link")


def _internal_error_script(debug: bool) -> list[str]:
    """The CLI with one stage replaced by a bug (an AttributeError), as a subprocess: what a user sees."""
    flags = ["--debug"] if debug else []
    code = ("import sys, tfgen.pipeline as p\n"
            "def bug(*a, **k):\n    return None.attr\n"
            "p.validate_project = bug\n"
            "from tfgen.cli import main\n"
            f"sys.argv = ['tfgen', *{flags!r}, '-C', sys.argv[1], 'validate', '--all']\n"
            "main()\n")
    return [sys.executable, "-c", code]


def test_unexpected_error_is_one_line_with_a_hint_and_traceback_only_with_debug(project: Path) -> None:
    plain = subprocess.run([*_internal_error_script(False), str(project)], capture_output=True, text=True)
    assert plain.returncode == 70
    assert "Traceback" not in plain.stderr
    assert plain.stderr.startswith("error: internal error (AttributeError: 'NoneType' object has no attribute")
    assert "please report it" in plain.stderr and "--debug" in plain.stderr
    debug = subprocess.run([*_internal_error_script(True), str(project)], capture_output=True, text=True)
    assert debug.returncode == 1 and "Traceback" in debug.stderr and "AttributeError" in debug.stderr
