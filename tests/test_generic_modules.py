"""The modules are the same whatever the specs say; the environment roots carry every difference.

The promotion fixture (tests/fixtures/promotion_project) replaces specs/dev.yaml: dev tries a fifth service,
MySQL 8.0.40, another frontend port and other packages than staging and prod. Its `modules/` must be
byte-identical to the bundled tree's, and the tree must pass what the bundled one passes: terraform
validate (0 errors, 0 warnings), checkov (0 failed), shellcheck of every user data, and (e2e) the rehearsal.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import hcl2
import pytest
from click.testing import CliRunner
from test_user_data_shellcheck import SHELLCHECK, embedded_scripts, render_scripts, shellcheck
from tfhelpers import CHECKOV, MIRROR, TERRAFORM, checkov_failures, clean_hcl2, terraform_validate, write_cli_config

from tfgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "promotion_project" / "specs"
ENVS = ("dev", "staging", "prod")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled specs with the promotion fixture's dev.yaml, rendered with the CLI."""
    project = tmp_path_factory.mktemp("promotion") / "project"
    shutil.copytree(ROOT / "specs", project / "specs")
    shutil.copytree(ROOT / "templates", project / "templates")
    shutil.copy(FIXTURE / "dev.yaml", project / "specs" / "dev.yaml")
    result = CliRunner().invoke(main, ["-C", str(project), "render", "--all"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return project


def tree_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def root_locals(project: Path, env: str) -> dict[str, Any]:
    text = (project / "generated/terraform/environments" / env / "main.tf").read_text()
    (found,) = clean_hcl2(hcl2.loads(text))["locals"]
    return found


def root_defaults(project: Path, env: str) -> dict[str, Any]:
    text = (project / "generated/terraform/environments" / env / "variables.tf").read_text()
    return {name: body.get("default") for block in clean_hcl2(hcl2.loads(text))["variable"]
            for name, body in block.items()}


def test_modules_are_byte_identical_whatever_the_specs_say(project: Path):
    ours = tree_files(project / "generated/terraform/modules")
    bundled = tree_files(ROOT / "generated/terraform/modules")
    assert ours and ours == bundled


def test_module_templates_read_no_spec_value():
    """Module templates see only their interface (`module.*`): no project, env or service context."""
    for path in (ROOT / "templates/terraform/modules").rglob("*.j2"):
        text = path.read_text()
        for name in ("project.", "env.", "service.", "envs"):
            assert "{{ " + name not in text and "{% for s in " + name not in text, (path, name)


SEED_OUTPUTS = ("route53_name_servers", "route53_zone_id", "app_secrets_name", "llm_instance_id", "alb_dns_name",
                "acm_certificate_domain_validation_options")


def test_roots_keep_the_seed_output_names_and_one_instance_output_per_service(project: Path):
    for env in ENVS:
        outputs = (project / "generated/terraform/environments" / env / "outputs.tf").read_text()
        declared = set(re.findall(r'^output "(\w+)"', outputs, flags=re.M))
        services = set(root_locals(project, env)["services"])
        assert set(SEED_OUTPUTS) <= declared, env
        singles = {name for name, svc in root_locals(project, env)["services"].items() if "auto_scaling" not in svc}
        assert singles - {"worker"} == {"chromadb", "llm"}, env
        assert {f"{name}_instance_id" for name in singles} <= declared, env
        assert {f"{name}_autoscaling_group_name" for name in services - singles} <= declared, env
        assert ("worker_instance_id" in declared) is (env == "dev")


def test_no_unused_variables():
    """Every variable of every module and root is read outside its own declaration."""
    tree = ROOT / "generated/terraform"
    directories = [*(tree / "modules").iterdir(), *(tree / "environments").iterdir()]
    for directory in directories:
        declared = re.findall(r'^variable "(\w+)"', (directory / "variables.tf").read_text(), flags=re.M)
        used = "".join(p.read_text() for p in directory.glob("*.tf") if p.name != "variables.tf")
        unused = [name for name in declared if not re.search(rf"\bvar\.{name}\b", used)]
        assert not unused, f"{directory.relative_to(tree)}: {unused}"


def banners(path: Path) -> list[str]:
    """First line of every `# ---` banner."""
    return re.findall(r"^# -{20,}\n# (.+)\n", path.read_text(), flags=re.M)


def test_outputs_follow_the_banners_of_main_tf():
    tree = ROOT / "generated/terraform"
    for directory in [*(tree / "modules").iterdir(), *(tree / "environments").iterdir()]:
        main_banners, output_banners = banners(directory / "main.tf"), banners(directory / "outputs.tf")
        assert output_banners, directory
        positions = []
        for title in output_banners:
            matches = [i for i, banner in enumerate(main_banners) if banner.startswith(title)]
            assert matches, f"{directory.name}/outputs.tf banner {title!r} is not a banner of main.tf"
            positions.append(matches[0])
        assert positions == sorted(positions), f"{directory.name}: {output_banners} vs {main_banners}"


def test_dev_carries_what_it_tries(project: Path):
    dev, prod = root_locals(project, "dev"), root_locals(project, "prod")
    assert set(dev["services"]) - set(prod["services"]) == {"worker"}
    assert dev["services"]["frontend"]["port"] == 8081 and prod["services"]["frontend"]["port"] == 8080
    assert "git" in dev["services"]["backend"]["packages"] and "git" not in prod["services"]["backend"]["packages"]
    assert dev["services"]["worker"]["availability_zone"] == "us-east-1b"
    assert dev["ingress_rules"]["worker_from_backend_9000"] == {"target": "worker", "source": "backend", "port": 9000}
    assert "rds_from_worker_3306" in dev["ingress_rules"] and "rds_from_worker_3306" not in prod["ingress_rules"]
    assert root_defaults(project, "dev")["db_engine_version"] == "8.0.40"
    assert root_defaults(project, "prod")["db_engine_version"] == "8.4"
    assert "worker_instance_type" not in root_defaults(project, "prod")


def test_diff_is_the_promotion_report(project: Path):
    """`tfgen diff dev prod` lists what dev has that prod does not have yet."""
    result = CliRunner().invoke(main, ["-C", str(project), "diff", "dev", "prod", "--json"], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    paths = {entry["path"] for entry in json.loads(result.stdout)["differences"]}
    assert {"services.worker.port", "services.frontend.port", "database.engine_version"} <= paths, paths


@pytest.mark.terraform
@pytest.mark.skipif(TERRAFORM is None, reason="terraform is not on PATH")
@pytest.mark.skipif(not MIRROR.is_dir(), reason=f"no provider mirror at {MIRROR}")
@pytest.mark.parametrize("env", ["dev"])  # the fixture changes only dev; staging and prod are validated as bundled
def test_every_environment_validates(project: Path, env: str, tmp_path: Path):
    copy = tmp_path / "terraform"
    shutil.copytree(project / "generated/terraform", copy)
    report = terraform_validate(copy / "environments" / env, write_cli_config(tmp_path))
    assert report["valid"] and report["error_count"] == 0 and report["warning_count"] == 0, report["diagnostics"]


@pytest.mark.slow
@pytest.mark.skipif(not CHECKOV.exists(), reason="checkov is not installed (run `make security` once)")
def test_checkov_reports_no_failed_checks(project: Path, tmp_path: Path):
    failed = checkov_failures(project / "generated/terraform", tmp_path)
    assert not failed, "\n".join(failed)


@pytest.mark.skipif(TERRAFORM is None, reason="terraform is not on PATH (it renders the template)")
@pytest.mark.parametrize("env", ["dev", "prod"])
def test_user_data_of_every_service_passes_shellcheck(project: Path, env: str, tmp_path: Path):
    scripts = render_scripts(project, env, tmp_path / "compute")
    assert ("worker" in scripts) is (env == "dev")
    for service, script in scripts.items():
        for index, body in enumerate([script, *embedded_scripts(script)]):
            path = tmp_path / f"{service}-{index}.sh"
            path.write_text(body)
            assert subprocess.run(["bash", "-n", str(path)], capture_output=True).returncode == 0, service
            if SHELLCHECK:
                assert not shellcheck(body, tmp_path, f"{service}-{index}-check.sh"), service


@pytest.mark.e2e
@pytest.mark.skipif(TERRAFORM is None, reason="terraform is not on PATH")
def test_rehearsal_of_dev_and_prod(project: Path, tmp_path: Path):
    """Apply, re-plan (no drift) and destroy the promotion tree's dev and prod against the emulator."""
    command = [sys.executable, str(ROOT / "tests/rehearsal/run.py"), "--env", "dev", "--env", "prod", "--jobs", "2",
               "--project-dir", str(project), "--work-dir", str(tmp_path / "e2e"),
               "--json", str(tmp_path / "result.json"),
               "--destroy-var", "db_deletion_protection=false", "--destroy-var", "alb_deletion_protection=false"]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
