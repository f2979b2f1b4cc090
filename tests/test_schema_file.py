"""The committed editor schema (specs/tfgen.schema.json): current, accepted by every bundled spec, and never
stricter than `tfgen validate` (a spec the schema rejects is rejected by the validator too)."""

from __future__ import annotations

import copy
import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tfgen.cli import main
from tfgen.errors import SpecError
from tfgen.model.schemafile import MODELINE, SCHEMA_PATH, schema_drift, schema_text, stamp, write_schema
from tfgen.pipeline import validate_project
from tfgen.spec import read_document

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.yaml"))
COMMITTED = ROOT / SCHEMA_PATH


def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(COMMITTED.read_text(encoding="utf-8")))


def _as_tfgen_reads(path: Path, project: Path) -> dict[str, Any]:
    """What tfgen (YAML 1.2 core, like yaml-language-server) reads from a spec file."""
    data, _ = read_document(path, project)
    return data


def test_committed_schema_is_tfgen_schema_output() -> None:
    result = CliRunner().invoke(main, ["schema"], catch_exceptions=False)
    assert result.exit_code == 0
    assert COMMITTED.read_text(encoding="utf-8") == result.stdout == schema_text()


def test_schema_is_valid_draft_2020_12() -> None:
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_every_setting_is_documented() -> None:
    """Descriptions everywhere; defaults offered for optional settings; enums where the model has choices."""
    complete = json.loads(COMMITTED.read_text(encoding="utf-8"))["$defs"]["complete"]
    network = complete["properties"]["network"]["properties"]
    assert network["nat_gateway"]["enum"] == ["single", "per_az", None]  # null: "use the default"
    assert network["nat_gateway"]["default"] == "single"

    def walk(node: dict[str, Any], where: str) -> None:
        assert node.get("description"), f"{where} has no description"
        for name, sub in node.get("properties", {}).items():
            walk(sub, f"{where}.{name}")
        if isinstance(node.get("additionalProperties"), dict):
            walk(node["additionalProperties"], f"{where}.*")
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{where}[]")

    walk(complete, "spec")


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.name)
def test_bundled_spec_starts_with_modeline_and_matches_schema(spec: Path) -> None:
    assert spec.read_text(encoding="utf-8").splitlines()[0] == MODELINE
    errors = [e.message for e in _validator().iter_errors(_as_tfgen_reads(spec, ROOT))]
    assert errors == []


def test_spec_without_extends_must_be_complete_but_overlays_need_not_be() -> None:
    validator = _validator()
    assert validator.is_valid({"extends": "base.yaml", "dns": {"domain": "qa.example.com"}})
    assert not validator.is_valid({"dns": {"domain": "qa.example.com"}})


def test_render_writes_schema_only_when_changed_and_check_reports_it(tmp_path: Path) -> None:
    project = tmp_path / "p"
    (project / "specs").mkdir(parents=True)
    assert write_schema(project) == "create"
    assert write_schema(project) == "unchanged"
    assert schema_drift(project) is None
    target = project / SCHEMA_PATH
    older = target.read_text().replace("tfgen environment spec", "stale")  # what an older tfgen wrote
    target.write_text(stamp(re.sub("sha256:[0-9a-f]{64}", "sha256:" + "0" * 64, older)))
    drift = schema_drift(project)
    assert drift is not None and drift["kind"] == "changed" and "+" in drift["diff"]
    assert write_schema(project) == "update"
    target.unlink()
    assert schema_drift(project) == {"path": SCHEMA_PATH, "kind": "missing", "diff": ""}
    assert not list((project / "specs").glob(".*tmp"))


# ---------------------------------------------------------------- schema rejects => tfgen validate rejects

