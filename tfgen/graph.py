"""Architecture diagrams (Mermaid and Graphviz DOT) drawn from the same context the templates render.

Both formats come from one neutral `Diagram` (nodes, clusters, edges) built from the project context
(services, security-group rules, database) and the environment context (VPC, subnets per AZ, NAT, VPC
endpoints), so the picture in the generated README always matches the generated code. Every
security-group ingress rule becomes one edge labelled with its port; egress through NAT is dotted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tfgen.names import MYSQL_PORT

if TYPE_CHECKING:
    from tfgen.model.views import Spec

INTERNET = "internet"
ALB = "alb"
RDS = "rds"
ENDPOINTS = "endpoints"
FORMATS = ("mermaid", "dot")
_STORE_WORDS = re.compile(r"\b(vector|store|database|db|cache|queue)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Node:
    """One box: `shape` is abstract (box, circle, hexagon, cylinder, subnet) and mapped per format."""

    id: str
    lines: tuple[str, ...]
    shape: str = "box"


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str
    dotted: bool = False


@dataclass
class Cluster:
    """A group drawn as a frame; clusters nest (VPC > AZ)."""

    id: str
    label: str
    nodes: list[Node] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)


@dataclass
class Diagram:
    title: str
    top: list[Node]
    vpc: Cluster
    edges: list[Edge]


def node_id(group: str | None) -> str:
    """Diagram id of a security-group endpoint: `None` (a CIDR) is the internet; services get a prefix."""
    if group is None:
        return INTERNET
    return group if group in (ALB, RDS) else f"svc_{group}"


def _az_id(index: int) -> str:
    return f"az{index + 1}"


def _service_node(svc: dict[str, Any], env_svc: dict[str, Any]) -> Node:
    """A service box: name, port, instance type and description; stores (vector DB...) are cylinders."""
    lines = [f"{svc['name']} :{svc['port']}", env_svc.get("instance_type", "")]
    if svc.get("volume"):
        lines.append(f"data volume {svc['volume']['mount_path']}")
    lines.append(svc["description"])
    shape = "cylinder" if _STORE_WORDS.search(svc["description"]) else "box"
    return Node(node_id(svc["name"]), tuple(line for line in lines if line), shape)


def spec_of(env: dict[str, Any]) -> Spec:
    """The typed spec view inside an environment context (tfgen.context.environment_context)."""
    return env["spec"]


def _database_node(project: dict[str, Any], spec: Spec) -> Node:
    db = spec.database
    availability = "Multi-AZ" if db.multi_az else "single-AZ"
    lines = (f"RDS MySQL {project['database']['engine_version']} :{MYSQL_PORT}",
             f"{db.instance_class}, {availability}")
    return Node(RDS, lines, "cylinder")


def _az_clusters(env: dict[str, Any]) -> list[Cluster]:
    """One frame per AZ with its public and private subnet and, where there is one, its NAT gateway."""
    net = spec_of(env).network
    nat_azs = range(len(net.availability_zones)) if net.nat_gateway == "per_az" else range(1)
    clusters = []
    for i, zone in enumerate(net.availability_zones):
        nodes = [Node(f"public_{_az_id(i)}", ("public subnet", net.public_subnet_cidrs[i]), "subnet"),
                 Node(f"private_{_az_id(i)}", ("private subnet", net.private_subnet_cidrs[i]), "subnet")]
        if i in nat_azs:
            nodes.append(Node(f"nat_{_az_id(i)}", ("NAT gateway",), "hexagon"))
        clusters.append(Cluster(_az_id(i), zone, nodes))
    return clusters


def _endpoints_node(env: dict[str, Any]) -> Node:
    names = ", ".join(sorted(spec_of(env).network.interface_endpoints)) or "none"
    return Node(ENDPOINTS, ("VPC endpoints", f"interface: {names}", "gateway: s3"), "box")


def _nat_edges(env: dict[str, Any]) -> list[Edge]:
    """Private subnets reach the internet through their NAT (their own per AZ, or the single shared one)."""
    net = spec_of(env).network
    per_az = net.nat_gateway == "per_az"
    edges = []
    for i in range(len(net.availability_zones)):
        nat = f"nat_{_az_id(i if per_az else 0)}"
        edges.append(Edge(f"private_{_az_id(i)}", nat, "egress", dotted=True))
    nats = sorted({e.target for e in edges})
    return edges + [Edge(nat, INTERNET, "egress via IGW", dotted=True) for nat in nats]


def _endpoint_edges(env: dict[str, Any]) -> list[Edge]:
    """Instances reach SSM and S3 privately through the VPC endpoints, not through NAT."""
    zones = spec_of(env).network.availability_zones
    return [Edge(f"private_{_az_id(i)}", ENDPOINTS, "private", dotted=True) for i in range(len(zones))]


def _rule_edges(project: dict[str, Any]) -> list[Edge]:
    """One edge per security-group ingress rule, in the context's (sorted) order."""
    return [Edge(node_id(rule["source"]), node_id(rule["target"]), str(rule["port"]))
            for rule in project["ingress_rules"]]


