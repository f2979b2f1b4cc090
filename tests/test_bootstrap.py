"""The state-backend bootstrap root: what the seed asks of the state bucket and lock table, rendered per bucket.

Static checks read the committed tree (python-hcl2); behaviour checks render copies of the project with
changed specs. terraform validate (5.100), fakeprov (6.69.1), checkov and the rehearsal cover the same root
through their own tests, which walk every root module of the tree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml
from click.testing import CliRunner
from tfhelpers import clean_hcl2, copy_project

from tfgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
BOOTSTRAP = ROOT / "generated" / "terraform" / "bootstrap"
BUNDLED_BUCKET = "imgu-terraform-state"  # prod's; dev and staging keep their state in their own accounts' buckets
OWN_BUCKETS = ["imageunderstander-tfstate-444455556666-us-east-1", "imageunderstander-tfstate-777788889999-us-east-1"]


def _root(directory: Path) -> dict[str, dict[str, Any]]:
    """Every block of a root module: resources and data sources keyed "type.name", variables, terraform blocks."""
    blocks: dict[str, Any] = {"resource": {}, "data": {}, "variable": {}, "terraform": [], "provider": []}
    for path in sorted(directory.glob("*.tf")):
        parsed = clean_hcl2(hcl2.loads(path.read_text()))
        for kind in ("resource", "data"):
            for entry in parsed.get(kind, []):
                for rtype, named in entry.items():
                    for name, body in named.items():
                        blocks[kind][f"{rtype}.{name}"] = body
        for entry in parsed.get("variable", []):
            blocks["variable"].update(entry)
        blocks["terraform"] += parsed.get("terraform", [])
        blocks["provider"] += parsed.get("provider", [])
    return blocks


def _render(project: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["-C", str(project), "render", "--all"], catch_exceptions=False)
    return result.exit_code, result.stderr


def _edit(project: Path, name: str, change: dict[str, Any]) -> None:
    """Deep-merge `change` into specs/<name>.yaml (a test's spec edit)."""
    path = project / "specs" / f"{name}.yaml"
    doc = yaml.safe_load(path.read_text())

    def merge(into: dict[str, Any], extra: dict[str, Any]) -> None:
        for key, value in extra.items():
            if isinstance(value, dict) and isinstance(into.get(key), dict):
                merge(into[key], value)
            else:
                into[key] = value

    merge(doc, change)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


@pytest.fixture(scope="module")
def bundled() -> dict[str, dict[str, Any]]:
    directory = BOOTSTRAP / BUNDLED_BUCKET
    if not directory.is_dir():
        pytest.fail(f"{directory} is missing: run `make render-all`")
    return _root(directory)


def test_one_root_per_bucket_prods_named_one_and_one_per_account_for_dev_and_staging():
    assert sorted(p.name for p in BOOTSTRAP.iterdir() if p.is_dir()) == [*OWN_BUCKETS, BUNDLED_BUCKET]


def test_bootstrap_keeps_its_own_state_local(bundled):
    assert bundled["terraform"] and all("backend" not in block for block in bundled["terraform"])
    assert bundled["variable"]["state_bucket"]["default"] == BUNDLED_BUCKET
    assert bundled["variable"]["region"]["default"] == "us-east-1"


def test_state_bucket_is_versioned_encrypted_private_and_logged(bundled):
    res = bundled["resource"]
    assert res["aws_s3_bucket.state"]["bucket"] == "var.state_bucket"
    assert "force_destroy" not in res["aws_s3_bucket.state"]
    for bucket in ("state", "access_logs"):
        assert res[f"aws_s3_bucket_versioning.{bucket}"]["versioning_configuration"][0]["status"] == "Enabled"
        sse = res[f"aws_s3_bucket_server_side_encryption_configuration.{bucket}"]["rule"][0]
        assert sse["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "AES256"
        pab = res[f"aws_s3_bucket_public_access_block.{bucket}"]
        assert all(pab[flag] is True for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls",
                                                  "restrict_public_buckets"))
        assert res[f"aws_s3_bucket_ownership_controls.{bucket}"]["rule"][0]["object_ownership"] == "BucketOwnerEnforced"
        assert res[f"aws_s3_bucket_policy.{bucket}"]["policy"] == f"data.aws_iam_policy_document.{bucket}.json"
    logging = res["aws_s3_bucket_logging.state"]
    assert logging["bucket"] == "aws_s3_bucket.state.id"
    assert logging["target_bucket"] == "aws_s3_bucket.access_logs.id"


@pytest.mark.parametrize("bucket", ["state", "access_logs"])
def test_bucket_policies_deny_plain_http(bundled, bucket: str):
    statements = bundled["data"][f"aws_iam_policy_document.{bucket}"]["statement"]
    deny = [s for s in statements if s.get("effect") == "Deny"]
    assert len(deny) == 1 and deny[0]["actions"] == ["s3:*"]
    assert deny[0]["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]
    assert sorted(deny[0]["resources"]) == sorted([f"aws_s3_bucket.{bucket}.arn", f"${{aws_s3_bucket.{bucket}.arn}}/*"])


def test_log_bucket_admits_only_log_delivery_for_the_state_bucket(bundled):
    statements = bundled["data"]["aws_iam_policy_document.access_logs"]["statement"]
    allow = [s for s in statements if s.get("effect") == "Allow"]
    assert len(allow) == 1 and allow[0]["actions"] == ["s3:PutObject"]
    assert allow[0]["resources"] == ["${aws_s3_bucket.access_logs.arn}/${local.access_log_prefix}*"]
    assert bundled["resource"]["aws_s3_bucket_logging.state"]["target_prefix"] == "local.access_log_prefix"
    assert allow[0]["principals"] == [{"type": "Service", "identifiers": ["logging.s3.amazonaws.com"]}]
    conditions = {c["variable"]: c["values"] for c in allow[0]["condition"]}
    assert conditions == {"aws:SourceArn": ["aws_s3_bucket.state.arn"],
                          "aws:SourceAccount": ["data.aws_caller_identity.current.account_id"]}


def test_no_lock_table_with_the_native_lock_file(bundled):
    """The bundled specs lock with use_lockfile (the default): the table resource exists but has no instance."""
    assert bundled["variable"]["lock_tables"]["default"] == []
    assert bundled["resource"]["aws_dynamodb_table.lock"]["for_each"] == "var.lock_tables"


@pytest.mark.parametrize("lock", ["dynamodb", "both"])
def test_lock_table_when_a_spec_asks_for_dynamodb(tmp_path: Path, lock: str):
    project = copy_project(tmp_path / "project")
    _edit(project, "prod", {"state": {"lock": lock, "dynamodb_table": "imgu-locks"}})
    code, stderr = _render(project)
    assert code == 0, stderr
    root = _root(project / "generated" / "terraform" / "bootstrap" / BUNDLED_BUCKET)
    assert root["variable"]["lock_tables"]["default"] == ["imgu-locks"]
    table = root["resource"]["aws_dynamodb_table.lock"]
    assert table["hash_key"] == "LockID" and table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["attribute"] == [{"name": "LockID", "type": "S"}]
    assert table["point_in_time_recovery"] == [{"enabled": True}]
    assert table["server_side_encryption"] == [{"enabled": True}]
    assert table["deletion_protection_enabled"] == "var.lock_table_deletion_protection"
    backend = (project / "generated" / "terraform" / "environments" / "prod" / "versions.tf").read_text()
    assert 'dynamodb_table = "imgu-locks"' in backend
    assert ("use_lockfile" in backend) == (lock == "both")


def test_each_state_bucket_gets_its_own_root_and_account_pin(tmp_path: Path):
    project = copy_project(tmp_path / "project")
    _edit(project, "prod", {"state": {"bucket": "imgu-prod-terraform-state"}})
    code, stderr = _render(project)
    assert code == 0, stderr
    roots = project / "generated" / "terraform" / "bootstrap"
    assert sorted(p.name for p in roots.iterdir() if any(p.iterdir())) == [*OWN_BUCKETS, "imgu-prod-terraform-state"]
    prod = (roots / "imgu-prod-terraform-state" / "provider.tf").read_text()
    dev = (roots / OWN_BUCKETS[0] / "provider.tf").read_text()
    assert 'allowed_account_ids = ["111122223333"]' in prod  # every root is pinned to its account
    assert 'allowed_account_ids = ["444455556666"]' in dev


def test_bootstrap_root_of_a_removed_bucket_is_pruned(tmp_path: Path):
    project = copy_project(tmp_path / "project")
    assert _render(project)[0] == 0
    _edit(project, "prod", {"state": {"bucket": "imgu-state-v2"}})  # the only environment on the bundled bucket
    code, stderr = _render(project)
    assert code == 0, stderr
    roots = project / "generated" / "terraform" / "bootstrap"
    assert sorted(p.name for p in roots.iterdir() if any(p.iterdir())) == [*OWN_BUCKETS, "imgu-state-v2"]


def test_state_bucket_and_lock_table_are_protected_from_destroy(bundled):
    for address in ("aws_s3_bucket.state", "aws_dynamodb_table.lock"):
        assert bundled["resource"][address]["lifecycle"] == [{"prevent_destroy": True}], address
    assert "lifecycle" not in bundled["resource"]["aws_s3_bucket.access_logs"]  # force_destroy drives that one


def _drop_bucket_name(project: Path) -> None:
    base = project / "specs" / "base.yaml"
    base.write_text(base.read_text().replace("  bucket: imgu-terraform-state\n", ""))


def test_an_unnamed_bucket_is_named_after_account_and_region_and_pinned(tmp_path: Path):
    project = copy_project(tmp_path / "project")
    _drop_bucket_name(project)
    for env in ("dev", "staging"):
        _edit(project, env, {"aws": {"account_id": "444455556666"}})
    code, stderr = _render(project)
    assert code == 0, stderr
    roots = project / "generated" / "terraform" / "bootstrap"
    names = sorted(p.name for p in roots.iterdir() if any(p.iterdir()))
    assert names == [f"imageunderstander-tfstate-{account}-us-east-1" for account in ("111122223333", "444455556666")]
    for name in names:
        pin = name.split("-")[2]
        assert f'allowed_account_ids = ["{pin}"]' in (roots / name / "provider.tf").read_text()
        assert _root(roots / name)["variable"]["state_bucket"]["default"] == name
    backend = (project / "generated" / "terraform" / "environments" / "prod" / "versions.tf").read_text()
    assert 'bucket       = "imageunderstander-tfstate-111122223333-us-east-1"' in backend or \
        'bucket = "imageunderstander-tfstate-111122223333-us-east-1"' in backend


def test_an_unnamed_bucket_needs_the_account(tmp_path: Path):
    """Every environment names its account (issue 20 item 10): a spec without one stops at the schema, before a
    bucket name could be derived."""
    project = copy_project(tmp_path / "project")
    _drop_bucket_name(project)
    dev = project / "specs" / "dev.yaml"
    dev.write_text(dev.read_text().replace('  account_id: "444455556666"', "  assume_role_arn: null"))
    code, stderr = _render(project)
    assert code == 2
    assert "specs/dev.yaml:" in stderr and "aws.account_id: is required" in stderr, stderr


def test_environments_of_different_accounts_cannot_share_a_bucket(tmp_path: Path):
    project = copy_project(tmp_path / "project")
    _edit(project, "staging", {"state": {"bucket": BUNDLED_BUCKET}})  # staging's account, prod's bucket
    code, stderr = _render(project)
    assert code == 2
    assert "name different accounts but share the state bucket 'imgu-terraform-state'" in stderr


def test_the_shared_root_pins_the_one_account_its_environments_name(bundled):
    """Only prod keeps its state in the bundled bucket: the bucket lives in prod's account, and the root says so."""
    assert bundled["provider"][0]["aws"]["allowed_account_ids"] == ["111122223333"]


def test_the_account_baseline_follows_the_spec_toggles(bundled):
    """Defaults: CloudTrail, GuardDuty and session logging on; Security Hub and Config off (they bill per check)."""
    defaults = {name: bundled["variable"][name]["default"] for name in (
        "cloudtrail_enabled", "guardduty_enabled", "security_hub_enabled", "config_enabled", "session_logging_enabled")}
    assert defaults == {"cloudtrail_enabled": True, "guardduty_enabled": True, "security_hub_enabled": False,
                        "config_enabled": False, "session_logging_enabled": True}
    res = bundled["resource"]
    trail = res["aws_cloudtrail.main"]
    assert trail["is_multi_region_trail"] is True and trail["enable_log_file_validation"] is True
    assert trail["kms_key_id"] == "aws_kms_key.trail[0].arn"
    assert res["aws_kms_key.trail"]["enable_key_rotation"] is True
    assert res["aws_s3_bucket_public_access_block.trail"]["block_public_policy"] is True
    assert res["aws_s3_bucket_lifecycle_configuration.trail"]["rule"][0]["expiration"][0]["days"] == \
        "var.baseline_log_retention_days"
    document = res["aws_ssm_document.session_preferences"]
    assert document["name"] == "SSM-SessionManagerRunShell" and document["document_type"] == "Session"
    assert "Standard_Stream" in document["content"] and "cloudWatchEncryptionEnabled" in document["content"]
    assert res["aws_cloudwatch_log_group.session"]["kms_key_id"] == "aws_kms_key.session[0].arn"


def test_environments_sharing_a_bucket_agree_on_the_baseline(tmp_path: Path):
    project = copy_project(tmp_path / "project")
    _edit(project, "staging", {"aws": {"account_id": "444455556666", "baseline": {"security_hub": True}}})
    code, stderr = _render(project)  # staging in dev's account: they share dev's per-account bucket
    assert code == 2 and "set aws.baseline differently" in stderr
    for env in ("dev", "staging"):
        _edit(project, env, {"aws": {"baseline": {"security_hub": True, "config": True}}})
    code, stderr = _render(project)
    assert code == 0, stderr
    root = _root(project / "generated" / "terraform" / "bootstrap" / OWN_BUCKETS[0])
    assert root["variable"]["security_hub_enabled"]["default"] is True
    assert root["variable"]["config_enabled"]["default"] is True
