"""`make rotate-secret` rotates exactly one key of the application secret and keeps every other value.

Terraform writes the generated values once (the storage module's version is labelled tfgen-generated and never
rewritten), so this script is the only rotation path. It runs with real bash and jq against stub `terraform`
and `aws` commands that keep the secret in a JSON file and log every argument vector, so the test can also
check that no value ever appears on a command line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "rotate-app-secret.sh"
ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:imageunderstander-prod-app-AbCdEf"
ORIGINAL = {"jwt_secret_key": "jwt-original", "encryption_key": "enc-original", "llm_api_key": "llm-original"}
NEW_RANDOM = "R4nd0mFromSecretsManager" * 2

AWS_STUB = r"""#!/usr/bin/env python3
# Stub Secrets Manager: the secret's versions are a list in $STUB_STORE (the last is AWSCURRENT, the one before
# it AWSPREVIOUS); every argument vector is logged. STUB_RACE=1: another writer's put lands just before ours.
import json, os, sys
args = sys.argv[1:]
with open(os.environ["STUB_LOG"], "a") as log:
    log.write(json.dumps(["aws", *args]) + "\n")
store_path = os.environ["STUB_STORE"]
store = json.load(open(store_path))
def arg(name):
    return args[args.index(name) + 1]
assert arg("--region") == "eu-west-1", args
command = args[1]
versions = store["versions"]
if command == "get-random-password":
    assert arg("--password-length") == "48" and "--exclude-punctuation" in args
    print(os.environ["STUB_RANDOM"])
elif command == "get-secret-value":
    assert arg("--secret-id") == store["arn"] and arg("--output") == "json" and "--query" not in args
    if store.get("deny"):
        sys.exit("An error occurred (AccessDeniedException)")
    print(json.dumps({"ARN": store["arn"], "VersionId": f"v{len(versions)}", "SecretString": versions[-1]}))
elif command == "put-secret-value":
    value = arg("--secret-string")
    assert value.startswith("file://"), "the value must not be on the command line"
    if os.environ.get("STUB_RACE") == "1":
        versions.append(versions[-1].replace("llm-original", "llm-set-by-someone-else"))
    versions.append(open(value[len("file://"):]).read())
    json.dump(store, open(store_path, "w"))
    print(f"v{len(versions)}")
elif command == "describe-secret":
    stages = {f"v{len(versions)}": ["AWSCURRENT"], f"v{len(versions) - 1}": ["AWSPREVIOUS"]}
    wanted = arg("--query")
    assert wanted.startswith('VersionIdsToStages."') and arg("--output") == "text", wanted
    print("\t".join(stages.get(wanted.split('"')[1], ["None"])))
else:
    sys.exit(f"unexpected aws call {args}")
"""
TERRAFORM_STUB = r"""#!/bin/sh
echo "[\"terraform\", \"$1\", \"$2\", \"$3\", \"$4\"]" >> "$STUB_LOG"
[ "$2 $3 $4" = "output -raw app_secret_arn" ] || exit 9
printf '%s' "$STUB_ARN"
"""

pytestmark = pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")


class Account:
    """One environment root and a stub Secrets Manager holding its application secret's versions."""

    def __init__(self, tmp_path: Path, first_value: str):
        self.env_dir = tmp_path / "environments" / "prod"
        self.env_dir.mkdir(parents=True)
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        for name, text in {"aws": AWS_STUB, "terraform": TERRAFORM_STUB}.items():
            (bin_dir / name).write_text(text)
            (bin_dir / name).chmod(0o755)
        self.store = tmp_path / "store.json"
        self.store.write_text(json.dumps({"arn": ARN, "versions": [first_value]}))
        self.log = tmp_path / "calls.log"
        self.env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "STUB_LOG": str(self.log),
                    "STUB_STORE": str(self.store), "STUB_ARN": ARN, "STUB_RANDOM": NEW_RANDOM,
                    "TMPDIR": str(tmp_path)}

    def rotate(self, *args: str, stdin: str = "", env_random: str = NEW_RANDOM,
               **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", str(SCRIPT), str(self.env_dir), *args],
                              env={**self.env, "STUB_RANDOM": env_random, **env},
                              input=stdin, capture_output=True, text=True, timeout=60)

    def versions(self) -> list[str]:
        return json.loads(self.store.read_text())["versions"]

    def current(self) -> dict[str, str]:
        return json.loads(self.versions()[-1])

    def argument_vectors(self) -> str:
        return self.log.read_text()


@pytest.fixture
def account(tmp_path: Path) -> Account:
    return Account(tmp_path, json.dumps(ORIGINAL))


