"""The --json reports of check, validate and diff keep one documented shape (docs/json.md) whatever
the outcome, so CI systems can parse them without branching on the status."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tfgen.model.schemafile import SCHEMA_PATH

PROBLEM_KEYS = {"file", "line", "column", "path", "message"}
CHECK_KEYS = {"version", "command", "status", "environments", "files", "problems", "warnings"}
VALIDATE_KEYS = {"version", "command", "status", "environments", "problems", "warnings"}
DIFF_KEYS = {"version", "command", "status", "a", "b", "identical", "differences", "cost", "problems"}
ROW_KEYS = {"path", "a", "b", "a_origin", "b_origin"}


def report(run, project: Path, *args: str, exit_code: int) -> dict[str, Any]:
    result = run("-C", str(project), *args, "--json")
    assert result.exit_code == exit_code, result.stderr
    data = json.loads(result.stdout)  # stdout is exactly one JSON document
    assert data["version"] == 1 and data["command"] == args[0]
    return data


def break_spec(project: Path) -> None:
    spec = project / "specs/dev.yaml"
    spec.write_text(spec.read_text().replace("multi_az: false", "multi_az: nope"))


def assert_problems(problems: list[dict[str, Any]]) -> None:
    assert problems, "an invalid report names at least one problem"
    for problem in problems:
        assert set(problem) == PROBLEM_KEYS
        assert isinstance(problem["message"], str) and isinstance(problem["path"], str)
        assert problem["file"] is None or isinstance(problem["file"], str)
        assert problem["line"] is None or isinstance(problem["line"], int)


# ---------------------------------------------------------------- check


def test_check_ok_shape(run, project: Path) -> None:
    assert run("-C", str(project), "render", "--all").exit_code == 0
    data = report(run, project, "check", "--all", exit_code=0)
    assert set(data) == CHECK_KEYS
    assert data["status"] == "ok" and data["files"] == [] and data["problems"] == []
    assert data["environments"] == ["dev", "prod", "staging"]
    assert isinstance(data["warnings"], list)


def test_check_stale_shape(run, project: Path) -> None:
    assert run("-C", str(project), "render", "dev").exit_code == 0
    main_tf = project / "generated/terraform/environments/dev/main.tf"
    main_tf.write_text(main_tf.read_text() + "# edit\n")
    (project / SCHEMA_PATH).unlink()
    data = report(run, project, "check", "dev", exit_code=1)
    assert set(data) == CHECK_KEYS and data["status"] == "stale"
    files = {f["path"]: f for f in data["files"]}
    assert [f["path"] for f in data["files"]] == sorted(files)
    for entry in data["files"]:
        assert set(entry) == {"path", "kind", "diff"} and entry["kind"] in ("changed", "missing", "extra")
    changed = files["generated/terraform/environments/dev/main.tf"]
    assert changed["kind"] == "changed" and "-# edit" in changed["diff"]
    assert files[SCHEMA_PATH]["kind"] == "missing"


def test_check_invalid_shape(run, project: Path) -> None:
    break_spec(project)
    data = report(run, project, "check", "dev", exit_code=2)
    assert set(data) == CHECK_KEYS and data["status"] == "invalid"
    assert data["files"] == [] and data["environments"] == ["dev"]
    assert_problems(data["problems"])
    assert any(p["file"] == "specs/dev.yaml" and p["path"] == "database.multi_az" for p in data["problems"])


def test_check_unknown_environment_is_reported_as_json(run, project: Path) -> None:
    data = report(run, project, "check", "nope", exit_code=2)
    assert data["status"] == "invalid" and "nope" in data["problems"][0]["message"]


# ---------------------------------------------------------------- validate


def test_validate_ok_and_invalid_shapes(run, project: Path) -> None:
    ok = report(run, project, "validate", "--all", exit_code=0)
    assert set(ok) == VALIDATE_KEYS and ok["status"] == "ok" and ok["problems"] == []
    assert ok["environments"] == ["dev", "prod", "staging"]
    break_spec(project)
    bad = report(run, project, "validate", "dev", exit_code=2)
    assert set(bad) == VALIDATE_KEYS and bad["status"] == "invalid"
    assert_problems(bad["problems"])
    problem = next(p for p in bad["problems"] if p["path"] == "database.multi_az")
    assert problem["file"] == "specs/dev.yaml" and problem["line"] > 1 and problem["column"] >= 1


# ---------------------------------------------------------------- diff


@pytest.mark.parametrize(("a", "b", "code", "status"), [("dev", "dev", 0, "identical"),
                                                        ("dev", "prod", 1, "different")])
def test_diff_shapes(run, project: Path, a: str, b: str, code: int, status: str) -> None:
    data = report(run, project, "diff", a, b, exit_code=code)
    assert set(data) == DIFF_KEYS
    assert (data["status"], data["a"], data["b"], data["identical"]) == (status, a, b, code == 0)
    assert data["problems"] == []
    for row in data["differences"]:
        assert set(row) == ROW_KEYS
        assert isinstance(row["a_origin"], str) and isinstance(row["b_origin"], str)
    assert [r["path"] for r in data["differences"]] == sorted(r["path"] for r in data["differences"])
    assert bool(data["differences"]) == (code == 1)


def test_diff_invalid_shape(run, project: Path) -> None:
    break_spec(project)
    data = report(run, project, "diff", "dev", "prod", exit_code=2)
    assert set(data) == DIFF_KEYS and data["status"] == "invalid" and data["identical"] is None
    assert data["differences"] == []
    assert_problems(data["problems"])


def test_show_provenance_json_includes_the_provenance(run, project: Path) -> None:
    """`show --provenance --json`: the spec and, per leaf value, the file:line:column that set it."""
    data = json.loads(run("-C", str(project), "show", "dev", "--provenance", "--json").stdout)
    assert set(data) == {"spec", "provenance"}
    rows = {r["path"]: r for r in data["provenance"]}
    assert rows["database.multi_az"]["file"] == "specs/dev.yaml" and rows["database.multi_az"]["value"] is False
    assert rows["region"]["file"] == "specs/base.yaml" and rows["region"]["line"] > 1
    assert rows["cost.alb_lcu"] == {"path": "cost.alb_lcu", "value": 1, "file": None, "line": None, "column": None}
    plain = json.loads(run("-C", str(project), "show", "dev", "--json").stdout)
    assert plain == data["spec"]  # without --provenance: the spec alone, as before