def build_diagram(project: dict[str, Any], env: dict[str, Any]) -> Diagram:
    """The neutral diagram of one environment; both output formats are drawn from it."""
    spec = spec_of(env)
    env_services = env.get("services", {})
    services = [_service_node(svc, env_services.get(svc["name"], {})) for svc in project["services"]]
    alb = Node(ALB, ("Application Load Balancer", "public subnets, HTTPS :443, HTTP :80 redirect",
                     f"forwards to {project['lb_target']['name']} :{project['lb_target']['port']}"), "hexagon")
    vpc = Cluster("vpc", f"VPC {spec.network.vpc_cidr} ({env['region']})",
                  nodes=[alb, *services, _database_node(project, spec), _endpoints_node(env)],
                  clusters=_az_clusters(env))
    top = [Node(INTERNET, ("Internet",), "circle")]
    edges = [*_rule_edges(project), *_nat_edges(env), *_endpoint_edges(env)]
    return Diagram(f"{env['name_prefix']} architecture", top, vpc, edges)


# ---------------------------------------------------------------- Mermaid

_MERMAID_SHAPES = {"box": '["{}"]', "circle": '(("{}"))', "hexagon": '{{{{"{}"}}}}',
                   "cylinder": '[("{}")]', "subnet": '(["{}"])'}


_MERMAID_CODES = {ord(c): f"#{ord(c)};" for c in '#"<>|%`&'} | {ord('"'): "#quot;", ord("<"): "#lt;",
                                                                 ord(">"): "#gt;"}


def _mermaid_text(text: str) -> str:
    """Escape for a quoted Mermaid label: entity codes, so no spec text can break out of the label, start a
    `%%{init}%%` directive (Mermaid finds those anywhere in the text), a Markdown string (backticks) or an HTML
    entity; a line break becomes a space."""
    return " ".join(text.translate(_MERMAID_CODES).splitlines())


def _mermaid_node(node: Node, indent: str) -> str:
    label = "<br/>".join(_mermaid_text(line) for line in node.lines)
    return indent + node.id + _MERMAID_SHAPES[node.shape].format(label)


def _mermaid_cluster(cluster: Cluster, indent: str) -> list[str]:
    lines = [f'{indent}subgraph {cluster.id}["{_mermaid_text(cluster.label)}"]']
    lines += [_mermaid_node(node, indent + "  ") for node in cluster.nodes]
    for sub in cluster.clusters:
        lines += _mermaid_cluster(sub, indent + "  ")
    return [*lines, f"{indent}end"]


def _mermaid_edge(edge: Edge) -> str:
    arrow = "-.->" if edge.dotted else "-->"
    return f"  {edge.source} {arrow}|{_mermaid_text(edge.label)}| {edge.target}"


def to_mermaid(diagram: Diagram) -> str:
    """A Mermaid flowchart (GitHub renders it inside a ```mermaid block)."""
    lines = ["flowchart LR", f"  %% {diagram.title} (generated by tfgen from the spec)"]
    lines += [_mermaid_node(node, "  ") for node in diagram.top]
    lines += _mermaid_cluster(diagram.vpc, "  ")
    lines += [_mermaid_edge(edge) for edge in diagram.edges]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- DOT

_DOT_SHAPES = {"box": "box", "circle": "circle", "hexagon": "hexagon", "cylinder": "cylinder",
               "subnet": "note"}


def _dot_text(text: str) -> str:
    """Escape for a quoted DOT label: backslashes (no \\N, \\G, \\l escapes from the spec), quotes, line breaks."""
    return " ".join(text.replace("\\", "\\\\").replace('"', '\\"').splitlines())


def _dot_node(node: Node, indent: str) -> str:
    label = "\\n".join(_dot_text(line) for line in node.lines)
    return f'{indent}{node.id} [label="{label}", shape={_DOT_SHAPES[node.shape]}];'


def _dot_cluster(cluster: Cluster, indent: str) -> list[str]:
    lines = [f"{indent}subgraph cluster_{cluster.id} {{", f'{indent}  label="{_dot_text(cluster.label)}";']
    lines += [_dot_node(node, indent + "  ") for node in cluster.nodes]
    for sub in cluster.clusters:
        lines += _dot_cluster(sub, indent + "  ")
    return [*lines, f"{indent}}}"]


def _dot_edge(edge: Edge) -> str:
    style = ", style=dashed" if edge.dotted else ""
    return f'  {edge.source} -> {edge.target} [label="{_dot_text(edge.label)}"{style}];'


def to_dot(diagram: Diagram) -> str:
    """A Graphviz digraph: `tfgen graph prod --format dot | dot -Tsvg > prod.svg`."""
    lines = [f'digraph "{_dot_text(diagram.title)}" {{', "  rankdir=LR;", "  compound=true;",
             '  node [fontname="Helvetica", fontsize=10];', '  edge [fontname="Helvetica", fontsize=9];']
    lines += [_dot_node(node, "  ") for node in diagram.top]
    lines += _dot_cluster(diagram.vpc, "  ")
    lines += [_dot_edge(edge) for edge in diagram.edges]
    return "\n".join(lines) + "\n}\n"


def render_graph(project: dict[str, Any], env: dict[str, Any], fmt: str = "mermaid") -> str:
    """The diagram of one environment in `fmt` (mermaid or dot)."""
    diagram = build_diagram(project, env)
    return to_dot(diagram) if fmt == "dot" else to_mermaid(diagram)


def mermaid_for(project_ctx: dict[str, Any], env_ctx: dict[str, Any]) -> str:
    """The Mermaid diagram the generated terraform/README.md embeds (one per environment)."""
    return render_graph(project_ctx, env_ctx, "mermaid")
