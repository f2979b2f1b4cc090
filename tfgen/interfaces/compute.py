"""compute: one EC2 instance per service (for_each over a typed map), AMIs, data volumes, one user-data template."""

from __future__ import annotations

from typing import Any

from tfgen.interfaces import checks
from tfgen.interfaces.base import ModuleInterface, Validation, out, section, var, wired
from tfgen.interfaces.common import common_vars, db_secret_wire

SERVICES_TYPE = """map(object({
  description       = string
  port              = number
  instance_type     = string
  availability_zone = string
  exec_start        = string
  market            = optional(string, "on-demand")
  spot_max_price    = optional(string)
  ami               = optional(string, "al2023")
  root_volume_size  = optional(number, 20)
  data_volume = optional(object({
    size        = number
    mount_path  = string
    device_name = optional(string, "/dev/sdf")
    # false only on a volume tfgen adopt imported (the spec's data_volume.final_snapshot)
    final_snapshot = optional(bool, true)
  }))
  auto_scaling = optional(object({
    min_size                = number
    max_size                = number
    desired_capacity        = number
    on_demand_base_capacity = optional(number, 0)
    extra_instance_types    = optional(list(string), [])
  }))
  permissions   = optional(set(string), [])
  packages      = optional(list(string), [])
  pip_packages  = optional(list(string), [])
  start_on_boot = optional(bool, false)
  # An adopted instance keeps the user data it booted with (tfgen adopt): no user data from this module.
  keep_user_data = optional(bool, false)
}))"""


def _all(expression: str, message: str) -> Validation:
    """A condition that must hold for every service (`s`)."""
    return checks.every("s", "values(var.services)", expression, message)


def _volumes(expression: str, message: str) -> Validation:
    """A condition that must hold for every data volume (`v`)."""
    volumes = "[for s in values(var.services) : s.data_volume if s.data_volume != null]"
    return checks.every("v", volumes, expression, message)


def _groups(expression: str, message: str) -> Validation:
    """A condition that must hold for every Auto Scaling group (`g`)."""
    groups = "[for s in values(var.services) : s.auto_scaling if s.auto_scaling != null]"
    return checks.every("g", groups, expression, message)


SERVICE_CHECKS = (
    checks.every("name", "keys(var.services)", f'can(regex("{checks.SERVICE_NAME_RE}", name))',
                 "Service names must be 1-20 lowercase letters, digits or underscores, starting with a letter."),
    _all(f'can(regex("{checks.INSTANCE_TYPE_RE}", s.instance_type))',
         "Every instance_type must be an EC2 instance type such as t4g.micro."),
    _all(f'can(regex("{checks.AZ_RE}", s.availability_zone))',
         "Every availability_zone must be a zone name such as us-east-1a."),
    _all(f"contains({checks.MARKET_VALUES}, s.market)", 'Every market must be "on-demand" or "spot" (lowercase).'),
    _all(f's.spot_max_price == null ? true : can(regex("{checks.SPOT_PRICE_RE}", s.spot_max_price))',
         'Every spot_max_price must be null or a price in USD per hour such as "0.0084".'),
    _all(f"contains({checks.AMI_VALUES}, s.ami)", "Every ami must be al2023 or deep-learning-base-ubuntu22."),
    _all("s.port >= 1 && s.port <= 65535", "Every service port must be from 1 to 65535."),
    _all("s.root_volume_size >= 8 && s.root_volume_size <= 16384", "Root volumes must be 8-16384 GiB."),
    _volumes("v.size >= 1 && v.size <= 16384", "Data volumes must be 1-16384 GiB (gp3)."),
    _volumes('can(regex("^/[A-Za-z0-9._/-]+$", v.mount_path))',
             "Every mount_path must be an absolute path of letters, digits and ._/- characters."),
    _volumes('can(regex("^/dev/(sd|xvd)[f-p]$", v.device_name))',
             "Every device_name must be /dev/sdf to /dev/sdp (or /dev/xvdf to /dev/xvdp)."),
    _groups("g.min_size <= g.desired_capacity && g.desired_capacity <= g.max_size && g.max_size >= 1",
            "Every auto_scaling group needs min_size <= desired_capacity <= max_size and max_size >= 1."),
    _groups(f'alltrue([for t in g.extra_instance_types : can(regex("{checks.INSTANCE_TYPE_RE}", t))])',
            "Every extra_instance_types entry must be an EC2 instance type such as t4g.small."),
    _all('s.market != "spot" || s.data_volume == null',
         "A spot instance cannot be stopped to detach its data volume: a service with a data_volume is on-demand."),
    _all("s.auto_scaling == null || s.data_volume == null",
         "A service with a data_volume runs as one instance: auto_scaling must be null."),
    _all(checks.PERMISSIONS_KNOWN,
         "Permissions must be uploads-rw, app-secrets-read, db-connect or db-secret-read."),
    _all('alltrue([for p in s.packages : can(regex("^[A-Za-z0-9][A-Za-z0-9.+_-]*$", p))])',
         "Every package must be an OS package name."),
    _all('alltrue([for p in s.pip_packages : can(regex("^[A-Za-z0-9][A-Za-z0-9.=<>_\\\\[\\\\],-]*$", p))])',
         "Every pip package must be a requirement such as chromadb==0.5.23."),
    _all('can(regex("^[ -~]{1,300}$", s.exec_start))', "Every exec_start must be 1-300 printable ASCII characters."),
    _all('can(regex("^[ -~]{1,200}$", s.description))', "Every description must be 1-200 printable ASCII characters."),
)


