"""database: RDS MySQL with its subnet group, parameter group, enhanced monitoring, log groups and alarms."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tfgen import names
from tfgen.interfaces import checks
from tfgen.interfaces.base import ModuleInterface, Validation, out, section, var, wired
from tfgen.interfaces.common import common_vars
from tfgen.render.filters import hcl

if TYPE_CHECKING:
    from tfgen.model.views import Spec

GIB = 1024**3
CPU_ALARM_PERCENT = 80
FREE_STORAGE_ALARM_FRACTION = 10  # alarm when less than 1/10 of the allocated storage is free
CONNECTIONS_ALARM = 50  # db.t4g.micro allows about 60 connections
WINDOW_RE = "^[0-2][0-9]:[0-5][0-9]-[0-2][0-9]:[0-5][0-9]$"
WEEKLY_TIME_RE = "^(mon|tue|wed|thu|fri|sat|sun):[0-2][0-9]:[0-5][0-9]$"
WEEKLY_WINDOW_MESSAGE = "db_maintenance_window must look like sun:04:30-sun:05:30."
REPLICA_LAG_ALARM_SECONDS = 300  # reads five minutes behind the writes: the replica is no longer a usable copy
REPLICAS_TYPE = "map(object({ availability_zone = string, instance_class = string }))"
# What each service's own database user may do on the application database: its tables and schema changes
# (the applications run their own migrations), never users, grants or other databases.
DB_USER_PRIVILEGES = ("ALTER", "CREATE", "CREATE TEMPORARY TABLES", "DELETE", "DROP", "INDEX", "INSERT",
                      "LOCK TABLES", "REFERENCES", "SELECT", "UPDATE")
# The privileges the user-provisioning function accepts (its handler checks the same list).
GRANTABLE_PRIVILEGES = (*DB_USER_PRIVILEGES, "CREATE VIEW", "EXECUTE", "SHOW VIEW", "TRIGGER")


def replicas(env: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Read replicas by number ("1", "2", ...): replica n in the n-th zone after the alphabetically first (where
    services without a zone of their own run), wrapping around; a zone added later moves none of them."""
    spec: Spec = env["spec"]
    db, zones = spec.database, sorted(spec.network.availability_zones)
    klass = db.replica_instance_class or db.instance_class
    return {str(n): {"availability_zone": zones[n % len(zones)], "instance_class": klass}
            for n in range(1, db.read_replicas + 1)}


def db_users(spec: Spec) -> list[str]:
    """Services that log in as their own IAM-authenticated user (db-connect), named after the service. None
    while an adopted database has no RDS-managed master secret: the function logs in with it."""
    if not spec.database.master_secret_ready:
        return []
    return sorted(name for name, service in spec.services.items() if "db-connect" in service.permissions)


