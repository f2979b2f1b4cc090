"""`tfgen fmt`: terraform fmt without terraform, through the CLI."""

from __future__ import annotations

from pathlib import Path

MESSY = 'resource "x" "y" {\nname = "a"\n  long_name="b"\n}\n'
CLEAN = 'resource "x" "y" {\n  name      = "a"\n  long_name = "b"\n}\n'


def test_check_reports_and_changes_nothing(run, tmp_path: Path) -> None:
    target = tmp_path / "main.tf"
    target.write_text(MESSY)
    result = run("fmt", "--check", str(target))
    assert result.exit_code == 1
    assert str(target) in result.stderr
    assert target.read_text() == MESSY


def test_diff_goes_to_stdout(run, tmp_path: Path) -> None:
    target = tmp_path / "main.tf"
    target.write_text(MESSY)
    result = run("fmt", "--check", "--diff", str(target))
    assert result.exit_code == 1
    assert "+  long_name = \"b\"" in result.stdout and result.stdout.startswith("--- a/")


def test_formats_in_place_recursively_skipping_terraform_dirs(run, tmp_path: Path) -> None:
    (tmp_path / "env").mkdir()
    (tmp_path / ".terraform" / "modules").mkdir(parents=True)
    formatted, vars_file = tmp_path / "env" / "main.tf", tmp_path / "env" / "prod.tfvars"
    vendored = tmp_path / ".terraform" / "modules" / "x.tf"
    for path in (formatted, vendored):
        path.write_text(MESSY)
    vars_file.write_text("a=1\nlong=2\n")
    (tmp_path / "notes.txt").write_text(MESSY)
    result = run("fmt", str(tmp_path))
    assert result.exit_code == 0
    assert formatted.read_text() == CLEAN
    assert vars_file.read_text() == "a    = 1\nlong = 2\n"
    assert vendored.read_text() == MESSY and (tmp_path / "notes.txt").read_text() == MESSY
    again = run("fmt", "--check", str(tmp_path))
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
