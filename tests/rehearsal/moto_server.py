"""Start moto's server for the apply rehearsal, after patching the gaps the real provider trips over.

Runs under the emulator's own virtualenv (``.venv-e2e``), never under the project's venv.

Why patches at all: moto 5.2.5 lacks a few behaviours that terraform-provider-aws 5.100 relies on
(see /work/shared/apply-rehearsal.md). Without them an otherwise correct tree either hangs during
apply or shows a perpetual diff in the re-plan, which would make the rehearsal useless as a drift
detector. Each patch is narrow, server-side, and *guarded*: before patching we assert that moto still
behaves the unpatched way (or still has the attribute we replace). A moto upgrade that fixes or moves
the code therefore fails loudly at start-up instead of being silently double-patched or skipped.

AMIs: moto 5.2.5 *replaces* its built-in catalogue when ``MOTO_AMIS_PATH`` is set (and then also skips
the per-region ``latest_amis`` files that the public SSM parameters for Amazon Linux point at). So the
wrapper treats ``MOTO_AMIS_PATH`` as the *extension* fixture, merges it with moto's own lists into a
temporary file and re-points ``MOTO_AMIS_PATH`` there before moto is imported.

Usage::

    .venv-e2e/bin/python tests/rehearsal/moto_server.py --port 45123
    .venv-e2e/bin/python tests/rehearsal/moto_server.py --check   # apply + verify patches, then exit
"""

from __future__ import annotations

import argparse
import atexit
import gzip
import importlib.util
import inspect
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import types
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

PINNED_MOTO = "5.2.5"
PROBE_ACCOUNT = "000000000000"  # throw-away backends for the guards; terraform uses 123456789012


class MotoChangedError(AssertionError):
    """moto no longer looks like the version these patches were written against."""


def _expect(condition: bool, patch: str, what: str) -> None:
    """Fail loudly (naming the patch) when an assumption about moto internals no longer holds."""
    if not condition:
        raise MotoChangedError(
            f"[{patch}] moto changed: {what}. Re-check this patch against moto's source "
            f"(written for moto=={PINNED_MOTO}) and drop or adapt it."
        )


# --------------------------------------------------------------------------------------------------
# AMI catalogue
# --------------------------------------------------------------------------------------------------


def _moto_package_dir() -> Path:
    """Locate the moto package without importing it (importing would freeze the AMI list)."""
    spec = importlib.util.find_spec("moto")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("moto is not installed in this interpreter; use the .venv-e2e python")
    return Path(next(iter(spec.submodule_search_locations)))


def _load_json(path: Path) -> Any:
    """Read a plain or gzipped JSON resource, as moto ships both forms."""
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return json.load(fh)
    return json.loads(path.read_text(encoding="utf-8"))


def _first_existing(*candidates: Path) -> Path:
    """Return the first existing path; moto has shipped resources both gzipped and plain."""
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise MotoChangedError(f"[amis] none of {[str(c) for c in candidates]} exists")


def build_ami_catalogue(extra: Path, out_dir: Path) -> tuple[Path, int]:
    """Merge moto's default + per-region latest AMIs with the fixture; return (file, entry count).

    The per-region ``latest_amis`` are needed because the AL2023 SSM parameters resolve to them; the
    fixture entries win on an ID clash so a look-alike can deliberately shadow a default.
    """
    resources = _moto_package_dir() / "ec2" / "resources"
    default_list = _first_existing(resources / "amis.json.gz", resources / "amis.json")
    merged: dict[str, dict[str, Any]] = {ami["ami_id"]: ami for ami in _load_json(default_list)}
    latest_dir = resources / "latest_amis"
    _expect(latest_dir.is_dir(), "amis", f"{latest_dir} is missing")
    for region_file in sorted(latest_dir.iterdir()):
        for ami in _load_json(region_file):
            merged.setdefault(ami["ami_id"], ami)
    for ami in _load_json(extra):
        merged[ami["ami_id"]] = ami
    out = out_dir / "moto-amis-merged.json"
    out.write_text(json.dumps(list(merged.values())), encoding="utf-8")
    return out, len(merged)


def prepare_amis() -> int | None:
    """Point MOTO_AMIS_PATH at the merged catalogue (must run before moto is imported)."""
    extra = os.environ.get("MOTO_AMIS_PATH")
    if not extra:
        return None
    _expect("moto.ec2.models.amis" not in sys.modules, "amis", "moto's AMI module was imported too early")
    out_dir = Path(tempfile.mkdtemp(prefix="moto-amis-"))
    atexit.register(shutil.rmtree, out_dir, True)
    merged, count = build_ami_catalogue(Path(extra), out_dir)
    os.environ["MOTO_AMIS_PATH"] = str(merged)
    return count


