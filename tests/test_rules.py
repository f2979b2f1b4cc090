"""Semantic rules: every rule fails on a broken spec and passes on a near miss; the broken-spec corpus.

The corpus (tests/broken_specs/<case>/) holds spec files overlaid on a copy of the real project and the exact
stderr `tfgen validate` and `tfgen render` must print; see tests/broken_specs/README.md.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from tfhelpers import copy_project

from tfgen import rules
from tfgen.cli import main
from tfgen.errors import SpecError
from tfgen.spec import LoadedSpec, list_environments, load_spec
from tfgen.validate import SECRET_VALUE_PATTERNS, check_spec, validate_specs

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "broken_specs"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
DOCS = ROOT / "docs" / "rules.md"


# ---------------------------------------------------------------------------------------------------------
# The corpus: exact stderr, exit 2, nothing written
# ---------------------------------------------------------------------------------------------------------

def _invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _tree(root: Path) -> dict[str, bytes]:
    """Every file of the project (specs, generated tree, manifest) with its bytes; the lock is runtime state."""
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != ".tfgen.lock"}


@pytest.fixture(scope="session")
def rendered_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real project, rendered once: each case starts from a copy with a populated generated/."""
    root = copy_project(tmp_path_factory.mktemp("corpus") / "project")
    result = _invoke("-C", str(root), "render", "--all")
    assert result.exit_code == 0, result.stderr
    return root


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 60
    for case in CASES:
        assert (CORPUS / case / "expected.txt").is_file(), f"{case} has no expected.txt"


@pytest.mark.parametrize("case", CASES)
def test_broken_spec(case: str, rendered_project: Path, tmp_path: Path) -> None:
    case_dir = CORPUS / case
    project = tmp_path / "project"
    shutil.copytree(rendered_project, project)
    if (case_dir / "specs").is_dir():
        shutil.copytree(case_dir / "specs", project / "specs", dirs_exist_ok=True)
    args = (case_dir / "args.txt").read_text().split() if (case_dir / "args.txt").exists() else ["--all"]
    if os.environ.get("TFGEN_UPDATE_CORPUS"):  # after an intended message change; review the git diff
        (case_dir / "expected.txt").write_text(_invoke("-C", str(project), "validate", *args).stderr)
    expected = (case_dir / "expected.txt").read_text()
    before = _tree(project)
    assert before.keys() >= {"generated/.tfgen-manifest.json"}
    for command in ("validate", "render"):
        result = _invoke("-C", str(project), command, *args)
        assert result.exit_code == 2, f"{command}: {result.stderr}"
        want = expected if command == "validate" else re.sub(r"( found)\n\Z", r"\1; nothing was written\n", expected)
        assert result.stderr == want, f"{command} printed:\n{result.stderr}"
        assert result.stdout == ""
        assert _tree(project) == before, f"{command} changed files"


# ---------------------------------------------------------------------------------------------------------
# Each rule: a failing and a passing (near-miss) spec
# ---------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def loaded() -> dict[str, LoadedSpec]:
    return {env: load_spec(env, ROOT) for env in list_environments(ROOT)}


def _edit(spec: LoadedSpec, edits: dict[tuple, Any], env: str | None = None) -> LoadedSpec:
    spec = copy.deepcopy(spec)
    if env is not None:
        spec.env = env
    for path, value in edits.items():
        target = spec.data
        for key in path[:-1]:
            target = target.setdefault(key, {})
        target[path[-1]] = value
    return spec


def _problems(spec: LoadedSpec) -> list[str]:
    validated, problems = check_spec(spec)
    assert (validated is None) == bool(problems)
    return [f"{p.path}: {p.message}" for p in problems]


SVC = ("services",)
DB = ("database",)
NS = ["ns-2048.awsdns-64.com", "ns-2049.awsdns-65.net", "ns-2050.awsdns-66.org", "ns-2051.awsdns-67.co.uk"]
NET = ("network",)
PROD_SINGLE_AZ = {("database", "multi_az"): False}
OVERRIDE = {("environment", "guardrail_overrides"): {"multi_az": "single-AZ until launch; approved by finance"}}

