"""Tests of the offline apply rehearsal harness (tests/rehearsal/).

Fast unit tests cover the override generator and the runner's pure helpers: a missed provider block
would send real API calls to AWS, and a wrong override could hide a defect. The ``e2e`` tests run the
whole rehearsal (moto + real Terraform + real hashicorp/aws) and are deselected by default
(``pytest -m e2e`` runs them).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from tfhelpers import copy_project, terraform_validate, write_cli_config

from tfgen.cli import main

ROOT = Path(__file__).resolve().parents[1]
REHEARSAL = ROOT / "tests" / "rehearsal"
sys.path.insert(0, str(REHEARSAL))

import override  # noqa: E402
import rotation_probe  # noqa: E402
import run  # noqa: E402

FIXTURE = REHEARSAL / "fixture"
MIRROR = Path("/opt/tf-plugins/registry.terraform.io/hashicorp/aws")
E2E_VENV_PYTHON = ROOT / ".venv-e2e" / "bin" / "python"
ENDPOINT = "http://127.0.0.1:45678"
# Variables that keep a real environment from being destroyed; passed to run.py only where declared.
DESTROY_VARS = (
    "db_deletion_protection=false",
    "alb_deletion_protection=false",
    "deletion_protection=false",
    "enable_deletion_protection=false",
)

PROVIDERS_TF = """
# provider "aws" { alias = "commented_out" }
/* provider "aws" {
  alias = "block_comment"
} */
locals {
  braces = "${jsonencode({ a = "}" })} {"
  doc    = <<-EOT
    provider "aws" {
      alias = "in_heredoc"
    }
  EOT
}

provider "aws" {
  region = var.aws_region # }

  default_tags {
    tags = { alias = "not_an_alias" }
  }
}

provider "aws" {
  alias   = "us_east_1" // {
  region  = "us-east-1"
  profile = "prod-admin"
}

