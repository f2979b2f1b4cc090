"""Spec and template changes whose real plan `tfgen impact` must predict (tests/rehearsal/upgrade.py --scenarios).

Each scenario edits a scratch copy of specs/ as a person would (YAML text, the environment's own file where
the setting is per environment, the base spec where it is shared), so the edited specs also go through the
whole validation; template scenarios edit the copy's templates/ as a tfgen upgrade would. The base of every
scenario is the working tree's specs and templates, applied once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    edit: Callable[[Path, str], None]
    tree_edit: Callable[[Path], None] | None = None  # the rendered tree's part that tfgen's code (not a
    # template) writes, as the same release would change it: the compute module's outputs come from
    # tfgen/interfaces/compute.py
    # Plan with a refresh: a change of region must look for every object in the new region (without the
    # refresh, data sources read the old region's IDs there). The other scenarios skip it (upgrade.py).
    refresh: bool = False

    def apply(self, project: Path, env: str) -> None:
        self.edit(project, env)


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    if old not in text:
        raise ValueError(f"{path.name}: {old!r} not found; the scenario needs updating")
    path.write_text(text.replace(old, new, 1))


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text().rstrip("\n") + "\n\n" + text.strip("\n") + "\n")


def _base(project: Path) -> Path:
    return project / "specs" / "base.yaml"


def _env(project: Path, env: str) -> Path:
    return project / "specs" / f"{env}.yaml"


def _network(zones: str, public: str, private: str) -> Callable[[Path, str], None]:
    """Zones and subnets written as 10.0.x (base.yaml's range), moved into the environment's own range when its
    spec sets one (dev 10.10, staging 10.20), merged into the spec's `network:` block if it has one."""
    def edit(project: Path, env: str) -> None:
        path = _env(project, env)
        text = path.read_text()
        own = re.search(r"(?m)^  vpc_cidr: (\d+\.\d+)\.", text)
        prefix = f"{own[1]}." if own else "10.0."
        lines = (f"  availability_zones: {zones}\n  public_subnet_cidrs: {public.replace('10.0.', prefix)}\n"
                 f"  private_subnet_cidrs: {private.replace('10.0.', prefix)}\n")
        if "\nnetwork:\n" not in text:
            _append(path, "network:\n" + lines)
            return
        text = re.sub(r"(?m)^  (availability_zones|public_subnet_cidrs|private_subnet_cidrs): .*\n", "", text)
        path.write_text(text.replace("\nnetwork:\n", "\nnetwork:\n" + lines, 1))
    return edit


def _add_service(project: Path, env: str) -> None:
    _replace(_base(project), "  chromadb:\n", """  worker:
    description: Background worker
    port: 9000
    ingress_from: [backend]
    instance_type: t4g.micro
    packages: [python3.11]
    exec_start: /opt/worker/venv/bin/python -m worker
    data_volume:
      size_gb: 20
      mount_path: /var/lib/worker
  chromadb:
""")


def _remove_service(project: Path, env: str) -> None:
    text = _base(project).read_text()
    start = text.index("  chromadb:\n")
    end = text.index("\ndatabase:")
    _base(project).write_text(text[:start] + text[end + 1:])


def _section(key: str, body: str) -> Callable[[Path, str], None]:
    """Set keys of a section in the environment's own spec (merging into a section it already has)."""
    def edit(project: Path, env: str) -> None:
        path = _env(project, env)
        if f"\n{key}:\n" in path.read_text():
            _replace(path, f"\n{key}:\n", f"\n{key}:\n{body}")
        else:
            _append(path, f"{key}:\n{body}")
    return edit


def _set(old: str, new: str, base: bool = False) -> Callable[[Path, str], None]:
    def edit(project: Path, env: str) -> None:
        _replace(_base(project) if base else _env(project, env), old, new)
    return edit


def _region(project: Path, env: str) -> None:
    _append(_env(project, env), "region: eu-west-1\n")
    _network("[eu-west-1a, eu-west-1b]", "[10.0.1.0/24, 10.0.2.0/24]", "[10.0.11.0/24, 10.0.12.0/24]")(project, env)


def _both(*edits: Callable[[Path, str], None]) -> Callable[[Path, str], None]:
    def edit(project: Path, env: str) -> None:
        for one in edits:
            one(project, env)
    return edit


COMPUTE = "templates/terraform/modules/compute/main.tf"
DATABASE = "templates/terraform/modules/database/main.tf"


def _template(path: str, *pairs: tuple[str, str]) -> Callable[[Path, str], None]:
    """Replace every occurrence of each old text in a template of the copy (it must occur)."""
    def edit(project: Path, env: str) -> None:
        target = project / path
        text = target.read_text()
        for old, new in pairs:
            if old not in text:
                raise ValueError(f"{path}: {old!r} not found; the scenario needs updating")
            text = text.replace(old, new)
        target.write_text(text)
    return edit


_RENAME_VOLUME = _template(COMPUTE, ('resource "aws_ebs_volume" "data"', 'resource "aws_ebs_volume" "volume"'),
                           ("aws_ebs_volume.data[", "aws_ebs_volume.volume["))


def _rename_volume_output(tree: Path) -> None:
    outputs = tree / "modules" / "compute" / "outputs.tf"
    outputs.write_text(outputs.read_text().replace("in aws_ebs_volume.data :", "in aws_ebs_volume.volume :"))


def _moved_block(project: Path, env: str) -> None:
    (project / "templates/terraform/modules/compute/moved.tf").write_text(
        "# Renamed resources of this module: the state follows them.\n\n"
        "moved {\n  from = aws_ebs_volume.data\n  to   = aws_ebs_volume.volume\n}\n")


def _no_edit(project: Path, env: str) -> None:
    """A tfgen release that changes no template (upgrade.py renders it with a bumped tfgen version)."""


SCENARIOS = (
    Scenario("add_az", "a third availability zone (subnets, routes; services stay where they are)",
             _network("[us-east-1a, us-east-1b, us-east-1c]", "[10.0.1.0/24, 10.0.2.0/24, 10.0.3.0/24]",
                      "[10.0.11.0/24, 10.0.12.0/24, 10.0.13.0/24]")),
    Scenario("reorder_azs", "the same two zones in the other order (with their subnets)",
             _network("[us-east-1b, us-east-1a]", "[10.0.2.0/24, 10.0.1.0/24]", "[10.0.12.0/24, 10.0.11.0/24]")),
    Scenario("add_service", "a new service with a data volume, reachable from backend", _add_service),
    Scenario("remove_service", "chromadb (with its data volume) removed", _remove_service),
    Scenario("instance_type_spot", "frontend (spot) t4g.micro -> t4g.small",
             _set("    instance_type: t4g.micro\n    market: spot\n    interruptible: true\n    packages: [nodejs20",
                  "    instance_type: t4g.small\n    market: spot\n    interruptible: true\n    packages: [nodejs20",
                  base=True)),
    Scenario("instance_type_on_demand", "chromadb (on-demand) t3.medium -> t3.large",
             _set("instance_type: t3.medium", "instance_type: t3.large", base=True)),
    Scenario("grow_storage", "database 20 -> 30 GiB and the llm data volume 50 -> 60 GiB",
             _both(_section("database", "  allocated_storage_gb: 30\n"),
                   _set("      size_gb: 50\n", "      size_gb: 60\n", base=True))),
    Scenario("engine_minor_version", "MySQL 8.4 -> 8.4.3", _set('engine_version: "8.4"', 'engine_version: "8.4.3"',
                                                                 base=True)),
    Scenario("change_domain", "the environment's domain changes",
             _set("  domain: staging.imageunderstander.example.com", "  domain: stage.imageunderstander.example.com")),
    Scenario("hosted_zone_off", "Route 53 hosted zone (and health check) no longer managed",
             _set("  create_hosted_zone: true", "  create_hosted_zone: false")),
    Scenario("waf_on", "WAF web ACL on the ALB", _section("loadbalancer", "  waf: true\n")),
    Scenario("access_logs_on", "ALB access logs to their own bucket",
             _section("loadbalancer", "  access_logs: true\n")),
    Scenario("change_region", "us-east-1 -> eu-west-1 (with its zones)", _region, refresh=True),
    Scenario("template_rename_volume", "template renames aws_ebs_volume.data, no moved block",
             _RENAME_VOLUME, _rename_volume_output),
    Scenario("template_rename_volume_moved", "template renames aws_ebs_volume.data with a moved block",
             _both(_RENAME_VOLUME, _moved_block), _rename_volume_output),
    Scenario("template_rekey_volumes", "template re-keys the data volumes' for_each (<service>-data)",
             _template(COMPUTE, ("resource \"aws_ebs_volume\" \"data\" {\n  for_each = local.volume_services",
                                 "resource \"aws_ebs_volume\" \"data\" {\n  for_each = { for name, service in "
                                 "local.volume_services : \"${name}-data\" => service }"),
                       ("aws_ebs_volume.data[each.key]", "aws_ebs_volume.data[\"${each.key}-data\"]"),
                       ("aws_ebs_volume.data[name]", "aws_ebs_volume.data[\"${name}-data\"]"))),
    Scenario("template_db_engine", "template literal engine mysql -> mariadb (forces a new database)",
             _template(DATABASE, ('engine         = "mysql"', 'engine         = "mariadb"'))),
    Scenario("template_volume_unencrypted", "template literal encrypted true -> false on the data volumes",
             _template(COMPUTE, ('  encrypted         = true\n  final_snapshot', '  encrypted         = false\n'
                                                                                  '  final_snapshot'))),
    Scenario("tfgen_version_bump", "a tfgen release that changes no template", _no_edit),
)