def verify_amis(expected_count: int | None) -> None:
    """Check that moto took the merged list verbatim (i.e. still *replaces* rather than merges)."""
    if expected_count is None:
        return
    from moto.ec2.models import amis as amis_module

    _expect(
        len(amis_module.AMIS) == expected_count,
        "amis",
        f"MOTO_AMIS_PATH list has {len(amis_module.AMIS)} entries, expected {expected_count}",
    )


# --------------------------------------------------------------------------------------------------
# Patches. Each returns a one-line description of what it did, for the start-up log.
# --------------------------------------------------------------------------------------------------


def _probe_ec2_backend() -> Any:
    """A private EC2 backend (not registered in moto's account map) for behavioural guards."""
    from moto.ec2.models import EC2Backend

    return EC2Backend("us-east-1", PROBE_ACCOUNT)


def patch_monitor_instances() -> str:
    """EC2 MonitorInstances/UnmonitorInstances: moto raises NotImplementedError.

    The provider calls them when ``monitoring = true`` and the instance then never leaves "creating".
    """
    from moto.core.responses import ActionResult
    from moto.ec2.responses import EC2Response
    from moto.ec2.responses.monitoring import Monitoring

    for name in ("monitor_instances", "unmonitor_instances"):
        original = getattr(Monitoring, name, None)
        _expect(callable(original), "monitor", f"Monitoring.{name} is gone")
        _expect(
            "not yet implemented" in inspect.getsource(original),
            "monitor",
            f"Monitoring.{name} is implemented upstream now",
        )

    def _set_monitoring(self: Any, state: str) -> Any:
        self.error_on_dryrun()
        instance_ids = self._get_param("InstanceIds", [])
        monitorings = []
        for instance in self.ec2_backend.get_multi_instances_by_id(instance_ids):
            instance.monitoring_state = state
            monitorings.append({"InstanceId": instance.id, "Monitoring": {"State": state}})
        return ActionResult({"InstanceMonitorings": monitorings})

    Monitoring.monitor_instances = lambda self: _set_monitoring(self, "enabled")
    Monitoring.unmonitor_instances = lambda self: _set_monitoring(self, "disabled")
    _expect(
        EC2Response.monitor_instances is Monitoring.monitor_instances,
        "monitor",
        "EC2Response no longer resolves monitor_instances through Monitoring",
    )
    return "EC2 MonitorInstances/UnmonitorInstances implemented (state set immediately)"


_PROBE_SOURCE_GROUP = {"GroupId": "sg-probe-source", "Description": "d"}


def patch_sg_rule_descriptions() -> str:
    """EC2 security-group rules: description of group-referencing / prefix-list rules is lost on read.

    moto keeps the description inside ``source_group`` but its ``description`` property only looks at
    ``ip_range``; DescribeSecurityGroupRules therefore returns none and every plan wants to re-add it.
    """
    from moto.ec2.models.security_groups import SecurityGroupRule

    _expect(isinstance(SecurityGroupRule.__dict__.get("description"), property), "sg-desc", "no property")
    _expect(
        "prefix_list_id" in inspect.signature(SecurityGroupRule.__init__).parameters,
        "sg-desc",
        "SecurityGroupRule.__init__ lost its prefix_list_id parameter",
    )
    backend = _probe_ec2_backend()
    probe = SecurityGroupRule(backend, "tcp", "sg-probe", "1", "1", None, _PROBE_SOURCE_GROUP)
    _expect(probe.description is None, "sg-desc", "group-referencing rule descriptions are readable now")

    original_init = SecurityGroupRule.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        bound = inspect.signature(original_init).bind(self, *args, **kwargs)
        prefix = bound.arguments.get("prefix_list_id") or {}
        original_init(self, *args, **kwargs)
        self._rehearsal_prefix_list_description = prefix.get("Description")

    def description(self: Any) -> str | None:
        if "Description" in self.ip_range:
            return self.ip_range["Description"]
        if self.source_group.get("Description") is not None:
            return self.source_group["Description"]
        return getattr(self, "_rehearsal_prefix_list_description", None)

    SecurityGroupRule.__init__ = __init__
    SecurityGroupRule.description = property(description)
    probe = SecurityGroupRule(backend, "tcp", "sg-probe", "1", "1", None, _PROBE_SOURCE_GROUP)
    _expect(probe.description == "d", "sg-desc", "patched description property not effective")
    return "EC2 SG rule descriptions readable for referenced-group and prefix-list rules"