@pytest.mark.parametrize("key", sorted(ORIGINAL))
def test_one_key_gets_a_new_random_value_and_the_others_keep_theirs(account: Account, key: str):
    proc = account.rotate(key)
    assert proc.returncode == 0, proc.stderr
    assert account.current() == {**ORIGINAL, key: NEW_RANDOM, f"{key}_previous": ORIGINAL[key]}
    assert json.loads(account.versions()[0]) == ORIGINAL, "the previous version is untouched (AWSPREVIOUS)"
    assert not account.versions()[-1].endswith("\n"), "the stored string is the JSON object, nothing after it"
    assert f"rotated '{key}'" in proc.stdout and f"'{key}_previous'" in proc.stdout


def test_a_second_rotation_keeps_only_the_value_before_it(account: Account):
    assert account.rotate("encryption_key").returncode == 0
    proc = account.rotate("encryption_key", env_random="Second" * 8)
    assert proc.returncode == 0, proc.stderr
    assert account.current()["encryption_key"] == "Second" * 8
    assert account.current()["encryption_key_previous"] == NEW_RANDOM


def test_another_write_during_the_rotation_is_reported(account: Account):
    proc = account.rotate("jwt_secret_key", STUB_RACE="1")
    assert proc.returncode == 1
    assert "another write reached" in proc.stderr and "v1 is not AWSPREVIOUS" in proc.stderr


def test_a_vendor_key_is_read_from_stdin(account: Account):
    proc = account.rotate("llm_api_key", "--stdin", stdin="sk-vendor-issued-key\r\n")
    assert proc.returncode == 0, proc.stderr
    assert account.current() == {**ORIGINAL, "llm_api_key": "sk-vendor-issued-key",
                                 "llm_api_key_previous": "llm-original"}
    assert "get-random-password" not in account.argument_vectors()


def test_no_value_is_printed_or_passed_on_a_command_line(account: Account):
    proc = account.rotate("jwt_secret_key")
    assert proc.returncode == 0, proc.stderr
    seen = proc.stdout + proc.stderr + account.argument_vectors()
    for value in (*ORIGINAL.values(), NEW_RANDOM):
        assert value not in seen


@pytest.mark.parametrize("args, stdin, message", [
    (("jwt_secret",), "", "has no key 'jwt_secret' (keys: encryption_key, jwt_secret_key, llm_api_key)"),
    (("JWT",), "", "KEY must be one of the secret's keys"),
    (("jwt_secret_key_previous",), "", "holds the value before the last rotation of jwt_secret_key"),
    (("llm_api_key", "--stdin"), "", "refusing an empty value"),
    (("llm_api_key", "--force"), "", "usage:"),
])
def test_refusals_change_nothing(account: Account, args: tuple[str, ...], stdin: str, message: str):
    proc = account.rotate(*args, stdin=stdin)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert account.versions() == [json.dumps(ORIGINAL)]


def test_a_secret_that_is_not_a_json_object_is_left_alone(tmp_path: Path):
    account = Account(tmp_path, "plain text value")
    proc = account.rotate("jwt_secret_key")
    assert proc.returncode == 1 and "not JSON" in proc.stderr
    assert account.versions() == ["plain text value"]


def test_an_unreadable_secret_stops_before_writing(account: Account):
    data = json.loads(account.store.read_text())
    account.store.write_text(json.dumps({**data, "deny": True}))
    proc = account.rotate("jwt_secret_key")
    assert proc.returncode == 1 and "cannot read" in proc.stderr
    assert "put-secret-value" not in account.argument_vectors()


def test_the_temporary_files_are_removed(account: Account, tmp_path: Path):
    account.log.write_text("")
    before = set(tmp_path.iterdir())
    assert account.rotate("encryption_key").returncode == 0
    assert set(tmp_path.iterdir()) == before


def test_make_target_passes_the_environment_root_and_key():
    proc = subprocess.run(["make", "-n", "rotate-secret", "ENV=staging", "KEY=jwt_secret_key", "STDIN=1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert ("scripts/rotate-app-secret.sh 'generated/terraform/environments/staging' 'jwt_secret_key' --stdin"
            in proc.stdout)


@pytest.mark.parametrize("variable", ["KEY", "ENV"])
@pytest.mark.parametrize("payload", ["x'; touch {marker}; echo '", "x$$(touch {marker})", "x`touch {marker}`",
                                     'x"; touch {marker}; echo "', "x; touch {marker}", "x\ntouch {marker}",
                                     "X", "x y"])
def test_make_refuses_injected_env_or_key_before_any_recipe_runs(tmp_path: Path, variable: str,
                                                                  payload: str) -> None:
    """Issue 23: KEY="x'; touch ...; echo '" ran the injected command and make exited 0."""
    marker = tmp_path / "pwned"
    values = {"ENV": "staging", "KEY": "jwt_secret_key", variable: payload.format(marker=marker)}
    proc = subprocess.run(["make", "rotate-secret", f"ENV={values['ENV']}", f"KEY={values['KEY']}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "TF": "false"})
    assert proc.returncode != 0
    assert f"{variable} may hold only" in proc.stderr
    assert not marker.exists()