# rule -> (environment, failing edits, expected problem, passing near-miss edits)
RULE_CASES: dict[str, list[tuple[str, dict, str, dict]]] = {
    "regions_exist": [
        ("dev", {("region",): "us-east-7"}, "region: 'us-east-7' is not an AWS region; did you mean 'us-east-2'?",
         {("region",): "eu-west-1", (*NET, "availability_zones"): ["eu-west-1a", "eu-west-1c"]}),
        ("dev", {("state", "region"): "useast1"}, "state.region: 'useast1' is not an AWS region",
         {("state", "region"): "eu-central-1"}),
    ],
    "service_zones": [
        ("dev", {(*SVC, "llm", "availability_zone"): "us-east-1c"},
         "services.llm.availability_zone: 'us-east-1c' is not one of network.availability_zones",
         {(*SVC, "llm", "availability_zone"): "us-east-1b"}),
    ],
    "vpc_and_subnets": [
        ("prod", {(*NET, "vpc_cidr"): "10.0.0.0/15"}, "between /16 and /28 (AWS limit), got /15",
         {(*NET, "vpc_cidr"): "10.0.0.0/20"}),
        ("prod", {(*NET, "public_subnet_cidrs"): ["10.0.1.0/24", "10.1.2.0/24"]}, "is outside the VPC 10.0.0.0/16",
         {(*NET, "public_subnet_cidrs"): ["10.0.1.0/24", "10.0.255.0/24"]}),
        ("prod", {(*NET, "private_subnet_cidrs"): ["10.0.2.128/25", "10.0.12.0/24"]},
         "network.private_subnet_cidrs[0]: 10.0.2.128/25 overlaps network.public_subnet_cidrs[1] (10.0.2.0/24)",
         {(*NET, "private_subnet_cidrs"): ["10.0.3.0/25", "10.0.12.0/28"]}),
        ("prod", {(*NET, "vpc_cidr"): "10.0.0.1/16"}, "has host bits set); did you mean 10.0.0.0/16?",
         {(*NET, "vpc_cidr"): "10.0.0.0/16"}),
    ],
    "availability_zones": [
        ("prod", {(*NET, "availability_zones"): ["us-east-1a", "us-west-2b"]},
         "'us-west-2b' is not an availability zone of region 'us-east-1'",
         {(*NET, "availability_zones"): ["us-east-1c", "us-east-1f"]}),
        ("prod", {(*NET, "private_subnet_cidrs"): ["10.0.11.0/24", "10.0.12.0/24", "10.0.13.0/24"]},
         "has 3 private subnet(s) for 2 availability zone(s)",
         {(*NET, "private_subnet_cidrs"): ["10.0.11.0/24", "10.0.13.0/24"]}),
    ],
    "instance_types": [
        ("dev", {(*SVC, "frontend", "instance_type"): "t4g.mikro"}, "has no size 'mikro'",
         {(*SVC, "frontend", "instance_type"): "t4g.2xlarge"}),
        ("dev", {(*SVC, "chromadb", "instance_type"): "p4d.24xlarge"}, "is a GPU instance but",
         {(*SVC, "chromadb", "instance_type"): "c7i-flex.large"}),
    ],
    "ami_matches_instance": [
        ("dev", {(*SVC, "chromadb", "ami"): "deep-learning-base-ubuntu22"},
         "the Deep Learning Base AMI (NVIDIA driver) does not support t3.medium",
         {(*SVC, "llm", "instance_type"): "g5g.xlarge"}),
    ],
    "spot_only_where_interruptible": [
        ("dev", {(*SVC, "chromadb", "market"): "spot"}, "spot instances can be reclaimed at any time",
         {(*SVC, "frontend", "market"): "spot", (*SVC, "frontend", "interruptible"): True}),
        ("dev", {(*SVC, "frontend", "spot_max_price"): "0.000"}, "is not a positive price",
         {(*SVC, "frontend", "spot_max_price"): "0.005"}),
    ],
    "no_spot_with_data_volume": [
        ("dev", {(*SVC, "chromadb", "market"): "spot", (*SVC, "chromadb", "interruptible"): True},
         "a spot instance cannot be stopped", {(*SVC, "chromadb", "interruptible"): True}),
    ],
    "groups_hold_no_data": [
        ("dev", {(*SVC, "chromadb", "auto_scaling"): {"enabled": True}}, "runs as a single instance",
         {(*SVC, "chromadb", "auto_scaling"): {"enabled": False}}),
    ],
    "group_sizes": [
        ("dev", {(*SVC, "frontend", "auto_scaling"): {"min_size": 2, "desired_capacity": 1}},
         "desired_capacity: 1 is not between min_size 2 and max_size 2",
         {(*SVC, "frontend", "auto_scaling"): {"min_size": 2, "desired_capacity": 2}}),
        ("dev", {(*SVC, "backend", "auto_scaling"): {"min_size": 3}}, "min_size: 3 is above max_size 2",
         {(*SVC, "backend", "auto_scaling"): {"min_size": 1}}),
        ("dev", {(*SVC, "backend", "auto_scaling"): {"on_demand_base_capacity": 3}}, "3 is above max_size 2",
         {(*SVC, "backend", "auto_scaling"): {"on_demand_base_capacity": 2}}),
    ],
    "group_instance_types": [
        ("dev", {(*SVC, "frontend", "auto_scaling"): {"extra_instance_types": ["t3.small"]}},
         "'t3.small' is x86_64 but 't4g.micro' is arm64",
         {(*SVC, "frontend", "auto_scaling"): {"extra_instance_types": ["t4g.small"]}}),
        ("dev", {(*SVC, "frontend", "auto_scaling"): {"extra_instance_types": ["g5g.xlarge"]}},
         "differ in having a GPU", {(*SVC, "frontend", "auto_scaling"): {"extra_instance_types": ["m7g.large"]}}),
    ],
    "volumes": [
        ("dev", {(*SVC, "llm", "data_volume"): {"size_gb": 16385, "mount_path": "/opt/models"}},
         "16385 GiB is outside the gp3 range 1-16384 GiB",
         {(*SVC, "llm", "data_volume"): {"size_gb": 16384, "mount_path": "/opt/models"}}),
        ("dev", {(*SVC, "llm", "data_volume"): {"size_gb": 50, "mount_path": "/usr//"}}, "would hide a system",
         {(*SVC, "llm", "data_volume"): {"size_gb": 50, "mount_path": "/usr/local/models"}}),
        ("dev", {(*SVC, "llm", "data_volume"): {"size_gb": 50, "mount_path": "/./etc"}}, "would hide a system",
         {(*SVC, "llm", "data_volume"): {"size_gb": 50, "mount_path": "/etc/models"}}),
    ],
    "systemd_lines": [
        ("dev", {(*SVC, "llm", "exec_start"): "/opt/llm/run \\"}, "ends with a backslash",
         {(*SVC, "llm", "exec_start"): "/opt/llm/run \\ x"}),
    ],
    "service_names_and_lists": [
        ("dev", {(*SVC, "backend", "permissions"): ["uploads-rw", "uploads-rw"]}, "'uploads-rw' is listed twice",
         {(*SVC, "backend", "permissions"): ["uploads-rw"]}),
    ],
    "references_exist": [
        ("dev", {("loadbalancer", "target_service"): "web"}, "loadbalancer.target_service: 'web' is not a service",
         {("loadbalancer", "target_service"): "backend", (*SVC, "backend", "ingress_from"): ["frontend", "alb"]}),
        ("dev", {("loadbalancer", "target_service"): "backend"}, "does not accept traffic from it",
         {("loadbalancer", "target_service"): "frontend"}),
    ],
    "database_engine_and_class": [
        ("dev", {(*DB, "engine_version"): "8.1"}, "'8.1' is not a MySQL major version RDS offers",
         {(*DB, "engine_version"): "8.0.40"}),
        ("dev", {(*DB, "instance_class"): "db.t4g"}, "'db.t4g' is not an RDS instance class",
         {(*DB, "instance_class"): "db.r7g.large"}),
        ("dev", {(*DB, "replica_instance_class"): "t4g.small"}, "database.replica_instance_class: 't4g.small' is "
         "not an RDS instance class", {(*DB, "replica_instance_class"): "db.t4g.small"}),
    ],
    "database_storage": [
        ("dev", {(*DB, "allocated_storage_gb"): 399, (*DB, "max_allocated_storage_gb"): 0, (*DB, "iops"): 12000},
         "RDS rejects an explicit iops for MySQL gp3 below 400 GiB",
         {(*DB, "allocated_storage_gb"): 400, (*DB, "max_allocated_storage_gb"): 0, (*DB, "iops"): 12000}),
        ("dev", {(*DB, "max_allocated_storage_gb"): 21}, "at least 22",
         {(*DB, "max_allocated_storage_gb"): 22}),
    ],
    "database_backups": [
        ("dev", {(*DB, "backup_retention_days"): 36}, "36 is outside the RDS range 0-35 days",
         {(*DB, "backup_retention_days"): 35}),
        ("staging", {(*DB, "backup_retention_days"): 0}, "0 disables automated backups",
         {(*DB, "backup_retention_days"): 1}),
        ("dev", {(*DB, "backup_retention_days"): 0, (*DB, "read_replicas"): 1},
         "which read replicas (database.read_replicas: 1) require", {(*DB, "backup_retention_days"): 0}),
        ("dev", {(*DB, "backup_window"): "05:00-05:30"}, "overlaps the maintenance window",
         {(*DB, "backup_window"): "23:45-00:15"}),
        ("dev", {(*DB, "maintenance_window"): "sun:04:30-sun:04:59"}, "shorter than the 30 minutes",
         {(*DB, "maintenance_window"): "sat:23:50-sun:00:20"}),
    ],
    "one_database_login_per_service": [
        ("dev", {("services", "backend", "permissions"): ["uploads-rw", "db-connect", "db-secret-read"]},
         "services.backend.permissions[2]: db-secret-read (the master user) next to db-connect",
         {("services", "backend", "permissions"): ["uploads-rw", "db-secret-read"]}),
    ],
    "security_group_descriptions": [
        ("dev", {("network", "security_group_descriptions"): {"frontned": "Security group for frontend instances"}},
         "'frontned' is not a security group of this environment",
         {("network", "security_group_descriptions"): {"frontend": "Security group for frontend instances",
                                                       "alb": "Security group for Application Load Balancer"}}),
    ],
    "names_fit_aws_limits": [
        ("staging", {("project", "name"): "imageunderstanderabc", ("loadbalancer", "access_logs"): True},
         "'imageunderstanderabc-staging-alb-logs-' would be 38 characters (limit 37); shorten project.name",
         {("project", "name"): "imageunderstanderab", ("loadbalancer", "access_logs"): True}),
        ("dev", {("project", "name"): "sthree-images"}, "AWS reserves in S3 bucket names",
         {("project", "name"): "three-images"}),
    ],
    "tags_valid": [
        ("dev", {("tags",): {"aws:team": "ml"}}, "tag keys starting with 'aws:' are reserved by AWS",
         {("tags",): {"Team": "platform team/ml@imgu + ops=1"}}),
        ("dev", {("tags",): {"Name": "x"}}, "tfgen sets the Name tag itself", {("tags",): {"Names": "x"}}),
        ("dev", {("tags",): {f"T{i}": "x" for i in range(46)}}, "46 tags; AWS allows 50",
         {("tags",): {f"T{i}": "x" for i in range(45)}}),
    ],
    "dns_names": [
        ("dev", {("dns", "domain"): "dev.example.com."}, "must not end with a dot",
         {("dns", "domain"): "dev.example.com"}),
        ("dev", {("dns", "domain"): "-dev.example.com"}, "has an invalid label '-dev'",
         {("dns", "domain"): "dev-1.example.com"}),
        ("dev", {("dns", "domain"): "a" * 61 + ".com"}, "is 65 characters; an ACM certificate's domain name is "
         "limited to 64", {("dns", "domain"): "a" * 60 + ".com"}),
        ("dev", {("dns", "health_check"): True}, "needs the hosted zone tfgen manages",
         {("dns", "health_check"): True, ("dns", "create_hosted_zone"): True}),
        ("dev", {("dns", "delegations"): {"qa.dev.imageunderstander.example.com": NS}},
         "a delegation is an NS record in the hosted zone tfgen manages",
         {("dns", "delegations"): {"qa.dev.imageunderstander.example.com": NS}, ("dns", "create_hosted_zone"): True}),
        ("prod", {("dns", "delegations"): {"staging.example.org": NS}}, "staging.example.org is not a subdomain of "
         "imageunderstander.example.com", {("dns", "delegations"): {"staging.imageunderstander.example.com": NS}}),
        ("prod", {("dns", "delegations"): {"api.imageunderstander.example.com": NS}}, "has an alias record of this "
         "zone", {("dns", "delegations"): {"api.imageunderstander.example.com": NS}, ("dns", "subdomains"): ["www"]}),
    ],
    "storage_settings": [
        ("dev", {("storage", "ia_transition_days"): 29}, "no earlier than 30 days; got 29",
         {("storage", "ia_transition_days"): 30}),
        ("dev", {("storage", "secret_recovery_window_days"): 31}, "accepts 0 (delete at once) or 7-30 days",
         {("storage", "secret_recovery_window_days"): 0}),
        ("dev", {("storage", "cors_allowed_origins"): ["app.example.com"]}, "is not an origin",
         {("storage", "cors_allowed_origins"): ["https://app.example.com", "http://localhost:3000"]}),
    ],
    "state_backend": [
        ("dev", {("state", "key_prefix"): "teams//imgu"}, "must be a relative path",
         {("state", "key_prefix"): "teams/imgu"}),
        ("dev", {("state", "bucket"): "imgu..state"}, "is not a valid S3 bucket name",
         {("state", "bucket"): "imgu.state"}),
        ("dev", {("state", "key"): "imgu/../dev.tfstate"}, "without empty or '..' parts",
         {("state", "key"): "imgu/dev.tfstate"}),
    ],
    "acknowledged_changes": [
        ("dev", {("environment", "acknowledged_changes"): {"databse.allocated_storage_gb":
                                                           "100 -> 50: restored from snapshot"}},
         "is not a spec key", {("environment", "acknowledged_changes"): {"database.allocated_storage_gb":
                                                                         "100 -> 50: restored from snapshot"}}),
        ("prod", {("environment", "acknowledged_changes"): {"region": "us-east-1 -> eu-west-1:  move  "}},
         "give the reason for this destructive change", {("environment", "acknowledged_changes"): {
             "region": "us-east-1 -> eu-west-1: moving for data residency, OPS-7"}}),
        ("prod", {("environment", "acknowledged_changes"): {"region": "moving to eu-west-1 for data residency"}},
         "name the change this approves", {("environment", "acknowledged_changes"): {
             "region": "us-east-1 -> eu-west-1: moving for data residency, OPS-7"}}),
        ("prod", {("environment", "acknowledged_changes"): {'module.compute.aws_ebs_volume.data["llm"]':
                                                            "gone: the model volume is retired"}},
         "name the change this approves", {("environment", "acknowledged_changes"): {
             'module.compute.aws_ebs_volume.data["llm"]': "destroy: the model volume is retired, OPS-9"}}),
    ],
    "production_guardrails": [
        ("prod", PROD_SINGLE_AZ, "database.multi_az: production environments need a Multi-AZ database",
         {**PROD_SINGLE_AZ, **OVERRIDE}),
        ("prod", {("logs", "retention_days"): 60}, "at least 90 days of logs", {("logs", "retention_days"): 90}),
        ("prod", {**PROD_SINGLE_AZ, ("environment", "guardrail_overrides"): {"multi_az": "   cost    "}},
         "give the reason for this exception", {**PROD_SINGLE_AZ, **OVERRIDE}),
        ("prod", {("alerts", "email"): []}, "production environments need someone who receives the alarms",
         {("alerts", "email"): [], ("alerts", "https"): ["https://hooks.example.com/alarms"]}),
    ],
    "assume_role_in_account": [
        ("dev", {("aws",): {"account_id": "111122223333", "assume_role_arn": "arn:aws:iam::444455556666:role/tf"}},
         "aws.assume_role_arn: the role is in account 444455556666 but aws.account_id is 111122223333",
         {("aws",): {"account_id": "444455556666", "assume_role_arn": "arn:aws:iam::444455556666:role/tf"}}),
    ],
}