provider "random" {}
"""


def _module(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


# --------------------------------------------------------------------------------------------------
# override generator
# --------------------------------------------------------------------------------------------------


def test_skeleton_keeps_offsets_and_hides_strings_comments_heredocs() -> None:
    skel = override.skeleton(PROVIDERS_TF)
    assert len(skel) == len(PROVIDERS_TF)
    assert skel.count("\n") == PROVIDERS_TF.count("\n")
    assert "commented_out" not in skel and "in_heredoc" not in skel and "not_an_alias" not in skel
    assert skel.count("{") == skel.count("}")


def test_finds_every_aws_provider_block_and_alias(tmp_path: Path) -> None:
    root = _module(tmp_path, {"provider.tf": PROVIDERS_TF, "extra.tf": 'provider "aws" { alias = "eu" }\n'})
    blocks = override.find_aws_providers(root)
    assert sorted(str(b.alias) for b in blocks) == ["None", "eu", "us_east_1"]
    aliased = next(b for b in blocks if b.alias == "us_east_1")
    assert aliased.file == "provider.tf" and aliased.line == 23
    assert aliased.bindings == ("profile",)


def test_existing_override_files_are_not_base_blocks(tmp_path: Path) -> None:
    root = _module(
        tmp_path,
        {"provider.tf": 'provider "aws" {}\n', "x_override.tf": 'provider "aws" {\n  alias = "ghost"\n}\n'},
    )
    assert [b.alias for b in override.find_aws_providers(root)] == [None]


def test_no_aws_provider_is_an_error(tmp_path: Path) -> None:
    root = _module(tmp_path, {"main.tf": 'resource "aws_vpc" "x" {\n  cidr_block = "10.0.0.0/16"\n}\n'})
    with pytest.raises(override.OverrideError, match="no provider"):
        override.find_aws_providers(root)


def test_json_configuration_is_refused(tmp_path: Path) -> None:
    root = _module(tmp_path, {"provider.tf": 'provider "aws" {}\n', "main.tf.json": "{}"})
    with pytest.raises(override.OverrideError, match="tf.json"):
        override.find_aws_providers(root)


def test_rendered_override_redirects_only(tmp_path: Path) -> None:
    root = _module(tmp_path, {"provider.tf": PROVIDERS_TF})
    path, blocks = override.write_override(root, ENDPOINT)
    text = path.read_text()
    assert path.name.endswith("_override.tf")
    assert re.search(r'terraform \{\n  backend "local" \{\}\n\}', text)
    assert text.count('provider "aws" {') == len(blocks) == 2
    assert re.search(r'alias\s+= "us_east_1"', text)
    for setting in (
        "skip_credentials_validation = true",
        "skip_metadata_api_check     = true",
        "skip_region_validation      = true",
        "s3_use_path_style           = true",
        "max_retries                 = 3",
    ):
        assert text.count(setting) == 2, setting
    assert "skip_requesting_account_id" not in text
    assert re.search(r"profile\s+= null", text)
    for service in override.ENDPOINT_SERVICES:
        assert len(re.findall(rf'^    {service}\s+= "{ENDPOINT}"$', text, re.M)) == 2, service
    for required in ("ec2", "elbv2", "rds", "s3", "iam", "sts", "secretsmanager", "ssm", "logs",
                     "cloudwatch", "acm", "route53", "kms", "wafv2", "dynamodb", "sns"):  # fmt: skip
        assert required in override.ENDPOINT_SERVICES


def test_rendered_override_parses_with_hcl2(tmp_path: Path) -> None:
    hcl2 = pytest.importorskip("hcl2")
    root = _module(tmp_path, {"provider.tf": PROVIDERS_TF})
    path, _ = override.write_override(root, ENDPOINT)
    with path.open() as fh:
        doc = hcl2.load(fh)
    assert "local" in json.dumps(doc["terraform"])
    # python-hcl2 >= 7 keeps the quotes of block labels.
    providers = [body for entry in doc["provider"] for name, body in entry.items() if name.strip('"') == "aws"]
    assert len(providers) == 2
    for body in providers:
        endpoints = body["endpoints"][0]
        assert {k.strip('"') for k in endpoints if not k.startswith("__")} == set(override.ENDPOINT_SERVICES)
        assert {v.strip('"') for k, v in endpoints.items() if not k.startswith("__")} == {ENDPOINT}


def test_lexer_agrees_with_hcl2_on_fixture() -> None:
    pytest.importorskip("hcl2")
    for env_dir in (FIXTURE / "environments").iterdir():
        aliases = override._hcl2_aliases(override._base_files(env_dir))
        assert aliases is not None
        assert sorted(map(str, aliases)) == sorted(str(b.alias) for b in override.find_aws_providers(env_dir))


@pytest.mark.terraform
def test_override_is_accepted_by_terraform_and_provider_schema(tmp_path: Path) -> None:
    """Every endpoint key must exist in hashicorp/aws 5.100's schema, or init/validate fails."""
    if shutil.which("terraform") is None or not MIRROR.is_dir():
        pytest.skip("terraform or the hashicorp/aws mirror is absent")
    root = tmp_path / "env"
    shutil.copytree(FIXTURE / "environments" / "rehearsal", root)
    shutil.copytree(FIXTURE / "modules", tmp_path / "modules")
    (root / "main.tf").write_text((root / "main.tf").read_text().replace("../../modules", "../modules"))
    override.write_override(root, ENDPOINT)
    cli = tmp_path / "cli.tfrc"
    cli.write_text(run.CLI_CONFIG % "/opt/tf-plugins")
    env = run.terraform_env(cli)
    for args in (["init", "-backend=false", "-input=false", "-no-color"], ["validate", "-no-color"]):
        proc = subprocess.run(["terraform", *args], cwd=root, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


# --------------------------------------------------------------------------------------------------
# runner helpers
# --------------------------------------------------------------------------------------------------


def test_parse_var() -> None:
    assert run.parse_var("db_deletion_protection=false") == ("db_deletion_protection", "false")
    with pytest.raises(Exception, match="NAME=VALUE"):
        run.parse_var("no-equals")


def test_declared_variables_and_prevent_destroy(tmp_path: Path) -> None:
    _module(
        tmp_path,
        {
            "variables.tf": 'variable "a" {}\n# variable "ghost" {}\nvariable "db_deletion_protection" {\n}\n',
            "ebs.tf": 'resource "aws_ebs_volume" "v" {\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n'
            "# prevent_destroy = true\n",
        },
    )
    assert run.declared_variables(tmp_path) == {"a", "db_deletion_protection"}
    assert run.prevent_destroy_sites(tmp_path) == ["ebs.tf:3"]


def test_provider_blocks_inside_modules_are_reported(tmp_path: Path) -> None:
    (tmp_path / "environments" / "dev").mkdir(parents=True)
    (tmp_path / "environments" / "dev" / "provider.tf").write_text('provider "aws" {}\n')
    (tmp_path / "modules" / "net").mkdir(parents=True)
    (tmp_path / "modules" / "net" / "main.tf").write_text('\nprovider "aws" {\n  region = "eu-west-1"\n}\n')
    assert run.module_provider_blocks(tmp_path) == ["modules/net/main.tf:2"]


def test_drift_report_and_protection_hint(tmp_path: Path) -> None:
    log = tmp_path / "replan.log"
    log.write_text(
        "noise\nTerraform will perform the following actions:\n  # aws_instance.x will be updated\n"
        "Plan: 0 to add, 1 to change, 0 to destroy.\ntrailer\n"
    )
    report = run.drift_report(log)
    assert report.startswith("Terraform will perform") and report.endswith("0 to destroy.")
    log.write_text("Error: Cannot delete protected DB Instance, please disable deletion protection\n")
    assert "--destroy-var" in run.protection_hint(log)
    log.write_text("Error: Instance cannot be destroyed ... lifecycle.prevent_destroy\n")
    assert "prevent_destroy" in run.protection_hint(log)


MOTO_RACE_LOG = ("Error: deleting VPC Security Group Rule (sgr-1)\n\noperation error EC2: RevokeSecurityGroupEgress, "
                 "https response error\nStatusCode: 400\napi error\nInvalidPermission.NotFound: The specified rule "
                 "does not exist in this\nsecurity group\n")


def _teardown_with_first_destroy_log(tmp_path: Path, monkeypatch, first_log: str) -> tuple[list[str], run.EnvResult]:
    """Run EnvRun.teardown with fake terraform steps: the first destroy fails with *first_log*, the rest pass."""
    calls: list[str] = []

    def fake_step(label, name, args, cwd, env, log, program=("terraform",)):
        calls.append(name)
        log.write_text(first_log if name == "destroy" else "Destroy complete!\n")
        ok = name != "destroy"
        return run.StepResult(name, 0 if ok else 1, 10.0, str(log), ok)

    monkeypatch.setattr(run, "run_step", fake_step)
    monkeypatch.setattr(run.EnvRun, "state_addresses", lambda self: [])
    result = run.EnvResult("dev")
    opts = run.Options(tmp_path, tmp_path, tmp_path, tmp_path, False, [])
    run.EnvRun(tmp_path, opts, {}, tmp_path, result).teardown(apply_ok=True)
    return calls, result


def test_a_destroy_retried_after_the_moto_race_is_one_destroy_step(tmp_path: Path, monkeypatch) -> None:
    """The retry's outcome is the destroy step's outcome (readers ask for "destroy"), and only the race retries."""
    calls, result = _teardown_with_first_destroy_log(tmp_path, monkeypatch, "Destroying...\n" + MOTO_RACE_LOG)
    assert calls == ["destroy", "destroy:retry"]
    (destroy,) = result.steps
    assert destroy.name == "destroy" and destroy.ok and result.status == "PASS"
    assert destroy.seconds == 20.0 and "revoke race" in destroy.note
    calls, result = _teardown_with_first_destroy_log(tmp_path, monkeypatch,
                                                     "Error: deleting RDS DB Instance: InvalidDBInstanceState\n")
    assert calls == ["destroy"] and not result.steps[0].ok and result.status == "FAIL"


def test_rotation_probe_accepts_exactly_one_key_rotated_outside_terraform() -> None:
    """The rehearsal's rotation check fails on every way a rotation can go wrong, and passes the right one."""
    before = ({"a": "1", "b": "2"}, {"v1": ["AWSCURRENT", "tfgen-generated"]})
    right = ({"a": "9", "b": "2", "a_previous": "1"}, {"v1": ["AWSPREVIOUS", "tfgen-generated"], "v2": ["AWSCURRENT"]})
    assert rotation_probe.problems(before, right, "a") == []
    wrong = {
        "both keys": ({"a": "9", "b": "8", "a_previous": "1"}, right[1]),
        "a key lost": ({"a": "9", "a_previous": "1"}, right[1]),
        "old value not kept": ({"a": "9", "b": "2"}, right[1]),
        "wrong old value": ({"a": "9", "b": "2", "a_previous": "2"}, right[1]),
        "label moved": (right[0], {"v1": ["AWSPREVIOUS"], "v2": ["AWSCURRENT", "tfgen-generated"]}),
        "not current": (right[0], {"v1": ["AWSCURRENT", "tfgen-generated"], "v2": []}),
    }
    for name, after in wrong.items():
        assert rotation_probe.problems(before, after, "a"), name
    unlabelled = ({"a": "1", "b": "2"}, {"v1": ["AWSCURRENT"]})
    assert rotation_probe.problems(unlabelled, right, "a")


def test_only_roots_with_the_application_secret_get_the_rotation_step(tmp_path: Path) -> None:
    (tmp_path / "outputs.tf").write_text('output "app_secret_arn_note" {}\n# output "app_secret_arn"\n')
    assert not run.has_output(tmp_path, "app_secret_arn")
    (tmp_path / "more.tf").write_text('output "app_secret_arn" {\n  value = 1\n}\n')
    assert run.has_output(tmp_path, "app_secret_arn")


ROUTE53_DUPLICATE = ("Error: creating Route53 Record: operation error Route 53: ChangeResourceRecordSets, https "
                     "response error StatusCode: 400, RequestID: Q, InvalidChangeBatch: Tried to create resource "
                     "record set [name='www.imageunderstander.example.com.', type='A'] but it already exists\n\n"
                     '  with module.route53[0].aws_route53_record.alias["www.imageunderstander.example.com"],\n')


def test_a_duplicated_request_is_recognised_only_when_it_is_every_error(tmp_path: Path) -> None:
    log = tmp_path / "apply.log"
    log.write_text("module.x: Creating...\n" + ROUTE53_DUPLICATE)
    assert run.duplicated_request(log)
    log.write_text("Error: creating Security Group Rule: InvalidPermission.Duplicate: the specified rule\n")
    assert run.duplicated_request(log)
    log.write_text(ROUTE53_DUPLICATE + "\nError: creating RDS DB Instance: InvalidParameterCombination\n")
    assert not run.duplicated_request(log), "a real error beside it is not retried away"
    log.write_text("module.x: Creating...\nApply complete!\n")
    assert not run.duplicated_request(log)
    assert not run.duplicated_request(tmp_path / "missing.log")


@pytest.mark.parametrize("first_error, attempts", [(ROUTE53_DUPLICATE, 2), ("Error: creating: AccessDenied\n", 1)])
def test_an_apply_that_failed_on_a_duplicated_request_runs_once_more_on_a_fresh_emulator(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first_error: str, attempts: int) -> None:
    opts = run.Options(project=tmp_path, tree=tmp_path, work=tmp_path / "work", logs=tmp_path / "logs", keep=False,
                       destroy_vars=[])
    calls: list[str] = []

    def fake_rehearse(env: str, options: run.Options, python: Path) -> run.EnvResult:
        calls.append(env)
        (options.logs / env).mkdir(parents=True, exist_ok=True)
        result = run.EnvResult(env)
        if len(calls) == 1:
            (options.logs / env / "apply.log").write_text("module.x: Creating...\n" + first_error)
            result.fail("FAIL", "apply failed")
        return result

    monkeypatch.setattr(run, "rehearse", fake_rehearse)
    result = run.rehearse_retrying_duplicates("prod", opts, Path(sys.executable))
    assert len(calls) == attempts
    assert result.status == ("PASS" if attempts == 2 else "FAIL")
    assert (opts.logs / "prod.first-attempt" / "apply.log").is_file() == (attempts == 2)


def test_moto_revoke_race_is_recognised_only_alone(tmp_path: Path) -> None:
    """Only a destroy whose single error is moto's lost-rule NotFound is retried; anything else still fails."""
    race = ("Error: deleting VPC Security Group Rule (sgr-1)\n\noperation error EC2: RevokeSecurityGroupEgress, "
            "https response error\nStatusCode: 400\napi error\nInvalidPermission.NotFound: The specified rule does "
            "not exist in this\nsecurity group\n")
    log = tmp_path / "destroy.log"
    log.write_text("module.x: Destroying...\n" + race)
    assert run.moto_revoke_race(log)
    log.write_text("module.x: Destroying...\n" + race + "\nError: deleting RDS DB Instance: InvalidDBInstanceState\n")
    assert not run.moto_revoke_race(log), "a second, real error must not be retried away"
    log.write_text("module.x: Destroying...\nError: deleting EC2 Instance: UnauthorizedOperation\n")
    assert not run.moto_revoke_race(log)
    assert not run.moto_revoke_race(tmp_path / "missing.log")


def test_summary_table_marks_failed_steps() -> None:
    res = run.EnvResult("dev", steps=[run.StepResult("init", 0, 1.0, "x", True),
                                      run.StepResult("apply", 1, 9.5, "y", False)])  # fmt: skip
    res.fail("FAIL", "apply failed")
    table = run.summary_table([res])
    assert "9.5!" in table and "FAIL (apply failed)" in table


# --------------------------------------------------------------------------------------------------
# emulator fixture and patches
# --------------------------------------------------------------------------------------------------


def test_ami_fixture_has_dlami_lookalikes() -> None:
    amis = json.loads((REHEARSAL / "amis.json").read_text())
    ids = [a["ami_id"] for a in amis]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"ami-[0-9a-f]{17}", i) for i in ids)
    pattern = re.compile(r"Deep Learning Base OSS Nvidia Driver GPU AMI \(Ubuntu 22\.04\) \d{8}")
    dlamis = [a for a in amis if pattern.fullmatch(a["name"])]
    assert dlamis and all(a["architecture"] == "x86_64" for a in dlamis)
    assert all(a["root_device_name"] == "/dev/sda1" and a["public"] for a in dlamis)