def interface(env: dict[str, Any]) -> ModuleInterface:
    spec: Spec = env["spec"]
    db = spec.database
    return ModuleInterface(
        name="database",
        title="Database",
        description="RDS MySQL (engine version and parameters from the environment; the parameter group family "
                    "follows the version): encrypted gp3 storage with autoscaling, Multi-AZ per environment, "
                    "automated backups, RDS-managed master password in Secrets Manager, IAM authentication, "
                    "enhanced monitoring with its IAM role, log exports into pre-created log groups with the "
                    "environment's retention, CloudWatch alarms for CPU, free storage and connections, and read "
                    "replicas in other zones with their own log groups and CPU, replica-lag and free-storage "
                    "alarms, and an IAM-authenticated database user per service that asks for one, created by a "
                    "Lambda function in the private subnets (no application logs in as the master user).",
        variables=(
            *common_vars(env),
            var("aws_region", "string", "Region of the database (ARN in the monitoring role's trust policy).",
                env["region"]),
            wired("private_subnet_ids", "list(string)", "Private subnets of the DB subnet group (2+ AZs).",
                  "module.networking.private_subnet_ids",
                  Validation("length(var.private_subnet_ids) >= 2", "RDS needs subnets in at least two AZs.")),
            wired("rds_security_group_id", "string", "Security group of the database.",
                  "module.security.rds_security_group_id"),
            wired("vpc_id", "string", "ID of the VPC (security group of the user-provisioning function).",
                  "module.networking.vpc_id"),
            var("db_users", "list(string)", "Services that get an IAM-authenticated database user of their own "
                "name (db-connect); empty: no user-provisioning function.", db_users(spec),
                checks.every("user", "var.db_users", 'can(regex("^[a-z][a-z0-9_]{0,31}$", user))',
                             "db_users must be MySQL user names: a lowercase letter, then up to 31 lowercase "
                             "letters, digits or underscores.")),
            var("db_user_privileges", "list(string)", "Privileges of every service user on the application "
                "database.", list(DB_USER_PRIVILEGES),
                checks.every("privilege", "var.db_user_privileges",
                             f"contains({hcl(list(GRANTABLE_PRIVILEGES), multiline=True)}, privilege)",
                             "db_user_privileges must be table privileges: " + ", ".join(GRANTABLE_PRIVILEGES)
                             + "."),
                Validation("length(var.db_user_privileges) > 0", "db_user_privileges must not be empty.")),
            var("db_identifier", "string", "RDS identifier: <name_prefix>-mysql, or the identifier of an adopted "
                "database.", db.identifier or names.db_identifier(env["name_prefix"]),
                checks.matches("db_identifier", "^[a-z][a-z0-9-]{0,62}$",
                               "db_identifier must be 1-63 lowercase letters, digits or hyphens.")),
            var("db_engine_version", "string", "MySQL engine version: major.minor lets RDS choose the current "
                "minor; the parameter group family follows it.", db.engine_version,
                checks.matches("db_engine_version", "^8\\\\.(0|4)(\\\\.[0-9]+)?$",
                               "db_engine_version must be MySQL 8.0 or 8.4 (8.4, 8.0.40, ...).")),
            var("db_parameters", "map(string)", "MySQL parameter group settings.",
                dict(sorted(db.parameters.items())),
                checks.every("name", "keys(var.db_parameters)", 'can(regex("^[a-z_]+$", name))',
                             "db_parameters names must be lowercase letters and underscores.")),
            var("db_name", "string", "Name of the initial database.", db.db_name,
                checks.matches("db_name", "^[A-Za-z][A-Za-z0-9]{0,63}$",
                               "db_name must be 1-64 letters and digits, starting with a letter.")),
            var("db_instance_class", "string", "DB instance class.", db.instance_class,
                checks.matches("db_instance_class", "^db\\\\.[a-z0-9]+\\\\.[a-z0-9]+$",
                               "db_instance_class must be an RDS class such as db.t4g.micro.")),
            var("db_allocated_storage", "number", "Allocated gp3 storage in GiB (can only grow).",
                db.allocated_storage_gb, checks.between("db_allocated_storage", 20, 65536, " GiB")),
            var("db_max_allocated_storage", "number", "Storage autoscaling ceiling in GiB (0 disables).",
                db.max_allocated_storage_gb, checks.between("db_max_allocated_storage", 0, 65536, " GiB")),
            var("db_iops", "number", "Provisioned gp3 IOPS; null below 400 GiB (MySQL gets 3000 there).",
                db.iops, checks.optional_between("db_iops", 12000, 64000), nullable=True),
            var("db_storage_throughput", "number", "gp3 throughput in MiB/s; null below 400 GiB.",
                db.storage_throughput, checks.optional_between("db_storage_throughput", 500, 4000),
                nullable=True),
            var("db_multi_az", "bool", "Run a standby replica in a second availability zone.", db.multi_az),
            var("db_backup_retention_days", "number", "Automated backup retention in days.",
                db.backup_retention_days, checks.between("db_backup_retention_days", 0, 35)),
            var("db_backup_window", "string", "Daily backup window (UTC).", db.backup_window,
                checks.matches("db_backup_window", WINDOW_RE, "db_backup_window must look like 03:00-04:00.")),
            var("db_maintenance_window", "string", "Weekly maintenance window (UTC).", db.maintenance_window,
                Validation('length(split("-", var.db_maintenance_window)) == 2', WEEKLY_WINDOW_MESSAGE),
                checks.every("time", 'split("-", var.db_maintenance_window)', f'can(regex("{WEEKLY_TIME_RE}", time))',
                             WEEKLY_WINDOW_MESSAGE)),
            var("db_deletion_protection", "bool", "Refuse to delete the database.", db.deletion_protection),
            var("db_apply_immediately", "bool", "Apply modifications at once instead of in the next maintenance "
                "window.", db.apply_immediately),
            wired("backup_tags", "map(string)", "Extra tags of the instance: the AWS Backup selection's tag where "
                  "the environment backs up the database, else none.", "var.backup_database ? local.backup_tags : {}"),
            var("db_skip_final_snapshot", "bool", "Skip the final snapshot when the database is destroyed.",
                db.skip_final_snapshot),
            var("db_monitoring_interval", "number", "Enhanced monitoring interval in seconds (0 disables).",
                db.monitoring_interval,
                Validation("contains([0, 1, 5, 10, 15, 30, 60], var.db_monitoring_interval)",
                           "db_monitoring_interval must be 0, 1, 5, 10, 15, 30 or 60.")),
            var("db_username", "string", "Master user name; RDS generates the password into Secrets Manager.",
                db.username,
                checks.matches("db_username", "^[A-Za-z][A-Za-z0-9_]{0,15}$",
                               "db_username must be 1-16 letters, digits or underscores, starting with a letter.")),
            var("log_retention_days", "number", "Retention of the RDS log groups in days.",
                spec.logs.retention_days, checks.RETENTION),
            var("db_alarm_cpu_percent", "number", "CPU utilization (%) that raises the CPU alarm.",
                CPU_ALARM_PERCENT, checks.between("db_alarm_cpu_percent", 1, 100)),
            var("db_alarm_free_storage_bytes", "number", "Free storage (bytes) below which the storage alarm "
                "fires.", db.allocated_storage_gb * GIB // FREE_STORAGE_ALARM_FRACTION,
                Validation("var.db_alarm_free_storage_bytes > 0", "db_alarm_free_storage_bytes must be positive.")),
            var("db_alarm_connections", "number", "Connection count that raises the connections alarm.",
                CONNECTIONS_ALARM, checks.between("db_alarm_connections", 1, 100000)),
            var("db_replicas", REPLICAS_TYPE, "Read replicas by number: zone and instance class of each (empty: "
                "none).", replicas(env),
                checks.every("r", "values(var.db_replicas)", 'can(regex("^db\\\\.[a-z0-9]+\\\\.[a-z0-9]+$", '
                             "r.instance_class))", "db_replicas instance classes must be RDS classes such as "
                             "db.t4g.micro.")),
            var("db_alarm_replica_lag_seconds", "number", "Replication lag (seconds) that raises a replica's lag "
                "alarm.", REPLICA_LAG_ALARM_SECONDS, checks.between("db_alarm_replica_lag_seconds", 1, 86400)),
            wired("alarm_actions", "list(string)",
                  "SNS topics notified by the alarms (alarm and OK): the environment's alert topic.",
                  "local.alarm_actions", checks.alarm_actions()),
        ),
        outputs=(
            *section(
                "DB instance",
                out("endpoint", "Connection endpoint (address:port).", "aws_db_instance.main.endpoint", export=True,
                    export_name="db_endpoint"),
                out("address", "Host name of the database.", "aws_db_instance.main.address", export=True,
                    export_name="db_address"),
                out("port", "Port of the database.", "aws_db_instance.main.port"),
                out("resource_id", "RDS resource ID (db-...), the database part of rds-db:connect ARNs.",
                    "aws_db_instance.main.resource_id"),
                out("identifier", "RDS instance identifier.", "aws_db_instance.main.identifier", export=True,
                    export_name="db_identifier"),
                out("db_name", "Name of the initial database.", "aws_db_instance.main.db_name"),
                out("engine_version_actual", "MySQL version RDS is running.",
                    "aws_db_instance.main.engine_version_actual", export=True, export_name="db_engine_version"),
                out("final_snapshot_identifier", "Name of the snapshot taken when the database is destroyed: "
                    "<identifier>-final-<creation time, UTC> (null when skipped).",
                    "aws_db_instance.main.final_snapshot_identifier", export=True,
                    export_name="db_final_snapshot_identifier"),
                out("master_user_secret_arn", "ARN of the RDS-managed Secrets Manager secret holding the master "
                    "credentials.", "one(aws_db_instance.main.master_user_secret[*].secret_arn)", export=True,
                    export_name="db_master_user_secret_arn"),
            ),
            *section(
                "Read replicas",
                out("replica_addresses", "Host name of each read replica, by number (empty without replicas).",
                    "{ for n, replica in aws_db_instance.replica : n => replica.address }", export=True,
                    export_name="db_replica_addresses"),
                out("read_address", "Host name for read-only queries: the first read replica, or the instance "
                    "itself without replicas (replication is asynchronous: read your own writes from address).",
                    "try(aws_db_instance.replica[\"1\"].address, aws_db_instance.main.address)", export=True,
                    export_name="db_read_address"),
            ),
            *section(
                "Service database users",
                out("db_users", "Database users the provisioning function manages: one per db-connect service, "
                    "named after it, logging in with IAM tokens.", "var.db_users", export=True,
                    export_name="db_users",
                    depends_on=("aws_lambda_invocation.db_users",)),
            ),
        ),
    )
