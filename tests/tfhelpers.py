"""Helpers shared by the tests that read generated HCL or run the real terraform binary."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MIRROR = Path(os.environ.get("TF_MIRROR", "/opt/tf-plugins"))
TERRAFORM = shutil.which("terraform")
FAKEPROV = Path(os.environ.get("FAKEPROV_DIR", ROOT.parent / "shared" / "fakeprov"))
FAKEPROV_CACHE = Path(os.environ.get("FAKEPROV_CACHE", ROOT / ".venv-fakeprov"))
HAS_FAKEPROV = TERRAFORM is not None and (FAKEPROV_CACHE / "terraformrc").is_file() and (FAKEPROV / "lib.sh").is_file()


def fakeprov_plan(root: Path) -> dict[str, Any]:
    """`terraform show -json` of a plan of the root module `root` on the fake aws 6.69.1 provider."""
    env = {**os.environ, "FAKEPROV_DIR": str(FAKEPROV), "FAKEPROV_CACHE": str(FAKEPROV_CACHE),
           "FAKEPROV_TERRAFORM": str(TERRAFORM)}
    env.pop("TF_PLUGIN_CACHE_DIR", None)
    show = Path(__file__).resolve().parent / "fakeprov_show.sh"
    result = subprocess.run(["bash", str(show), str(root)], env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
CLI_CONFIG = """provider_installation {{
  filesystem_mirror {{
    path    = "{mirror}"
    include = ["registry.terraform.io/hashicorp/*"]
  }}
}}
"""


FAST_HYPOTHESIS = bool(os.environ.get("TFGEN_FAST_HYPOTHESIS"))  # make test-fast: a tenth of the examples


def examples(count: int) -> int:
    """Hypothesis examples for a property test: `count` in `make test`, a tenth (at least 5) in `make test-fast`."""
    return max(5, count // 10) if FAST_HYPOTHESIS else count


def clean_hcl2(value: Any) -> Any:
    """python-hcl2 8.x keeps quotes on strings/labels and wraps expressions in ${...}: strip both."""
    if isinstance(value, dict):
        return {clean_hcl2(k): clean_hcl2(v) for k, v in value.items() if k not in ("__is_block__", "__comments__")}
    if isinstance(value, list):
        return [clean_hcl2(v) for v in value]
    if isinstance(value, str):
        if len(value) >= 2 and value[0] == value[-1] == '"':
            return value[1:-1]
        if value.startswith("${") and value.endswith("}"):
            return value[2:-1]
    return value


def write_cli_config(directory: Path) -> Path:
    """A terraform CLI config that installs providers only from the offline filesystem mirror."""
    config = directory / "tf.rc"
    config.write_text(CLI_CONFIG.format(mirror=MIRROR))
    return config


def run_terraform(args: list[str], cwd: Path, config: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    """Run the real terraform with the mirror config, no checkpoint calls, captured output."""
    assert TERRAFORM is not None
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(config), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    env.pop("TF_PLUGIN_CACHE_DIR", None)
    return subprocess.run([TERRAFORM, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def terraform_validate(workdir: Path, config: Path) -> dict[str, Any]:
    """`terraform init -backend=false` then `terraform validate -json`; returns the JSON report."""
    init = run_terraform(["init", "-backend=false", "-input=false", "-no-color"], workdir, config)
    assert init.returncode == 0, f"terraform init failed in {workdir}:\n{init.stdout}\n{init.stderr}"
    result = run_terraform(["validate", "-json", "-no-color"], workdir, config)
    return json.loads(result.stdout)


def copy_project(dest: Path) -> Path:
    """A throwaway tfgen project at `dest`: the real specs and templates, no generated/ tree. The specs' own
    `environment.acknowledged_changes` are left out: they approve a change against the repository's history,
    and the copy starts where that change is applied (its renders would print them as warnings)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "specs", dest / "specs")
    shutil.copytree(ROOT / "templates", dest / "templates")
    for spec in (dest / "specs").glob("*.yaml"):
        spec.write_text(without_acknowledgements(spec.read_text()))
    return dest


def without_acknowledgements(text: str) -> str:
    """A spec's text without its top-level `environment:` block when that holds only acknowledged changes."""
    lines = text.splitlines(keepends=True)
    if "environment:\n" not in lines:
        return text
    start = end = lines.index("environment:\n") + 1
    while end < len(lines) and (lines[end].startswith("  ") or not lines[end].strip()):
        end += 1
    body = [line.rstrip("\n") for line in lines[start:end] if line.strip() and not line.lstrip().startswith("#")]
    if not body or body[0] != "  acknowledged_changes:" or not all(line.startswith("    ") for line in body[1:]):
        return text
    return "".join(lines[:start - 1] + lines[end:])


def checkov_failures(tree: Path, scratch: Path) -> list[str]:
    """Failed checkov checks over a copy of a generated terraform tree (checkov runs from its own venv)."""
    scan = scratch / "checkov" / "terraform"
    shutil.copytree(tree, scan, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", ".terraform.lock.hcl"))
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    result = subprocess.run(
        [str(CHECKOV), "-d", str(scan), "--framework", "terraform", "--compact", "--skip-download",
         "--download-external-modules", "false", "-o", "json"],
        capture_output=True, text=True, timeout=900, env=env,
    )
    assert result.stdout.strip(), f"checkov printed nothing (exit {result.returncode}):\n{result.stderr[-3000:]}"
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    passed = sum(report.get("summary", {}).get("passed", 0) for report in reports)
    assert passed > 0, "checkov passed no check at all: did it parse the tree?"
    return sorted({
        f"{c['check_id']} {c['resource']} ({c['file_path']}:{c['file_line_range'][0]}) {c.get('check_name', '')}"
        for report in reports for c in report.get("results", {}).get("failed_checks", [])
    })