# The stamp, not the interpreter: a rehearsal running beside the tests may be creating the venv right now
# (a fresh-clone CI run found python there and moto not yet installed).
@pytest.mark.skipif(not (ROOT / ".venv-e2e" / ".rehearsal-requirements.sha256").exists(),
                    reason=".venv-e2e not complete yet (run.py creates it)")
def test_moto_patches_apply_against_pinned_moto() -> None:
    proc = subprocess.run(
        [str(E2E_VENV_PYTHON), str(REHEARSAL / "moto_server.py"), "--check"],
        env={"MOTO_AMIS_PATH": str(REHEARSAL / "amis.json"), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    patches = re.findall(r'(?m)^    "[a-z0-9-]+": patch_', (REHEARSAL / "moto_server.py").read_text())
    assert len(patches) >= 13 and proc.stdout.count("patch: ") == len(patches)  # every entry of PATCHES
    assert "SKIPPED" not in proc.stdout


# --------------------------------------------------------------------------------------------------
# end to end
# --------------------------------------------------------------------------------------------------


def _skip_without_tools() -> None:
    if shutil.which("terraform") is None:
        pytest.skip("terraform binary not found on PATH")
    if not MIRROR.is_dir():
        pytest.skip(f"hashicorp/aws provider mirror {MIRROR} not found")


def _rehearse(work: Path, envs: list[str], *extra: str) -> tuple[int, dict[str, dict], str]:
    """Run run.py once for *envs* (in parallel) and return (exit code, results by env, output)."""
    out = work / "results.json"
    env_args = [arg for env in envs for arg in ("--env", env)]
    cmd = [sys.executable, str(REHEARSAL / "run.py"), "--project-dir", str(ROOT), "--jobs", str(len(envs)),
           "--json", str(out), *env_args, *extra]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    results = {r["env"]: r for r in json.loads(out.read_text())} if out.exists() else {}
    return proc.returncode, results, proc.stdout + proc.stderr


TREE_ENVS = ["dev", "staging", "prod"]


@pytest.fixture(scope="module")
def tree_rehearsal(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, dict], str]:
    """One parallel rehearsal of every generated environment (each has its own emulator)."""
    _skip_without_tools()
    present = [env for env in TREE_ENVS if (ROOT / "generated" / "terraform" / "environments" / env).is_dir()]
    if not present:
        pytest.skip("generated/terraform/environments/* is absent (run tfgen first)")
    destroy_vars = [arg for pair in DESTROY_VARS for arg in ("--destroy-var", pair)]
    return _rehearse(tmp_path_factory.mktemp("tree"), present, *destroy_vars)


@pytest.fixture(scope="module")
def fixture_rehearsal(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, dict], str]:
    """The fixture's positive (``rehearsal``) and negative (``overlap``) environments, in parallel."""
    _skip_without_tools()
    return _rehearse(
        tmp_path_factory.mktemp("fixture"), ["rehearsal", "overlap"], "--tree", str(FIXTURE),
        "--destroy-var", "db_deletion_protection=false", "--destroy-var", "alb_deletion_protection=false",
    )  # fmt: skip


