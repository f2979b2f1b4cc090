"""compute: one EC2 instance per service, AMIs from data sources, persistent data volumes, user data."""

from __future__ import annotations

from typing import Any

from tfgen.interfaces import ModuleInterface, ModuleVar, common_vars, out, var, wired


def _service_vars(svc: dict[str, Any], values: dict[str, Any]) -> list[ModuleVar]:
    """Per-service inputs, named `<service>_<setting>` (declarations from the project, values from the env)."""
    name = svc["name"]
    variables = [
        var(f"{name}_instance_type", "string", f"EC2 instance type of the {name} service.", values["instance_type"]),
        var(f"{name}_architecture", "string",
            f"CPU architecture of the {name} instance type (arm64 or x86_64); selects the AMI.",
            values["architecture"]),
        var(f"{name}_market", "string", f"Purchase option of the {name} instance: on-demand or spot.",
            values["market"]),
        var(f"{name}_spot_max_price", "string",
            f"Spot max price (USD/hour) of the {name} instance; null caps it at the on-demand price "
            "(recommended; the current spot price is paid either way).",
            values["spot_max_price"], nullable=True),
        var(f"{name}_root_volume_size", "number", f"Size of the {name} root volume in GiB (encrypted gp3).",
            values["root_volume_gb"]),
    ]
    if svc["volume"] is not None:
        variables.append(var(
            f"{name}_data_volume_size", "number",
            f"Size of the persistent {name} data volume in GiB, mounted at {svc['volume']['mount_path']}.",
            values["data_volume_gb"]))
    return variables


def interface(project: dict[str, Any], env: dict[str, Any]) -> ModuleInterface:
    per_service = [v for svc in project["services"] for v in _service_vars(svc, env["services"][svc["name"]])]
    per_service_outputs = [
        out(f"{svc['name']}_instance_id", f"ID of the {svc['name']} instance (Session Manager target).",
            f"aws_instance.{svc['name']}.id", export=True)
        for svc in project["services"]
    ]
    return ModuleInterface(
        name="compute",
        title="Compute",
        description="One EC2 instance per service in a private subnet: AMI from data sources matching the "
                    "instance architecture (Amazon Linux 2023 or the AWS Deep Learning Base AMI), IMDSv2 "
                    "required, encrypted gp3 root volume, optional one-time spot market, persistent encrypted "
                    "EBS data volumes (snapshotted when destroyed), and user data that installs packages and "
                    "the CloudWatch agent, mounts the data volume, fetches secrets from Secrets Manager and "
                    "defines a systemd unit. Application code is not deployed by Terraform.",
        variables=(
            *common_vars(env),
            var("aws_region", "string", "Region, used by user data for AWS CLI calls and the CloudWatch agent.",
                env["region"]),
            var("availability_zones", "list(string)",
                "Availability zones of the private subnets, in the same order as private_subnet_ids.",
                env["spec"]["network"]["availability_zones"]),
            wired("private_subnet_ids", "list(string)", "Private subnet IDs, in AZ order.",
                  "module.networking.private_subnet_ids"),
            wired("security_group_ids", "map(string)", "Security group ID per service name.",
                  "module.security.security_group_ids"),
            wired("instance_profile_names", "map(string)", "IAM instance profile name per service name.",
                  "module.security.instance_profile_names"),
            wired("log_group_names", "map(string)", "CloudWatch log group name per service name.",
                  "module.storage.log_group_names"),
            wired("app_secret_arn", "string", "ARN of the application secret (read at boot, never in user data).",
                  "module.storage.app_secret_arn"),
            wired("db_secret_arn", "string", "ARN of the RDS-managed master user secret.",
                  "module.database.master_user_secret_arn"),
            wired("db_address", "string", "Hostname of the RDS instance.", "module.database.address"),
            wired("uploads_bucket_name", "string", "Name of the uploads bucket.",
                  "module.storage.uploads_bucket_name"),
            *per_service,
        ),
        outputs=(
            out("instance_ids", "Instance ID per service.", _service_map(project, "aws_instance.{}.id"),
                export=True),
            out("private_ips", "Private IP address per service.",
                _service_map(project, "aws_instance.{}.private_ip"), export=True),
            out("availability_zones", "Availability zone per service instance.",
                _service_map(project, "aws_instance.{}.availability_zone")),
            out("data_volume_ids", "Persistent data volume ID per service that has one.",
                _service_map(project, "aws_ebs_volume.{}_data.id", volumes_only=True), export=True),
            *per_service_outputs,
        ),
    )


def _service_map(project: dict[str, Any], template: str, volumes_only: bool = False) -> str:
    """An HCL object expression `{ name = <expr> ... }` over the services (static resource names)."""
    names = [s["name"] for s in project["services"] if not volumes_only or s["volume"] is not None]
    if not names:
        return "{}"
    return "{\n" + "".join(f"    {n} = {template.format(n)}\n" for n in names) + "  }"