def _flatten() -> list[tuple[str, int, str, dict, str, dict]]:
    return [(name, i, env, bad, message, good) for name, cases in RULE_CASES.items()
            for i, (env, bad, message, good) in enumerate(cases)]


@pytest.mark.parametrize("name, index, env, bad, message, good", _flatten(),
                         ids=[f"{c[0]}-{c[1]}" for c in _flatten()])
def test_rule_fails_and_near_miss_passes(loaded: dict[str, LoadedSpec], name: str, index: int, env: str,
                                         bad: dict, message: str, good: dict) -> None:
    failing = _problems(_edit(loaded[env], bad))
    assert any(message in p for p in failing), failing
    assert _problems(_edit(loaded[env], good)) == []


def test_every_rule_has_cases() -> None:
    registered = {r.__name__ for r in rules.RULES} - {"storage_only_grows"}  # tested on files below
    assert registered == set(RULE_CASES)


def test_bundled_specs_pass_every_rule(loaded: dict[str, LoadedSpec]) -> None:
    validated = validate_specs(list(loaded.values()))
    assert [v.spec.env for v in validated] == ["dev", "prod", "staging"]
    # the only warnings: dev and staging moving to their own VPC ranges and state buckets (docs/environments.md)
    assert all(("network.vpc_cidr" in w or "state.bucket" in w) and "acknowledged" in w
               for v in validated for w in v.warnings)
    assert any(v.doc["environment"]["production"] for v in validated)


