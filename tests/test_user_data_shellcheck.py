"""Generated user-data scripts are valid bash and pass shellcheck once Terraform has rendered them.

The `.sh.tftpl` files are rendered from the templates in memory, then substituted the way `templatefile()`
does it at plan time: with the real `terraform console` when terraform is on PATH, otherwise with a small
emulation (`${name}` / `${jsonencode(name)}` -> value, `$${` -> `${`, `%%{` -> `%{`). The variables passed
are exactly the ones compute/main.tf passes for that service, with realistic values, so a template that uses
a variable main.tf does not pass fails here. Embedded scripts (`<<'SCRIPT'` heredocs) are checked too.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest
from tfhelpers import copy_project

from tfgen.pipeline import render_project
from tfgen.spec import list_environments

ROOT = Path(__file__).resolve().parent.parent
USER_DATA = "terraform/modules/compute/user_data/"
SHELLCHECK = shutil.which("shellcheck")
TERRAFORM = shutil.which("terraform")

# Realistic values for every templatefile() variable compute/main.tf may pass.
VALUES = {
    "aws_region": "us-east-1",
    "log_group_name": "/aws/ec2/imageunderstander-dev/{service}",
    "app_secret_arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:imageunderstander-dev-app-20250101-AbCdEf",
    "db_secret_arn": (
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123abcd-4567-89ef-0123-456789abcdef-XyZ123"
    ),
    "db_address": "imageunderstander-dev-mysql-2025.c9akciq32xyz.us-east-1.rds.amazonaws.com",
    "uploads_bucket_name": "imageunderstander-dev-uploads-20250101000000000000000001",
    "data_volume_serial": "vol0123456789abcdef0",
}
# The expression main.tf passes for each variable (the emulation evaluates only these).
EXPECTED_EXPRESSIONS = {
    "aws_region": "var.aws_region",
    "log_group_name": 'var.log_group_names["{service}"]',
    "app_secret_arn": "var.app_secret_arn",
    "db_secret_arn": "var.db_secret_arn",
    "db_address": "var.db_address",
    "uploads_bucket_name": "var.uploads_bucket_name",
    "data_volume_serial": 'replace(aws_ebs_volume.{service}_data.id, "-", "")',
}


@cache
def rendered(root: Path = ROOT) -> dict[str, str]:
    result = render_project(root, list_environments(root))
    return {dest: data.decode() for dest, data in result.files.items()}


def services() -> list[str]:
    return sorted(d[len(USER_DATA):-len(".sh.tftpl")] for d in rendered() if d.startswith(USER_DATA))


def templatefile_args(service: str, root: Path = ROOT) -> dict[str, str]:
    """The variable map compute/main.tf passes to templatefile() for this service."""
    main = rendered(root)["terraform/modules/compute/main.tf"]
    match = re.search(r'templatefile\("\$\{path\.module\}/user_data/' + service + r'\.sh\.tftpl", \{\n(.*?)\n\s*\}\)',
                      main, re.S)
    assert match, f"no templatefile() call for {service} in compute/main.tf"
    args = {}
    for line in match.group(1).splitlines():
        name, expression = (part.strip() for part in line.split("=", 1))
        assert expression == EXPECTED_EXPRESSIONS[name].format(service=service), (service, name, expression)
        args[name] = VALUES[name].format(service=service)
    return args


def emulate_templatefile(text: str, args: dict[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("$${", "%%{"):
            return token[1:]
        if token.startswith("%{"):
            raise AssertionError(f"unexpected template directive {token}")
        expression = match.group(1)
        inner = re.fullmatch(r"jsonencode\((\w+)\)", expression)
        if inner:
            return json.dumps(args[inner.group(1)])
        if expression not in args:
            raise AssertionError(f"template uses ${{{expression}}} but main.tf does not pass it")
        return args[expression]

    return re.sub(r"\$\$\{|%%\{|%\{[^}]*\}|\$\{([^}]*)\}", substitute, text)


def terraform_templatefile(path: Path, args: dict[str, str], workdir: Path) -> str:
    mapping = ", ".join(f"{k} = {json.dumps(v)}" for k, v in sorted(args.items()))
    expression = f"base64encode(templatefile({json.dumps(str(path))}, {{ {mapping} }}))\n"
    proc = subprocess.run([TERRAFORM, "console"], input=expression, capture_output=True, text=True, cwd=workdir,
                          env={"PATH": "/usr/bin:/bin", "CHECKPOINT_DISABLE": "1", "HOME": str(workdir)},
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return base64.b64decode(proc.stdout.strip().strip('"')).decode()


def substituted(service: str, tmp_path: Path, root: Path = ROOT) -> str:
    text = rendered(root)[f"{USER_DATA}{service}.sh.tftpl"]
    args = templatefile_args(service, root)
    emulated = emulate_templatefile(text, args)
    if TERRAFORM:
        path = tmp_path / f"{service}.sh.tftpl"
        path.write_text(text)
        real = terraform_templatefile(path, args, tmp_path)
        assert real == emulated, "emulation disagrees with terraform templatefile()"
        return real
    return emulated


def embedded_scripts(script: str) -> list[str]:
    """Bodies of quoted heredocs that are themselves bash scripts."""
    bodies = [body for _, body in re.findall(r"<<'(\w+)'\n(.*?)\n\1\n", script, re.S)]
    return [body + "\n" for body in bodies if body.startswith("#!/bin/bash")]


def shellcheck(script: str, tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    path.write_text(script)
    proc = subprocess.run([SHELLCHECK, "--shell=bash", "--severity=style", "--format=gcc", str(path)],
                          capture_output=True, text=True, timeout=120)
    return proc.stdout + proc.stderr


def test_every_service_has_user_data():
    assert services(), "no user data rendered"
    main = rendered()["terraform/modules/compute/main.tf"]
    for service in services():
        assert f'resource "aws_instance" "{service}"' in main


@pytest.mark.parametrize("service", services())
def test_bash_syntax(service: str, tmp_path: Path):
    script = substituted(service, tmp_path)
    assert script.startswith("#!/bin/bash\n")
    for index, body in enumerate([script, *embedded_scripts(script)]):
        path = tmp_path / f"syntax-{index}.sh"
        path.write_text(body)
        proc = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr


@pytest.mark.skipif(SHELLCHECK is None, reason="shellcheck is not installed (Debian package `shellcheck`)")
@pytest.mark.parametrize("service", services())
def test_shellcheck_clean(service: str, tmp_path: Path):
    script = substituted(service, tmp_path)
    scripts = [script, *embedded_scripts(script)]
    assert len(scripts) >= 2, "the environment-file script should be embedded"
    findings = [shellcheck(body, tmp_path, f"{service}-{i}.sh") for i, body in enumerate(scripts)]
    assert not any(findings), "\n".join(findings)


@pytest.mark.parametrize("service", services())
def test_no_unsubstituted_template_syntax(service: str, tmp_path: Path):
    script = substituted(service, tmp_path)
    assert "$${" not in script and "%%{" not in script
    # What remains of ${...} is bash or CloudWatch agent syntax, never a Terraform variable name.
    leftovers = set(re.findall(r"\$\{([^}]*)\}", script))
    assert leftovers <= {"aws:InstanceId"}, leftovers


# A spec string with quotes, Terraform template syntax, shell expansions and systemd specifiers.
HOSTILE_EXEC = """/usr/bin/env X='a b' node -e "console.log('${HOME} %{x} $(id) `id` $$ %h')" """.strip()
HOSTILE_DESCRIPTION = "Web frontend ${jsonencode(1)} %{if true}x%{endif} $(id) 100% 'quoted'"


def _yaml_single_quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def test_spec_strings_reach_the_unit_file_verbatim(tmp_path: Path):
    """Spec values pass templatefile() and bash untouched; only systemd's % is doubled."""
    project = copy_project(tmp_path / "project")
    base = project / "specs" / "base.yaml"
    text = base.read_text()
    text = text.replace("exec_start: /usr/bin/node-20 /opt/frontend/server.js",
                        f"exec_start: {_yaml_single_quoted(HOSTILE_EXEC)}", 1)
    text = text.replace("description: Web frontend behind the ALB",
                        f"description: {_yaml_single_quoted(HOSTILE_DESCRIPTION)}", 1)
    assert HOSTILE_EXEC.split()[0] in text and "%{if true}" in text
    base.write_text(text)
    script = substituted("frontend", tmp_path, project)
    lines = script.splitlines()
    assert "ExecStart=" + HOSTILE_EXEC.replace("%", "%%") in lines
    assert "Description=" + HOSTILE_DESCRIPTION.replace("%", "%%") in lines
    path = tmp_path / "hostile.sh"
    path.write_text(script)
    assert subprocess.run(["bash", "-n", str(path)], capture_output=True).returncode == 0
    if SHELLCHECK:
        assert not shellcheck(script, tmp_path, "hostile-check.sh")
