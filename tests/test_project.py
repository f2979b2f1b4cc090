"""Project discovery: tfgen runs from any directory inside a project (the nearest one holding specs/ and
templates/), and a wrong -C says there is no tfgen project there."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfgen.project import ProjectNotFound, find_project


def test_runs_from_a_subdirectory(project: Path, run, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("-C", str(project), "render", "dev").exit_code == 0
    deep = project / "generated/terraform/environments/dev"
    monkeypatch.chdir(deep)
    result = run("check", "dev")
    assert result.exit_code == 0, result.stderr
    assert "up to date: dev" in result.stderr
    monkeypatch.chdir(project / "specs")
    assert run("validate", "--all").exit_code == 0
    assert find_project(Path(".")) == project.resolve()


def test_the_project_itself_is_kept_as_given(project: Path) -> None:
    assert find_project(project) == project


def test_nonexistent_directory(run) -> None:
    result = run("-C", "/nonexistent", "validate", "--all")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: no tfgen project at /nonexistent: the directory does not exist"
    assert "nothing was written" not in result.stderr


def test_directory_outside_any_project(tmp_path: Path, run) -> None:
    (tmp_path / "a/specs").mkdir(parents=True)  # a parent with specs/ alone is not a project
    (tmp_path / "a/b").mkdir()
    tmp_path = tmp_path / "a/b"
    result = run("-C", str(tmp_path), "check", "--all")
    assert result.exit_code == 2
    assert f"no tfgen project at {tmp_path.resolve()}: neither it nor any parent" in result.stderr


def test_a_file_is_not_a_project(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(ProjectNotFound, match="not a directory"):
        find_project(tmp_path / "f")


def test_fmt_and_schema_need_no_project(tmp_path: Path, run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "main.tf").write_text('variable "x" {\n  default = 1\n}\n')
    assert run("fmt", "--check", "main.tf").exit_code == 0
    assert run("schema").exit_code == 0
