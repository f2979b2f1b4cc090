"""Hand-made states for the adoption tests: the shape of the hand-written ImageUnderstander dev root (one
resource per service, `count` subnets, inline data disks and routes), written from its source, not applied.

`handwritten_like(rename=...)` renames module calls and resources, so a test can show that the matching never
relies on the addresses."""

from __future__ import annotations

import json
from typing import Any

P = "imageunderstander-dev"
NET16 = "10.10"  # the bundled dev spec's range (the hand-written root used 10.0; the matcher pairs subnets by CIDR)
SERVICES = ("frontend", "backend", "llm", "chromadb")


def _i(module: str, type_: str, name: str, key: Any, attrs: dict[str, Any]) -> tuple:
    return (module, type_, name, key, attrs)


def _networking(m: str) -> list[tuple]:
    rows = [_i(m, "aws_vpc", "main", None, {"id": "vpc-1", "cidr_block": f"{NET16}.0.0/16",
                                            "tags": {"Name": f"{P}-vpc"}}),
            _i(m, "aws_internet_gateway", "main", None, {"id": "igw-1", "vpc_id": "vpc-1"}),
            _i(m, "aws_eip", "nat", None, {"id": "eipalloc-1", "tags": {"Name": f"{P}-nat-eip"}}),
            _i(m, "aws_nat_gateway", "main", None, {"id": "nat-1", "allocation_id": "eipalloc-1",
                                                    "subnet_id": "subnet-publ-0"}),
            _i(m, "aws_route_table", "public", None, {
                "id": "rtb-pub", "vpc_id": "vpc-1", "tags": {"Name": f"{P}-public-rt"},
                "route": [{"cidr_block": "0.0.0.0/0", "gateway_id": "igw-1"}]}),
            _i(m, "aws_route_table", "private", None, {
                "id": "rtb-priv", "vpc_id": "vpc-1", "tags": {"Name": f"{P}-private-rt"},
                "route": [{"cidr_block": "0.0.0.0/0", "nat_gateway_id": "nat-1"}]}),
            _i(m, "aws_vpc_endpoint", "s3", None, {"id": "vpce-s3", "service_name": "com.amazonaws.us-east-1.s3"}),
            _i(m, "aws_security_group", "vpc_endpoints", None, {"id": "sg-ep", "vpc_id": "vpc-1",
                                                                 "name_prefix": f"{P}-vpc-endpoints-",
                                                                 "tags": {"Name": f"{P}-vpc-endpoints-sg"}})]
    for name in ("ssm", "ssmmessages", "ec2messages"):
        rows.append(_i(m, "aws_vpc_endpoint", name, None, {"id": f"vpce-{name}",
                                                            "service_name": f"com.amazonaws.us-east-1.{name}"}))
    for index, zone in enumerate(("us-east-1a", "us-east-1b")):
        for tier, cidr, public in (("public", f"{NET16}.{index + 1}.0/24", True),
                                   ("private", f"{NET16}.{index + 11}.0/24", False)):
            rows.append(_i(m, "aws_subnet", tier, index, {
                "id": f"subnet-{tier[:4]}-{index}", "cidr_block": cidr, "availability_zone": zone,
                "map_public_ip_on_launch": public}))
            rows.append(_i(m, "aws_route_table_association", tier, index, {
                "id": f"rtbassoc-{tier}-{index}", "subnet_id": f"subnet-{tier[:4]}-{index}",
                "route_table_id": "rtb-pub" if public else "rtb-priv"}))
    return rows


