"""Issue 20 item 20: staging's zone is a child of prod's. The parent's root creates the NS delegation from its
spec (`dns.delegations`: the child zone's name servers, copied from the child's `route53_name_servers` output
after the child's first apply); it does not read the child's zone itself (another account, another root).

Checked on a full plan of a prod copy with the delegation on the fake aws 6.69.1 provider, and without
Terraform: the cross-environment check and the impact row.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from tfhelpers import HAS_FAKEPROV, copy_project, fakeprov_plan

from tfgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
CHILD = "staging.imageunderstander.example.com"
NS = ["ns-2048.awsdns-64.com", "ns-2049.awsdns-65.net", "ns-2050.awsdns-66.org", "ns-2051.awsdns-67.co.uk"]
RECORD = f'module.route53[0].aws_route53_record.delegation["{CHILD}"]'


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def delegate(project: Path) -> None:
    prod = project / "specs/prod.yaml"
    servers = "".join(f"      - {ns}\n" for ns in NS)
    prod.write_text(prod.read_text().replace("\ndns:\n", f"\ndns:\n  delegations:\n    {CHILD}:\n{servers}", 1))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("delegation") / "project")
    delegate(project)
    result = invoke("-C", str(project), "render", "--all")
    assert result.exit_code == 0, result.output
    return project


def test_the_delegation_is_data_of_the_parent_root(project: Path) -> None:
    variables = (project / "generated/terraform/environments/prod/variables.tf").read_text()
    assert f'"{CHILD}" = ["{NS[0]}", "{NS[1]}", "{NS[2]}", "{NS[3]}"]' in variables
    staging = (project / "generated/terraform/environments/staging/variables.tf").read_text()
    assert CHILD + '" = [' not in staging  # only the parent delegates
    readme = (project / "generated/terraform/README.md").read_text()
    assert "dns.delegations" in readme and "the child must exist first" in readme


def test_delegating_to_an_environment_without_its_own_zone_is_refused(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    delegate(project)
    staging = project / "specs/staging.yaml"
    staging.write_text(staging.read_text().replace("create_hosted_zone: true", "create_hosted_zone: false"))
    result = invoke("-C", str(project), "validate", "--all")
    assert result.exit_code == 2
    assert result.stderr.startswith("specs/prod.yaml:"), result.stderr  # at the delegation, in the parent
    assert (f"dns.delegations.{CHILD}: {CHILD} is the domain of environment 'staging', which has no hosted zone of "
            "its own (specs/staging.yaml: dns.create_hosted_zone: false)") in result.stderr, result.stderr


def test_impact_names_the_delegation_key(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    assert invoke("-C", str(project), "render", "--all").exit_code == 0
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "deployed"]):
        subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)
    delegate(project)
    result = invoke("-C", str(project), "impact", "prod", "--json")
    assert result.exit_code == 0, result.output
    rows = {r["address"]: r for r in json.loads(result.stdout)["environments"][0]["resources"]}
    assert (rows[RECORD]["action"], rows[RECORD]["key"], rows[RECORD]["new"]) == ("create", "dns.delegations", NS)
    assert len(rows) == 1  # nothing else in prod changes


@pytest.mark.terraform
@pytest.mark.skipif(not HAS_FAKEPROV, reason="needs terraform and a fakeprov build (`make fakeprov`)")
def test_the_parent_plan_creates_the_ns_record_in_its_zone(project: Path) -> None:
    shown = fakeprov_plan(project / "generated/terraform/environments/prod")
    after = {r["address"]: r["change"]["after"] for r in shown["resource_changes"] if r["mode"] == "managed"}
    record = after[RECORD]
    assert (record["name"], record["type"], record["ttl"], sorted(record["records"])) == (CHILD, "NS", 172800, NS)
    module = shown["configuration"]["root_module"]["module_calls"]["route53"]["module"]["resources"]
    config = next(r for r in module if r["address"] == "aws_route53_record.delegation")
    assert "aws_route53_zone.main.zone_id" in config["expressions"]["zone_id"]["references"]  # prod's own zone
