"""The one user-data template is valid bash and passes shellcheck once Terraform has rendered it, for every
service of every environment, and no spec or tfvars value can break out of its shell word.

The real Terraform evaluates the compute module's own `user_data.tf` (the templatefile() variables, with
their shell quoting) and `templatefile()` in a scratch configuration: the module's variables.tf,
user_data.tf and template, plus an output that makes the call compute/main.tf makes. The `services` value is
what the environment root's `services` local evaluates to with the root variables' defaults.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tfhelpers import TERRAFORM, copy_project, run_terraform, write_cli_config

from tfgen.interfaces.root import root_only_variables, service_locals
from tfgen.pipeline import render_project, validate_project
from tfgen.render.filters import HclExpr
from tfgen.spec import list_environments

ROOT = Path(__file__).resolve().parent.parent
COMPUTE = "terraform/modules/compute/"
SHELLCHECK = shutil.which("shellcheck")
ENVS = tuple(list_environments(ROOT))
SERIAL = "vol0123456789abcdef0"
# The call compute/main.tf makes (kept in sync by test_main_tf_makes_the_call_the_test_makes).
CALL = ('templatefile(\n      "${path.module}/user_data/service.sh.tftpl",\n      merge(local.user_data_vars[name], {\n'
        '        data_volume_serial = service.data_volume == null ? "" : replace(aws_ebs_volume.data[name].id,'
        ' "-", "")\n      })\n    )')
SCRATCH_OUTPUT = """output "gzipped" {
  value = local.user_data_gzipped
}

output "scripts" {
  value = {
    for name, service in var.services : name => templatefile("${path.module}/user_data/service.sh.tftpl",
    merge(local.user_data_vars[name], { data_volume_serial = service.data_volume == null ? "" : var.serial }))
  }
}

variable "serial" {
  type = string
}
"""
WIRED = {
    "name_prefix": "imageunderstander-dev",
    "tags": {},
    "aws_region": "us-east-1",
    "private_subnet_ids": {"us-east-1a": "subnet-0a", "us-east-1b": "subnet-0b"},
    "availability_zones": ["us-east-1a", "us-east-1b"],
    "target_group_arns": {},
    "data_volume_tags": {},
    "app_secret_arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:imageunderstander-dev-app-AbCdEf",
    "db_secret_arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123abcd-4567-XyZ123",
    "db_address": "imageunderstander-dev-mysql.c9akciq32xyz.us-east-1.rds.amazonaws.com",
    "db_name": "imageunderstander",
    "db_users": ["backend", "llm"],
    "uploads_bucket_name": "imageunderstander-dev-uploads-20250101000000000000000001",
}

pytestmark = pytest.mark.skipif(TERRAFORM is None, reason="terraform is not on PATH (it renders the template)")


def resolved(value: Any, defaults: dict[str, Any]) -> Any:
    """A root-local value with every `var.<name>` replaced by that root variable's default."""
    if isinstance(value, HclExpr):
        return defaults[value.removeprefix("var.")]
    if isinstance(value, dict):
        return {k: resolved(v, defaults) for k, v in value.items()}
    return value


def environment_services(root: Path, env: str) -> dict[str, Any]:
    """What the root's `services` local of `env` evaluates to without a tfvars file."""
    spec = next(v.view for v in validate_project(root) if v.spec.env == env)
    defaults = {v.name: v.value for v in root_only_variables(env, spec)}
    return resolved(service_locals(spec), defaults)


def render_scripts(root: Path, env: str, workdir: Path, overrides: dict[str, Any] | None = None) -> dict[str, str]:
    """Every service's user data as Terraform renders it for `env`."""
    return render_user_data(root, env, workdir, overrides)[0]


