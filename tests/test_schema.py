"""Stage 2 (types): defaults, unknown keys with suggestions, type errors located in the right file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tfgen.errors import SpecError
from tfgen.model.definition import SPEC
from tfgen.model.schema import to_json_schema, validate_document
from tfgen.pipeline import validate_project
from tfgen.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    return tmp_path


def edit(project: Path, name: str, old: str, new: str) -> None:
    path = project / "specs" / name
    text = path.read_text()
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1))


def problems(project: Path) -> list[str]:
    with pytest.raises(SpecError) as err:
        validate_project(project)
    return [str(p) for p in err.value.problems]


def test_bundled_specs_are_valid_and_get_defaults(specs: Path) -> None:
    validated = {v.spec.env: v.doc for v in validate_project(specs)}
    assert sorted(validated) == ["dev", "prod", "staging"]
    assert validated["dev"]["database"]["multi_az"] is False
    assert validated["prod"]["services"]["llm"]["market"] == "on-demand"  # a default


def test_unknown_key_suggests_the_close_one(specs: Path) -> None:
    edit(specs, "dev.yaml", "  multi_az: false", "  multi_azz: false")
    found = problems(specs)
    assert any(p.startswith("specs/dev.yaml:") and "database.multi_azz: unknown key 'multi_azz'; did you mean "
               "'multi_az'?" in p for p in found), found


def test_type_error_in_base_is_reported_at_the_base_file(specs: Path) -> None:
    edit(specs, "base.yaml", "    port: 8080", "    port: eighty")
    found = problems(specs)
    assert any(p.startswith("specs/base.yaml:") and "services.frontend.port: expected an integer, got string "
               "'eighty'" in p for p in found), found


def test_every_problem_is_reported_in_one_run(specs: Path) -> None:
    edit(specs, "dev.yaml", "  multi_az: false", "  multi_az: no")
    edit(specs, "dev.yaml", "  retention_days: 30", "  retention_days: 31")
    edit(specs, "dev.yaml", "  create_hosted_zone: false", "  create_hosted_zone: false\n  colour: red")
    found = problems(specs)
    assert len([p for p in found if p.startswith("specs/dev.yaml")]) >= 3, found
    assert any("YAML 1.1 words" in p for p in found)


def test_missing_required_field(specs: Path) -> None:
    edit(specs, "base.yaml", "region: us-east-1\n", "")
    assert any("region: is required" in p for p in problems(specs))


def test_cidr_errors_name_the_value(specs: Path) -> None:
    edit(specs, "base.yaml", "vpc_cidr: 10.0.0.0/16", "vpc_cidr: 10.0.0.0/33")
    assert any("network.vpc_cidr: '10.0.0.0/33' is not a valid IPv4 CIDR" in p for p in problems(specs))


def test_environments_may_differ_in_services_but_not_in_the_project(specs: Path) -> None:
    edit(specs, "prod.yaml", "services:\n  frontend:\n", "services:\n  frontend:\n    port: 8081\n")
    assert [v.doc["services"]["frontend"]["port"] for v in validate_project(specs)] == [8080, 8081, 8080]
    edit(specs, "prod.yaml", "environment:\n", "project:\n  name: other\n\nenvironment:\n")
    found = problems(specs)
    assert any("project.name" in p and "'dev'" in p and "'prod'" in p for p in found), found


def test_json_schema_describes_every_field() -> None:
    schema = to_json_schema(SPEC, "t")
    assert schema["$schema"].endswith("2020-12/schema")
    service = schema["properties"]["services"]["additionalProperties"]
    assert service["properties"]["market"]["enum"] == ["on-demand", "spot"]
    assert service["additionalProperties"] is False

    def walk(node: dict) -> None:
        assert node.get("description"), node
        for child in node.get("properties", {}).values():
            walk(child)

    walk(schema)


def test_validate_document_fills_nested_defaults(specs: Path) -> None:
    doc, found = validate_document(SPEC, load_spec("dev", specs))
    assert not found
    assert doc["storage"]["app_secret_keys"] == ["jwt_secret_key", "encryption_key", "llm_api_key"]


def test_base_values_that_every_environment_overrides_are_still_checked(specs: Path) -> None:
    edit(specs, "base.yaml", "  nat_gateway: single", "  nat_gateway: single\n  flow_logs: sometimes")
    for name in ("dev.yaml", "staging.yaml"):
        path = specs / "specs" / name
        path.write_text(path.read_text().replace("\nnetwork:\n", "\nnetwork:\n  flow_logs: false\n", 1))
    found = problems(specs)
    assert found == ["specs/base.yaml:23:14: network.flow_logs: expected true or false, got string 'sometimes'"]


def test_a_secret_in_a_shadowed_base_value_is_still_found(specs: Path) -> None:
    edit(specs, "base.yaml", "    exec_start: /usr/bin/node-20 /opt/frontend/server.js",
         "    exec_start: /usr/bin/node-20 /opt/frontend/server.js --password hunter2hunter2")
    for name in ("dev.yaml", "staging.yaml", "prod.yaml"):  # every environment replaces the value
        path = specs / "specs" / name
        text = path.read_text()
        if "\nservices:\n  frontend:\n" in text:  # prod already sizes its frontend group
            path.write_text(text.replace("\nservices:\n  frontend:\n",
                                         "\nservices:\n  frontend:\n    exec_start: /usr/bin/node-20 server.js\n"))
        else:
            path.write_text(text + "\nservices:\n  frontend:\n    exec_start: /usr/bin/node-20 server.js\n")
    found = problems(specs)
    assert len(found) == 1 and found[0].startswith("specs/base.yaml:") and "Secrets Manager" in found[0], found
    assert "hunter2" not in found[0]
