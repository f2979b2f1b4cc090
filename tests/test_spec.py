"""Stage 1: loading, extends chains, deep merge and provenance."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfgen.errors import SpecError
from tfgen.spec import deep_merge, list_environments, load_spec


def write(project: Path, name: str, text: str) -> None:
    (project / "specs").mkdir(exist_ok=True)
    (project / "specs" / name).write_text(text)


def test_extends_merges_mappings_and_replaces_lists(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", "a:\n  b: 1\n  c: [1, 2]\nd: x\n")
    write(tmp_path, "dev.yaml", "extends: base.yaml\na:\n  c: [3]\n  e: true\n")
    spec = load_spec("dev", tmp_path)
    assert spec.data == {"a": {"b": 1, "c": [3], "e": True}, "d": "x"}
    assert spec.files == ["specs/base.yaml", "specs/dev.yaml"]


def test_provenance_points_at_the_file_that_set_the_value(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", "a:\n  b: 1\n  c: [1, 2]\n")
    write(tmp_path, "dev.yaml", "extends: base.yaml\na:\n  c: [3]\n")
    spec = load_spec("dev", tmp_path)
    assert str(spec.location(("a", "b"))) == "specs/base.yaml:2:6"
    assert str(spec.location(("a", "c", 0))) == "specs/dev.yaml:3:7"
    assert ("a", "c", 1) not in spec.provenance  # the replaced list's old items are forgotten


def test_deep_merge_keeps_base_keys_the_overlay_does_not_touch() -> None:
    merged, _ = deep_merge({"x": {"y": 1, "z": 2}}, {}, {"x": {"z": 3}}, {})
    assert merged == {"x": {"y": 1, "z": 3}}


@pytest.mark.parametrize("text, expected", [
    ("a: no\n", {"a": "no"}),
    ("a: on\n", {"a": "on"}),
    ("a: True\n", {"a": True}),
    ("a: 1e3\n", {"a": 1000.0}),
    ("a: '010'\n", {"a": "010"}),
    ("a: 2024-01-01\n", {"a": "2024-01-01"}),
    ("a: ~\n", {"a": None}),
])
def test_yaml_1_2_scalars(tmp_path: Path, text: str, expected: dict) -> None:
    write(tmp_path, "dev.yaml", text)
    assert load_spec("dev", tmp_path).data == expected


@pytest.mark.parametrize("files, message", [
    ({"dev.yaml": "extends: dev.yaml\n"}, "extends cycle"),
    ({"dev.yaml": "extends: a.yaml\n", "a.yaml": "extends: dev.yaml\n"}, "extends cycle"),
    ({"dev.yaml": "extends: missing.yaml\n"}, "does not exist"),
    ({"dev.yaml": "extends: ../outside.yaml\n"}, "outside specs/"),
    ({"dev.yaml": "a: 1\na: 2\n"}, "duplicate key"),
    ({"dev.yaml": ""}, "spec is empty"),
    ({"dev.yaml": "- a\n- b\n"}, "top level is a list"),
    ({"dev.yaml": "a: 010\n"}, "leading zero"),
    ({"dev.yaml": "a: !!python/object:os.system x\n"}, "is not allowed"),
    ({"dev.yaml": "a: [1, 2\n"}, "invalid YAML"),
])
def test_broken_files_are_clean_errors(tmp_path: Path, files: dict[str, str], message: str) -> None:
    (tmp_path / "outside.yaml").write_text("a: 1\n")
    for name, text in files.items():
        write(tmp_path, name, text)
    with pytest.raises(SpecError) as err:
        load_spec("dev", tmp_path)
    assert message in str(err.value)
    assert "specs/" in str(err.value)


def test_non_utf8_reports_line(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "dev.yaml").write_bytes(b"a: 1\nb: \xff\n")
    with pytest.raises(SpecError) as err:
        load_spec("dev", tmp_path)
    assert "specs/dev.yaml:2:4" in str(err.value)


def test_base_specs_are_not_environments(tmp_path: Path) -> None:
    for name in ("base.yaml", "_shared.yaml", "dev.yaml", "prod.yaml", "Bad_Name.yaml"):
        write(tmp_path, name, "a: 1\n")
    assert list_environments(tmp_path) == ["dev", "prod"]
