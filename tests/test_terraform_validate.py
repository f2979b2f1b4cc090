"""Terraform's own checks of the generated tree.

1. `terraform validate` with the real AWS provider on every generated root (environments, state bootstrap): 0/0.
   Runs in a scratch copy of generated/terraform (no .terraform directories end up in the tree) with a CLI
   config that installs hashicorp providers only from the offline filesystem mirror.
2. Variable validation: a tfvars override tfgen never saw fails at `terraform plan` with a clear message instead
   of silently misbehaving (`backend_market = "Spot"` used to become on-demand). Runs the real terraform on a
   scratch configuration made of an environment root's (or a module's) variables.tf alone: variable validation
   needs no provider, so `plan` stops at the first bad value offline.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import hcl2
import pytest
from tfhelpers import MIRROR, TERRAFORM, clean_hcl2, run_terraform, terraform_validate, write_cli_config

from tfgen.pipeline import render_project

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / "generated" / "terraform"
ENVS = sorted(p.name for p in (TREE / "environments").iterdir() if p.is_dir()) if TREE.is_dir() else []
BOOTSTRAP = sorted(p.name for p in (TREE / "bootstrap").glob("*") if p.is_dir())

pytestmark = [pytest.mark.terraform, pytest.mark.skipif(TERRAFORM is None, reason="terraform is not on PATH")]
NEEDS_MIRROR = pytest.mark.skipif(not MIRROR.is_dir(), reason=f"no provider mirror at {MIRROR} (validate needs it)")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of generated/terraform plus the CLI config, shared by every environment."""
    if not TREE.is_dir():
        pytest.fail(f"{TREE} is missing: run `make render-all`")
    base = tmp_path_factory.mktemp("tfvalidate")
    shutil.copytree(TREE, base / "terraform", ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    write_cli_config(base)
    return base


def _describe(diagnostic: dict) -> str:
    where = diagnostic.get("range") or {}
    location = f"{where.get('filename', '?')}:{(where.get('start') or {}).get('line', '?')}"
    return f"{diagnostic['severity']}: {diagnostic['summary']} ({location}) {diagnostic.get('detail', '')}".strip()


def test_environments_exist():
    assert ENVS, f"no environments under {TREE / 'environments'}: run `make render-all`"


def test_bootstrap_roots_exist():
    assert BOOTSTRAP, f"no state-backend bootstrap root under {TREE / 'bootstrap'}: run `make render-all`"


@NEEDS_MIRROR
@pytest.mark.parametrize("env", [f"environments/{e}" for e in ENVS] + [f"bootstrap/{b}" for b in BOOTSTRAP])
def test_validate_has_no_errors_or_warnings(scratch: Path, env: str):
    workdir = scratch / "terraform" / env
    config = scratch / "tf.rc"
    report = terraform_validate(workdir, config)
    problems = [_describe(d) for d in report.get("diagnostics", [])]
    assert report["valid"] and report["error_count"] == 0 and report["warning_count"] == 0 and not problems, (
        f"terraform validate for {env}:\n" + "\n".join(problems)
    )


# ---------------------------------------------------------------- variable validation (no provider needed)

BAD_ROOT_VALUES = [
    ({"backend_market": "Spot"}, 'backend_market must be "on-demand" or "spot" (lowercase).'),
    ({"log_retention_days": 45}, "log_retention_days must be a CloudWatch Logs retention value"),
    ({"db_allocated_storage": 10}, "db_allocated_storage must be from 20 to 65536 GiB."),
    ({"db_engine_version": "5.7"}, "db_engine_version must be MySQL 8.0 or 8.4"),
    ({"create_route53_health_check": True}, "create_route53_health_check needs create_hosted_zone = true."),
    ({"vpc_cidr": "10.0.0.0/33"}, "vpc_cidr must be an IPv4 CIDR block"),
    ({"availability_zones": ["us-east-1a", "us-east-1b", "us-east-1c"]},
     "public_subnet_cidrs must have one entry per availability zone"),
    ({"llm_root_volume_size": 4}, "llm_root_volume_size must be from 8 to 16384 GiB."),
    ({"frontend_spot_max_price": "cheap"}, "frontend_spot_max_price must be null or a price"),
    ({"ssl_policy": "ELBSecurityPolicy-2016-08"}, "ssl_policy must be a TLS 1.2+ ELBSecurityPolicy."),
    # alarm_actions is no longer a root variable: the roots wire their alert topic (alerts.tf) into the modules.
]
SEED_OVERRIDES = {"backend_instance_type": "t4g.small", "db_allocated_storage": 50, "db_multi_az": False,
                  "create_hosted_zone": True, "create_route53_health_check": True, "log_retention_days": 60}


def plan(variables_tf: bytes, values: dict[str, Any], workdir: Path) -> tuple[int, str]:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "variables.tf").write_bytes(variables_tf)
    (workdir / "terraform.tfvars.json").write_text(json.dumps(values))
    config = write_cli_config(workdir)
    proc = run_terraform(["plan", "-input=false", "-no-color", "-refresh=false"], workdir, config, timeout=120)
    return proc.returncode, " ".join((proc.stdout + proc.stderr).split())