def patch_db_parameter_source() -> str:
    """RDS ModifyDBParameterGroup: stored parameters lack ``Source = "user"``.

    The provider only keeps user-sourced parameters on read, so every ``parameter {}`` block would be
    re-added on each plan. moto's groups start empty, so everything stored is user-modified.
    """
    from moto.rds.models import DBParameterGroup

    original = DBParameterGroup.update_parameters
    probe = types.SimpleNamespace(parameters=defaultdict(dict))
    original(probe, [{"ParameterName": "p", "ParameterValue": "1", "ApplyMethod": "immediate"}])
    _expect("Source" not in probe.parameters["p"], "db-param-source", "moto sets Source itself now")

    def update_parameters(self: Any, new_parameters: Any) -> None:
        new_parameters = list(new_parameters)
        original(self, new_parameters)
        for parameter in new_parameters:
            self.parameters[parameter["ParameterName"]].setdefault("Source", "user")

    DBParameterGroup.update_parameters = update_parameters
    return "RDS ModifyDBParameterGroup stores Source=user"


_SPOT_REQUEST_KWARGS = (
    "spot_request_id",
    "price",
    "image_id",
    "spot_instance_type",
    "valid_from",
    "valid_until",
    "launch_group",
    "availability_zone_group",
    "key_name",
    "security_groups",
    "user_data",
    "instance_type",
    "placement",
    "kernel_id",
    "ramdisk_id",
    "monitoring_enabled",
    "subnet_id",
    "tags",
    "spot_fleet_id",
    "instance_interruption_behaviour",
)


def _adopted_spot_request_class(base: type) -> type:
    """A SpotInstanceRequest that wraps an instance RunInstances already launched (no second launch)."""

    class AdoptedSpotInstanceRequest(base):  # type: ignore[misc, valid-type]
        # moto's model metaclass files every model under the service named by its module.
        __module__ = base.__module__

        def __init__(self, backend: Any, instance: Any, spot_options: dict[str, Any], request_id: str) -> None:
            self._adopted_instance = instance
            super().__init__(
                backend,
                spot_request_id=request_id,
                price=spot_options.get("MaxPrice"),
                image_id=instance.image_id,
                spot_instance_type=spot_options.get("SpotInstanceType") or "one-time",
                valid_from=None,
                valid_until=spot_options.get("ValidUntil"),
                launch_group=None,
                availability_zone_group=None,
                key_name=instance.key_name,
                security_groups=[group.id for group in instance.security_groups],
                user_data=None,
                instance_type=instance.instance_type,
                placement=instance.placement.zone,
                kernel_id=None,
                ramdisk_id=None,
                monitoring_enabled=instance.monitored,
                subnet_id=instance.subnet_id,
                tags={},
                spot_fleet_id=None,
                instance_interruption_behaviour=spot_options.get("InstanceInterruptionBehavior"),
            )

        def launch_instance(self) -> Any:
            return self._adopted_instance

    return AdoptedSpotInstanceRequest


def patch_run_instances_spot() -> str:
    """EC2 RunInstances with spot market options: no spot request is recorded.

    The provider reads ``instance_market_options`` back through the instance's SpotInstanceRequestId
    and DescribeSpotInstanceRequests; without them spot instances are replaced on every plan.
    """
    from moto.ec2.models.spot_requests import SpotInstanceRequest
    from moto.ec2.responses import EC2Response
    from moto.ec2.responses.instances import InstanceResponse
    from moto.ec2.utils import random_spot_request_id

    params = inspect.signature(SpotInstanceRequest.__init__).parameters
    _expect(all(name in params for name in _SPOT_REQUEST_KWARGS), "spot", "SpotInstanceRequest args changed")
    _expect(callable(getattr(SpotInstanceRequest, "launch_instance", None)), "spot", "launch_instance gone")
    backend = _probe_ec2_backend()
    reservation = backend.run_instances(
        "ami-probe",
        1,
        None,
        [],
        instance_type="t3.micro",
        is_instance_type_default=False,
        region_name="us-east-1",
        instance_market_options="spot",
    )
    probe = reservation.instances[0]
    _expect(probe.lifecycle == "spot", "spot", "RunInstances no longer marks spot lifecycle")
    _expect(
        not backend.spot_instance_requests and getattr(probe, "spot_instance_request_id", None) is None,
        "spot",
        "RunInstances records spot requests itself now",
    )

    adopted_cls = _adopted_spot_request_class(SpotInstanceRequest)
    original = InstanceResponse.run_instances

    def run_instances(self: Any) -> Any:
        market = self._get_param("InstanceMarketOptions", {}) or {}
        result = original(self)
        if market.get("MarketType") == "spot":
            for instance in result.result.instances:
                request_id = random_spot_request_id()
                request = adopted_cls(self.ec2_backend, instance, market.get("SpotOptions") or {}, request_id)
                self.ec2_backend.spot_instance_requests[request_id] = request
                instance.spot_instance_request_id = request_id
        return result

    InstanceResponse.run_instances = run_instances
    _expect(EC2Response.run_instances is run_instances, "spot", "EC2Response bypasses InstanceResponse")
    return "EC2 RunInstances(spot) records a fulfilled spot request readable by the provider"


