"""Stage 3: turn validated specs into what templates need, and list every file to render.

Modules see only their interface declarations (tfgen.interfaces), never a spec value, so `modules/` is
identical whatever the specs say. Everything an environment is made of (services, graph, sizes, toggles)
goes into the *environment* context, which feeds `environments/<env>/`; the top-level docs see every
environment. Python decides here; templates only lay out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tfgen.aws import instance_architecture, mysql_family
from tfgen.cost.report import cost_context
from tfgen.interfaces import ModuleInterface, exported_outputs, load_interfaces, root_variables
from tfgen.interfaces.root import root_locals, root_only_variables
from tfgen.model.plain import plain
from tfgen.model.views import Service, Spec
from tfgen.names import cors_origins, ingress_rules, name_prefix, session_log_names, state_bucket, state_key

ALB = "alb"
INTERNET_PORTS = (443, 80)


@dataclass(frozen=True)
class RenderUnit:
    """One output file: which template renders it, where it goes, with what context."""

    template: str
    dest: str
    context: dict[str, Any]


def _service_view(name: str, svc: Service, target: str) -> dict[str, Any]:
    volume = svc.data_volume
    return {
        "name": name,
        "description": svc.description,
        "port": svc.port,
        "ingress_from": list(svc.ingress_from),
        "gpu": svc.gpu,
        "ami": svc.ami,
        "permissions": list(svc.permissions),
        "packages": list(svc.packages),
        "pip_packages": list(svc.pip_packages),
        "exec_start": svc.exec_start,
        "start_on_boot": svc.start_on_boot,
        "volume": None if volume is None else {"mount_path": volume.mount_path, "device_name": volume.device_name},
        "lb_target": name == target,
    }


def ingress_rule_list(spec: Spec) -> list[dict[str, Any]]:
    """Every security-group ingress rule for docs and diagrams, sorted by key (the internet ones first)."""
    rules = [
        {"key": f"alb_from_internet_{port}", "target": ALB, "source": None, "cidr": "0.0.0.0/0", "port": port,
         "description": f"{'HTTPS' if port == 443 else 'HTTP (redirects to HTTPS)'} from the internet"}
        for port in INTERNET_PORTS
    ]
    rules += [{"key": key, **edge, "cidr": None} for key, edge in ingress_rules(spec).items()]
    return sorted(rules, key=lambda r: r["key"])


def project_context(spec: Spec) -> dict[str, Any]:
    """One environment's services, graph and database as the docs and diagrams describe them."""
    target = spec.loadbalancer.target_service
    services = [_service_view(name, svc, target) for name, svc in sorted(spec.services.items())]
    groups = [{"name": ALB, "description": "Application Load Balancer: HTTPS and HTTP from the internet"}]
    groups += [{"name": s["name"], "description": s["description"]} for s in services]
    groups.append({"name": "rds", "description": "RDS MySQL: 3306 from application services"})
    db = spec.database
    return {
        "name": spec.project.name,
        "display_name": spec.project.display_name,
        "short_name": spec.project.short_name,
        "services": services,
        "service_names": [s["name"] for s in services],
        "security_groups": groups,
        "ingress_rules": ingress_rule_list(spec),
        "lb_target": {"name": target, "port": spec.services[target].port},
        "database": {
            "engine_version": db.engine_version,
            "family": mysql_family(db.engine_version),
            "db_name": db.db_name,
            "parameters": dict(sorted(db.parameters.items())),
            "ingress_from": sorted(db.ingress_from),
        },
        "app_secret_keys": list(spec.storage.app_secret_keys),
    }


def _env_services(spec: Spec) -> dict[str, dict[str, Any]]:
    views = {}
    for name, svc in sorted(spec.services.items()):
        volume = svc.data_volume
        views[name] = {
            "instance_type": svc.instance_type,
            "architecture": instance_architecture(svc.instance_type),
            "market": svc.market,
            "spot_max_price": svc.spot_max_price,
            "root_volume_gb": svc.root_volume_gb,
            "data_volume_gb": None if volume is None else volume.size_gb,
            "group": plain(svc.auto_scaling) if svc.uses_auto_scaling else None,
        }
    return views


def environment_context(env: str, spec: Spec) -> dict[str, Any]:
    """Everything environment-specific: values, names, tags, backend settings.

    `spec` is the typed view itself (templates read `env.spec.aws.account_id` as attributes); everything
    else is plain dicts and lists built here, at the edge between the spec and the templates."""
    state = spec.state
    default_tags = {"Project": spec.project.display_name, "Environment": env, "ManagedBy": "Terraform",
                    "GeneratedBy": "tfgen"}
    default_tags.update(spec.tags)
    return {
        "name": env,
        "spec": spec,
        "region": spec.region,
        "name_prefix": name_prefix(spec, env),
        "default_tags": dict(sorted(default_tags.items())),
        "resource_tags": {},
        "services": _env_services(spec),
        "cors_origins": cors_origins(spec),
        "state": {
            "bucket": state_bucket(spec),
            "key": state_key(env, state),
            "region": state.region,
            "use_lockfile": state.lock in ("lockfile", "both"),
            "dynamodb_table": state.dynamodb_table if state.lock in ("dynamodb", "both") else None,
        },
        "guardrail_overrides": dict(sorted(spec.environment.guardrail_overrides.items())),
        "project": project_context(spec),
        "root_variables": root_only_variables(env, spec),
        "locals": root_locals(spec),
        "cost": cost_context(env, spec),
    }