def test_environment_names_that_break_resource_names(loaded: dict[str, LoadedSpec]) -> None:
    too_long = _problems(_edit(loaded["dev"], {}, env="preproduction"))
    assert any("'imageunderstander-preproduction-uploads-' would be 40 characters (limit 37)" in p for p in too_long)
    assert _problems(_edit(loaded["dev"], {}, env="preprod")) == []


# ---------------------------------------------------------------------------------------------------------
# Storage can only grow: compared file by file along the extends chain
# ---------------------------------------------------------------------------------------------------------

def _write_specs(root: Path, files: dict[str, str]) -> None:
    shutil.copytree(ROOT / "specs", root / "specs", dirs_exist_ok=True)
    for name, text in files.items():
        (root / "specs" / name).write_text(text)


@pytest.mark.parametrize("size, ok", [(199, False), (200, True), (500, True)])
def test_storage_only_grows_along_the_chain(tmp_path: Path, size: int, ok: bool) -> None:
    _write_specs(tmp_path, {
        "base-big.yaml": "extends: base.yaml\ndatabase:\n  allocated_storage_gb: 200\n  max_allocated_storage_gb: 0\n",
        "dev.yaml": f"extends: base-big.yaml\ndatabase:\n  allocated_storage_gb: {size}\n",
    })
    found = _problems(load_spec("dev", tmp_path))
    grow = [p for p in found if "can only grow" in p]
    assert (grow == []) is ok, found
    if not ok:
        assert grow == ["database.allocated_storage_gb: 199 GiB is smaller than the 200 GiB of specs/base-big.yaml, "
                        "which this spec extends; RDS storage can only grow: set at least 200"]


