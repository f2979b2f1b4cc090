"""`tfgen fmt`: terraform fmt without terraform, through the CLI (defaults, stdin, refused inputs)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from tfgen.cli import main
from tfgen.hcl.files import InputRefused, Target, read_input

MESSY = 'resource "x" "y" {\nname = "a"\n  long_name="b"\n}\n'
CLEAN = 'resource "x" "y" {\n  name      = "a"\n  long_name = "b"\n}\n'


def test_check_reports_and_changes_nothing(run, tmp_path: Path) -> None:
    target = tmp_path / "main.tf"
    target.write_text(MESSY)
    result = run("fmt", "--check", str(target))
    assert result.exit_code == 1
    assert result.stdout == f"{target}\n" and result.stderr == ""  # the list on stdout, like terraform fmt
    assert target.read_text() == MESSY


def test_diff_goes_to_stdout(run, tmp_path: Path) -> None:
    target = tmp_path / "main.tf"
    target.write_text(MESSY)
    result = run("fmt", "--check", "--diff", str(target))
    assert result.exit_code == 1
    assert "+  long_name = \"b\"" in result.stdout and result.stdout.startswith(f"{target}\n--- a/")


def test_formats_in_place_recursively_skipping_terraform_dirs(run, tmp_path: Path) -> None:
    (tmp_path / "env").mkdir()
    (tmp_path / ".terraform" / "modules").mkdir(parents=True)
    formatted, vars_file = tmp_path / "env" / "main.tf", tmp_path / "env" / "prod.tfvars"
    vendored = tmp_path / ".terraform" / "modules" / "x.tf"
    for path in (formatted, vendored):
        path.write_text(MESSY)
    vars_file.write_text("a=1\nlong=2\n")
    (tmp_path / "notes.txt").write_text(MESSY)
    result = run("fmt", "-recursive", str(tmp_path))
    assert result.exit_code == 0
    assert formatted.read_text() == CLEAN
    assert vars_file.read_text() == "a    = 1\nlong = 2\n"
    assert vendored.read_text() == MESSY and (tmp_path / "notes.txt").read_text() == MESSY
    again = run("fmt", "--check", "--recursive", str(tmp_path))
    assert again.exit_code == 0 and again.stderr == ""


def test_unparseable_file_is_exit_2_with_its_line(run, tmp_path: Path) -> None:
    target = tmp_path / "broken.tf"
    target.write_text('a = 1\nresource "x" "y" {\n  b = "unterminated\n}\n')
    result = run("fmt", str(target))
    assert result.exit_code == 2
    assert f"{target}:3" in result.stderr
    assert target.read_text().startswith("a = 1\n")


def test_writes_through_symlinks_and_keeps_the_mode(run, tmp_path: Path) -> None:
    real = tmp_path / "real.tf"
    real.write_text(MESSY)
    real.chmod(0o600)
    link = tmp_path / "link.tf"
    link.symlink_to(real)
    assert run("fmt", str(link)).exit_code == 0
    assert link.is_symlink() and real.read_text() == CLEAN
    assert real.stat().st_mode & 0o777 == 0o600


def test_every_file_is_tried_before_a_parse_error_exits_2(run, tmp_path: Path) -> None:
    (tmp_path / "a_broken.tf").write_text('x = "open\n')
    (tmp_path / "b_messy.tf").write_text(MESSY)
    (tmp_path / "c_latin1.tf").write_bytes(b'x = "\xe9"\n')
    result = run("fmt", str(tmp_path))
    assert result.exit_code == 2
    assert (tmp_path / "b_messy.tf").read_text() == CLEAN
    assert "c_latin1.tf:1" in result.stderr and "not valid UTF-8" in result.stderr


def test_no_path_is_the_current_directory_only(run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sub").mkdir()
    top, nested = tmp_path / "main.tf", tmp_path / "sub" / "main.tf"
    top.write_text(MESSY)
    nested.write_text(MESSY)
    monkeypatch.chdir(tmp_path)
    assert run("fmt").exit_code == 0
    assert top.read_text() == CLEAN and nested.read_text() == MESSY  # like terraform fmt: no descent
    assert run("fmt", "-recursive").exit_code == 0
    assert nested.read_text() == CLEAN


def test_a_directory_without_recursive_is_its_own_files(run, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.tf").write_text(MESSY)
    result = run("fmt", "--check", str(tmp_path))
    assert result.exit_code == 0 and result.stderr == ""
    assert run("fmt", "--check", "--recursive", str(tmp_path)).exit_code == 1


def test_dash_formats_stdin_to_stdout() -> None:
    result = CliRunner().invoke(main, ["fmt", "-"], input=MESSY)
    assert result.exit_code == 0 and result.stdout == CLEAN
    check = CliRunner().invoke(main, ["fmt", "-check", "-"], input=MESSY)
    assert check.exit_code == 1 and check.stdout == ""
    diff = CliRunner().invoke(main, ["fmt", "-diff", "-"], input=MESSY)
    assert diff.stdout.startswith("--- a/<stdin>") and '+  long_name = "b"' in diff.stdout


def test_dash_with_invalid_input_is_a_located_error() -> None:
    result = CliRunner().invoke(main, ["fmt", "-"], input="a = 1 +\n")
    assert result.exit_code == 2 and result.stdout == ""
    assert "<stdin>:1:8: Invalid expression" in result.stderr


def test_other_suffixes_named_directly_are_refused(run, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text(MESSY)
    result = run("fmt", str(notes))
    assert result.exit_code == 2 and "only .tf, .tfvars and .tftest.hcl" in result.stderr
    assert notes.read_text() == MESSY


def test_refused_inputs_are_reported_and_the_rest_formatted(run, tmp_path: Path) -> None:
    """Issue 11: links to devices or outside files, FIFOs and huge files are refused with a message."""
    outside = tmp_path / "outside.tf"
    outside.write_text(MESSY)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "zero.tf").symlink_to("/dev/zero")
    (tree / "escape.tf").symlink_to(outside)
    os.mkfifo(tree / "pipe.tf")
    with (tree / "huge.tf").open("wb") as fh:
        fh.truncate(17 * 1024 * 1024)
    (tree / "ok.tf").write_text(MESSY)
    result = run("fmt", str(tree))
    assert result.exit_code == 2
    assert "zero.tf: symbolic link to /dev/zero" in result.stderr
    assert "escape.tf: symbolic link to" in result.stderr and "outside" in result.stderr
    assert "pipe.tf: not a regular file (a FIFO)" in result.stderr
    assert "huge.tf: larger than 16 MiB" in result.stderr
    assert (tree / "ok.tf").read_text() == CLEAN
    assert outside.read_text() == MESSY and (tree / "escape.tf").is_symlink()


def test_a_device_is_never_read_even_where_links_may_point(tmp_path: Path) -> None:
    (tmp_path / "zero.tf").symlink_to("/dev/zero")
    with pytest.raises(InputRefused, match="not a regular file \\(a device\\)"):
        read_input(Target(tmp_path / "zero.tf", Path("/")))


def test_a_fifo_never_blocks_the_run(tmp_path: Path) -> None:
    """Opening a FIFO for reading blocks until a writer comes; tfgen fmt opens without blocking."""
    os.mkfifo(tmp_path / "pipe.tf")
    outcome: list[int] = []
    worker = threading.Thread(target=lambda: outcome.append(
        CliRunner().invoke(main, ["fmt", str(tmp_path / "pipe.tf")]).exit_code), daemon=True)
    worker.start()
    worker.join(timeout=30)
    if worker.is_alive():  # unblock the stuck open before failing
        with open(tmp_path / "pipe.tf", "w"):
            pass
    assert outcome == [2]


def test_parse_errors_write_nothing_for_that_file(run, tmp_path: Path) -> None:
    broken = tmp_path / "broken.tf"
    text = 'a   = 1\nblock "f\\o" {}\n'
    broken.write_text(text)
    result = run("fmt", str(tmp_path))
    assert result.exit_code == 2
    assert f"{broken}:2:9: Invalid escape sequence" in result.stderr
    assert broken.read_text() == text
