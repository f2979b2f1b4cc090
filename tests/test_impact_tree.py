"""Impact on the rendered trees (tfgen.impact.tree/treediff/provider): template changes are judged like spec
changes, a `moved` block turns a destroy into a move, and the force-new table covers the tree."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_impact import edit, git, impact
from tfhelpers import copy_project

from tfgen.impact.hclast import parse_body
from tfgen.impact.provider import DATA_HOLDING, FORCE_NEW, forces_replacement
from tfgen.impact.tree import environment_instances
from tfgen.impact.treediff import compare_trees

ROOT = Path(__file__).resolve().parent.parent
COMPUTE = "templates/terraform/modules/compute/main.tf"
VOLUME = "module.compute.aws_ebs_volume"


@pytest.fixture
def committed(tmp_path: Path, run) -> Path:
    """The project rendered and committed: HEAD is the deployed tree."""
    root = copy_project(tmp_path / "repo")
    assert run("-C", str(root), "render", "--all").exit_code == 0
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "deployed")
    return root


def tree_files() -> dict[str, str]:
    base = ROOT / "generated"
    return {p.relative_to(base).as_posix(): p.read_text() for p in base.rglob("*.tf*") if p.is_file()}


def rows(result) -> dict[str, dict]:
    return {r["address"]: r for env in json.loads(result.stdout)["environments"] for r in env["resources"]
            if env["name"] == "prod"}


def rename_volume(root: Path) -> None:
    edit(root / COMPUTE, 'resource "aws_ebs_volume" "data"', 'resource "aws_ebs_volume" "volume"')
    path = root / COMPUTE
    path.write_text(path.read_text().replace("aws_ebs_volume.data[", "aws_ebs_volume.volume["))


def test_renaming_the_data_volume_without_a_moved_block_destroys_it_and_blocks(run, committed: Path) -> None:
    rename_volume(committed)
    result = impact(run, committed, "--all", "--json")
    assert result.exit_code == 1, result.stdout
    found = rows(result)
    gone = found[f'{VOLUME}.data["chromadb"]']
    assert (gone["action"], gone["stateful"], gone["blocking"]) == ("destroy", True, True)
    assert gone["key"] == "templates"
    assert found[f'{VOLUME}.volume["chromadb"]']["action"] == "create"
    refused = run("-C", str(committed), "render", "--all")
    assert refused.exit_code == 2 and f'{VOLUME}.data["llm"]: destroys a resource that holds data' in refused.stderr
    assert "a renamed resource needs a moved block" in refused.stderr


def test_renaming_the_data_volume_with_a_moved_block_is_a_move(run, committed: Path) -> None:
    rename_volume(committed)
    (committed / "templates/terraform/modules/compute/moved.tf").write_text(
        "# Renames of this module's resources: state follows them.\n\n"
        "moved {\n  from = aws_ebs_volume.data\n  to   = aws_ebs_volume.volume\n}\n")
    result = impact(run, committed, "--all", "--json")
    assert result.exit_code == 0, result.stdout
    found = rows(result)
    moved = found[f'{VOLUME}.volume["llm"]']
    assert (moved["action"], moved["old"]) == ("move", f'{VOLUME}.data["llm"]')
    assert not any(r["action"] in ("destroy", "replace") for r in found.values())
    assert run("-C", str(committed), "render", "--all").exit_code == 0


def test_a_literal_that_forces_a_new_database_blocks(run, committed: Path) -> None:
    edit(committed / "templates/terraform/modules/database/main.tf", 'engine         = "mysql"',
         'engine         = "mariadb"')
    result = impact(run, committed, "prod", "--json")
    assert result.exit_code == 1
    db = rows(result)["module.database.aws_db_instance.main"]
    assert (db["action"], db["key"], db["old"], db["new"]) == ("replace", "templates: engine", "mysql", "mariadb")


def test_a_changed_for_each_key_destroys_and_creates_the_instances() -> None:
    files = tree_files()
    new = dict(files)
    path = "terraform/modules/compute/main.tf"
    new[path] = new[path].replace("for_each = local.volume_services",
                                  "for_each = { for k, v in local.volume_services : \"${k}-data\" => v }")
    actions = {(c.address, c.action) for c in compare_trees(environment_instances(files, "prod"),
                                                            environment_instances(new, "prod"))}
    assert (f'{VOLUME}.data["llm"]', "destroy") in actions
    assert (f'{VOLUME}.data["llm-data"]', "create") in actions


def test_for_each_keys_are_evaluated_through_modules_locals_and_functions() -> None:
    tree = environment_instances(tree_files(), "prod")
    addresses = set(tree.instances)
    assert 'module.networking.aws_subnet.private["us-east-1a"]' in addresses  # for expression over var lists
    assert f'{VOLUME}.data["chromadb"]' in addresses  # for ... if over a module input
    assert 'module.database.aws_cloudwatch_log_group.rds["slowquery"]' in addresses  # toset(local...)
    assert not [a for a, i in tree.instances.items() if i.unknown_keys]
    assert compare_trees(tree, environment_instances(tree_files(), "prod")) == []


def test_unknown_for_each_keys_are_one_conservative_instance() -> None:
    files = {"terraform/environments/x/main.tf": 'data "aws_x" "y" {\n}\n\nresource "aws_ebs_volume" "v" {\n'
                                                  '  for_each = data.aws_x.y.m\n  availability_zone = each.value\n}\n'}
    changed = {"terraform/environments/x/main.tf": files["terraform/environments/x/main.tf"].replace(".m\n", ".n\n")}
    old, new = environment_instances(files, "x"), environment_instances(changed, "x")
    assert list(old.instances) == ['aws_ebs_volume.v["*"]'] and old.instances['aws_ebs_volume.v["*"]'].unknown_keys
    assert [c.action for c in compare_trees(old, new)] == ["replace"]


def test_the_force_new_table_covers_every_resource_type_of_the_tree() -> None:
    used = set(re.findall(r'^resource "([a-z0-9_]+)"', "\n".join(tree_files().values()), re.M))
    assert used - set(FORCE_NEW) == set()
    assert {"aws_db_instance", "aws_ebs_volume", "aws_s3_bucket"} <= DATA_HOLDING


@pytest.mark.terraform
@pytest.mark.slow
def test_the_force_new_arguments_exist_in_the_real_provider_schema(tmp_path: Path) -> None:
    import os
    import subprocess

    (tmp_path / "main.tf").write_text('terraform {\n  required_providers {\n    aws = {\n      source  = '
                                      '"hashicorp/aws"\n      version = "5.100.0"\n    }\n  }\n}\n')
    config = tmp_path / "tf.rc"
    config.write_text('provider_installation {\n  filesystem_mirror {\n    path = "/opt/tf-plugins"\n  }\n}\n')
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(config)}
    subprocess.run(["terraform", "init", "-backend=false", "-input=false"], cwd=tmp_path, env=env, check=True,
                   capture_output=True)
    schema = json.loads(subprocess.run(["terraform", "providers", "schema", "-json"], cwd=tmp_path, env=env,
                                       check=True, capture_output=True, text=True).stdout)
    resources = next(iter(schema["provider_schemas"].values()))["resource_schemas"]
    missing = []
    for kind, names in FORCE_NEW.items():
        if kind == "terraform_data":
            continue
        block = resources[kind]["block"]
        for name in names:
            head, _, sub = name.partition(".")
            if head in block.get("attributes", {}):
                continue
            nested = block.get("block_types", {}).get(head)
            if nested is None or (sub and sub not in nested["block"].get("attributes", {})):
                missing.append(f"{kind}.{name}")
    assert missing == []


def test_the_parser_reads_every_generated_file() -> None:
    for path, text in tree_files().items():
        if path.endswith(".tf"):
            parse_body(text, path)


WORKER = ("\nservices:\n  worker:\n    description: Batch worker\n    port: 9000\n    ingress_from: [backend]\n"
          "    instance_type: t4g.micro\n    packages: [python3.11]\n    exec_start: /usr/bin/python3.11 -m worker\n")


def test_a_new_service_lists_no_rows_whose_values_are_equal(run, committed: Path) -> None:
    spec = committed / "specs/staging.yaml"
    spec.write_text(spec.read_text() + WORKER)
    report = json.loads(impact(run, committed, "staging", "--json").stdout)
    keys = report["environments"][0]["keys"]
    assert keys and all(k["old"] != k["new"] for k in keys)
    assert "services.worker.availability_zone" not in {k["key"] for k in keys}
    diff = json.loads(run("-C", str(committed), "diff", "dev", "staging", "--json").stdout)
    assert all(row["a"] != row["b"] for row in diff["differences"])
    assert "services.worker.data_volume" not in {row["path"] for row in diff["differences"]}


# ---------------------------------------------------------------------------------------------- acknowledgements

def acknowledge(spec: Path, key: str, text: str) -> None:
    entry = f"  acknowledged_changes:\n    '{key}': \"{text}\"\n"
    current = spec.read_text()
    if "\nenvironment:\n" in current:
        spec.write_text(current.replace("\nenvironment:\n", "\nenvironment:\n" + entry, 1))
    else:
        spec.write_text(current + "\nenvironment:\n" + entry)


def test_an_acknowledgement_approves_one_change_and_a_stale_one_is_an_error(run, committed: Path) -> None:
    spec = committed / "specs/prod.yaml"
    edit(spec, "database:\n", "database:\n  allocated_storage_gb: 100\n  max_allocated_storage_gb: 200\n")
    assert run("-C", str(committed), "render", "--all").exit_code == 0
    git(committed, "commit", "-qam", "prod at 100 GiB")
    git(committed, "branch", "base")
    edit(spec, "allocated_storage_gb: 100", "allocated_storage_gb: 50")
    acknowledge(spec, "database.allocated_storage_gb", "100 -> 50: restored from a snapshot, OPS-42")
    assert impact(run, committed, "prod").exit_code == 0
    assert run("-C", str(committed), "render", "--all").exit_code == 0
    git(committed, "commit", "-qam", "prod at 50 GiB, acknowledged")

    # Committed with its change: the pull request (against its base) still needs it; against HEAD it approves
    # nothing, which is a warning to remove it once merged and applied, not an error.
    assert impact(run, committed, "prod", "--since", "base").exit_code == 0
    kept = run("-C", str(committed), "validate", "--all")
    assert kept.exit_code == 0 and "is in the revision's spec too" in kept.stderr, kept.stderr
    assert run("-C", str(committed), "render", "--all").exit_code == 0

    edit(spec, "allocated_storage_gb: 50", "allocated_storage_gb: 40")  # a later change: the entry stays
    result = impact(run, committed, "prod", "--json")
    assert result.exit_code == 1
    findings = {f["rule"]: f for f in json.loads(result.stdout)["environments"][0]["findings"]}
    assert findings["storage_shrink"]["blocking"] and findings["storage_shrink"]["old"] == 50
    assert "remove it" in findings["stale_acknowledgement"]["message"]
    assert not findings["stale_acknowledgement"]["blocking"]  # committed: it approves only 100 -> 50
    refused = run("-C", str(committed), "render", "prod")
    assert refused.exit_code == 2 and "database.allocated_storage_gb" in refused.stderr, refused.stderr
    assert "approves a change that is not made" not in refused.stderr

    # An entry the revision does not hold, which approves no change, is an error.
    edit(spec, "allocated_storage_gb: 40", "allocated_storage_gb: 50")
    edit(spec, "100 -> 50: restored", "100 -> 60: restored")
    wrong = run("-C", str(committed), "render", "prod")
    assert wrong.exit_code == 2 and "approves a change that is not made" in wrong.stderr, wrong.stderr


def test_a_vpc_cidr_change_is_one_acknowledgement_in_the_spec_or_on_the_command_line(run, committed: Path) -> None:
    base = committed / "specs/base.yaml"  # prod's range (dev and staging have their own)
    edit(base, "vpc_cidr: 10.0.0.0/16", "vpc_cidr: 10.1.0.0/16")
    edit(base, "[10.0.1.0/24, 10.0.2.0/24]", "[10.1.1.0/24, 10.1.2.0/24]")
    edit(base, "[10.0.11.0/24, 10.0.12.0/24]", "[10.1.11.0/24, 10.1.12.0/24]")
    assert impact(run, committed, "prod").exit_code == 1
    assert impact(run, committed, "prod", "--acknowledge",
                  "prod:network.vpc_cidr=10.0.0.0/16->10.1.0.0/16").exit_code == 0
    wrong = impact(run, committed, "prod", "--acknowledge", "prod:network.vpc_cidr=10.0.0.0/16->10.2.0.0/16")
    assert wrong.exit_code == 1 and "stale_acknowledgement" in wrong.stdout
    acknowledge(committed / "specs/prod.yaml", "network.vpc_cidr",
                "10.0.0.0/16 -> 10.1.0.0/16: new address plan, the network is rebuilt (OPS-50)")
    result = impact(run, committed, "prod", "--json")
    assert result.exit_code == 0, result.stdout
    assert any(r["address"].startswith("module.networking.aws_subnet.private")
               and r["action"] == "replace" for r in json.loads(result.stdout)["environments"][0]["resources"])


def test_removing_a_data_holding_service_stops_render_until_acknowledged(run, committed: Path) -> None:
    base = committed / "specs/base.yaml"
    text = base.read_text()
    start = text.index("  chromadb:\n")
    base.write_text(text[:start] + "\n" + text[text.index("database:\n", start):])
    refused = run("-C", str(committed), "render", "dev")
    assert refused.exit_code == 2, refused.stderr
    volume = f'{VOLUME}.data["chromadb"]'
    assert f"{volume}: destroys a resource that holds data in dev" in refused.stderr
    assert run("-C", str(committed), "validate", "dev").exit_code == 2
    flags = [f"--acknowledge=dev:{a}=destroy" for a in (volume, 'module.storage.aws_cloudwatch_log_group.service'
                                                                 '["chromadb"]')]
    assert run("-C", str(committed), "render", "dev", *flags).exit_code == 0


def test_check_summarises_a_deleted_spec_with_the_real_way_out(run, committed: Path) -> None:
    (committed / "specs/staging.yaml").unlink()
    result = run("-C", str(committed), "check", "--all")
    assert result.exit_code == 1
    assert "specs/staging.yaml was deleted" in result.stderr and "then `tfgen render --all --prune staging`" in \
        result.stderr
    assert "run `tfgen render dev prod`" not in result.stderr
    assert len(result.stdout.splitlines()) < 5, "no diff of the deleted files without --diff"


def test_check_applies_the_same_gate_as_render(run, committed: Path) -> None:
    rename_volume(committed)
    refused = run("-C", str(committed), "check", "--all")
    assert refused.exit_code == 2 and "destroys a resource that holds data" in refused.stderr


def test_undeclared_references_and_cycles_are_unknown_values_not_crashes() -> None:
    files = {"terraform/environments/x/main.tf": 'locals {\n  a = local.b\n  b = local.a\n}\n\n'
                                                  'resource "aws_s3_bucket" "b" {\n  bucket = local.a\n'
                                                  '  tags   = { Name = local.missing }\n}\n'}
    attrs = environment_instances(files, "x").instances["aws_s3_bucket.b"].attrs
    assert "depends on itself" in attrs["bucket"].text and "no local.missing" in attrs["tags"].text


def test_an_argument_reading_a_replaced_instance_is_updated() -> None:
    """The certificate is replaced (a new domain): the listener that reads its ARN is updated in place."""
    text = ('variable "domain" {\n  default = "a.example.com"\n}\n\nresource "aws_acm_certificate" "c" {\n'
            '  domain_name = var.domain\n}\n\nresource "aws_lb_listener" "l" {\n'
            '  load_balancer_arn = "arn:lb"\n  certificate_arn   = aws_acm_certificate.c.arn\n}\n')
    old = {"terraform/environments/x/main.tf": text}
    new = {"terraform/environments/x/main.tf": text.replace("a.example.com", "b.example.com")}
    actions = {c.address: c.action for c in compare_trees(environment_instances(old, "x"),
                                                          environment_instances(new, "x"))}
    assert actions == {"aws_acm_certificate.c": "replace", "aws_lb_listener.l": "update"}


@pytest.mark.parametrize("argument", ["user_data", "user_data_base64"])
def test_user_data_either_way_replaces_an_instance_only_when_it_says_so(argument: str) -> None:
    """A script sent plain or gzipped: with user_data_replace_on_change the provider replaces the instance for
    either argument, without it the instance is stopped and updated in place."""
    assert forces_replacement("aws_instance", argument, {"user_data_replace_on_change": True})
    assert not forces_replacement("aws_instance", argument, {})