def patch_elbv2_deletion_protection() -> str:
    """ELBv2 DeleteLoadBalancer ignores ``deletion_protection.enabled`` (fidelity, not a crash).

    Real AWS refuses with OperationNotPermitted. Without this, a prod tree with
    ``enable_deletion_protection = true`` would destroy cleanly here and the rehearsal would not
    prove that the operator's flip-apply-destroy sequence (``run.py --destroy-var``) is needed/works.
    """
    from moto.elbv2.exceptions import ELBClientError
    from moto.elbv2.models import ELBv2Backend

    original = ELBv2Backend.delete_load_balancer
    _expect(
        "deletion_protection" not in inspect.getsource(original),
        "elbv2-deletion-protection",
        "DeleteLoadBalancer checks deletion protection upstream now",
    )

    def delete_load_balancer(self: Any, arn: str) -> None:
        balancer = self.load_balancers.get(arn)
        if balancer is not None and balancer.attrs.get("deletion_protection.enabled") == "true":
            raise ELBClientError(
                "OperationNotPermitted",
                f"Load balancer '{arn}' cannot be deleted because deletion protection is enabled",
            )
        original(self, arn)

    ELBv2Backend.delete_load_balancer = delete_load_balancer
    return "ELBv2 DeleteLoadBalancer refuses while deletion_protection.enabled=true (as AWS does)"


def patch_secret_version_labels() -> str:
    """Secrets Manager PutSecretValue: the previous AWSCURRENT version loses every other label.

    moto replaces that version's labels with ``["AWSPREVIOUS"]``. AWS only moves AWSCURRENT and AWSPREVIOUS
    (PutSecretValue, UpdateSecretVersionStage: "each staging label can be attached to only one version at a
    time"; other labels stay where they are). The storage module labels the version Terraform wrote
    ``tfgen-generated`` so that AWS never deletes it; without this patch the rehearsal's key rotation would
    strip that label here, which AWS does not do.
    """
    from moto.secretsmanager.models import FakeSecret

    original = FakeSecret.reset_default_version
    probe = types.SimpleNamespace(versions={"v1": {"version_stages": ["AWSCURRENT", "custom"]}},
                                  default_version_id="v1")
    original(probe, {"version_stages": ["AWSCURRENT"]}, "v2")
    _expect(probe.versions["v1"]["version_stages"] == ["AWSPREVIOUS"], "secret-labels",
            "moto keeps other labels on the previous version now")

    def reset_default_version(self: Any, secret_version: dict[str, Any], version_id: str) -> None:
        previous = self.default_version_id
        kept = [] if previous is None else [
            stage for stage in self.versions[previous]["version_stages"] if stage not in ("AWSCURRENT", "AWSPREVIOUS")
        ]
        original(self, secret_version, version_id)
        if previous is not None and previous != version_id:
            self.versions[previous]["version_stages"] = ["AWSPREVIOUS", *kept]

    FakeSecret.reset_default_version = reset_default_version
    return "Secrets Manager PutSecretValue keeps custom labels on the previous version (as AWS does)"


def patch_launch_template_own_tags() -> str:
    """EC2 CreateLaunchTemplate: the template's own tags are stored as a tag specification of its version.

    moto copies the request's TagSpecifications (ResourceType ``launch-template``: the tags of the template
    itself, which the provider sends from ``tags`` and default_tags) into LaunchTemplateData, so
    DescribeLaunchTemplateVersions returns a ``launch-template`` tag specification that AWS never returns (it
    is not a valid ResourceType inside launch template data). Every plan then wants to remove it and creates
    a new template version. This drops that entry from the version data, as AWS does.
    """
    from moto.ec2.models.launch_templates import LaunchTemplate
    from moto.ec2.responses.launch_templates import LaunchTemplates

    _expect('parsed_template_data["TagSpecifications"].extend' in inspect.getsource(
        LaunchTemplates.create_launch_template), "lt-own-tags", "CreateLaunchTemplate no longer copies its tags")
    original = LaunchTemplate.create_version

    def create_version(self: Any, data: dict[str, Any], description: str) -> Any:
        specs = data.get("TagSpecifications")
        if specs:
            data = {**data, "TagSpecifications": [spec for spec in specs
                                                  if spec.get("ResourceType") != "launch-template"]}
        return original(self, data, description)

    LaunchTemplate.create_version = create_version
    return "EC2 launch template versions no longer carry the template's own tags as a tag specification"