def _security(m: str) -> list[tuple]:
    rows = []
    for group in ("alb", *SERVICES, "rds"):
        rows.append(_i(m, "aws_security_group", group, None, {"id": f"sg-{group}", "vpc_id": "vpc-1",
                                                              "name_prefix": f"{P}-{group}-",
                                                              "description": f"Security group for {group}",
                                                              "tags": {"Name": f"{P}-{group}-sg"}}))
    for svc in SERVICES:
        rows += [_i(m, "aws_iam_role", svc, None, {"id": f"{P}-{svc}-r1", "name": f"{P}-{svc}-r1",
                                                    "name_prefix": f"{P}-{svc}-", "tags": {"Name": f"{P}-{svc}-role"}}),
                 _i(m, "aws_iam_instance_profile", svc, None, {"id": f"{P}-{svc}-p1", "role": f"{P}-{svc}-r1"}),
                 _i(m, "aws_iam_role_policy_attachment", f"{svc}_ssm", None, {
                     "role": f"{P}-{svc}-r1", "policy_arn": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"})]
    return rows


def _storage(m: str) -> list[tuple]:
    rows = [_i(m, "aws_s3_bucket", "uploads", None, {"id": f"{P}-uploads-2024", "bucket": f"{P}-uploads-2024",
                                                      "bucket_prefix": f"{P}-uploads-"}),
            _i(m, "random_password", "rds_master_password", None, {"result": "x"}),
            _i(m, "aws_secretsmanager_secret", "app_secrets", None, {"id": "arn:app", "name": f"{P}-app-secrets-1",
                                                                      "name_prefix": f"{P}-app-secrets-"}),
            _i(m, "aws_secretsmanager_secret_version", "app_secrets", None, {"id": "arn:app|v1",
                                                                              "secret_id": "arn:app"})]
    rows += [_i(m, "aws_cloudwatch_log_group", svc, None, {"id": f"/aws/ec2/{P}/{svc}", "name": f"/aws/ec2/{P}/{svc}"})
             for svc in SERVICES]
    return rows


def _database(m: str) -> list[tuple]:
    return [_i(m, "aws_db_instance", "main", None, {
                "id": "db-1", "identifier": f"{P}-mysql-2024", "identifier_prefix": f"{P}-mysql-",
                "engine": "mysql", "engine_version": "8.0.40", "instance_class": "db.t3.micro",
                "allocated_storage": 20, "max_allocated_storage": 0, "db_name": "imageunderstander",
                "username": "admin", "storage_encrypted": True,
                "enabled_cloudwatch_logs_exports": ["error", "slowquery"]}),
            _i(m, "aws_db_subnet_group", "main", None, {"id": "dbsub-1"}),
            _i(m, "aws_db_parameter_group", "main", None, {"id": "dbpg-1"})]


def _compute(m: str) -> list[tuple]:
    rows = []
    for index, svc in enumerate(SERVICES):
        disks = []
        if svc in ("llm", "chromadb"):
            disks = [{"device_name": "/dev/sdf", "volume_id": f"vol-{svc}", "volume_size": 50 + index}]
        rows.append(_i(m, "aws_instance", svc, None, {
            "id": f"i-{svc}", "availability_zone": "us-east-1a",
            "instance_type": "g5.xlarge" if svc == "llm" else "t3.small",
            "root_block_device": [{"volume_size": 30}], "ebs_block_device": disks, "tags": {"Name": f"{P}-{svc}"}}))
    return rows


def _loadbalancer(m: str) -> list[tuple]:
    return [_i(m, "aws_lb", "main", None, {"id": "arn:lb", "arn": "arn:lb", "load_balancer_type": "application",
                                            "name_prefix": "image-"}),
            _i(m, "aws_lb_target_group", "frontend", None, {"id": "arn:tg", "arn": "arn:tg", "port": 8080,
                                                             "name_prefix": "image-"}),
            _i(m, "aws_lb_target_group_attachment", "frontend", None, {"id": "att-1", "target_group_arn": "arn:tg",
                                                                        "target_id": "i-frontend"}),
            _i(m, "aws_lb_listener", "https", None, {"id": "arn:l443", "port": 443}),
            _i(m, "aws_lb_listener", "http", None, {"id": "arn:l80", "port": 80})]


def handwritten_like(rename: dict[str, str] | None = None) -> list[tuple]:
    """Rows (module, type, name, key, attrs); `rename` maps module and resource names to others."""
    r = rename or {}

    def mod(name: str) -> str:
        return f"module.{r.get(name, name)}"

    rows = (_networking(mod("networking")) + _security(mod("security")) + _storage(mod("storage"))
            + _database(mod("database")) + _compute(mod("compute")) + _loadbalancer(mod("loadbalancer")))
    rows.append(_i("", "aws_acm_certificate", "main", None, {"id": "arn:cert", "arn": "arn:cert",
                                                            "domain_name": "dev.imageunderstander.example.com",
                                                            "subject_alternative_names": []}))
    return [(m, t, r.get(f"{t}.{n}", n), k, a) for m, t, n, k, a in rows]


def raw_state(rows: list[tuple]) -> bytes:
    """A `terraform state pull` (version 4) document."""
    grouped: dict[tuple, list] = {}
    for module, type_, name, key, attrs in rows:
        grouped.setdefault((module, type_, name), []).append({"index_key": key, "attributes": attrs} if key is not None
                                                             else {"attributes": attrs})
    resources = [{"module": m, "mode": "managed", "type": t, "name": n, "provider": "x", "instances": inst}
                 if m else {"mode": "managed", "type": t, "name": n, "provider": "x", "instances": inst}
                 for (m, t, n), inst in sorted(grouped.items())]
    return json.dumps({"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "l",
                       "resources": resources}).encode()


def show_json(rows: list[tuple]) -> bytes:
    """The same instances as `terraform show -json` output (modules nested under root_module)."""
    modules: dict[str, list] = {}
    for module, type_, name, key, attrs in rows:
        address = (f"{module}." if module else "") + f"{type_}.{name}" + (
            "" if key is None else f"[{key}]" if isinstance(key, int) else f'["{key}"]')
        entry = {"address": address, "mode": "managed", "type": type_, "name": name, "values": attrs}
        if key is not None:
            entry["index"] = key
        modules.setdefault(module, []).append(entry)
    root = {"resources": modules.pop("", []),
            "child_modules": [{"address": m, "resources": res} for m, res in sorted(modules.items())]}
    return json.dumps({"format_version": "1.0", "values": {"root_module": root}}).encode()