# Environment specs: what they set reaches the merged document `tfgen validate` checks. (A value in
# base.yaml that *every* environment overrides never reaches it, so base.yaml is covered by KNOWN_BAD.)
ENV_SPECS = ("dev.yaml", "prod.yaml", "staging.yaml")
VALUES = st.sampled_from([
    None, True, False, 0, 1, -1, 7, 30, 65536, 0.5, 2.0, "", "x", "yes", "no", "on", "8.4", "single", "per_az",
    "spot", "alb", "10.0.0.0/33", "10.0.0.0/16", "us-east-1z", "UPPER", "a" * 301, "/health", "db.t4g.micro",
    [], ["alb"], ["x", "y"], [1], {}, {"x": 1}, {"port": 80},
])


def _paths(value: Any, path: tuple = ()) -> list[tuple]:
    """Every path into a document (mapping keys and list indexes), including the root."""
    found = [path]
    if isinstance(value, dict):
        for key, sub in value.items():
            found += _paths(sub, (*path, key))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            found += _paths(sub, (*path, i))
    return found


def _mutate(doc: dict[str, Any], path: tuple, op: str, value: Any) -> dict[str, Any]:
    """Replace, delete, add an unknown key, or misspell a key at `path` (always on a copy)."""
    doc = copy.deepcopy(doc)
    if not path:
        doc["unknown_setting"] = value
        return doc
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if op == "replace":
        parent[last] = value
    elif op == "delete":
        del parent[last]
    elif op == "add" and isinstance(parent[last], dict):
        parent[last]["unknown_setting"] = value
    elif op == "misspell" and isinstance(last, str):
        parent[last + "s"] = parent.pop(last)
    else:
        parent[last] = value
    return doc


def _validate_rejects(project: Path) -> bool:
    try:
        validate_project(project)
    except SpecError:
        return True
    return False


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    name = draw(st.sampled_from(ENV_SPECS))
    doc = _as_tfgen_reads(ROOT / "specs" / name, ROOT)
    path = draw(st.sampled_from(_paths(doc)))
    op = draw(st.sampled_from(["replace", "delete", "add", "misspell"]))
    return name, _mutate(doc, path, op, draw(VALUES))


def _write_project(tmp: Path, name: str, doc: dict[str, Any]) -> Path:
    shutil.copytree(ROOT / "specs", tmp / "specs")
    text = MODELINE + "\n" + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    (tmp / "specs" / name).write_text(text, encoding="utf-8")
    return tmp


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations())
def test_spec_the_schema_rejects_is_rejected_by_validate(mutation: tuple[str, dict[str, Any]]) -> None:
    name, doc = mutation
    with tempfile.TemporaryDirectory() as tmp:
        project = _write_project(Path(tmp), name, doc)
        loaded = _as_tfgen_reads(project / "specs" / name, project)
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in _validator().iter_errors(loaded)]
        if errors:
            assert _validate_rejects(project), f"schema rejects {name} ({errors}) but tfgen validate accepts it"


KNOWN_BAD = [
    ("base.yaml", ("network", "nat_gateway"), "triple"),
    ("base.yaml", ("services", "frontend", "port"), "8080"),
    ("dev.yaml", ("database", "multi_az"), "no"),
    ("dev.yaml", ("logs", "retention_days"), 31),
    ("prod.yaml", ("loadbalancer", "waf"), 1),
    ("base.yaml", ("services", "Front-End"), {"port": 80}),
    ("staging.yaml", ("dns", "domain_name"), "x.example.com"),
]


@pytest.mark.parametrize(("name", "path", "value"), KNOWN_BAD, ids=lambda v: str(v))
def test_known_bad_values_are_rejected_by_both(tmp_path: Path, name: str, path: tuple, value: Any) -> None:
    """Non-vacuous: these mutations are schema errors, and `tfgen validate` exits 2 on each of them."""
    doc = _mutate(_as_tfgen_reads(ROOT / "specs" / name, ROOT), path, "replace", value)
    project = _write_project(tmp_path, name, doc)
    assert not _validator().is_valid(_as_tfgen_reads(project / "specs" / name, project))
    result = CliRunner().invoke(main, ["-C", str(project), "validate", "--all"], catch_exceptions=False)
    assert result.exit_code == 2
    assert f"specs/{name}:" in result.stderr
