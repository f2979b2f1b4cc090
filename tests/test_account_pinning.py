"""One account per environment: `aws.account_id` pins every provider block, `aws.assume_role_arn` assumes a role.

Reads the committed tree for the bundled specs and renders a copy of the project for the other cases.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from click.testing import CliRunner
from tfhelpers import copy_project

from tfgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ROOT / "generated" / "terraform" / "environments"
PROVIDER_RE = re.compile(r'(?ms)^provider "aws" \{\n(.*?)^\}')


def _providers(text: str) -> list[str]:
    return PROVIDER_RE.findall(text)


def test_prod_pins_its_account_in_every_provider_block():
    blocks = _providers((ENVIRONMENTS / "prod" / "provider.tf").read_text())
    assert len(blocks) == 3  # the default provider, the backup copy and the us-east-1 aliases
    assert all('allowed_account_ids = ["111122223333"]' in block for block in blocks)


def test_every_environment_pins_its_own_account():
    accounts = {}
    for env in ("dev", "staging", "prod"):
        blocks = _providers((ENVIRONMENTS / env / "provider.tf").read_text())
        pins = {re.search(r'allowed_account_ids = \["(\d{12})"\]', block)[1] for block in blocks}
        assert len(blocks) == 3 and len(pins) == 1, env
        accounts[env] = pins.pop()
    assert len(set(accounts.values())) == 3  # no two environments share an account


def test_account_and_role_reach_every_provider_block(tmp_path: Path):
    project = copy_project(tmp_path / "project")
    spec = project / "specs" / "dev.yaml"
    doc = yaml.safe_load(spec.read_text())
    doc["aws"] = {"account_id": "444455556666", "assume_role_arn": "arn:aws:iam::444455556666:role/tf-deploy"}
    doc["state"] = {"bucket": None}  # another account: its own bucket, named after it
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    result = CliRunner().invoke(main, ["-C", str(project), "render", "dev"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    blocks = _providers((project / "generated" / "terraform" / "environments" / "dev" / "provider.tf").read_text())
    assert len(blocks) == 3
    for block in blocks:
        assert 'allowed_account_ids = ["444455556666"]' in block
        assert 'role_arn     = "arn:aws:iam::444455556666:role/tf-deploy"' in block
        assert 'session_name = "tfgen-dev"' in block