def patch_instance_refresh() -> str:
    """Auto Scaling StartInstanceRefresh/DescribeInstanceRefreshes/CancelInstanceRefresh: not in moto.

    The provider starts an instance refresh whenever a group's launch template version changes (the compute
    module's ``instance_refresh`` block) and reads refreshes back to cancel one still running. The emulator
    records each refresh as ``Successful`` at once: moto keeps no instance health to roll against, and the
    rehearsal checks the plan/apply/destroy cycle, not the replacement itself.
    """
    import uuid

    from moto.autoscaling.responses import AutoScalingResponse
    from moto.core.responses import ActionResult

    for name in ("start_instance_refresh", "describe_instance_refreshes", "cancel_instance_refresh"):
        _expect(not hasattr(AutoScalingResponse, name), "instance-refresh", f"moto implements {name} now")

    def refreshes(response: Any) -> dict[str, list[dict[str, Any]]]:
        backend = response.autoscaling_backend
        if not hasattr(backend, "tfgen_instance_refreshes"):
            backend.tfgen_instance_refreshes = {}
        return backend.tfgen_instance_refreshes

    def start_instance_refresh(self: Any) -> Any:
        group = self._get_param("AutoScalingGroupName")
        refresh_id = str(uuid.uuid4())
        refreshes(self).setdefault(group, []).insert(0, {
            "InstanceRefreshId": refresh_id, "AutoScalingGroupName": group, "Status": "Successful",
            "PercentageComplete": 100, "InstancesToUpdate": 0})
        return ActionResult({"InstanceRefreshId": refresh_id})

    def describe_instance_refreshes(self: Any) -> Any:
        group = self._get_param("AutoScalingGroupName")
        return ActionResult({"InstanceRefreshes": refreshes(self).get(group, [])})

    def cancel_instance_refresh(self: Any) -> Any:
        group = self._get_param("AutoScalingGroupName")
        running = [r for r in refreshes(self).get(group, []) if r["Status"] in ("Pending", "InProgress")]
        if not running:
            from moto.autoscaling.exceptions import AutoscalingClientError

            raise AutoscalingClientError("ActiveInstanceRefreshNotFound", f"No in progress refresh for {group}")
        running[0]["Status"] = "Cancelled"
        return ActionResult({"InstanceRefreshId": running[0]["InstanceRefreshId"]})

    AutoScalingResponse.start_instance_refresh = start_instance_refresh
    AutoScalingResponse.describe_instance_refreshes = describe_instance_refreshes
    AutoScalingResponse.cancel_instance_refresh = cancel_instance_refresh
    return "Auto Scaling instance refreshes recorded as Successful at once (moto has none)"


