"""`terraform validate` with the real AWS provider on every generated root (environments, state bootstrap): 0/0.

Runs in a scratch copy of generated/terraform (no .terraform directories end up in the tree) with a CLI
config that installs hashicorp providers only from the offline filesystem mirror.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tfhelpers import MIRROR, TERRAFORM, terraform_validate, write_cli_config

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / "generated" / "terraform"
ENVS = sorted(p.name for p in (TREE / "environments").iterdir() if p.is_dir()) if TREE.is_dir() else []
BOOTSTRAP = sorted(p.name for p in (TREE / "bootstrap").glob("*") if p.is_dir())

pytestmark = [
    pytest.mark.terraform,
    pytest.mark.skipif(TERRAFORM is None, reason="terraform is not on PATH"),
    pytest.mark.skipif(not MIRROR.is_dir(), reason=f"no provider mirror at {MIRROR} (offline validate needs it)"),
]


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


@pytest.mark.parametrize("env", [f"environments/{e}" for e in ENVS] + [f"bootstrap/{b}" for b in BOOTSTRAP])
def test_validate_has_no_errors_or_warnings(scratch: Path, env: str):
    workdir = scratch / "terraform" / env
    config = scratch / "tf.rc"
    report = terraform_validate(workdir, config)
    problems = [_describe(d) for d in report.get("diagnostics", [])]
    assert report["valid"] and report["error_count"] == 0 and report["warning_count"] == 0 and not problems, (
        f"terraform validate for {env}:\n" + "\n".join(problems)
    )