@pytest.mark.e2e
@pytest.mark.parametrize("env", TREE_ENVS)
def test_generated_tree_rehearsal(env: str, tree_rehearsal: tuple[int, dict[str, dict], str]) -> None:
    if not (ROOT / "generated" / "terraform" / "environments" / env).is_dir():
        pytest.skip(f"generated/terraform/environments/{env} is absent (run tfgen first)")
    _, results, output = tree_rehearsal
    assert env in results, output[-8000:]
    assert results[env]["status"] == "PASS", _env_output(output, env)


@pytest.mark.e2e
def test_fixture_rehearsal_passes(fixture_rehearsal: tuple[int, dict[str, dict], str]) -> None:
    _, results, output = fixture_rehearsal
    steps = {s["name"]: s for s in results["rehearsal"]["steps"]}
    assert list(steps) == ["init", "plan", "apply", "replan", "unprotect", "destroy"], _env_output(output, "rehearsal")
    assert all(s["ok"] for s in steps.values()), _env_output(output, "rehearsal")


@pytest.mark.e2e
def test_fixture_with_overlapping_subnets_fails_and_is_destroyed(
    fixture_rehearsal: tuple[int, dict[str, dict], str],
) -> None:
    """validate cannot see overlapping CIDRs; the rehearsal must, and must still clean up.

    The failed apply leaves a deletion-protected database behind, so this also proves the targeted
    flip (``unprotect`` limited to what exists) before destroy.
    """
    rc, results, output = fixture_rehearsal
    assert rc == 1 and results["overlap"]["status"] == "FAIL", output[-8000:]
    steps = {s["name"]: s for s in results["overlap"]["steps"]}
    assert not steps["apply"]["ok"] and "replan" not in steps
    assert "InvalidSubnet.Conflict" in Path(steps["apply"]["log"]).read_text()
    assert "-target=module.stack.aws_db_instance.mysql" in steps["unprotect"]["command"]
    assert steps["destroy"]["ok"], "destroy must run (and succeed) after a failed apply"


