"""Database rules: engine and class, storage (and that it only grows), backups and windows."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from tfgen import aws
from tfgen.rules.registry import Check, rule

if TYPE_CHECKING:
    from tfgen.model.views import Spec


@rule
def database_engine_and_class(spec: Spec, check: Check) -> None:
    """engine_version is a MySQL 8.x version RDS offers; instance_class is db.<family>.<size>."""
    db = spec.database
    version = db.engine_version
    match = aws.MYSQL_VERSION_RE.match(version)
    majors = " or ".join(aws.RDS_MYSQL_MAJORS)
    if not match:
        check.report(("database", "engine_version"),
                     f"{version!r} is not a MySQL version: write {majors} (RDS keeps the minor current) or a "
                     "full version such as 8.4.3")
    elif f"{match['major']}.{match['minor']}" not in aws.RDS_MYSQL_MAJORS:
        check.report(("database", "engine_version"),
                     f"{version!r} is not a MySQL major version RDS offers for new databases; use {majors}")
    for key in ("instance_class", "replica_instance_class"):
        klass = getattr(db, key)
        if klass is None:
            continue
        problem = aws.instance_type_problem(klass[3:]) if klass.startswith("db.") else None
        if not klass.startswith("db.") or problem:
            check.report(("database", key),
                         f"{klass!r} is not an RDS instance class: expected db.<family>.<size> such as db.t4g.micro")


@rule
def database_storage(spec: Spec, check: Check) -> None:
    """gp3 storage 20-65536 GiB; autoscaling ceiling >= 10% above it; IOPS/throughput only from 400 GiB."""
    db = spec.database
    size = db.allocated_storage_gb
    if not aws.RDS_GP3_MIN_GB <= size <= aws.RDS_GP3_MAX_GB:
        check.report(("database", "allocated_storage_gb"),
                     f"{size} GiB is outside the RDS MySQL gp3 range {aws.RDS_GP3_MIN_GB}-{aws.RDS_GP3_MAX_GB} GiB")
    ceiling = db.max_allocated_storage_gb
    least = math.ceil(size * aws.RDS_AUTOSCALING_MIN_HEADROOM)
    if ceiling and not least <= ceiling <= aws.RDS_GP3_MAX_GB:
        check.report(("database", "max_allocated_storage_gb"),
                     f"{ceiling} GiB: the autoscaling ceiling must be at least 10% above allocated_storage_gb "
                     f"({size} GiB), so at least {least}, and at most {aws.RDS_GP3_MAX_GB}; or 0 to disable "
                     "autoscaling")
    threshold = aws.RDS_GP3_IOPS_THRESHOLD_GB
    for key, value, (low, high), unit in (("iops", db.iops, aws.RDS_GP3_IOPS_RANGE, "IOPS"),
                                          ("storage_throughput", db.storage_throughput, aws.RDS_GP3_THROUGHPUT_RANGE,
                                           "MiB/s")):
        if value is None:
            continue
        if size < threshold:
            check.report(("database", key),
                         f"RDS rejects an explicit {key} for MySQL gp3 below {threshold} GiB (it gets a fixed "
                         f"baseline of 3000 IOPS and 125 MiB/s); remove it or set allocated_storage_gb to at "
                         f"least {threshold}")
        elif not low <= value <= high:
            check.report(("database", key), f"{value} {unit} is outside the gp3 range {low}-{high} {unit}")


@rule
def storage_only_grows(spec: Spec, check: Check) -> None:
    """allocated_storage_gb is never smaller than in the spec it extends: RDS storage cannot shrink."""
    previous: tuple[int, str] | None = None
    for layer in check.spec.layers:
        db = layer.data.get("database")
        value = db.get("allocated_storage_gb") if isinstance(db, dict) else None
        if not isinstance(value, int) or isinstance(value, bool):
            continue
        if previous is not None and value < previous[0]:
            path = ("database", "allocated_storage_gb")
            check.report_at(layer.provenance.get(path), path,
                            f"{value} GiB is smaller than the {previous[0]} GiB of {previous[1]}, which this spec "
                            f"extends; RDS storage can only grow: set at least {previous[0]}")
        previous = (value, layer.file) if previous is None or value >= previous[0] else previous


@rule
def database_backups(spec: Spec, check: Check) -> None:
    """Backup retention 0-35 days, at least 1 with Multi-AZ or read replicas; windows valid, >= 30 minutes, not
    overlapping."""
    db = spec.database
    days = db.backup_retention_days
    if not 0 <= days <= aws.RDS_BACKUP_RETENTION_MAX:
        check.report(("database", "backup_retention_days"),
                     f"{days} is outside the RDS range 0-{aws.RDS_BACKUP_RETENTION_MAX} days")
    elif days == 0 and db.multi_az:
        check.report(("database", "backup_retention_days"),
                     "0 disables automated backups, which Multi-AZ (database.multi_az: true) requires; set at "
                     "least 1")
    elif days == 0 and db.read_replicas:
        check.report(("database", "backup_retention_days"),
                     f"0 disables automated backups, which read replicas (database.read_replicas: "
                     f"{db.read_replicas}) require: RDS creates a replica from a backup; set at least 1")
    backup = _window(db.backup_window, daily=True)
    maintenance = _window(db.maintenance_window, daily=False)
    for key, window in (("backup_window", backup), ("maintenance_window", maintenance)):
        if isinstance(window, str):
            check.report(("database", key), window)
    if isinstance(backup, list) and isinstance(maintenance, list) and _overlap(backup, maintenance):
        check.report(("database", "backup_window"),
                     f"{db.backup_window} overlaps the maintenance window {db.maintenance_window}; RDS "
                     "requires them apart")


WEEK_MINUTES = 7 * 24 * 60


def _window(text: str, daily: bool) -> list[tuple[int, int]] | str:
    """Minute-of-week intervals of an RDS window, or why it is invalid."""
    example = "03:00-04:00" if daily else "sun:04:30-sun:05:30"
    parts = text.split("-")
    if len(parts) != 2:
        return f"{text!r} is not a window such as {example}"
    start, end = (_minute(p, daily) for p in parts)
    if start is None or end is None:
        return f"{text!r} is not a valid window such as {example} (UTC; hours 00-23, minutes 00-59" + (
            ")" if daily else ", days mon-sun)")
    period = 24 * 60 if daily else WEEK_MINUTES
    length = (end - start) % period
    if length < aws.RDS_WINDOW_MIN_MINUTES:
        return f"{text!r} is shorter than the {aws.RDS_WINDOW_MIN_MINUTES} minutes RDS requires"
    starts = [start + day * 24 * 60 for day in range(7)] if daily else [start]
    return [(s % WEEK_MINUTES, length) for s in starts]


def _minute(text: str, daily: bool) -> int | None:
    match = re.fullmatch(r"(?:([a-z]{3}):)?([0-9]{2}):([0-9]{2})", text)
    if not match or bool(match[1]) == daily:
        return None
    day, hour, minute = match[1], int(match[2]), int(match[3])
    if hour > 23 or minute > 59 or (day is not None and day not in aws.WEEKDAYS):
        return None
    return (aws.WEEKDAYS.index(day) * 24 * 60 if day else 0) + hour * 60 + minute


def _overlap(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> bool:
    def minutes(windows: list[tuple[int, int]]) -> set[int]:
        return {(start + i) % WEEK_MINUTES for start, length in windows for i in range(length)}
    return not minutes(a).isdisjoint(minutes(b))


# ---------------------------------------------------------------------------------------------------------
# Names and limits
# ---------------------------------------------------------------------------------------------------------



@rule
def one_database_login_per_service(spec: Spec, check: Check) -> None:
    """A service logs in either as its own IAM user (db-connect) or as the master user (db-secret-read), not
    both: each writes DB_USERNAME into its environment file, and the master login is the one to leave."""
    for name, service in spec.services.items():
        if "db-connect" in service.permissions and "db-secret-read" in service.permissions:
            index = list(service.permissions).index("db-secret-read")
            check.report(("services", name, "permissions", index),
                         "db-secret-read (the master user) next to db-connect (the service's own IAM user): both "
                         "set DB_USERNAME; remove db-secret-read once the application uses its own user")
