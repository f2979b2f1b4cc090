"""Services pick up rotated secrets: the environment-file script embedded in the rendered user data, run by real
bash against stub `aws`, `systemctl` and `sleep` commands.

RDS rotates the managed master password every 7 days and `make rotate-secret` rotates one application key. The
script is what the unit's ExecStartPre runs (always writes the file, retries about 3 minutes at boot) and what
the <service>-secrets timer runs every 5 minutes with --refresh (rewrites the file and restarts a running
service only when a value changed; keeps the current file on any failure). The script is taken from user
data as Terraform's templatefile() renders it for dev's backend, so the test exercises the shipped text.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest
from test_user_data_shellcheck import WIRED, render_scripts, scripts
from tfhelpers import copy_project

SERVICE = "backend"
ENV_FILE = f"/etc/{SERVICE}/environment"
DB_ARN = WIRED["db_secret_arn"]
APP_ARN = WIRED["app_secret_arn"]

AWS_STUB = r"""#!/usr/bin/env python3
# Stub of `aws secretsmanager get-secret-value`: answers from $STUB_STORE, logs every call to $STUB_LOG.
# A store value {"fail": N} fails the next N calls for that secret (AccessDenied), then answers "value".
import json, os, sys
args = sys.argv[1:]
with open(os.environ["STUB_LOG"], "a") as log:
    log.write("aws " + " ".join(args) + "\n")
assert args[:2] == ["secretsmanager", "get-secret-value"], args
secret_id = args[args.index("--secret-id") + 1]
assert args[args.index("--query") + 1] == "SecretString" and args[args.index("--output") + 1] == "text"
store_path = os.environ["STUB_STORE"]
with open(store_path) as handle:
    store = json.load(handle)
entry = store.get(secret_id)
if entry is None:
    sys.exit("An error occurred (ResourceNotFoundException)")
if entry.get("fail", 0) > 0:
    entry["fail"] -= 1
    with open(store_path, "w") as handle:
        json.dump(store, handle)
    sys.exit("An error occurred (AccessDeniedException)")
print(entry["value"])
"""
LOG_STUB = '#!/bin/sh\necho "$(basename "$0") $*" >> "$STUB_LOG"\n'


@pytest.fixture(scope="module")
def environment_script(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The embedded environment-file script of dev's backend, as rendered by Terraform, with the backend on the
    master secret (db-secret-read) besides the application secret: the bundled backend logs in with IAM
    (db-connect) and reads one secret, and the refresh must handle several and RDS's rotation of the master."""
    project = copy_project(tmp_path_factory.mktemp("master-secret") / "project")
    base = project / "specs" / "base.yaml"
    old = "permissions: [uploads-rw, app-secrets-read, db-connect]\n    packages: [python3.11"
    assert old in base.read_text()
    base.write_text(base.read_text().replace(old, old.replace("db-connect", "db-secret-read"), 1))
    user_data = render_scripts(project, "dev", tmp_path_factory.mktemp("userdata") / "compute")[SERVICE]
    (body,) = re.findall(r"<<'SCRIPT'\n(.*?)\nSCRIPT\n", user_data, re.S)
    return body + "\n"


class Host:
    """A scratch 'instance': the script with its file path moved under tmp, stub commands first on PATH."""

    def __init__(self, root: Path, script: str):
        self.root = root
        self.env_file = root / "etc" / SERVICE / "environment"
        self.env_file.parent.mkdir(parents=True)
        assert script.count(f"'{ENV_FILE}'") == 1, "the file path should be one readonly constant"
        self.script = root / f"{SERVICE}-environment"
        self.script.write_text(script.replace(f"'{ENV_FILE}'", f"'{self.env_file}'"))
        bin_dir = root / "bin"
        bin_dir.mkdir()
        for name, text in {"aws": AWS_STUB, "systemctl": LOG_STUB, "sleep": LOG_STUB}.items():
            (bin_dir / name).write_text(text)
            (bin_dir / name).chmod(0o755)
        self.log = root / "calls.log"
        self.store = root / "store.json"
        self.env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "STUB_LOG": str(self.log),
                    "STUB_STORE": str(self.store)}
        self.secrets(db_password="first-db-password", jwt_secret_key="first-jwt")

    def secrets(self, db_password: str, jwt_secret_key: str, db_fail: int = 0, db_raw: str | None = None) -> None:
        db_value = db_raw if db_raw is not None else json.dumps({"username": "admin", "password": db_password})
        self.store.write_text(json.dumps({
            DB_ARN: {"value": db_value, "fail": db_fail},
            APP_ARN: {"value": json.dumps({"jwt_secret_key": jwt_secret_key, "encryption_key": "enc",
                                           "llm_api_key": "llm"})},
        }))

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        self.log.write_text("")
        return subprocess.run(["bash", str(self.script), *args], env=self.env, capture_output=True, text=True,
                              timeout=60)

    def calls(self, command: str) -> list[str]:
        return [line for line in self.log.read_text().splitlines() if line.startswith(command + " ")]

    def leftovers(self) -> list[str]:
        return sorted(p.name for p in self.env_file.parent.iterdir() if p != self.env_file)


@pytest.fixture
def host(tmp_path: Path, environment_script: str) -> Host:
    return Host(tmp_path, environment_script)