def patch_backup_selections() -> str:
    """AWS Backup CreateBackupSelection/GetBackupSelection/DeleteBackupSelection/ListBackupSelections: not in moto.

    The backup module selects the data volumes (and the database) by tag. moto routes the selection paths
    (``/backup/plans/<id>/selections/...``) to the backup handler, which has no such action. The emulator keeps
    each selection as sent, per plan, and returns it as AWS does (GetBackupSelection's BackupSelection is the
    request's, with the ids and the creation date beside it).
    """
    import json
    import uuid

    from moto.backup.responses import BackupResponse

    for name in ("create_backup_selection", "get_backup_selection", "delete_backup_selection",
                 "list_backup_selections"):
        _expect(not hasattr(BackupResponse, name), "backup-selections", f"moto implements {name} now")

    def store(response: Any) -> dict[str, dict[str, dict[str, Any]]]:
        backend = response.backup_backend
        if not hasattr(backend, "tfgen_selections"):
            backend.tfgen_selections = {}
        return backend.tfgen_selections

    def plan_and_selection(path: str) -> tuple[str, str]:
        parts = path.split("/plans/", 1)[1].split("/")
        return parts[0], (parts[2] if len(parts) > 2 else "")

    def create_backup_selection(self: Any) -> str:
        plan_id, _ = plan_and_selection(self.path)
        selection_id = str(uuid.uuid4())
        created = 1_700_000_000.0
        store(self).setdefault(plan_id, {})[selection_id] = {
            "BackupSelection": json.loads(self.body)["BackupSelection"], "CreationDate": created}
        return json.dumps({"SelectionId": selection_id, "BackupPlanId": plan_id, "CreationDate": created})

    def get_backup_selection(self: Any) -> str:
        plan_id, selection_id = plan_and_selection(self.path)
        found = store(self).get(plan_id, {}).get(selection_id)
        if found is None:
            from moto.backup.exceptions import ResourceNotFoundException

            raise ResourceNotFoundException(msg=f"Failed reading Backup Selection: {selection_id}")
        return json.dumps({**found, "SelectionId": selection_id, "BackupPlanId": plan_id})

    def delete_backup_selection(self: Any) -> str:
        plan_id, selection_id = plan_and_selection(self.path)
        store(self).get(plan_id, {}).pop(selection_id, None)
        return "{}"

    def list_backup_selections(self: Any) -> str:
        plan_id, _ = plan_and_selection(self.path)
        selections = [{"SelectionId": sid, "SelectionName": item["BackupSelection"]["SelectionName"],
                       "BackupPlanId": plan_id, "CreationDate": item["CreationDate"],
                       "IamRoleArn": item["BackupSelection"]["IamRoleArn"]}
                      for sid, item in sorted(store(self).get(plan_id, {}).items())]
        return json.dumps({"BackupSelectionsList": selections})

    # ListTags: moto takes the ARN as the path's second-to-last part (``/tags/<arn>/``); the provider sends
    # ``/tags/<arn>`` without the trailing slash, so moto returned no tags and every re-plan re-added them.
    from urllib.parse import unquote

    _expect('self.path.split("/")[-2]' in inspect.getsource(BackupResponse.list_tags), "backup-selections",
            "ListTags parses its path differently now")

    def list_tags(self: Any) -> str:
        resource_arn = unquote(self.path.split("/tags/", 1)[1].split("?", 1)[0].rstrip("/"))
        return json.dumps({"Tags": self.backup_backend.list_tags(resource_arn=resource_arn)})

    BackupResponse.list_tags = list_tags
    BackupResponse.create_backup_selection = create_backup_selection
    BackupResponse.get_backup_selection = get_backup_selection
    BackupResponse.delete_backup_selection = delete_backup_selection
    BackupResponse.list_backup_selections = list_backup_selections
    return "AWS Backup selections kept per plan (moto has none); ListTags reads ARNs without a trailing slash"


def patch_db_subnet_group_modify() -> str:
    """RDS ModifyDBSubnetGroup pops the group from the backend and never stores it back.

    The modify call returns the group, and every later DescribeDBSubnetGroups says it does not exist: the
    provider then fails the apply with "Root object was present, but now absent". Adoption changes a kept
    group's description (tfgen's text), which is how the adoption rehearsal met it.
    """
    from moto.rds.models import RDSBackend

    original = RDSBackend.modify_db_subnet_group
    _expect("self.subnet_groups.pop(subnet_name)" in inspect.getsource(original), "db-subnet-group-modify",
            "ModifyDBSubnetGroup no longer pops the group")

    def modify_db_subnet_group(self: Any, subnet_name: str, description: str, subnets: Any) -> Any:
        group = original(self, subnet_name, description, subnets)
        self.subnet_groups[subnet_name] = group
        return group

    RDSBackend.modify_db_subnet_group = modify_db_subnet_group
    return "RDS ModifyDBSubnetGroup keeps the group it modified"


