"""Every generated root module validates and plans against hashicorp/aws 6.69.1, offline.

The roots allow `hashicorp/aws >= 5.100, < 7`; test_terraform_validate.py proves 5.100 with the real
provider, this file proves the other major. `../shared/fakeprov` (a fake plugin serving the real 6.69.1
argument schema) lets the real Terraform 1.11 on PATH do the checking: unknown or removed arguments, wrong
types, block counts, references to attributes that 6.x no longer has. Its build lives in .venv-fakeprov
(`make fakeprov`, PyPI downloads once); the tests never touch the network. They skip when the build is
missing unless TFGEN_REQUIRE_FAKEPROV=1 (CI sets it), so CI cannot go green by skipping them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from tfhelpers import TERRAFORM

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / "generated" / "terraform"
FAKEPROV = Path(os.environ.get("FAKEPROV_DIR", ROOT.parent / "shared" / "fakeprov"))
CACHE = Path(os.environ.get("FAKEPROV_CACHE", ROOT / ".venv-fakeprov"))
AWS_V6 = "6.69.1"
REQUIRED = os.environ.get("TFGEN_REQUIRE_FAKEPROV") == "1"


def root_modules() -> list[str]:
    """Every directory of the generated tree that Terraform runs in: environments and bootstrap roots."""
    if not TREE.is_dir():
        return []
    roots = {p.parent for p in TREE.rglob("versions.tf") if "modules" not in p.relative_to(TREE).parts}
    return sorted(p.relative_to(TREE).as_posix() for p in roots)


ROOTS = root_modules()


def _missing() -> str | None:
    if TERRAFORM is None:
        return "terraform is not on PATH"
    if not (FAKEPROV / "validate.sh").is_file():
        return f"no fakeprov at {FAKEPROV}"
    if not (CACHE / "terraformrc").is_file():
        return f"fakeprov is not built in {CACHE} (run `make fakeprov`)"
    return None


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of generated/terraform: fakeprov writes temporary override files into the root it runs on."""
    missing = _missing()
    if missing:
        if REQUIRED:
            pytest.fail(f"TFGEN_REQUIRE_FAKEPROV=1 but {missing}")
        pytest.skip(missing)
    base = tmp_path_factory.mktemp("fakeprov") / "terraform"
    shutil.copytree(TREE, base, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", ".terraform.lock.hcl"))
    return base


def _fakeprov(script: str, workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FAKEPROV_CACHE": str(CACHE), "FAKEPROV_TERRAFORM": str(TERRAFORM)}
    env.pop("TF_PLUGIN_CACHE_DIR", None)
    return subprocess.run(["bash", str(FAKEPROV / script), str(workdir), *args], env=env,
                          capture_output=True, text=True, timeout=600)


def _installed_aws_version(workdir: Path) -> str:
    """The hashicorp/aws version the last fakeprov init in `workdir` installed (from its init log)."""
    work = CACHE / "work" / hashlib.sha1(str(workdir.resolve()).encode()).hexdigest()[:12]
    for line in (work / "init.log").read_text().splitlines():
        if "Installed hashicorp/aws v" in line:
            return line.split("Installed hashicorp/aws v", 1)[1].split()[0]
    return "none"


def _describe(diagnostic: dict) -> str:
    where = diagnostic.get("range") or {}
    location = f"{where.get('filename', '?')}:{(where.get('start') or {}).get('line', '?')}"
    return f"{diagnostic['severity']}: {diagnostic['summary']} ({location}) {diagnostic.get('detail', '')}".strip()


def test_there_are_root_modules():
    assert any(r.startswith("environments/") for r in ROOTS), f"no environments under {TREE}: run `make render-all`"


@pytest.mark.terraform
@pytest.mark.parametrize("root", ROOTS)
def test_validate_on_aws_v6(scratch: Path, root: str):
    workdir = scratch / root
    result = _fakeprov("validate.sh", workdir)
    assert result.stdout.strip(), f"fakeprov validate printed nothing for {root}:\n{result.stderr[-3000:]}"
    report = json.loads(result.stdout)
    assert _installed_aws_version(workdir) == AWS_V6
    problems = [_describe(d) for d in report.get("diagnostics", [])]
    assert report["valid"] and report["error_count"] == 0 and report["warning_count"] == 0 and not problems, (
        f"terraform validate of {root} on aws {AWS_V6}:\n" + "\n".join(problems)
    )


@pytest.mark.terraform
@pytest.mark.parametrize("root", ROOTS)
def test_plan_on_aws_v6(scratch: Path, root: str):
    """A full plan: data sources, module wiring, `for_each` keys, preconditions and checks all evaluate."""
    workdir = scratch / root
    result = _fakeprov("plan.sh", workdir, "-json")
    messages = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    problems = [_describe(m["diagnostic"]) for m in messages if m.get("type") == "diagnostic"]
    summary = next((m["changes"] for m in messages if m.get("type") == "change_summary"), None)
    assert result.returncode == 0 and not problems, (
        f"terraform plan of {root} on aws {AWS_V6} (exit {result.returncode}):\n" + "\n".join(problems)
        + ("" if problems else result.stderr[-3000:])
    )
    assert _installed_aws_version(workdir) == AWS_V6
    assert summary is not None and summary["add"] > 0 and summary["remove"] == 0, f"plan summary: {summary}"