def _env_output(output: str, env: str) -> str:
    """The console lines of one environment (run.py prefixes them with [env])."""
    return "\n".join(line for line in output.splitlines() if line.startswith(f"[{env}]"))[-8000:]


@pytest.mark.e2e
def test_instance_type_the_az_does_not_sell_breaks_at_plan(tmp_path: Path) -> None:
    """A spec mistake that tfgen validate and terraform validate both accept (an instance type with a valid
    family and size name that the service's AZ does not sell) used to fail only at apply, halfway through;
    the compute module's capacity precondition (aws_ec2_instance_type_offerings) now stops the plan, naming
    the service and the zone, before anything is created."""
    _skip_without_tools()
    project = copy_project(tmp_path / "project")
    spec = project / "specs" / "dev.yaml"
    spec.write_text(spec.read_text() + "\nservices:\n  chromadb:\n    instance_type: t3.96xlarge\n"
                    "  frontend:\n    instance_type: t4g.96xlarge\n")
    runner = CliRunner()
    assert runner.invoke(main, ["-C", str(project), "validate", "dev"]).exit_code == 0
    assert runner.invoke(main, ["-C", str(project), "render", "dev"]).exit_code == 0
    tree = project / "generated" / "terraform"
    report = terraform_validate(tree / "environments" / "dev", write_cli_config(tmp_path))
    assert report["valid"] and report["warning_count"] == 0, report
    rc, results, output = _rehearse(tmp_path, ["dev"], "--tree", str(tree))
    assert rc == 1 and results["dev"]["status"] == "FAIL", output[-8000:]
    steps = {s["name"]: s for s in results["dev"]["steps"]}
    assert not steps["plan"]["ok"] and "apply" not in steps, output[-8000:]
    log = " ".join(Path(steps["plan"]["log"]).read_text().split())
    assert "Service chromadb: t3.96xlarge is not offered in us-east-1" in log, log[-4000:]
    # an Auto Scaling group checks every zone of the environment (from the spec, not the subnets)
    assert ('Service frontend: no instance type of its Auto Scaling group ["t4g.96xlarge"] is offered in '
            '["us-east-1a","us-east-1b"]' in log), log[-4000:]