def _template_files(templates: list[str], prefix: str) -> list[str]:
    return sorted(t for t in templates if t.startswith(prefix))


def _dest(template: str, **names: str) -> str:
    path = template.removesuffix(".j2")  # a plain file keeps its name
    for placeholder, value in names.items():
        path = path.replace(f"_{placeholder}_", value)
    return path


def module_units(templates: list[str], interfaces: list[ModuleInterface]) -> list[RenderUnit]:
    """Files of every module: generic ones from `_module_/`, overridden by a module's own templates.

    The context holds only the module's interface declarations, never a spec value: `modules/` is the same
    whatever the specs say.
    """
    generic = _template_files(templates, "terraform/modules/_module_/")
    units = []
    for iface in interfaces:
        own = _template_files(templates, f"terraform/modules/{iface.name}/")
        context = {"module": iface}
        own_dests = {_dest(t) for t in own}
        units += [RenderUnit(t, _dest(t, module=iface.name), context) for t in generic
                  if _dest(t, module=iface.name) not in own_dests]
        units += [RenderUnit(t, _dest(t), context) for t in own]
    return units


def environment_units(templates: list[str], env: dict[str, Any], interfaces: list[ModuleInterface]
                      ) -> list[RenderUnit]:
    from tfgen.graph import mermaid_for

    context = {"project": env["project"], "env": env, "modules": interfaces,
               "root_variables": root_variables(interfaces, env), "exports": exported_outputs(interfaces),
               "diagram": mermaid_for(env["project"], env)}
    return [
        RenderUnit(t, _dest(t, env=env["name"]), context)
        for t in _template_files(templates, "terraform/environments/_env_/")
    ]


def docs_units(templates: list[str], project: dict[str, Any], envs: list[dict[str, Any]],
               interfaces: list[ModuleInterface]) -> list[RenderUnit]:
    """Top-level docs describe every environment at once, so rendering one env never changes them."""
    from tfgen.graph import mermaid_for

    diagrams = {env["name"]: mermaid_for(env["project"], env) for env in envs}
    all_service_names = sorted({name for env in envs for name in env["project"]["service_names"]})
    from tfgen import __version__
    from tfgen.toolchain import REQUIRED_TERRAFORM

    context = {"project": project, "envs": envs, "modules": interfaces, "diagrams": diagrams,
               "all_service_names": all_service_names, "bootstraps": bootstrap_context(project, envs),
               "tfgen_version": __version__, "required_terraform": REQUIRED_TERRAFORM}
    return [
        RenderUnit(t, _dest(t), context)
        for t in _template_files(templates, "terraform/")
        if "/" not in t[len("terraform/"):]
    ]


def bootstrap_context(project: dict[str, Any], envs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One bootstrap root per state bucket: the bucket, its log bucket and the lock tables its specs ask for.

    Environments sharing a bucket share its root (validation makes them agree on the region and on the account
    those naming one name); the root pins that account: the bucket, and the account baseline, live in it."""
    by_bucket: dict[str, list[dict[str, Any]]] = {}
    for env in envs:
        by_bucket.setdefault(env["state"]["bucket"], []).append(env)
    roots = []
    for bucket, users in sorted(by_bucket.items()):
        accounts = {env["spec"].aws.account_id for env in users} - {None}
        roots.append({
            "bucket": bucket,
            "region": users[0]["state"]["region"],
            "environments": [env["name"] for env in users],
            "lock_tables": sorted({env["state"]["dynamodb_table"] for env in users if env["state"]["dynamodb_table"]}),
            "log_bucket_prefix": bucket[:31].rstrip(".-") + "-logs-",
            "trail_name": f"{project['name']}-account",
            "trail_bucket_prefix": f"{project['name'][:24]}-audit-logs-",
            "baseline": plain(users[0]["spec"].aws.baseline),
            "session": session_log_names(project["name"]),
            "account_id": accounts.pop() if len(accounts) == 1 else None,
            "default_tags": {"GeneratedBy": "tfgen", "ManagedBy": "Terraform", "Project": project["display_name"],
                             "Purpose": "terraform-state"},
        })
    return roots


def bootstrap_units(templates: list[str], project: dict[str, Any], envs: list[dict[str, Any]]) -> list[RenderUnit]:
    """Files of `bootstrap/<bucket>/`, rendered from every environment (like the top-level docs)."""
    return [
        RenderUnit(t, _dest(t, bucket=root["bucket"]), {"project": project, "bootstrap": root})
        for root in bootstrap_context(project, envs)
        for t in _template_files(templates, "terraform/bootstrap/_bucket_/")
    ]


def build_units(templates: list[str], specs: dict[str, Spec], selected: list[str]) -> list[RenderUnit]:
    """Every file a render of `selected` environments produces, sorted by destination.

    `specs` holds the validated spec of *every* environment (top-level docs cover them all). Module files
    come from declarations only, so whichever environment supplies the interfaces, they are the same.
    """
    envs = {name: environment_context(name, spec) for name, spec in sorted(specs.items())}
    # The docs describe the services as production runs them (what dev tries shows in the tables).
    production = [env for env in envs.values() if specs[env["name"]].environment.production]
    reference = (production or list(envs.values()))[0]
    units = module_units(templates, load_interfaces(reference))
    units += docs_units(templates, reference["project"], list(envs.values()), load_interfaces(reference))
    units += bootstrap_units(templates, reference["project"], list(envs.values()))
    for name in selected:
        units += environment_units(templates, envs[name], load_interfaces(envs[name]))
    return sorted(units, key=lambda u: u.dest)