def test_start_writes_settings_and_every_granted_secret(host: Host):
    proc = host.run()
    assert proc.returncode == 0, proc.stderr
    lines = host.env_file.read_text().splitlines()
    assert 'DB_PASSWORD="first-db-password"' in lines and 'DB_USERNAME="admin"' in lines
    assert 'JWT_SECRET_KEY="first-jwt"' in lines and 'ENCRYPTION_KEY="enc"' in lines
    assert any(line.startswith("DB_HOST=") for line in lines) and 'AWS_REGION="us-east-1"' in lines
    assert stat.S_IMODE(host.env_file.stat().st_mode) == 0o600
    assert host.calls("systemctl") == [], "ExecStartPre must not restart the unit it belongs to"
    assert host.leftovers() == []


def test_refresh_without_a_change_leaves_the_file_and_the_service_alone(host: Host):
    assert host.run().returncode == 0
    before = host.env_file.stat()
    proc = host.run("--refresh")
    assert proc.returncode == 0, proc.stderr
    after = host.env_file.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert host.calls("systemctl") == []
    assert len(host.calls("aws")) == 2, "one read per granted secret"
    assert host.leftovers() == []


@pytest.mark.parametrize("rotated", ["db", "app"])
def test_refresh_after_a_rotation_rewrites_the_file_and_restarts_a_running_service(host: Host, rotated: str):
    assert host.run().returncode == 0
    if rotated == "db":
        host.secrets(db_password="rotated-by-rds", jwt_secret_key="first-jwt")
    else:
        host.secrets(db_password="first-db-password", jwt_secret_key="rotated-jwt")
    proc = host.run("--refresh")
    assert proc.returncode == 0, proc.stderr
    text = host.env_file.read_text()
    assert ('DB_PASSWORD="rotated-by-rds"' in text) == (rotated == "db")
    assert ('JWT_SECRET_KEY="rotated-jwt"' in text) == (rotated == "app")
    assert host.calls("systemctl") == [f"systemctl try-restart {SERVICE}.service"]
    assert stat.S_IMODE(host.env_file.stat().st_mode) == 0o600
    assert "rotated-by-rds" not in proc.stdout + proc.stderr, "no secret value in the journal"


@pytest.mark.parametrize("failure", ["access-denied", "not-json"])
def test_refresh_that_cannot_read_a_secret_keeps_the_current_file(host: Host, failure: str):
    assert host.run().returncode == 0
    before = host.env_file.read_bytes()
    if failure == "access-denied":
        host.secrets(db_password="rotated-by-rds", jwt_secret_key="first-jwt", db_fail=99)
    else:
        host.secrets(db_password="", jwt_secret_key="first-jwt", db_raw="<html>proxy error</html>")
    proc = host.run("--refresh")
    assert proc.returncode != 0
    assert host.env_file.read_bytes() == before
    assert host.calls("systemctl") == []
    assert host.leftovers() == [], "the temporary file is removed"
    if failure == "access-denied":
        db_reads = [call for call in host.calls("aws") if DB_ARN in call]
        assert len(db_reads) == 3, "the timer retries 3 times, not 3 minutes"
        assert "giving up on secret" in proc.stderr


def test_start_retries_while_the_role_or_first_value_propagates(host: Host):
    host.secrets(db_password="first-db-password", jwt_secret_key="first-jwt", db_fail=4)
    proc = host.run()
    assert proc.returncode == 0, proc.stderr
    assert 'DB_PASSWORD="first-db-password"' in host.env_file.read_text()
    assert len([c for c in host.calls("aws") if DB_ARN in c]) == 5
    assert host.calls("sleep") == ["sleep 2", "sleep 4", "sleep 8", "sleep 16"]


def test_unknown_arguments_are_refused(host: Host):
    proc = host.run("--now")
    assert proc.returncode == 2 and "usage" in proc.stderr
    assert not host.env_file.exists()


def units(user_data: str) -> dict[str, str]:
    """Unit files written by user data, by file name."""
    return {Path(path).name: body for path, body in
            re.findall(r'cat > "/etc/systemd/system/\$SERVICE([^"]*)" <<\'UNIT\'\n(.*?)\nUNIT\n', user_data, re.S)}


def test_the_timer_runs_the_refresh_for_services_with_secrets(tmp_path_factory: pytest.TempPathFactory):
    rendered = scripts("dev", tmp_path_factory)
    with_secrets = units(rendered[SERVICE])
    assert set(with_secrets) == {".service", "-secrets.service", "-secrets.timer"}
    assert f"ExecStart=/usr/local/sbin/{SERVICE}-environment --refresh" in with_secrets["-secrets.service"]
    assert "OnUnitInactiveSec=5min" in with_secrets["-secrets.timer"]
    assert f"ExecStartPre=+/usr/local/sbin/{SERVICE}-environment" in with_secrets[".service"]
    assert "Restart=on-failure" in with_secrets[".service"]
    # The secrets units are only enabled when the service reads a secret (bash decides on SECRET_ARNS).
    assert re.search(r'if \[ -n "\$\{SECRET_ARNS\[\*\]\}" \]; then\n  systemctl enable --now '
                     r'"\$SERVICE-secrets.timer"', rendered[SERVICE])