def test_storage_shrinking_in_an_intermediate_file_points_at_it(tmp_path: Path) -> None:
    _write_specs(tmp_path, {
        "base-mid.yaml": "extends: base.yaml\ndatabase:\n  allocated_storage_gb: 20\n",
        "base.yaml": (ROOT / "specs/base.yaml").read_text().replace("allocated_storage_gb: 20",
                                                                    "allocated_storage_gb: 50"),
        "dev.yaml": "extends: base-mid.yaml\naws:\n  account_id: \"444455556666\"\n"
                    "database:\n  allocated_storage_gb: 80\n",
    })
    validated, problems = check_spec(load_spec("dev", tmp_path))
    assert [str(p.location) for p in problems] == ["specs/base-mid.yaml:3:25"]


# ---------------------------------------------------------------------------------------------------------
# Guardrail overrides: documented, and printed on every render
# ---------------------------------------------------------------------------------------------------------

def test_override_is_a_warning_on_validate_and_every_render(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copytree(ROOT / "templates", project / "templates")
    _write_specs(project, {})
    prod = project / "specs/prod.yaml"
    prod.write_text(prod.read_text().replace("  multi_az: true", "  multi_az: false").replace(
        "  production: true", "  production: true\n  guardrail_overrides:\n"
                               "    multi_az: single-AZ until launch; approved by finance (TICKET-12)"))
    warning = ("warning: prod: production guardrail 'multi_az' is overridden: single-AZ until launch; approved by "
               "finance (TICKET-12)\n")
    result = _invoke("-C", str(project), "validate", "--all")
    assert result.exit_code == 0, result.stderr
    assert warning in result.stderr
    for _ in range(2):
        result = _invoke("-C", str(project), "render", "--all")
        assert result.exit_code == 0, result.stderr
        assert result.stderr.count(warning) == 1


def test_docs_list_every_rule_and_guardrail() -> None:
    text = DOCS.read_text()
    for rule_func in rules.RULES:
        assert f"`{rule_func.__name__}`" in text, rule_func.__name__
    for guardrail in rules.GUARDRAILS:
        assert f"`{guardrail}`" in text, guardrail


# ---------------------------------------------------------------------------------------------------------
# Secrets
# ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("edits, path", [
    ({("database", "master_password"): "hunter2hunter2"}, "database.master_password"),
    ({("tags",): {"GithubToken": "abc123"}}, "tags.GithubToken"),
    ({("tags",): {"api-key": 12345}}, "tags.api-key"),
    ({("database", "parameters"): {"require_secure_transport": "1", "admin_password": "x1"}},
     "database.parameters.admin_password"),
    ({("services", "backend", "exec_start"): "/opt/app --token=abcd1234"}, "services.backend.exec_start"),
    ({("services", "backend", "exec_start"): "env DB_PASSWORD=abcd1234 /opt/app"}, "services.backend.exec_start"),
    ({("services", "backend", "description"): "key ghp_" + "a" * 36}, "services.backend.description"),
    ({("project", "display_name"): "sk_live_" + "x" * 24}, "project.display_name"),
    ({("tags",): {"DbPassword": "$ecret-but-literal"}}, "tags.DbPassword"),
])
def test_secrets_are_refused_without_echoing_them(loaded: dict[str, LoadedSpec], edits: dict, path: str) -> None:
    validated, problems = check_spec(_edit(loaded["dev"], edits))
    assert validated is None
    secret = [p for p in problems if p.path == path]
    assert len(secret) == 1 and "Secrets Manager" in secret[0].message
    assert [p for p in problems if p.path.startswith(path) and p is not secret[0]] == []  # no "unknown key" too
    for value in _leaves(edits):
        assert str(value) not in " ".join(p.message for p in problems)


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    return [value]