def test_bootstrap_protection_is_lifted_only_in_the_scratch_copy(tmp_path: Path) -> None:
    protected = 'resource "aws_s3_bucket" "s" {\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n'
    (tmp_path / "main.tf").write_text(protected)
    assert run.lift_prevent_destroy(tmp_path) == ["main.tf:3"]
    assert "prevent_destroy = false" in (tmp_path / "main.tf").read_text()
    assert run.prevent_destroy_sites(tmp_path) == []


def test_adoption_destroy_retries_the_revoke_race_and_keeps_the_first_failure(tmp_path: Path) -> None:
    """The adoption rehearsal's destroy is retried once after moto's revoke race; the failure it reports stays
    the first failed step's (a retried destroy must not hide a failed apply)."""
    import adopt

    rehearsal = adopt.Rehearsal(tmp_path, "adopt-x")
    (tmp_path / "logs").mkdir(exist_ok=True)
    ran: list[str] = []

    def step(label: str, name: str, root: Path, *args: str) -> bool:
        ran.append(name)
        if name == "destroy":
            rehearsal.log(name).write_text("\nError: deleting ingress rule: RevokeSecurityGroupIngress: "
                                           "InvalidPermission.NotFound: the rule does not exist\n")
        return name not in ("apply", "destroy")

    rehearsal.session.step = step  # type: ignore[method-assign]
    assert not rehearsal.step("apply", tmp_path)
    assert rehearsal.destroy(tmp_path)
    assert ran == ["apply", "destroy", "destroy:retry"]
    assert rehearsal.failed == {"step": "apply", "log": str(rehearsal.log("apply"))}


