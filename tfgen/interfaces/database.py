"""database: RDS MySQL with its subnet group, parameter group, enhanced monitoring, log groups and alarms."""

from __future__ import annotations

from typing import Any

from tfgen.interfaces import ModuleInterface, common_vars, out, var, wired

GIB = 1024**3
CPU_ALARM_PERCENT = 80
FREE_STORAGE_ALARM_FRACTION = 10  # alarm when less than 1/10 of the allocated storage is free
CONNECTIONS_ALARM = 50  # db.t4g.micro allows about 60 connections


def interface(project: dict[str, Any], env: dict[str, Any]) -> ModuleInterface:
    db = env["spec"]["database"]
    return ModuleInterface(
        name="database",
        title="Database",
        description=f"RDS MySQL {project['database']['engine_version']} (parameter group family "
                    f"{project['database']['family']}): encrypted gp3 storage with autoscaling, Multi-AZ per "
                    "environment, automated backups, RDS-managed master password in Secrets Manager, IAM "
                    "authentication, enhanced monitoring with its IAM role, log exports into pre-created log "
                    "groups with the environment's retention, and CloudWatch alarms for CPU, free storage and "
                    "connections.",
        variables=(
            *common_vars(env),
            wired("private_subnet_ids", "list(string)", "Private subnets of the DB subnet group (2+ AZs).",
                  "module.networking.private_subnet_ids"),
            wired("rds_security_group_id", "string", "Security group of the database.",
                  "module.security.rds_security_group_id"),
            var("db_engine_version", "string", "MySQL engine version; major.minor lets RDS choose the current "
                "minor. Must match the parameter group family.", project["database"]["engine_version"]),
            var("db_instance_class", "string", "DB instance class.", db["instance_class"]),
            var("db_allocated_storage", "number", "Allocated gp3 storage in GiB (can only grow).",
                db["allocated_storage_gb"]),
            var("db_max_allocated_storage", "number", "Storage autoscaling ceiling in GiB (0 disables).",
                db["max_allocated_storage_gb"]),
            var("db_iops", "number", "Provisioned gp3 IOPS; null below 400 GiB (MySQL gets 3000 there).",
                db["iops"], nullable=True),
            var("db_storage_throughput", "number", "gp3 throughput in MiB/s; null below 400 GiB.",
                db["storage_throughput"], nullable=True),
            var("db_multi_az", "bool", "Run a standby replica in a second availability zone.", db["multi_az"]),
            var("db_backup_retention_days", "number", "Automated backup retention in days.",
                db["backup_retention_days"]),
            var("db_backup_window", "string", "Daily backup window (UTC).", db["backup_window"]),
            var("db_maintenance_window", "string", "Weekly maintenance window (UTC).", db["maintenance_window"]),
            var("db_deletion_protection", "bool", "Refuse to delete the database.", db["deletion_protection"]),
            var("db_skip_final_snapshot", "bool", "Skip the final snapshot when the database is destroyed.",
                db["skip_final_snapshot"]),
            var("db_monitoring_interval", "number", "Enhanced monitoring interval in seconds (0 disables).",
                db["monitoring_interval"]),
            var("db_username", "string", "Master user name; RDS generates the password into Secrets Manager.",
                db["username"]),
            var("log_retention_days", "number", "Retention of the RDS log groups in days.",
                env["spec"]["logs"]["retention_days"]),
            var("db_alarm_cpu_percent", "number", "CPU utilization (%) that raises the CPU alarm.",
                CPU_ALARM_PERCENT),
            var("db_alarm_free_storage_bytes", "number", "Free storage (bytes) below which the storage alarm "
                "fires.", db["allocated_storage_gb"] * GIB // FREE_STORAGE_ALARM_FRACTION),
            var("db_alarm_connections", "number", "Connection count that raises the connections alarm.",
                CONNECTIONS_ALARM),
            wired("alarm_actions", "list(string)",
                  "SNS topics notified by the alarms (alarm and OK): the environment's alert topic.",
                  "local.alarm_actions"),
        ),
        outputs=(
            out("endpoint", "Connection endpoint (address:port).", "aws_db_instance.main.endpoint", export=True,
                export_name="db_endpoint"),
            out("address", "Host name of the database.", "aws_db_instance.main.address", export=True,
                export_name="db_address"),
            out("port", "Port of the database.", "aws_db_instance.main.port"),
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
                "credentials.", "aws_db_instance.main.master_user_secret[0].secret_arn", export=True,
                export_name="db_master_user_secret_arn"),
        ),
    )
