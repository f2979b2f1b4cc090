"""Stage 3: turn validated specs into what templates need, and list every file to render.

Two views: the *project* context (only module-shaping data, identical for every environment, feeds
`modules/`) and the *environment* context (everything else, feeds `environments/<env>/`). Python decides
here; templates only lay out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from tfgen.aws import instance_architecture, mysql_family
from tfgen.interfaces import ModuleInterface, exported_outputs, load_interfaces, root_variables

ALB = "alb"
INTERNET_PORTS = (443, 80)


@dataclass(frozen=True)
class RenderUnit:
    """One output file: which template renders it, where it goes, with what context."""

    template: str
    dest: str
    context: dict[str, Any]


def _service_view(name: str, svc: dict[str, Any], target: str) -> dict[str, Any]:
    volume = svc["data_volume"]
    return {
        "name": name,
        "description": svc["description"],
        "port": svc["port"],
        "ingress_from": list(svc["ingress_from"]),
        "gpu": svc["gpu"],
        "ami": svc["ami"],
        "permissions": list(svc["permissions"]),
        "packages": list(svc["packages"]),
        "pip_packages": list(svc["pip_packages"]),
        "exec_start": svc["exec_start"],
        "start_on_boot": svc["start_on_boot"],
        "volume": None if volume is None else {
            "mount_path": volume["mount_path"], "device_name": volume["device_name"],
        },
        "lb_target": name == target,
    }


def ingress_rules(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every security-group ingress rule, sorted: (target group, source, port, description)."""
    rules = [
        {"target": ALB, "source": None, "cidr": "0.0.0.0/0", "port": port,
         "description": f"{'HTTPS' if port == 443 else 'HTTP (redirects to HTTPS)'} from the internet"}
        for port in INTERNET_PORTS
    ]
    for name, svc in sorted(doc["services"].items()):
        for source in sorted(svc["ingress_from"]):
            rules.append({"target": name, "source": source, "cidr": None, "port": svc["port"],
                          "description": f"{name} port {svc['port']} from {source}"})
    for source in sorted(doc["database"]["ingress_from"]):
        rules.append({"target": "rds", "source": source, "cidr": None, "port": 3306,
                      "description": f"MySQL from {source}"})
    for rule in rules:
        rule["key"] = f"{rule['target']}_from_{rule['source'] or 'internet'}_{rule['port']}"
    return sorted(rules, key=lambda r: r["key"])


def project_context(doc: dict[str, Any]) -> dict[str, Any]:
    """Project-level data only: this is all that may shape `modules/`."""
    target = doc["loadbalancer"]["target_service"]
    services = [_service_view(name, svc, target) for name, svc in sorted(doc["services"].items())]
    groups = [{"name": ALB, "description": "Application Load Balancer: HTTPS and HTTP from the internet"}]
    groups += [{"name": s["name"], "description": s["description"]} for s in services]
    groups.append({"name": "rds", "description": "RDS MySQL: 3306 from application services"})
    db = doc["database"]
    return {
        "name": doc["project"]["name"],
        "display_name": doc["project"]["display_name"],
        "short_name": doc["project"]["short_name"],
        "services": services,
        "service_names": [s["name"] for s in services],
        "security_groups": groups,
        "ingress_rules": ingress_rules(doc),
        "lb_target": {"name": target, "port": doc["services"][target]["port"]},
        "database": {
            "engine_version": db["engine_version"],
            "family": mysql_family(db["engine_version"]),
            "db_name": db["db_name"],
            "parameters": dict(sorted(db["parameters"].items())),
            "ingress_from": sorted(db["ingress_from"]),
        },
        "app_secret_keys": list(doc["storage"]["app_secret_keys"]),
    }