def interface(env: dict[str, Any]) -> ModuleInterface:
    return ModuleInterface(
        name="compute",
        title="Compute",
        description="One Auto Scaling group per stateless entry of `services` (launch template, mixed "
                    "instance types, capacity rebalancing for spot, every private subnet, registered with its "
                    "target groups) and one EC2 instance per stateful entry in the private subnet of the "
                    "service's availability zone: AMI from data sources matching the architecture of the instance type "
                    "(Amazon Linux 2023 or the AWS Deep Learning Base AMI), IMDSv2 required, encrypted gp3 root "
                    "volume, optional one-time spot market, persistent encrypted EBS data volumes (snapshotted "
                    "when destroyed), and one user-data template for every service that installs packages and "
                    "the CloudWatch agent, mounts the data volume, fetches secrets from Secrets Manager and "
                    "defines a systemd unit. Application code is not deployed by Terraform.",
        variables=(
            *common_vars(env),
            var("aws_region", "string", "Region, used by user data for AWS CLI calls and the CloudWatch agent.",
                env["region"], checks.REGION),
            wired("services", SERVICES_TYPE, "Services by name: instance, placement, volumes and what user data "
                  "installs and runs.", "local.services", *SERVICE_CHECKS),
            wired("private_subnet_ids", "map(string)", "Private subnet ID by availability zone name (instances "
                  "in their zone, Auto Scaling groups in all of them).", "module.networking.private_subnet_ids_by_az"),
            wired("availability_zones", "list(string)", "The environment's availability zones, from the spec: the "
                  "zones the Auto Scaling groups' capacity check reads (not the subnets, so that check never waits "
                  "for a subnet change).", "var.availability_zones"),
            wired("target_group_arns", "map(list(string))", "Target groups by service name: the service's Auto "
                  "Scaling group registers every instance it launches with them.",
                  "{ (local.lb_target_service) = [module.loadbalancer.target_group_arn] }"),
            wired("security_group_ids", "map(string)", "Security group ID by service name.",
                  "module.security.security_group_ids"),
            wired("instance_profile_names", "map(string)", "IAM instance profile name by service name.",
                  "module.security.instance_profile_names"),
            wired("log_group_names", "map(string)", "CloudWatch log group name by service name.",
                  "module.storage.log_group_names"),
            wired("data_volume_tags", "map(string)", "Extra tags of every data volume (the backup selection's tag).",
                  "local.backup_tags"),
            wired("app_secret_arn", "string", "ARN of the application secret (read at boot, never in user data).",
                  "module.storage.app_secret_arn"),
            wired("db_secret_arn", "string", "ARN of the RDS-managed master user secret; null while an adopted "
                  "database has none yet.", db_secret_wire(env), nullable=True),
            wired("db_address", "string", "Hostname of the RDS instance.", "module.database.address"),
            wired("db_name", "string", "Name of the initial database (DB_NAME in the service environment).",
                  "module.database.db_name"),
            wired("db_users", "list(string)", "Services whose own IAM-authenticated database user exists "
                  "(DB_USERNAME and DB_IAM_AUTH in their environment); instances start after the users.",
                  "module.database.db_users"),
            wired("uploads_bucket_name", "string", "Name of the uploads bucket.",
                  "module.storage.uploads_bucket_name"),
        ),
        outputs=(
            *section(
                "Persistent data volumes",
                out("data_volume_ids", "Persistent data volume ID by service that has one.",
                    "{ for name, volume in aws_ebs_volume.data : name => volume.id }", export=True),
            ),
            *section(
                "Single instances",
                out("instance_ids", "Instance ID by service that runs as a single instance.",
                    "{ for name, instance in local.instances : name => instance.id }", export=True),
                out("private_ips", "Private IP address by service.",
                    "{ for name, instance in local.instances : name => instance.private_ip }", export=True),
                out("availability_zones", "Availability zone by service.",
                    "{ for name, instance in local.instances : name => instance.availability_zone }"),
            ),
            *section(
                "Auto Scaling groups",
                out("autoscaling_group_names", "Auto Scaling group name by service that runs in one.",
                    "{ for name, group in aws_autoscaling_group.this : name => group.name }", export=True),
                out("launch_template_ids", "Launch template ID by service that runs in an Auto Scaling group.",
                    "{ for name, template in aws_launch_template.this : name => template.id }"),
            ),
        ),
    )