def test_a_launch_template_deleted_twice_is_retried_as_the_revoke_race(tmp_path: Path) -> None:
    """The error a fresh-clone CI run met in prod's destroy: the template was gone when the SDK retried."""
    log = tmp_path / "destroy.log"
    log.write_text("\nError: deleting EC2 Launch Template (lt-39c2424b708fc165c): operation error EC2: "
                   "DeleteLaunchTemplate, https response error StatusCode: 400, RequestID: x, api error\n"
                   "InvalidLaunchTemplateName.NotFoundException: At least one of the launch templates specified "
                   "in the request does not exist.\n")
    assert run.moto_revoke_race(log)
    log.write_text(log.read_text() + "\nError: deleting RDS DB Instance: InvalidDBInstanceState\n")
    assert not run.moto_revoke_race(log)


@pytest.mark.parametrize("step, error, attempts", [
    ("apply:old", ROUTE53_DUPLICATE, 2), ("apply", "Error: InvalidPermission.Duplicate: the rule exists\n", 2),
    ("apply", "Error: creating: AccessDenied\n", 1), ("plan", ROUTE53_DUPLICATE, 1),
])
def test_an_adoption_whose_apply_met_a_duplicated_request_runs_once_more(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str, error: str, attempts: int) -> None:
    import argparse

    import adopt

    args = argparse.Namespace(work_dir=tmp_path / "adopt")
    calls: list[int] = []

    def fake_rehearse(arguments: argparse.Namespace, failures: dict[str, str] | None = None) -> int:
        calls.append(1)
        work = arguments.work_dir
        (work / "logs").mkdir(parents=True, exist_ok=True)
        if len(calls) > 1:
            return 0
        log = work / "logs" / f"adopt-x-{step}.log"
        log.write_text("module.x: Creating...\n" + error)
        if failures is not None:
            failures.update({"step": step, "log": str(log)})
        return 1

    monkeypatch.setattr(adopt, "rehearse", fake_rehearse)
    assert adopt.rehearse_retrying_duplicates(args) == (0 if attempts == 2 else 1)
    assert len(calls) == attempts
    assert (tmp_path / "adopt.first-attempt" / "logs").is_dir() == (attempts == 2)


@pytest.mark.parametrize("error, attempts", [(ROUTE53_DUPLICATE, 2), ("Error: creating: AccessDenied\n", 1)])
def test_a_scenario_base_whose_apply_met_a_duplicated_request_is_applied_once_more(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: str, attempts: int) -> None:
    import upgrade

    calls: list[int] = []

    def fake_rehearse(arguments: object) -> int:
        calls.append(1)
        logs = tmp_path / "upgrade" / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        if len(calls) > 1:
            return 0
        (logs / "base-apply.log").write_text("module.x: Creating...\n" + error)
        return 1

    monkeypatch.setattr(upgrade, "rehearse", fake_rehearse)
    code = upgrade.main(["--scenarios", "--work-dir", str(tmp_path / "upgrade")])
    assert (code, len(calls)) == ((0, 2) if attempts == 2 else (1, 1))