def root_variables_tf(env: str = "dev") -> bytes:
    return render_project(ROOT, [env]).files[f"terraform/environments/{env}/variables.tf"]


def test_every_root_variable_that_can_be_checked_is_validated():
    """Booleans and free-form maps aside, each root variable has at least one validation block."""
    unchecked = []
    for block in clean_hcl2(hcl2.loads(root_variables_tf().decode()))["variable"]:
        for name, body in block.items():
            if body["type"] not in ("bool", "map(string)") and not body.get("validation"):
                unchecked.append(name)
    assert unchecked == [], unchecked


def test_the_defaults_and_the_seed_overrides_pass(tmp_path: Path):
    assert plan(root_variables_tf(), {}, tmp_path / "defaults")[0] == 0
    returncode, output = plan(root_variables_tf(), SEED_OVERRIDES, tmp_path / "seed")
    assert returncode == 0, output


@pytest.mark.parametrize("values, message", BAD_ROOT_VALUES, ids=[next(iter(v)) for v, _ in BAD_ROOT_VALUES])
def test_a_bad_override_fails_at_plan(values: dict[str, Any], message: str, tmp_path: Path):
    returncode, output = plan(root_variables_tf(), values, tmp_path)
    assert returncode == 1 and "Invalid value for variable" in output and message in output, output


def test_module_inputs_are_validated_too(tmp_path: Path):
    """The compute module refuses a service map that no root would build (e.g. market Spot)."""
    variables = render_project(ROOT, ["dev"]).files["terraform/modules/compute/variables.tf"]
    service = {"description": "x", "port": 8080, "instance_type": "t4g.micro", "availability_zone": "us-east-1a",
               "exec_start": "/usr/bin/true", "market": "Spot"}
    wired = {name: "x" for name in ("name_prefix", "aws_region", "app_secret_arn", "db_secret_arn", "db_address",
                                    "db_name", "uploads_bucket_name")}
    maps = {name: {} for name in ("tags", "private_subnet_ids", "security_group_ids", "instance_profile_names",
                                  "log_group_names", "target_group_arns", "data_volume_tags")}
    values = {**wired, **maps, "name_prefix": "imageunderstander-dev", "aws_region": "us-east-1",
              "availability_zones": ["us-east-1a", "us-east-1b"], "db_users": [], "services": {"web": service}}
    returncode, output = plan(variables, values, tmp_path)
    assert returncode == 1 and 'Every market must be "on-demand" or "spot" (lowercase).' in output, output
    service["market"] = "spot"
    assert plan(variables, values, tmp_path)[0] == 0


def _roots() -> list[Path]:
    return sorted([*(TREE / "environments").iterdir(), *(TREE / "bootstrap").iterdir()])


def test_every_root_commits_the_provider_lock_of_the_mirrored_aws_build():
    """Terraform's own file: tfgen neither writes nor removes it (a dot file is the user's), `make providers-lock`
    writes it, and make plan/validate and the rehearsal initialize with -lockfile=readonly."""
    for root in _roots():
        lock = root / ".terraform.lock.hcl"
        assert lock.is_file(), f"{root.relative_to(TREE)} commits no .terraform.lock.hcl (make providers-lock)"
        text = lock.read_text()
        assert 'provider "registry.terraform.io/hashicorp/aws"' in text
        assert 'version     = "5.100.0"' in text and '"h1:' in text, text
        assert text.count('provider "') == 1, "one provider: hashicorp/aws"


def test_tfgen_keeps_the_lock_through_render_and_check(tmp_path: Path):
    from click.testing import CliRunner
    from tfhelpers import copy_project

    from tfgen.cli import main

    project = copy_project(tmp_path / "project")
    run = CliRunner()
    assert run.invoke(main, ["-C", str(project), "render", "--all"]).exit_code == 0
    locks = {root: (TREE / root / ".terraform.lock.hcl").read_text()
             for root in ("environments/dev", "bootstrap/imgu-terraform-state")}
    for root, text in locks.items():
        (project / "generated" / "terraform" / root / ".terraform.lock.hcl").write_text(text)
    checked = run.invoke(main, ["-C", str(project), "check", "--all"])
    assert checked.exit_code == 0, checked.output
    base = project / "specs" / "base.yaml"
    base.write_text(base.read_text().replace("retention_days: 30", "retention_days: 60", 1))
    assert run.invoke(main, ["-C", str(project), "render", "--all"]).exit_code == 0
    for root, text in locks.items():
        assert (project / "generated" / "terraform" / root / ".terraform.lock.hcl").read_text() == text
    assert run.invoke(main, ["-C", str(project), "check", "--all"]).exit_code == 0
