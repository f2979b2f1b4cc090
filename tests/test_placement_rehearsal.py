"""Stable placement, rehearsed: apply dev with two availability zones once, then plan against that state
(tests/rehearsal/plan_scenarios.py) the seed's "Adding More Subnets" third zone, an added service and a
reordered zone list: none of them may destroy or replace anything. A fourth scenario moves chromadb to
the other zone on purpose and must be reported as replacing its instance and its data volume, which shows
that the check can fail.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from tfhelpers import MIRROR, TERRAFORM

from tfgen.cli import main

ROOT = Path(__file__).resolve().parent.parent

# YAML appended to the bundled specs/dev.yaml (which sets no services; a `network:` here replaces dev's own block,
# in dev's range 10.10.0.0/16).
SCENARIOS = {
    "third_az": """
network:
  availability_zones: [us-east-1a, us-east-1b, us-east-1c]
  vpc_cidr: 10.10.0.0/16
  public_subnet_cidrs: [10.10.1.0/24, 10.10.2.0/24, 10.10.3.0/24]
  private_subnet_cidrs: [10.10.11.0/24, 10.10.12.0/24, 10.10.13.0/24]
""",
    "added_service": """
services:
  worker:
    description: Background job worker
    port: 9000
    ingress_from: [backend]
    instance_type: t4g.small
    permissions: [uploads-rw]
    exec_start: /opt/worker/venv/bin/python -m worker
""",
    "reordered_azs": """
network:
  availability_zones: [us-east-1b, us-east-1a]
  vpc_cidr: 10.10.0.0/16
  public_subnet_cidrs: [10.10.2.0/24, 10.10.1.0/24]
  private_subnet_cidrs: [10.10.12.0/24, 10.10.11.0/24]
""",
    "moved_service": """
services:
  chromadb:
    availability_zone: us-east-1b
""",
}
SAFE = ("third_az", "added_service", "reordered_azs")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(TERRAFORM is None, reason="terraform is not on PATH"),
    pytest.mark.skipif(not (MIRROR / "registry.terraform.io/hashicorp/aws").is_dir(), reason="no provider mirror"),
]


def render(project: Path, dev_addition: str = "") -> Path:
    shutil.copytree(ROOT / "specs", project / "specs")
    shutil.copytree(ROOT / "templates", project / "templates")
    dev = project / "specs" / "dev.yaml"
    text = dev.read_text()
    if "\nnetwork:\n" in dev_addition:  # the scenario's network block replaces dev's (up to the next blank line)
        text = re.sub(r"\nnetwork:\n(  .*\n)+", "\n", text)
    dev.write_text(text + dev_addition)
    result = CliRunner().invoke(main, ["-C", str(project), "render", "dev"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return project / "generated" / "terraform"


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict, str]:
    base = tmp_path_factory.mktemp("placement")
    tree = render(base / "applied")
    command = [sys.executable, str(ROOT / "tests/rehearsal/run.py"), "--env", "dev", "--tree", str(tree),
               "--project-dir", str(ROOT), "--work-dir", str(base / "e2e"), "--json", str(base / "result.json")]
    for name, addition in SCENARIOS.items():
        command += ["--plan-scenario", f"{name}={render(base / name, addition)}"]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    if not (base / "result.json").exists():
        pytest.fail(f"the rehearsal wrote no result (exit {proc.returncode}):\n{(proc.stdout + proc.stderr)[-4000:]}")
    (result,) = json.loads((base / "result.json").read_text())
    return proc.returncode, result, proc.stdout + proc.stderr


def test_zones_added_or_reordered_and_services_added_replace_nothing(rehearsal: tuple[int, dict, str]):
    _, result, output = rehearsal
    steps = {step["name"]: step for step in result["steps"]}
    for step in ("apply", "replan", "destroy"):
        assert steps[step]["ok"], output[-6000:]
    for name in SAFE:
        assert steps[f"scenario:{name}"]["ok"], output[-6000:]
    assert "scenario third_az: " in output and "scenario added_service: " in output


def test_moving_a_service_is_reported_as_a_replacement(rehearsal: tuple[int, dict, str]):
    returncode, result, output = rehearsal
    moved = next(step for step in result["steps"] if step["name"] == "scenario:moved_service")
    assert not moved["ok"] and moved["note"] == "destroys", output[-4000:]
    assert returncode == 1 and result["status"] == "FAIL"
    assert "scenario moved_service destroys or replaces" in result["reason"]
    assert 'module.compute.aws_ebs_volume.data["chromadb"]: delete/create' in result["reason"]
    assert "scenario third_az" not in result["reason"] and "scenario added_service" not in result["reason"]
