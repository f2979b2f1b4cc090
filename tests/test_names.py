"""tfgen.names is the one source of derived names: the rendered tree uses exactly what it computes."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from tfgen import names
from tfgen.model.views import Spec
from tfgen.pipeline import validate_project

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ROOT / "generated/terraform"


def module_text(module: str) -> str:
    return (GENERATED / "modules" / module / "main.tf").read_text()


def hcl_name(template: str, prefix: str) -> str:
    """A module's name expression for one prefix: `"${var.name_prefix}-mysql"` -> `<prefix>-mysql`."""
    return template.replace("${var.name_prefix}", prefix)


@pytest.fixture(scope="module")
def specs() -> dict[str, Spec]:
    return {v.spec.env: v.view for v in validate_project(ROOT)}


def test_database_identifier_is_the_modules(specs: dict[str, Spec]) -> None:
    """The module takes the identifier from the root (an adopted database keeps its own, database.identifier);
    by default the root passes names.db_identifier."""
    assert re.search(r"^\s*identifier\s*=\s*var\.db_identifier$", module_text("database"), re.M)
    for env, doc in specs.items():
        root = (GENERATED / "environments" / env / "variables.tf").read_text()
        default = re.search(r'variable "db_identifier" \{.*?default\s*=\s*"([^"]+)"', root, re.S).group(1)
        assert default == (doc.database.identifier or names.db_identifier(names.name_prefix(doc, env)))


def test_uploads_bucket_prefix_is_the_modules(specs: dict[str, Spec]) -> None:
    found = re.search(r'uploads_bucket_prefix\s*=\s*substr\("([^"]+)", 0, (\d+)\)', module_text("storage"))
    expression, limit = found.group(1), int(found.group(2))
    assert limit == names.BUCKET_PREFIX_MAX
    for env, doc in specs.items():
        prefix = names.name_prefix(doc, env)
        assert names.uploads_bucket_prefix(prefix) == hcl_name(expression, prefix)[:limit]


def test_name_prefix_and_ingress_keys_are_the_roots(specs: dict[str, Spec]) -> None:
    for env, doc in specs.items():
        root = (GENERATED / "environments" / env / "main.tf").read_text()
        assert f'name_prefix = "{names.name_prefix(doc, env)}"' in re.sub(r" +", " ", root) or \
            names.name_prefix(doc, env) in (GENERATED / "environments" / env / "variables.tf").read_text()
        declared = set(re.findall(r"^\s+(\w+_from_\w+_\d+)\s+= \{", root, re.M))
        assert declared == set(names.ingress_rules(doc)), env
        for rule in names.ingress_rules(doc).values():
            if rule["target"] == names.DATABASE_SECURITY_GROUP:
                assert rule["port"] == names.MYSQL_PORT


def test_the_database_listens_on_the_mysql_port() -> None:
    ports = set(re.findall(r"\bport\s*=\s*(\d+)", module_text("database")))
    assert ports <= {str(names.MYSQL_PORT)}


def test_nat_zones_follow_the_networking_module(specs: dict[str, Spec]) -> None:
    network = next(iter(specs.values())).network
    single = replace(network, availability_zones=("us-east-1b", "us-east-1a"), nat_gateway="single")
    assert names.nat_gateway_zones(single) == ["us-east-1a"]
    assert names.nat_gateway_zones(replace(single, nat_gateway="per_az")) == ["us-east-1b", "us-east-1a"]
