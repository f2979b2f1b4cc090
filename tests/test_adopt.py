"""tfgen adopt: state reading (hostile input), matching by identity on hand-made states, the plan of blocks,
the spec edit, adopt.tf through render, and the CLI."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from adopt_states import SERVICES, handwritten_like, raw_state, show_json
from tfhelpers import MIRROR, TERRAFORM, terraform_validate, write_cli_config

from tfgen.adopt.declared import declared
from tfgen.adopt.match import match
from tfgen.adopt.plan import blocks, outcomes
from tfgen.adopt.record import adopt_tf, read_record
from tfgen.adopt.run import plan_adoption
from tfgen.adopt.specvalues import edit_spec
from tfgen.adopt.state import parse_state
from tfgen.errors import SpecError, StateError
from tfgen.model.views import Spec
from tfgen.pipeline import validate_project

ROOT = Path(__file__).resolve().parent.parent
NET, EC2 = "module.networking", "module.compute"
SECRET = "module.storage.aws_secretsmanager_secret.app"
DEEP: list = []
for _ in range(70):
    DEEP = [DEEP]


def _dev_spec(project: Path = ROOT) -> Spec:
    return next(v.view for v in validate_project(project) if v.spec.env == "dev")


def _grouped() -> set[str]:
    """The dev services that run in Auto Scaling groups (no declared instance: their old instances are forgotten)."""
    return {name for name, svc in _dev_spec().services.items() if svc.uses_auto_scaling}


def _single() -> list[str]:
    return [svc for svc in SERVICES if svc not in _grouped()]


def _ids(rows: list[tuple]) -> dict[str, str]:
    """tfgen address -> live object id, as the matcher pairs them."""
    spec = _dev_spec()
    state = parse_state(raw_state(rows))
    m = match(state, declared("dev", spec))
    return {address: inst.attrs.get("id") for address, inst in m.pairs.items()}


# ---------------------------------------------------------------------------------------------- reading states

def test_raw_and_show_json_states_read_the_same() -> None:
    rows = handwritten_like()
    raw, shown = parse_state(raw_state(rows)), parse_state(show_json(rows))
    assert [i.address for i in raw] == [i.address for i in shown]
    assert [i.attrs for i in raw] == [i.attrs for i in shown]
    assert len(raw) == len(rows)
    assert 'module.networking.aws_subnet.public[1]' in {i.address for i in raw}


@pytest.mark.parametrize(("data", "message"), [
    (b"[" * 100000 + b"]" * 100000, "nested deeper"),
    (json.dumps({"version": 4, "resources": [{"mode": "managed", "type": "aws_vpc", "name": "x", "instances": [
        {"attributes": {"a": DEEP}}]}]}).encode(), "nested deeper"),
    (b"\xff\xfe", "not JSON"),
    (b"[]", "not a Terraform state"),
    (json.dumps({"version": 3, "modules": []}).encode(), "version 4"),
    (json.dumps({"version": 4, "resources": [{"mode": "managed", "type": "aws_vpc\n", "name": "x",
                                              "instances": [{}]}]}).encode(), "invalid type or name"),
    (json.dumps({"version": 4, "resources": [{"mode": "managed", "type": "aws_vpc", "name": "x",
                                              "instances": [{"index_key": "a\"]\n"}]}]}).encode(), "instance key"),
    (json.dumps({"version": 4, "resources": [{"module": "module.x\"y", "mode": "managed", "type": "aws_vpc",
                                              "name": "x", "instances": [{}]}]}).encode(), "module address"),
    (json.dumps({"version": 4, "resources": [{"mode": "managed", "type": "aws_vpc", "name": "x",
                                              "instances": [{}, {}]}]}).encode(), "appears twice"),
])
def test_hostile_states_are_clear_errors(data: bytes, message: str) -> None:
    with pytest.raises(StateError, match=message):
        parse_state(data, "live.json")


def test_data_sources_are_not_instances() -> None:
    doc = {"version": 4, "resources": [{"mode": "data", "type": "aws_ami", "name": "al", "instances": [{}]}]}
    assert parse_state(json.dumps(doc).encode()) == []


# ---------------------------------------------------------------------------------------------- matching

def test_handwritten_shape_is_matched_by_identity() -> None:
    ids = _ids(handwritten_like())
    # count subnets become the zone-keyed map by zone and CIDR
    assert ids[f'{NET}.aws_subnet.public["us-east-1b"]'] == "subnet-publ-1"
    assert ids[f'{NET}.aws_subnet.private["us-east-1a"]'] == "subnet-priv-0"
    # associations follow their subnets, the single NAT gateway and its EIP take the map's first zone
    assert ids[f'{NET}.aws_route_table_association.private["us-east-1b"]'] == "rtbassoc-private-1"
    assert ids[f'{NET}.aws_nat_gateway.main["us-east-1a"]'] == "nat-1"
    assert ids[f'{NET}.aws_eip.nat["us-east-1a"]'] == "eipalloc-1"
    # the single private route table takes the first zone; the second zone's table is created
    assert ids[f'{NET}.aws_route_table.private["us-east-1a"]'] == "rtb-priv"
    assert f'{NET}.aws_route_table.private["us-east-1b"]' not in ids
    # one resource per service becomes the for_each map, by the words of the names
    assert _grouped() and _single()  # the bundled dev spec has both kinds
    for svc in SERVICES:
        assert ids.get(f'{EC2}.aws_instance.this["{svc}"]') == (None if svc in _grouped() else f"i-{svc}")
        assert ids[f'module.security.aws_security_group.service["{svc}"]'] == f"sg-{svc}"
        assert ids[f'module.security.aws_iam_instance_profile.service["{svc}"]'] == f"imageunderstander-dev-{svc}-p1"
    assert ids["module.security.aws_security_group.alb"] == "sg-alb"
    assert ids["module.networking.aws_security_group.endpoints"] == "sg-ep"
    attachment = 'module.loadbalancer.aws_lb_target_group_attachment.this["frontend"]'
    assert ids.get(attachment) == (None if "frontend" in _grouped() else "att-1")


def test_renamed_modules_and_resources_match_the_same_objects() -> None:
    rename = {"networking": "net", "compute": "servers", "security": "fw", "storage": "data", "database": "sql",
              "loadbalancer": "edge", "aws_instance.frontend": "web", "aws_instance.llm": "gpu_box",
              "aws_security_group.frontend": "sg1", "aws_subnet.public": "dmz", "aws_route_table.private": "inner",
              "aws_nat_gateway.main": "egress", "aws_db_instance.main": "primary", "aws_lb.main": "front_door"}
    plain, renamed = _ids(handwritten_like()), _ids(handwritten_like(rename))
    assert renamed == plain
    assert len(plain) >= 50


def _swapped() -> list[tuple]:
    """count where the old tree had single resources and single resources where it had count: per-zone
    subnets and route tables as separate resources, instances as a count list, one resource per endpoint."""
    rows = []
    for module, type_, name, key, attrs in handwritten_like():
        if type_ == "aws_subnet":
            rows.append((module, type_, f"{name}_{'ab'[key]}", None, attrs))
        elif type_ == "aws_instance":
            rows.append((module, type_, "node", SERVICES.index(name), attrs))
        elif type_ == "aws_route_table" and name == "private":
            for index, zone in enumerate(("us-east-1b", "us-east-1a")):
                rows.append((module, type_, name, index, {**attrs, "id": f"rtb-{zone}",
                                                         "tags": {"Name": f"x-private-{zone}"}}))
        else:
            rows.append((module, type_, name, key, attrs))
    return rows


def test_count_and_single_swapped_still_match() -> None:
    ids = _ids(_swapped())
    assert ids[f'{NET}.aws_subnet.public["us-east-1a"]'] == "subnet-publ-0"
    assert ids[f'{NET}.aws_subnet.private["us-east-1b"]'] == "subnet-priv-1"
    for svc in _single():
        assert ids[f'{EC2}.aws_instance.this["{svc}"]'] == f"i-{svc}"
    # two per-zone tables in a count list: the zone in their names decides, not their index
    assert ids[f'{NET}.aws_route_table.private["us-east-1a"]'] == "rtb-us-east-1a"
    assert ids[f'{NET}.aws_route_table.private["us-east-1b"]'] == "rtb-us-east-1b"


def test_ambiguous_objects_are_not_guessed() -> None:
    rows = handwritten_like()
    db = next(r for r in rows if r[1] == "aws_db_instance")
    rows.append((db[0], db[1], "replica", None, {**db[4], "id": "db-2", "identifier": "other"}))
    spec = _dev_spec()
    state = parse_state(raw_state(rows))
    m = match(state, declared("dev", spec))
    assert "module.database.aws_db_instance.main" not in m.pairs
    found = outcomes(state, declared("dev", spec), m, "dev", spec)
    unplaced = {o.old for o in found if o.action == "unplaced"}
    assert unplaced == {"module.database.aws_db_instance.main", "module.database.aws_db_instance.replica"}
    assert all(o.blocking for o in found if o.action == "unplaced")
    removed = {b.target for b in blocks(found) if b.kind == "removed"}
    assert unplaced <= removed  # forgotten, never destroyed


# ---------------------------------------------------------------------------------------------- plan and record

def test_plan_of_the_handwritten_shape() -> None:
    result = plan_adoption(ROOT, "dev", parse_state(raw_state(handwritten_like())))
    by_new = {o.new: o for o in result.outcomes if o.new}
    assert by_new[f'{EC2}.aws_ebs_volume.data["llm"]'].action == "import"
    assert by_new[f'{EC2}.aws_ebs_volume.data["llm"]'].old == "vol-llm"
    assert by_new[f'{EC2}.aws_volume_attachment.data["chromadb"]'].old == "/dev/sdf:vol-chromadb:i-chromadb"
    assert by_new[f'{NET}.aws_route.public_internet'].old == "rtb-pub_0.0.0.0/0"
    rds_log = by_new['module.database.aws_cloudwatch_log_group.rds["error"]']
    assert rds_log.action == "create" and "/aws/rds/instance/imageunderstander-dev-mysql-2024/error" in rds_log.reason
    # adopted values keep the database and the instances: moved, not replaced
    assert by_new["module.database.aws_db_instance.main"].action == "keep"
    # instances booted from another tree keep their user data: tfgen's resource for adopted instances
    assert all(by_new[f'{EC2}.aws_instance.adopted["{s}"]'].action == "move" for s in _single())
    forgotten = {o.old for o in result.outcomes if o.action == "forget"}
    # a service that now runs in a group: its old instance and registration keep serving, unmanaged, until the
    # operator terminates the instance (a destroy in the same plan as the group is a dependency cycle)
    for svc in _grouped():
        old = next(o for o in result.outcomes if o.old == f"{EC2}.aws_instance.{svc}")
        assert (old.action, old.blocking) == ("forget", False) and "Auto Scaling group" in old.reason
    if "frontend" in _grouped():
        assert "module.loadbalancer.aws_lb_target_group_attachment.frontend" in forgotten
    assert "module.storage.random_password.rds_master_password" in forgotten
    assert "module.security.aws_iam_role_policy_attachment.frontend_ssm" in forgotten
    # the app secret keeps its name (a spec value) and its current version (moved): nothing is lost
    assert by_new[SECRET].action == "move"
    assert by_new["module.storage.aws_secretsmanager_secret_version.app"].action == "move"
    assert result.spec_values["storage"]["app_secret_name"] == "imageunderstander-dev-app-secrets-1"
    # an imported inline disk keeps final_snapshot off: turning it on alone is an empty ModifyVolume AWS refuses
    assert result.spec_values["services"]["llm"]["data_volume"]["final_snapshot"] is False
    assert result.blocking == []
    kinds = {b.kind for b in result.blocks}
    assert kinds == {"moved", "import", "removed"}


def test_adopt_tf_is_canonical_and_never_destroys(tmp_path: Path) -> None:
    result = plan_adoption(ROOT, "dev", parse_state(raw_state(handwritten_like())))
    text = adopt_tf("dev", result.blocks)
    assert "destroy = true" not in text and text.count("destroy = false") == text.count("removed {")
    (tmp_path / "adopt.tf").write_text(text)
    fmt = subprocess.run(["terraform", "fmt", "-check", "-diff", str(tmp_path)], capture_output=True, text=True)
    if shutil.which("terraform"):
        assert fmt.returncode == 0, fmt.stdout


@pytest.mark.parametrize("block", [
    {"kind": "moved", "from": "aws_vpc.a", "to": 'aws_vpc.b"\n}\nresource "x" "y" {'},
    {"kind": "import", "to": "aws_vpc.a", "id": "vpc-1\"\nx"},
    {"kind": "removed", "from": "${file(\"/etc/passwd\")}"},
    {"kind": "destroy", "from": "aws_vpc.a"},
])
def test_hostile_records_are_refused(tmp_path: Path, block: dict) -> None:
    (tmp_path / "specs" / "adoption").mkdir(parents=True)
    (tmp_path / "specs" / "adoption" / "dev.json").write_text(json.dumps({"environment": "dev", "blocks": [block]}))
    with pytest.raises(StateError):
        read_record(tmp_path, "dev")


def test_edit_spec_keeps_comments_and_replaces_keys() -> None:
    text = "extends: base.yaml\n\ndatabase:\n  multi_az: false   # cheap\n  instance_class: db.t4g.micro\n\nlogs:\n" \
           "  retention_days: 30\n"
    edited = edit_spec(text, {"database": {"instance_class": "db.t3.micro", "identifier": "x-1"},
                              "services": {"llm": {"instance_type": "g5.2xlarge"}}})
    assert "multi_az: false   # cheap" in edited
    assert "db.t4g.micro" not in edited
    assert edited.count("instance_class:") == 1
    assert '  identifier: "x-1"  # adopted' in edited
    assert 'services:\n  llm:\n    instance_type: "g5.2xlarge"  # adopted' in edited
    assert edited.index("logs:") < edited.index("services:")


# ---------------------------------------------------------------------------------------------- CLI

def _state_file(tmp_path: Path, rows: list[tuple]) -> Path:
    path = tmp_path / "live.json"
    path.write_bytes(show_json(rows))
    return path


def _two_databases() -> list[tuple]:
    rows = handwritten_like()
    db = next(r for r in rows if r[1] == "aws_db_instance")
    return [*rows, (db[0], db[1], "replica", None, {**db[4], "id": "db-2", "identifier": "other"})]


def test_cli_blocks_and_writes_nothing(run, project: Path, tmp_path: Path) -> None:
    before = (project / "specs" / "dev.yaml").read_bytes()
    result = run("-C", str(project), "adopt", "dev", "--state", str(_state_file(tmp_path, _two_databases())))
    assert result.exit_code == 1
    assert "UNPLACED module.database.aws_db_instance.main" in result.stdout
    assert "UNPLACED module.database.aws_db_instance.replica" in result.stdout
    assert "nothing was written" in result.stderr
    assert (project / "specs" / "dev.yaml").read_bytes() == before
    assert not (project / "specs" / "adoption").exists()
    acks = ("--acknowledge", "module.database.aws_db_instance.main",
            "--acknowledge", "module.database.aws_db_instance.replica")
    result = run("-C", str(project), "adopt", "dev", "--state", str(_state_file(tmp_path, _two_databases())), *acks)
    assert result.exit_code == 0, result.stderr
    blocks = read_record(project, "dev")
    assert {b.target for b in blocks if b.kind == "removed"} >= {"module.database.aws_db_instance.main",
                                                                 "module.database.aws_db_instance.replica"}


def test_cli_acknowledged_adoption_writes_spec_and_record_and_render_writes_adopt_tf(run, project: Path,
                                                                                    tmp_path: Path) -> None:
    state = _state_file(tmp_path, handwritten_like())
    result = run("-C", str(project), "adopt", "dev", "--state", str(state), "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["counts"]["import"] == 6 and report["blocking"] == []
    assert report["spec_values"]["database.identifier"] == "imageunderstander-dev-mysql-2024"
    spec = (project / "specs" / "dev.yaml").read_text()
    assert 'identifier: "imageunderstander-dev-mysql-2024"  # adopted' in spec
    assert "# Development: cheap and easy to tear down." in spec
    assert read_record(project, "dev")
    rendered = run("-C", str(project), "render", "--all")
    assert rendered.exit_code == 0, rendered.stderr
    adopt = (project / "generated" / "terraform" / "environments" / "dev" / "adopt.tf").read_text()
    assert "Generated by tfgen" in adopt[:300]
    moved = 'moved {\n  from = module.compute.aws_instance.llm\n  to   = module.compute.aws_instance.adopted["llm"]'
    assert moved in adopt
    variables = (project / "generated" / "terraform" / "environments" / "dev" / "variables.tf").read_text()
    assert '"imageunderstander-dev-mysql-2024"' in variables
    assert run("-C", str(project), "check", "--all").exit_code == 0
    # dropping the record drops adopt.tf on the next render
    (project / "specs" / "adoption" / "dev.json").unlink()
    assert run("-C", str(project), "render", "--all").exit_code == 0
    assert not (project / "generated" / "terraform" / "environments" / "dev" / "adopt.tf").exists()


def test_cli_unreadable_state_exits_2(run, project: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    result = run("-C", str(project), "adopt", "dev", "--state", str(bad))
    assert result.exit_code == 2
    assert "not a Terraform state" in result.stderr


def test_same_address_pairs_only_objects_without_identity() -> None:
    rows = handwritten_like()
    rows.append(("module.database", "terraform_data", "snapshot_suffix", None, {"id": "td-1", "output": "2026"}))
    rows = [(m, t, n, k, {**a, "cidr_block": "10.9.0.0/16"} if t == "aws_vpc" else a) for m, t, n, k, a in rows]
    ids = _ids(rows)
    assert ids["module.database.terraform_data.snapshot_suffix"] == "td-1"
    # a VPC at tfgen's address but with another CIDR than the spec's is not taken by its address
    assert "module.networking.aws_vpc.main" not in ids


def _tfgen_613_compute() -> list[tuple]:
    """The compute module of the first tfgen tree (613fa13): one resource per service, separate data volumes
    named `<service>_data` with their attachments, and a terraform_data spot trigger per service."""
    rows = [r for r in handwritten_like() if r[1] != "aws_instance"]
    m = "module.compute"
    for svc in SERVICES:
        rows.append((m, "aws_instance", svc, None, {"id": f"i-{svc}", "availability_zone": "us-east-1a",
                                                    "instance_type": "g5.xlarge" if svc == "llm" else "t3.small",
                                                    "tags": {"Name": f"imageunderstander-dev-{svc}"}}))
        rows.append((m, "terraform_data", f"{svc}_spot_type", None, {"id": f"td-{svc}"}))
        if svc in ("llm", "chromadb"):
            rows.append((m, "aws_ebs_volume", f"{svc}_data", None, {
                "id": f"vol-{svc}", "size": 50, "availability_zone": "us-east-1a",
                "tags": {"Name": f"imageunderstander-dev-{svc}-data"}}))
            rows.append((m, "aws_volume_attachment", f"{svc}_data", None, {
                "id": f"vai-{svc}", "device_name": "/dev/sdf", "volume_id": f"vol-{svc}", "instance_id": f"i-{svc}"}))
    return rows


def test_first_tfgen_tree_volumes_and_attachments_move() -> None:
    result = plan_adoption(ROOT, "dev", parse_state(raw_state(_tfgen_613_compute())))
    by_new = {o.new: o for o in result.outcomes if o.new}
    for svc in ("llm", "chromadb"):
        volume = by_new[f'{EC2}.aws_ebs_volume.data["{svc}"]']
        assert (volume.action, volume.old) == ("move", f"{EC2}.aws_ebs_volume.{svc}_data")
        attachment = by_new[f'{EC2}.aws_volume_attachment.data["{svc}"]']
        assert (attachment.action, attachment.old) == ("move", f"{EC2}.aws_volume_attachment.{svc}_data")
    # instances booted from another tree keep their user data: tfgen's resource for adopted instances
    assert all(by_new[f'{EC2}.aws_instance.adopted["{s}"]'].action == "move" for s in _single())
    # a moved volume already has final_snapshot in state: the spec keeps the default (on)
    assert "final_snapshot" not in result.spec_values["services"]["llm"].get("data_volume", {})
    # the old per-service spot triggers hold nothing: destroyed; tfgen's map of them is created
    destroyed = {o.old for o in result.outcomes if o.action == "destroy"}
    assert f"{EC2}.terraform_data.llm_spot_type" in destroyed
    assert result.blocking == []


def test_first_tfgen_tree_routes_and_rules_move() -> None:
    rows = handwritten_like()
    rows += [(f"{NET}", "aws_route", "private_nat", 0, {"id": "r-1", "route_table_id": "rtb-priv",
                                                       "destination_cidr_block": "0.0.0.0/0"}),
             ("module.security", "aws_vpc_security_group_ingress_rule", "backend_from_frontend_8000", None, {
                 "id": "sgr-1", "security_group_id": "sg-backend", "referenced_security_group_id": "sg-frontend",
                 "from_port": 8000}),
             ("module.security", "aws_vpc_security_group_egress_rule", "llm_all", None, {
                 "id": "sgr-2", "security_group_id": "sg-llm"})]
    ids = _ids(rows)
    assert ids[f'{NET}.aws_route.private_nat["us-east-1a"]'] == "r-1"
    assert ids['module.security.aws_vpc_security_group_ingress_rule.this["backend_from_frontend_8000"]'] == "sgr-1"
    assert ids['module.security.aws_vpc_security_group_egress_rule.service["llm"]'] == "sgr-2"


def test_live_group_descriptions_and_a_pending_master_secret_go_into_the_spec() -> None:
    """A security group's description cannot change in place: the live ones are written into the spec, so the
    groups are moved, not replaced. A database without an RDS-managed password gets `master_secret_ready: false`
    (the services are given the secret only after the apply that creates it)."""
    result = plan_adoption(ROOT, "dev", parse_state(raw_state(handwritten_like())))
    described = result.spec_values["network"]["security_group_descriptions"]
    assert described["alb"] == "Security group for alb" and described["rds"] == "Security group for rds"
    assert {svc for svc in SERVICES if described.get(svc) == f"Security group for {svc}"} == set(SERVICES)
    groups = [o for o in result.outcomes if o.new.startswith("module.security.aws_security_group.")]
    assert groups and all(o.action in ("move", "keep") for o in groups), groups
    assert result.spec_values["database"]["master_secret_ready"] is False
    # and the edited spec renders them: the locals carry the live descriptions, the services no master secret
    text = result.spec_text
    assert 'alb: "Security group for alb"' in text and "master_secret_ready: false" in text


def test_group_descriptions_that_differ_are_predicted_as_replacements() -> None:
    """Without the spec values (tfgen's own descriptions), the report says why each group would be replaced."""
    spec = _dev_spec()
    state = parse_state(raw_state(handwritten_like()))
    m = match(state, declared("dev", spec))
    found = {o.new: o for o in outcomes(state, declared("dev", spec), m, "dev", spec) if o.new}
    alb = found["module.security.aws_security_group.alb"]
    assert alb.action == "replace" and "description 'Security group for alb' -> " in alb.reason


@pytest.fixture(scope="module")
def adopted_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled project with the spec values adoption writes for descriptions and a pending secret."""
    from click.testing import CliRunner
    from tfhelpers import copy_project

    from tfgen.cli import main

    project = copy_project(tmp_path_factory.mktemp("adopted") / "project")
    spec = project / "specs" / "dev.yaml"
    spec.write_text(edit_spec(spec.read_text(), {
        "network": {"security_group_descriptions": {"alb": "Security group for ALB", "llm": "LLM (GPU): 8080"}},
        "database": {"master_secret_ready": False}}))
    result = CliRunner().invoke(main, ["-C", str(project), "render", "dev"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return project


def test_adopted_descriptions_and_pending_secret_render(adopted_project: Path) -> None:
    main_tf = (adopted_project / "generated/terraform/environments/dev/main.tf").read_text()
    assert re.search(r'(?m)^    alb       = "Security group for ALB"\n    rds       = "RDS MySQL: 3306 ', main_tf)
    assert re.search(r'(?m)^      group_description = "LLM \(GPU\): 8080"$', main_tf)
    assert main_tf.count("db_secret_arn") == 2 and len(re.findall(r"(?m)^  db_secret_arn += null$", main_tf)) == 2
    security = (adopted_project / "generated/terraform/modules/security/main.tf").read_text()
    assert "description = var.group_descriptions.alb" in security
    assert "coalesce(each.value.group_description, each.value.description)" in security


@pytest.mark.terraform
@pytest.mark.skipif(TERRAFORM is None or not MIRROR.is_dir(), reason="terraform or the provider mirror is missing")
def test_adopted_values_validate(adopted_project: Path, tmp_path: Path) -> None:
    report = terraform_validate(adopted_project / "generated/terraform/environments/dev", write_cli_config(tmp_path))
    assert report["valid"] and report["warning_count"] == 0, json.dumps(report["diagnostics"], indent=1)[:4000]


def _with_inline_rules(groups: dict[str, str]) -> list[tuple]:
    """The hand-written shape where some groups carry inline rules (and, per group, a description)."""
    rows = []
    for module, type_, name, key, attrs in handwritten_like():
        if type_ == "aws_security_group" and name in groups:
            attrs = {**attrs, "description": groups[name],
                     "egress": [{"from_port": 0, "to_port": 0, "protocol": "-1", "cidr_blocks": ["0.0.0.0/0"]}]}
        rows.append((module, type_, name, key, attrs))
    return rows


def test_groups_with_inline_rules_are_replaced_not_kept() -> None:
    """A kept group would keep its inline rules beside tfgen's rule resources, which AWS refuses as duplicates:
    a group with inline rules keeps no live description, so tfgen's new group replaces it (rules and all); a
    group whose description is already tfgen's is kept, and the report says to revoke its inline rules."""
    from tfgen.names import security_group_description

    tfgen_text = security_group_description("rds", _dev_spec())
    rows = _with_inline_rules({"llm": "Security group for llm", "rds": tfgen_text})
    result = plan_adoption(ROOT, "dev", parse_state(raw_state(rows)))
    described = result.spec_values["network"]["security_group_descriptions"]
    assert "llm" not in described and "chromadb" in described
    by_new = {o.new: o for o in result.outcomes if o.new}
    llm = by_new['module.security.aws_security_group.service["llm"]']
    assert llm.action == "replace" and "inline rules go with it" in llm.reason and not llm.blocking
    rds = by_new["module.security.aws_security_group.rds"]
    assert rds.action in ("keep", "move") and any("InvalidPermission.Duplicate" in note for note in rds.updates)


def test_old_inline_role_policies_are_forgotten_with_the_command_that_deletes_them() -> None:
    """Destroying an old inline policy in the apply that updates its role races the role's read of its inline
    policies (a 404 in the rehearsal): forgotten, with a shell-safe command (the names come from the state)."""
    rows = [*handwritten_like(), ("module.security", "aws_iam_role_policy", "llm_s3", None,
                                  {"id": "imageunderstander-dev-llm-r1:llm-s3"}),
            ("module.security", "aws_iam_role_policy", "evil", None, {"id": "r$(touch x):p;rm -rf ~"})]
    result = plan_adoption(ROOT, "dev", parse_state(raw_state(rows)))
    by_old = {o.old: o for o in result.outcomes if o.old}
    llm = by_old["module.security.aws_iam_role_policy.llm_s3"]
    assert llm.action == "forget" and llm.reason.endswith(
        "aws iam delete-role-policy --role-name imageunderstander-dev-llm-r1 --policy-name llm-s3")
    evil = by_old["module.security.aws_iam_role_policy.evil"]
    assert "--role-name 'r$(touch x)' --policy-name 'p;rm -rf ~'" in evil.reason
    assert not [o for o in result.outcomes if o.action == "destroy" and "aws_iam_role_policy" in o.old]


STRUCTURED = [("aws_route_table", "route"), ("aws_instance", "ebs_block_device"), ("aws_instance", "root_block_device"),
              ("aws_instance", "instance_market_options"), ("aws_db_instance", "enabled_cloudwatch_logs_exports"),
              ("aws_acm_certificate", "subject_alternative_names"), ("aws_security_group", "ingress"),
              ("aws_secretsmanager_secret_version", "version_stages"), ("aws_security_group", "description"),
              ("aws_subnet", "cidr_block"), ("aws_vpc", "cidr_block"), ("aws_instance", "tags"),
              ("aws_iam_role_policy", "id"), ("aws_db_instance", "manage_master_user_password")]


@pytest.mark.parametrize(("type_", "field"), STRUCTURED, ids=[f"{t}.{f}" for t, f in STRUCTURED])
def test_malformed_attribute_values_never_crash_adoption(type_: str, field: str) -> None:
    """A state is hostile input: an attribute may hold any JSON value. Adoption then reports (or refuses with a
    StateError/SpecError); it never raises anything else (a number as a route table's `route` did)."""
    extra = [("module.security", "aws_iam_role_policy", "old", None, {"id": "r:p"})]
    for bad in (1, "x", [1, "y"], {"a": [1]}, None, [[{}]]):
        rows = [(m, t, n, k, {**a, field: bad} if t == type_ else a) for m, t, n, k, a in handwritten_like() + extra]
        with contextlib.suppress(StateError, SpecError):
            plan_adoption(ROOT, "dev", parse_state(raw_state(rows)))


def _hardened_other_range() -> list[tuple]:
    """The hand-written shape in 10.0.0.0/16 with no subnet mapping public IPs on launch (as the first tfgen tree
    and any checkov-clean tree): only the routes say which subnets are public."""
    rows = []
    for m, t, n, k, attrs in handwritten_like():
        attrs = {key: (value.replace("10.10.", "10.0.", 1) if isinstance(value, str) else value)
                 for key, value in attrs.items()}
        if t == "aws_subnet":
            attrs["map_public_ip_on_launch"] = False
        rows.append((m, t, n, k, attrs))
    return rows


def test_a_hardened_network_in_another_range_is_kept_by_its_routes() -> None:
    result = plan_adoption(ROOT, "dev", parse_state(raw_state(_hardened_other_range())))
    network = result.spec_values["network"]
    assert network["vpc_cidr"] == "10.0.0.0/16"
    assert network["public_subnet_cidrs"] == ["10.0.1.0/24", "10.0.2.0/24"]
    assert network["private_subnet_cidrs"] == ["10.0.11.0/24", "10.0.12.0/24"]
    by_old = {o.old: o for o in result.outcomes if o.old}
    assert by_old[f"{NET}.aws_vpc.main"].action in ("keep", "move")
    assert not [o for o in result.outcomes if o.action == "destroy" and o.old.startswith(f"{NET}.aws_subnet")]