@pytest.mark.parametrize("edits", [
    {("database", "parameters"): {"innodb_ft_min_token_size": "3", "require_secure_transport": "1"}},
    {("tags",): {"SecretRotation": "manual", "TokenBucket": "none", "Password": ""}},
    {("services", "backend", "exec_start"): "/opt/app --token-file /run/secrets/token --password $DB_PASSWORD"},
    {("storage", "app_secret_keys"): ["jwt_secret_key", "api_token"]},
    {("tags",): {"DbPassword": "${DB_PASSWORD}", "ApiToken": "arn:aws:secretsmanager:us-east-1:1:secret:x"}},
])
def test_secret_looking_names_without_secret_values_pass(loaded: dict[str, LoadedSpec], edits: dict) -> None:
    found = [p for p in _problems(_edit(loaded["dev"], edits)) if "Secrets Manager" in p]
    assert found == []


def test_generated_tree_holds_no_secret_values(rendered_project: Path) -> None:
    for path, data in _tree(rendered_project / "generated").items():
        if path.endswith(".zip"):  # its own code is the generated handler.py beside it; the rest is PyMySQL
            continue               # as released (tfgen.render.package checks its digest)
        text = data.decode("utf-8", errors="replace")
        for what, pattern in SECRET_VALUE_PATTERNS:
            assert not pattern.search(text), f"{path} contains {what}"
        assert not re.search(r"(?i)password\s*=\s*\"[^\"$]", text), path


def test_two_environments_naming_one_state_object_is_an_error(loaded: dict[str, LoadedSpec]) -> None:
    """An explicit state.key (an adopted deployment's) must not make two environments share one state."""
    shared = {("state", "key"): "imageunderstander/terraform.tfstate"}
    same_account = {**shared, ("aws", "account_id"): "444455556666"}  # staging in dev's account: dev's bucket
    specs = [_edit(loaded["dev"], shared), _edit(loaded["staging"], same_account), loaded["prod"]]
    with pytest.raises(SpecError) as caught:
        validate_specs(specs)
    messages = [str(p) for p in caught.value.problems]
    assert any("'dev' and 'staging' both keep their state in" in m and re.match(r"specs/\w+\.yaml:\d+:", m)
               for m in messages), messages
    validate_specs([_edit(loaded["dev"], shared), loaded["staging"], loaded["prod"]])  # one of them: fine
