"""`terraform validate` with the real AWS provider on every generated environment: zero errors, zero warnings.

Runs in a scratch copy of generated/terraform (no .terraform directories end up in the tree) with a CLI
config that installs hashicorp providers only from the offline filesystem mirror.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / "generated" / "terraform"
MIRROR = Path(os.environ.get("TF_MIRROR", "/opt/tf-plugins"))
TERRAFORM = shutil.which("terraform")
ENVS = sorted(p.name for p in (TREE / "environments").iterdir() if p.is_dir()) if TREE.is_dir() else []

pytestmark = [
    pytest.mark.terraform,
    pytest.mark.skipif(TERRAFORM is None, reason="terraform is not on PATH"),
    pytest.mark.skipif(not MIRROR.is_dir(), reason=f"no provider mirror at {MIRROR} (offline validate needs it)"),
]

CLI_CONFIG = """provider_installation {{
  filesystem_mirror {{
    path    = "{mirror}"
    include = ["registry.terraform.io/hashicorp/*"]
  }}
}}
"""


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of generated/terraform plus the CLI config, shared by every environment."""
    if not TREE.is_dir():
        pytest.fail(f"{TREE} is missing: run `make render-all`")
    base = tmp_path_factory.mktemp("tfvalidate")
    shutil.copytree(TREE, base / "terraform", ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    (base / "tf.rc").write_text(CLI_CONFIG.format(mirror=MIRROR))
    return base


def _run(args: list[str], cwd: Path, config: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(config), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    env.pop("TF_PLUGIN_CACHE_DIR", None)
    return subprocess.run([TERRAFORM, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def _describe(diagnostic: dict) -> str:
    where = diagnostic.get("range") or {}
    location = f"{where.get('filename', '?')}:{(where.get('start') or {}).get('line', '?')}"
    return f"{diagnostic['severity']}: {diagnostic['summary']} ({location}) {diagnostic.get('detail', '')}".strip()


def test_environments_exist():
    assert ENVS, f"no environments under {TREE / 'environments'}: run `make render-all`"


@pytest.mark.parametrize("env", ENVS)
def test_validate_has_no_errors_or_warnings(scratch: Path, env: str):
    workdir = scratch / "terraform" / "environments" / env
    config = scratch / "tf.rc"
    init = _run(["init", "-backend=false", "-input=false", "-no-color"], workdir, config)
    assert init.returncode == 0, f"terraform init failed for {env}:\n{init.stdout}\n{init.stderr}"
    # init itself warns about the lock file holding only the mirror's checksum: expected offline, not a
    # diagnostic of the configuration.

    result = _run(["validate", "-json", "-no-color"], workdir, config)
    report = json.loads(result.stdout)
    problems = [_describe(d) for d in report.get("diagnostics", [])]
    assert report["valid"] and report["error_count"] == 0 and report["warning_count"] == 0 and not problems, (
        f"terraform validate for {env}:\n" + "\n".join(problems)
    )
