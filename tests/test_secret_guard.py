"""scripts/secret_guard.py: `make plan` and `make apply` refuse a plan that writes new generated values into an
existing application secret (replace, taint, a changed secret_string_wo_version, a state that lost the version).

The rehearsal (tests/rehearsal/run.py, check_secret_guard) runs the same script on a real plan of a lost
version; these tests cover every action list Terraform can give the version and the secret.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUARD = ROOT / "scripts" / "secret_guard.py"
VERSION = "module.storage.aws_secretsmanager_secret_version.app"
SECRET = "module.storage.aws_secretsmanager_secret.app"


def plan(**actions: list[str]) -> dict:
    addresses = {"version": VERSION, "secret": SECRET, "bucket": "module.storage.aws_s3_bucket.uploads"}
    return {"resource_changes": [{"address": addresses[name], "change": {"actions": acts}}
                                 for name, acts in actions.items()]}


def guard(document: dict | str, **env: str) -> subprocess.CompletedProcess[str]:
    text = document if isinstance(document, str) else json.dumps(document)
    return subprocess.run([sys.executable, str(GUARD), "--env", "prod"], input=text, capture_output=True,
                          text=True, timeout=60, env={**os.environ, **env})


@pytest.mark.parametrize("version, secret", [
    (["create"], ["create"]),          # a new environment: the secret and its first value
    (["no-op"], ["no-op"]),            # an ordinary plan
    (["delete"], ["delete"]),          # terraform destroy
    (["update"], ["update"]),          # tags or description of the secret
])
def test_plans_that_do_not_regenerate_pass(version: list[str], secret: list[str]):
    proc = guard(plan(version=version, secret=secret, bucket=["update"]))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


@pytest.mark.parametrize("version, secret, action", [
    (["delete", "create"], ["no-op"], "replaced"),   # -replace, taint, secret_string_wo_version changed
    (["create", "delete"], ["update"], "replaced"),  # create_before_destroy ordering
    (["create"], ["no-op"], "created"),              # the state lost the version (its label still on)
])
def test_plans_that_write_new_values_into_the_existing_secret_are_refused(version, secret, action):
    proc = guard(plan(version=version, secret=secret))
    assert proc.returncode == 1
    assert f"{VERSION} would be {action}" in proc.stderr
    assert "make rotate-secret" in proc.stderr and "TFGEN_ALLOW_SECRET_REGENERATION=1" in proc.stderr
    assert "of prod" in proc.stderr


def test_a_deliberate_regeneration_is_allowed_and_says_so():
    proc = guard(plan(version=["delete", "create"], secret=["no-op"]), TFGEN_ALLOW_SECRET_REGENERATION="1")
    assert proc.returncode == 0
    assert "allowed on purpose" in proc.stderr


def test_a_root_secret_is_matched_as_well_as_a_module_one():
    document = {"resource_changes": [
        {"address": "aws_secretsmanager_secret_version.app", "change": {"actions": ["create"]}},
        {"address": "module.storage.aws_secretsmanager_secret.app", "change": {"actions": ["create"]}},
    ]}
    proc = guard(document)
    assert proc.returncode == 1, "a secret created in another module does not excuse this one"


def test_an_unreadable_plan_stops_make_with_a_hint():
    proc = guard("")
    assert proc.returncode == 2 and "terraform show -json tfplan" in proc.stderr


def test_make_runs_the_guard_before_apply_and_drops_a_refused_plan():
    dry = subprocess.run(["make", "-n", "plan", "apply", "ENV=staging"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert dry.returncode == 0, dry.stderr
    plan_line, apply_line = [line for line in dry.stdout.splitlines() if "secret_guard.py" in line]
    assert "|| { rm -f tfplan; exit 1; }" in plan_line
    assert apply_line.index("secret_guard.py --env staging") < apply_line.index("terraform apply")


# Issue 23: malformed plans end in one line and exit 2 (fail closed), never a traceback.
MALFORMED = ["", "[]", "null", "3", '"x"', "[" * 100_000 + "]" * 100_000, '{"resource_changes": "x"}',
             '{"resource_changes": [1]}', '{"resource_changes": [{"address": 1}]}',
             '{"resource_changes": [{"address": "a", "change": []}]}',
             '{"resource_changes": [{"address": "a", "change": {"actions": "create"}}]}', "\udcff"]


@pytest.mark.parametrize("document", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_plan_is_one_line_and_exit_2(document: str) -> None:
    raw = document.encode("utf-8", "surrogateescape")
    result = subprocess.run([sys.executable, str(GUARD), "--env", "prod"], input=raw, capture_output=True,
                            timeout=60, env={**os.environ, "TFGEN_ALLOW_SECRET_REGENERATION": "1"})
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert "Traceback" not in err and err.count("\n") == 1 and err.startswith("secret_guard: the plan is unreadable")