def patch_securityhub_configuration() -> str:
    """Security Hub UpdateSecurityHubConfiguration (PATCH /accounts): not in moto.

    The bootstrap root's optional account baseline enables Security Hub; after EnableSecurityHub the provider
    sets the account's control settings with UpdateSecurityHubConfiguration, which moto answers with a 500
    page. The emulator keeps the two settings and DescribeHub returns them, as AWS does.
    """
    import json

    from moto.securityhub.models import SecurityHubBackend
    from moto.securityhub.responses import SecurityHubResponse

    _expect(not hasattr(SecurityHubResponse, "update_security_hub_configuration"), "securityhub-configuration",
            "moto implements UpdateSecurityHubConfiguration now")
    original = SecurityHubBackend.describe_hub
    _expect('"AutoEnableControls": True' in inspect.getsource(original), "securityhub-configuration",
            "DescribeHub no longer answers a constant AutoEnableControls")

    def update_security_hub_configuration(self: Any) -> str:
        body = json.loads(self.body or "{}")
        settings = self.securityhub_backend.__dict__.setdefault("tfgen_hub_settings", {})
        for key in ("AutoEnableControls", "ControlFindingGenerator"):
            if key in body:
                settings[key] = body[key]
        self.securityhub_backend.describe_hub()  # AWS refuses it too while the hub is not enabled
        return "{}"

    def describe_hub(self: Any, hub_arn: str | None = None) -> dict[str, Any]:
        return {**original(self, hub_arn), **self.__dict__.get("tfgen_hub_settings", {})}

    SecurityHubResponse.update_security_hub_configuration = update_security_hub_configuration
    SecurityHubBackend.describe_hub = describe_hub
    return "Security Hub UpdateSecurityHubConfiguration kept and returned by DescribeHub (moto has none)"


def patch_instance_security_groups() -> str:
    """EC2 ModifyInstanceAttribute(Groups) changes the instance's groups but not its network interface's, and
    ModifyNetworkInterfaceAttribute(Groups) the interface's but not the instance's.

    The interface reports its own groups plus the instance's, so after a switch it lists the old group and
    the new one, and every re-plan wants to remove the old group again. On AWS an instance's groups are its
    primary interface's. Adoption switches instances to tfgen's groups, which is how the adoption
    rehearsal met it.
    """
    from moto.ec2.models.instances import InstanceBackend

    original = InstanceBackend.modify_instance_security_groups
    _expect("instance.security_groups = new_group_list" in inspect.getsource(original)
            and "_group_set" not in inspect.getsource(original), "instance-groups",
            "ModifyInstanceAttribute(Groups) changed upstream")

    def modify_instance_security_groups(self: Any, instance_id: str, new_group_id_list: list[str]) -> Any:
        instance = original(self, instance_id, new_group_id_list)
        primary = instance.nics.get(0)
        if primary is not None:
            primary._group_set = list(instance.security_groups)
        return instance

    InstanceBackend.modify_instance_security_groups = modify_instance_security_groups

    from moto.ec2.models.elastic_network_interfaces import NetworkInterfaceBackend

    modify_eni = NetworkInterfaceBackend.modify_network_interface_attribute
    _expect("eni._group_set = groups" in inspect.getsource(modify_eni), "instance-groups",
            "ModifyNetworkInterfaceAttribute(Groups) changed upstream")

    def modify_network_interface_attribute(self: Any, eni_id: str, group_ids: list[str], *args: Any,
                                           **kwargs: Any) -> None:
        modify_eni(self, eni_id, group_ids, *args, **kwargs)
        eni = self.get_network_interface(eni_id)
        if group_ids and eni.instance is not None and eni.instance.nics.get(0) is eni:
            eni.instance.security_groups = list(eni._group_set)

    NetworkInterfaceBackend.modify_network_interface_attribute = modify_network_interface_attribute
    return "EC2 ModifyInstanceAttribute(Groups) and ModifyNetworkInterfaceAttribute(Groups) keep an instance's " \
        "groups and its primary interface's the same"


def patch_gateway_endpoint_routes() -> str:
    """EC2 DeleteVpcEndpoints fails for a gateway endpoint whose route is already gone from one of its tables.

    moto deletes the endpoint's prefix-list route from every table it lists and raises InvalidRoute.NotFound
    when one is missing (ModifyVpcEndpoint's added tables never get a route). AWS deletes the endpoint and
    whatever routes it still has. The adoption rehearsal's destroy met it: the adopted S3 endpoint gains the
    tables of tfgen's extra zones.
    """
    from moto.ec2.exceptions import InvalidRouteError
    from moto.ec2.models.vpcs import VPCBackend

    original = VPCBackend.delete_vpc_endpoints
    _expect("self.delete_route(" in inspect.getsource(original), "gateway-endpoint-routes",
            "DeleteVpcEndpoints changed upstream")

    def delete_vpc_endpoints(self: Any, vpce_ids: list[str] | None = None) -> None:
        delete_route = self.delete_route

        def tolerant(route_table_id: str, *args: Any, **kwargs: Any) -> Any:
            try:
                return delete_route(route_table_id, *args, **kwargs)
            except InvalidRouteError:
                return None

        self.delete_route = tolerant
        try:
            original(self, vpce_ids)
        finally:
            del self.delete_route

    VPCBackend.delete_vpc_endpoints = delete_vpc_endpoints
    return "EC2 DeleteVpcEndpoints deletes a gateway endpoint whose route is gone from one of its tables"