def _env_services(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    views = {}
    for name, svc in sorted(doc["services"].items()):
        volume = svc["data_volume"]
        views[name] = {
            "instance_type": svc["instance_type"],
            "architecture": instance_architecture(svc["instance_type"]),
            "market": svc["market"],
            "spot_max_price": svc["spot_max_price"],
            "root_volume_gb": svc["root_volume_gb"],
            "data_volume_gb": None if volume is None else volume["size_gb"],
        }
    return views


def _cors_origins(doc: dict[str, Any]) -> list[str]:
    configured = doc["storage"]["cors_allowed_origins"]
    if configured:
        return list(configured)
    domain = doc["dns"]["domain"]
    return [f"https://{domain}", f"https://www.{domain}"]


def environment_context(env: str, doc: dict[str, Any]) -> dict[str, Any]:
    """Everything environment-specific: values, names, tags, backend settings."""
    project = doc["project"]
    state = doc["state"]
    default_tags = {"Project": project["display_name"], "Environment": env, "ManagedBy": "Terraform",
                    "GeneratedBy": "tfgen"}
    default_tags.update(doc["tags"])
    return {
        "name": env,
        "spec": doc,
        "region": doc["region"],
        "name_prefix": f"{project['name']}-{env}",
        "default_tags": dict(sorted(default_tags.items())),
        "resource_tags": {},
        "services": _env_services(doc),
        "cors_origins": _cors_origins(doc),
        "state": {
            "bucket": state["bucket"],
            "key": f"{state['key_prefix']}/{env}/terraform.tfstate",
            "region": state["region"],
            "use_lockfile": state["lock"] in ("lockfile", "both"),
            "dynamodb_table": state["dynamodb_table"] if state["lock"] in ("dynamodb", "both") else None,
        },
        "guardrail_overrides": dict(sorted(doc["environment"]["guardrail_overrides"].items())),
    }


def _template_files(templates: list[str], prefix: str) -> list[str]:
    return sorted(t for t in templates if t.startswith(prefix) and t.endswith(".j2"))


def _dest(template: str, **names: str) -> str:
    path = template[: -len(".j2")]
    for placeholder, value in names.items():
        path = path.replace(f"_{placeholder}_", value)
    return path


def module_units(templates: list[str], project: dict[str, Any],
                 interfaces: list[ModuleInterface]) -> list[RenderUnit]:
    """Files of every module: generic ones from `_module_/`, overridden by a module's own templates."""
    generic = _template_files(templates, "terraform/modules/_module_/")
    units = []
    for iface in interfaces:
        own = _template_files(templates, f"terraform/modules/{iface.name}/")
        context = {"project": project, "module": iface}
        own_dests = {_dest(t) for t in own}
        for template in generic:
            dest = _dest(template, module=iface.name)
            if dest not in own_dests:
                units.append(RenderUnit(template, dest, context))
        for template in own:
            units.extend(_expand_service_units(template, context, project))
    return units


def _expand_service_units(template: str, context: dict[str, Any], project: dict[str, Any]) -> list[RenderUnit]:
    """A template whose path holds `_service_` is rendered once per service."""
    if "_service_" not in PurePosixPath(template).name:
        return [RenderUnit(template, _dest(template), context)]
    return [
        RenderUnit(template, _dest(template, service=svc["name"]), {**context, "service": svc})
        for svc in project["services"]
    ]


def environment_units(templates: list[str], env: dict[str, Any], project: dict[str, Any],
                      interfaces: list[ModuleInterface]) -> list[RenderUnit]:
    context = {"project": project, "env": env, "modules": interfaces,
               "root_variables": root_variables(interfaces, env), "exports": exported_outputs(interfaces)}
    return [
        RenderUnit(t, _dest(t, env=env["name"]), context)
        for t in _template_files(templates, "terraform/environments/_env_/")
    ]


def docs_units(templates: list[str], project: dict[str, Any], envs: list[dict[str, Any]],
               interfaces: list[ModuleInterface]) -> list[RenderUnit]:
    """Top-level docs describe every environment at once, so rendering one env never changes them."""
    from tfgen.graph import mermaid_for

    diagrams = {env["name"]: mermaid_for(project, env) for env in envs}
    context = {"project": project, "envs": envs, "modules": interfaces, "diagrams": diagrams,
               "bootstraps": bootstrap_context(project, envs)}
    return [
        RenderUnit(t, _dest(t), context)
        for t in _template_files(templates, "terraform/")
        if "/" not in t[len("terraform/"):]
    ]


def bootstrap_context(project: dict[str, Any], envs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One bootstrap root per state bucket: the bucket, its log bucket and the lock tables its specs ask for.

    Environments sharing a bucket share its root (validation makes them agree on the region); the root pins
    the account only when every one of them names the same `aws.account_id`."""
    by_bucket: dict[str, list[dict[str, Any]]] = {}
    for env in envs:
        by_bucket.setdefault(env["state"]["bucket"], []).append(env)
    roots = []
    for bucket, users in sorted(by_bucket.items()):
        accounts = {env["spec"]["aws"]["account_id"] for env in users}
        roots.append({
            "bucket": bucket,
            "region": users[0]["state"]["region"],
            "environments": [env["name"] for env in users],
            "lock_tables": sorted({env["state"]["dynamodb_table"] for env in users if env["state"]["dynamodb_table"]}),
            "log_bucket_prefix": bucket[:31].rstrip(".-") + "-logs-",
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


def build_units(templates: list[str], docs: dict[str, dict[str, Any]], selected: list[str]) -> list[RenderUnit]:
    """Every file a render of `selected` environments produces, sorted by destination.

    `docs` holds the normalized spec of *every* environment (top-level docs cover them all).
    """
    first = docs[sorted(docs)[0]]
    project = project_context(first)
    envs = {name: environment_context(name, doc) for name, doc in sorted(docs.items())}
    reference_ifaces = load_interfaces(project, envs[sorted(envs)[0]])
    units = module_units(templates, project, reference_ifaces)
    units += docs_units(templates, project, list(envs.values()), reference_ifaces)
    units += bootstrap_units(templates, project, list(envs.values()))
    for name in selected:
        units += environment_units(templates, envs[name], project, load_interfaces(project, envs[name]))
    return sorted(units, key=lambda u: u.dest)