def render_user_data(root: Path, env: str, workdir: Path,
                     overrides: dict[str, Any] | None = None) -> tuple[dict[str, str], dict[str, bool]]:
    """Every service's user data for `env`, and whether a single instance would send it gzipped."""
    files = render_project(root, [env]).files
    workdir.mkdir(parents=True)
    (workdir / "user_data").mkdir()
    for name in ("variables.tf", "user_data.tf", "user_data/service.sh.tftpl"):
        (workdir / name).write_bytes(files[COMPUTE + name])
    (workdir / "scripts.tf").write_text(SCRATCH_OUTPUT)
    services = environment_services(root, env)
    values = {**WIRED, "serial": SERIAL, "services": services,
              "security_group_ids": {name: f"sg-{name}" for name in services},
              "instance_profile_names": {name: f"profile-{name}" for name in services},
              "log_group_names": {name: f"/aws/ec2/imageunderstander-{env}/{name}" for name in services},
              **(overrides or {})}
    (workdir / "terraform.tfvars.json").write_text(json.dumps(values))
    config = write_cli_config(workdir)
    for args in (["init", "-input=false", "-no-color"], ["apply", "-auto-approve", "-input=false", "-no-color"]):
        proc = run_terraform(args, workdir, config, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    output = run_terraform(["output", "-json", "scripts"], workdir, config)
    gzipped = run_terraform(["output", "-json", "gzipped"], workdir, config)
    return json.loads(output.stdout), json.loads(gzipped.stdout)


_SCRIPTS: dict[str, dict[str, str]] = {}


def scripts(env: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    if env not in _SCRIPTS:
        _SCRIPTS[env] = render_scripts(ROOT, env, tmp_path_factory.mktemp(f"userdata-{env}") / "compute")
    return _SCRIPTS[env]


def cases() -> list[tuple[str, str]]:
    found = []
    for env in ENVS:
        doc = next(v.doc for v in validate_project(ROOT) if v.spec.env == env)
        found += [(env, name) for name in sorted(doc["services"])]
    return found


def embedded_scripts(script: str) -> list[str]:
    """Bodies of quoted heredocs that are themselves bash scripts."""
    bodies = [body for _, body in re.findall(r"<<'(\w+)'\n(.*?)\n\1\n", script, re.S)]
    return [body + "\n" for body in bodies if body.startswith("#!/bin/bash")]


def shellcheck(script: str, tmp_path: Path, name: str, *exclude: str) -> str:
    path = tmp_path / name
    path.write_text(script)
    excluded = [f"--exclude={code}" for code in exclude]
    proc = subprocess.run([SHELLCHECK, "--shell=bash", "--severity=style", "--format=gcc", *excluded, str(path)],
                          capture_output=True, text=True, timeout=120)
    return proc.stdout + proc.stderr


def bash_array(script: str, name: str) -> list[str]:
    """The words bash assigns to the array `name` in `script` (the assignment line run by real bash)."""
    (line,) = [x for x in script.splitlines() if x.startswith(f"readonly {name}=(")]
    program = f'{line}\nfor word in "${{{name}[@]}}"; do printf "%s\\0" "$word"; done'
    proc = subprocess.run(["bash", "-c", program], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return [word for word in proc.stdout.split("\0")[:-1]]


def test_one_template_for_every_service():
    files = render_project(ROOT, list(ENVS)).files
    user_data = sorted(d for d in files if d.startswith(COMPUTE + "user_data/"))
    assert user_data == [COMPUTE + "user_data/service.sh.tftpl"]


def test_main_tf_makes_the_call_the_test_makes():
    main = render_project(ROOT, ["dev"]).files[COMPUTE + "main.tf"].decode()
    assert CALL in main


@pytest.mark.parametrize("env, service", cases())
def test_bash_syntax_and_shellcheck(env: str, service: str, tmp_path: Path,
                                    tmp_path_factory: pytest.TempPathFactory):
    script = scripts(env, tmp_path_factory)[service]
    assert script.startswith("#!/bin/bash\n")
    bodies = [script, *embedded_scripts(script)]
    assert len(bodies) == 2, "the environment-file script should be embedded"
    for index, body in enumerate(bodies):
        path = tmp_path / f"syntax-{index}.sh"
        path.write_text(body)
        proc = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    if SHELLCHECK:
        findings = [shellcheck(body, tmp_path, f"{service}-{i}.sh") for i, body in enumerate(bodies)]
        assert not any(findings), "\n".join(findings)


@pytest.mark.parametrize("env, service", cases())
def test_no_template_syntax_left(env: str, service: str, tmp_path_factory: pytest.TempPathFactory):
    script = scripts(env, tmp_path_factory)[service]
    assert "$${" not in script and "%%{" not in script
    leftovers = set(re.findall(r"\$\{([^}]*)\}", script))
    assert leftovers <= {"aws:InstanceId", "PACKAGES[@]", "PIP_PACKAGES[@]", "PIP_PACKAGES[*]",
                         "ENVIRONMENT_LINES[@]", "SECRETS[@]", "SECRET_ARNS[*]"}, leftovers


def test_settings_follow_each_service(tmp_path_factory: pytest.TempPathFactory):
    """Packages, secrets and the environment file differ per service, from one template."""
    dev = scripts("dev", tmp_path_factory)
    assert bash_array(dev["chromadb"], "PIP_PACKAGES") == ["chromadb==0.5.23"]
    assert bash_array(dev["backend"], "PACKAGES") == ["python3.11", "python3.11-pip", "mariadb105"]
    backend_script = embedded_scripts(dev["backend"])[0]
    # db-connect: its own IAM user, never the master secret.
    assert bash_array(backend_script, "SECRETS") == [WIRED["app_secret_arn"], ""]
    backend_environment = bash_array(backend_script, "ENVIRONMENT_LINES")
    assert {f'DB_HOST="{WIRED["db_address"]}"', 'DB_USERNAME="backend"', 'DB_IAM_AUTH="1"'} <= set(backend_environment)
    assert 'DB_USERNAME="llm"' in bash_array(embedded_scripts(dev["llm"])[0], "ENVIRONMENT_LINES")
    assert not any(WIRED["db_secret_arn"] in script for script in dev.values())
    frontend_script = embedded_scripts(dev["frontend"])[0]
    assert bash_array(frontend_script, "SECRETS") == []
    assert bash_array(frontend_script, "ENVIRONMENT_LINES") == ['AWS_REGION="us-east-1"', 'SERVICE_PORT="8080"']
    assert f"readonly DATA_VOLUME_SERIAL='{SERIAL}'" in dev["llm"].splitlines()
    assert "readonly DATA_VOLUME_SERIAL=''" in dev["frontend"].splitlines()
    assert "readonly START_ON_BOOT='true'" in dev["chromadb"].splitlines()


# A spec string with quotes, Terraform template syntax, shell expansions and systemd specifiers.
HOSTILE_EXEC = """/usr/bin/env X='a b' node -e "console.log('${HOME} %{x} $(id) `id` $$ %h')" """.strip()
HOSTILE_DESCRIPTION = "Web frontend ${jsonencode(1)} %{if true}x%{endif} $(id) 100% 'quoted'"
HOSTILE_BUCKET = "b'$(touch /tmp/pwned)'`id`\"; rm -rf / #"


def _yaml_single_quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def test_hostile_values_stay_data(tmp_path: Path):
    """Spec strings reach the unit file verbatim (systemd's % doubled); a value bash reads stays one word."""
    project = copy_project(tmp_path / "project")
    base = project / "specs" / "base.yaml"
    text = base.read_text()
    text = text.replace("exec_start: /usr/bin/node-20 /opt/frontend/server.js",
                        f"exec_start: {_yaml_single_quoted(HOSTILE_EXEC)}", 1)
    text = text.replace("description: API backend", f"description: {_yaml_single_quoted(HOSTILE_DESCRIPTION)}", 1)
    text = text.replace("permissions: [uploads-rw, app-secrets-read, db-connect]\n    packages: [python3.11",
                        "permissions: [uploads-rw]\n    packages: [python3.11", 1)
    base.write_text(text)
    rendered = render_scripts(project, "dev", tmp_path / "compute", {"uploads_bucket_name": HOSTILE_BUCKET})
    frontend, backend = rendered["frontend"].splitlines(), rendered["backend"]
    assert "ExecStart=" + HOSTILE_EXEC.replace("%", "%%") in frontend
    assert "Description=" + HOSTILE_DESCRIPTION.replace("%", "%%") in backend.splitlines()
    environment = embedded_scripts(backend)[0]
    assert bash_array(environment, "ENVIRONMENT_LINES")[-1] == "UPLOADS_BUCKET=" + json.dumps(HOSTILE_BUCKET)
    for name, script in (("frontend", rendered["frontend"]), ("backend", backend), ("env", environment)):
        path = tmp_path / f"{name}.sh"
        path.write_text(script)
        assert subprocess.run(["bash", "-n", str(path)], capture_output=True).returncode == 0
        if SHELLCHECK:
            # SC2016 notes that `$(...)` inside single quotes does not expand: exactly what quoting is for.
            assert not shellcheck(script, tmp_path, f"hostile-{name}.sh", "SC2016")


def test_apt_get_waits_out_the_boot_time_lock_instead_of_ending_the_bootstrap(tmp_path: Path):
    """apt-daily holds the lists lock at first boot: `apt-get update` fails twice, then succeeds; the rendered
    script's apt_get retries under set -e, where a bare apt-get would have ended the bootstrap."""
    script = render_scripts(ROOT, "prod", tmp_path / "render")["llm"]
    function = re.search(r"(?ms)^apt_get\(\) \{\n.*?^\}\n", script)
    assert function, "the llm (Ubuntu) user data defines apt_get"
    assert "apt_get update" in script and not re.search(r"(?m)^\s*apt-get .*update", script)
    shims = tmp_path / "bin"
    shims.mkdir()
    (shims / "apt-get").write_text('#!/bin/bash\nn=$(cat "$COUNTER" 2>/dev/null || echo 0)\necho $((n + 1)) > '
                                   '"$COUNTER"\n[ "$n" -ge 2 ]\n')
    (shims / "sleep").write_text("#!/bin/bash\nexit 0\n")
    for shim in shims.iterdir():
        shim.chmod(0o755)
    driver = f"set -euo pipefail\n{function.group(0)}apt_get update\necho bootstrap-continues\n"
    env = {"PATH": f"{shims}:/usr/bin:/bin", "COUNTER": str(tmp_path / "count")}
    proc = subprocess.run(["bash", "-c", driver], env=env, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0 and "bootstrap-continues" in proc.stdout, proc.stderr
    assert (tmp_path / "count").read_text().strip() == "3", "two failures, then success"
    assert proc.stderr.count("retrying in 10 seconds") == 2


def test_the_gpu_host_reports_gpu_metrics_and_the_others_do_not(tmp_path: Path):
    scripts = render_scripts(ROOT, "prod", tmp_path / "render")
    for service, script in scripts.items():
        body = re.search(r"(?ms)<<'CWAGENT'\n(.*?)^CWAGENT$", script)
        assert body, service
        metrics = json.loads(body.group(1))["metrics"]["metrics_collected"]
        assert metrics["mem"]["measurement"] == ["mem_used_percent"]
        if service == "llm":
            assert "utilization_gpu" in metrics["nvidia_gpu"]["measurement"]
            assert metrics["disk"]["resources"] == ["/", "/opt/models"]
        else:
            assert "nvidia_gpu" not in metrics, service


def test_a_script_that_outgrows_the_user_data_limit_goes_gzipped_and_one_that_fits_stays_plain(tmp_path: Path):
    """EC2 takes 16 KiB of user data. The bundled scripts (~12.7 KB) stay plain, so an upgrade replaces no running
    instance; a service whose package list pushes its script past 15 KiB is sent gzipped (cloud-init reads it)."""
    bundled, gzipped = render_user_data(ROOT, "dev", tmp_path / "bundled")
    assert not any(gzipped.values()) and max(len(s.encode()) for s in bundled.values()) <= 15360, gzipped
    project = copy_project(tmp_path / "project")
    packages = [f"example-package-{i:04d}" for i in range(300)]  # ~7 KB more script
    spec = project / "specs" / "dev.yaml"
    spec.write_text(spec.read_text() + "\nservices:\n  chromadb:\n    packages: [" + ", ".join(packages) + "]\n")
    grown, gzipped = render_user_data(project, "dev", tmp_path / "grown")
    assert len(grown["chromadb"].encode()) > 15360 and "example-package-0299" in grown["chromadb"]
    assert gzipped["chromadb"] and not gzipped["llm"], gzipped


def test_a_service_on_the_master_secret_reads_it_and_one_whose_user_is_not_made_yet_gets_no_user(tmp_path: Path):
    """db-secret-read (the legacy path) still reads the master secret; db-connect without its user (an adopted
    database whose master secret is not ready) names no user it cannot log in as."""
    project = copy_project(tmp_path / "project")
    base = project / "specs" / "base.yaml"
    text = base.read_text()
    old = "permissions: [uploads-rw, app-secrets-read, db-connect]\n    packages: [python3.11"
    assert old in text
    base.write_text(text.replace(old, old.replace("db-connect", "db-secret-read"), 1))
    rendered = render_scripts(project, "dev", tmp_path / "compute", {"db_users": []})
    backend = embedded_scripts(rendered["backend"])[0]
    assert bash_array(backend, "SECRETS") == [WIRED["db_secret_arn"], "DB_", WIRED["app_secret_arn"], ""]
    assert not any(line.startswith("DB_USERNAME=") for line in bash_array(backend, "ENVIRONMENT_LINES"))
    llm = bash_array(embedded_scripts(rendered["llm"])[0], "ENVIRONMENT_LINES")
    assert f'DB_HOST="{WIRED["db_address"]}"' in llm and not any(x.startswith("DB_USERNAME=") for x in llm)