def patch_read_replica_identity() -> str:
    """RDS gives every DB instance the same DbiResourceId, and a read replica is a shallow copy of its source.

    The provider (v5) reads an instance by its resource id (`dbi-resource-id` filter): with a replica the
    filter matches two instances and the replica's create fails with "couldn't find resource". The copy also
    shares the source's tag list and keeps its backup retention, where AWS creates a MySQL replica with
    automated backups off (CreateDBInstanceReadReplica takes no retention; the re-plan showed 7 -> 0). The
    replica gets a resource id of its own (derived from its identifier), its own tags and no backups.
    """
    import hashlib

    from moto.rds.models import RDSBackend

    original = RDSBackend.create_db_instance_read_replica
    _expect("copy.copy(primary)" in inspect.getsource(original), "read-replica-identity",
            "CreateDBInstanceReadReplica no longer copies the source instance")

    def create_db_instance_read_replica(self: Any, db_kwargs: dict[str, Any]) -> Any:
        replica = original(self, db_kwargs)
        digest = hashlib.sha256(replica.db_instance_identifier.encode()).hexdigest().upper()[:26]
        replica.dbi_resource_id = f"db-{digest}"
        replica.tags = list(db_kwargs.get("tags") or [])
        replica.backup_retention_period = 0
        return replica

    RDSBackend.create_db_instance_read_replica = create_db_instance_read_replica
    return "RDS read replicas get a DbiResourceId and tags of their own"


PATCHES: dict[str, Callable[[], str]] = {
    "monitor": patch_monitor_instances,
    "sg-desc": patch_sg_rule_descriptions,
    "db-param-source": patch_db_parameter_source,
    "spot": patch_run_instances_spot,
    "elbv2-deletion-protection": patch_elbv2_deletion_protection,
    "secret-labels": patch_secret_version_labels,
    "lt-own-tags": patch_launch_template_own_tags,
    "instance-refresh": patch_instance_refresh,
    "backup-selections": patch_backup_selections,
    "db-subnet-group-modify": patch_db_subnet_group_modify,
    "securityhub-configuration": patch_securityhub_configuration,
    "instance-groups": patch_instance_security_groups,
    "gateway-endpoint-routes": patch_gateway_endpoint_routes,
    "read-replica-identity": patch_read_replica_identity,
}


def apply_patches(skip: frozenset[str] = frozenset()) -> list[str]:
    """Check moto's version, then apply every patch not in *skip*; returns their descriptions.

    Skipping exists only to prove that a patch is still needed (the rehearsal should then fail).
    """
    import moto

    _expect(moto.__version__ == PINNED_MOTO, "version", f"moto {moto.__version__} installed")
    unknown = skip - PATCHES.keys()
    if unknown:
        raise SystemExit(f"unknown patch names {sorted(unknown)}; known: {sorted(PATCHES)}")
    return [patch() if name not in skip else f"SKIPPED {name}" for name, patch in PATCHES.items()]


# --------------------------------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------------------------------


def serve(host: str, port: int) -> None:
    """Run moto's threaded server until SIGTERM/SIGINT (the harness stops us by PID)."""
    from moto.core.config import default_user_config
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    # Lambda without Docker: an invocation answers with its own input instead of running the code (the
    # database module's user-provisioning function needs a MySQL server the emulator does not have).
    _expect(default_user_config.get("lambda", {}).get("use_docker") is True, "lambda-simple",
            "moto's default lambda configuration no longer has use_docker")
    default_user_config["lambda"]["use_docker"] = False
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server.start()
    print(f"moto {PINNED_MOTO} (patched) listening on http://{host}:{port}", flush=True)
    stop.wait()
    server.stop()


def main(argv: list[str] | None = None) -> int:
    """Entry point: prepare AMIs, patch, then serve (or just verify with --check)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--check", action="store_true", help="apply and verify the patches, then exit")
    parser.add_argument(
        "--skip-patch", action="append", default=[], metavar="NAME", help=f"diagnostic; one of {sorted(PATCHES)}"
    )
    args = parser.parse_args(argv)

    ami_count = prepare_amis()
    for line in apply_patches(frozenset(args.skip_patch)):
        print(f"patch: {line}", flush=True)
    verify_amis(ami_count)
    if ami_count is not None:
        print(f"amis: {ami_count} entries from {os.environ['MOTO_AMIS_PATH']}", flush=True)
    if args.check:
        return 0
    serve(args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
