"""`tfgen cost`: a monthly estimate per line item, computed from an environment's effective spec, the dated
price table (tfgen.cost.pricing) and the spec's usage assumptions (`cost:`), plus the seed's savings levers with
their effect. Replaces the hand-typed `estimated_monthly_cost_usd`, which went stale.

Every line item says what it multiplied, so a reviewer can check it with a calculator. Counts the generated
modules fix (two secrets, three WAF rule groups, two optional health-check features) are constants here,
and tests/test_cost.py checks them against the generated tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tfgen.cost.pricing import PriceTable, price_table
from tfgen.model.views import Service, Spec

SECRETS = 2                   # the application secret + the RDS-managed master user secret
WAF_RULE_GROUPS = 4           # AWS managed rule groups in the generated web ACL
HEALTH_CHECK_FEATURES = 2     # HTTPS and latency measurement on the Route 53 health check
SHORT_RETENTION_DAYS = 7      # the seed's "reduce log retention" lever
DAYS_PER_MONTH = 30.4
NOT_INCLUDED = (
    "data transfer out to the internet and between AZs", "CloudWatch alarms and custom metrics",
    "RDS backup storage beyond the free allowance and Enhanced Monitoring logs", "free items (ACM certificates, "
    "the S3 gateway endpoint, the internet gateway, AWS managed KMS keys)", "taxes, support plans, free tier",
)


@dataclass(frozen=True)
class LineItem:
    group: str
    item: str
    quantity: str
    monthly: float


@dataclass(frozen=True)
class Lever:
    name: str
    saving: float
    detail: str


@dataclass
class Estimate:
    env: str
    region: str
    prices: PriceTable
    items: list[LineItem] = field(default_factory=list)
    levers: list[Lever] = field(default_factory=list)

    @property
    def total(self) -> float:
        return round(sum(i.monthly for i in self.items), 2)


def _money(value: float) -> str:
    """A unit price as the table writes it: at least cents, up to 5 decimals ($0.50, $0.0084, $0.00252)."""
    text = f"{value:.5f}".rstrip("0")
    whole, _, cents = text.partition(".")
    return f"${whole}.{cents:0<2}"


class _Builder:
    """Collects line items; `hours` and `per` keep the quantity text and the arithmetic in one place."""

    def __init__(self, prices: PriceTable):
        self.prices, self.items = prices, list[LineItem]()
        self.hours = prices.hours_per_month

    def add(self, group: str, item: str, quantity: str, monthly: float) -> None:
        self.items.append(LineItem(group, item, quantity, round(monthly, 2)))

    def hourly(self, group: str, item: str, count: float, rate: float, unit: str = "") -> float:
        label = f"{count:g}{unit} x " if count != 1 or unit else ""
        self.add(group, item, f"{label}{self.hours:g} h x {_money(rate)}/h", count * self.hours * rate)
        return count * self.hours * rate

    def per(self, group: str, item: str, amount: float, unit: str, key: str, divisor: float = 1) -> None:
        rate = self.prices.rate(key)
        per = f" / {divisor:,g}" if divisor != 1 else ""
        self.add(group, item, f"{amount:g} {unit}{per} x {_money(rate)}", amount / divisor * rate)


def _service_rate(prices: PriceTable, service: Service, discount: float) -> tuple[float, str]:
    on_demand = prices.ec2_hour(service.instance_type)
    if service.market == "spot":
        return on_demand * (1 - discount / 100), f"spot, {discount:g}% below {_money(on_demand)}/h on-demand"
    return on_demand, "on-demand"


def _compute(b: _Builder, spec: Spec) -> None:
    discount = spec.cost.spot_discount_percent
    gp3 = b.prices.rate("ebs_gp3_gb_month")
    for name, svc in sorted(spec.services.items()):
        rate, market = _service_rate(b.prices, svc, discount)
        b.hourly("compute", f"EC2 {name} {svc.instance_type} ({market})", 1, rate)
        volumes = [("root", svc.root_volume_gb)] + ([("data", svc.data_volume.size_gb)]
                                                       if svc.data_volume else [])
        for kind, size in volumes:
            b.add("storage", f"EBS gp3 {name} {kind} volume", f"{size} GB x {_money(gp3)}/GB", size * gp3)


def _database(b: _Builder, spec: Spec) -> None:
    db = spec.database
    copies = 2 if db.multi_az else 1
    layout = "Multi-AZ: primary + standby" if copies == 2 else "single-AZ"
    hourly = b.prices.rds_hour(db.instance_class)
    b.hourly("database", f"RDS MySQL {db.instance_class} ({layout})", copies, hourly)
    rate = b.prices.rate("rds_storage_gb_month")
    gb = db.allocated_storage_gb
    b.add("database", f"RDS storage ({layout})", f"{copies} x {gb} GB x {_money(rate)}/GB", copies * gb * rate)


def _network(b: _Builder, spec: Spec) -> None:
    net, usage = spec.network, spec.cost
    azs = len(net.availability_zones)
    nats = azs if net.nat_gateway == "per_az" else 1
    b.hourly("network", "NAT gateway hours", nats, b.prices.rate("nat_gateway_hour"))
    b.per("network", "NAT gateway data processed", usage.nat_data_gb_month, "GB", "nat_gateway_gb")
    public_ips = nats + len(net.public_subnet_cidrs)  # NAT elastic IPs + one ALB node per public subnet
    b.hourly("network", f"public IPv4 addresses ({nats} NAT, {len(net.public_subnet_cidrs)} ALB)", public_ips,
             b.prices.rate("public_ipv4_hour"))
    endpoints = len(net.interface_endpoints)
    if endpoints:
        b.hourly("network", f"interface endpoints ({', '.join(net.interface_endpoints)}) in {azs} AZs",
                 endpoints * azs, b.prices.rate("interface_endpoint_hour"))
        b.per("network", "interface endpoint data", usage.endpoint_data_gb_month, "GB", "interface_endpoint_gb")
    b.hourly("loadbalancer", "ALB hours", 1, b.prices.rate("alb_hour"))
    b.hourly("loadbalancer", "ALB capacity units (assumed average)", usage.alb_lcu, b.prices.rate("alb_lcu_hour"),
             " LCU")


def _log_storage_gb(ingest_gb: float, retention_days: int) -> float:
    """Steady-state stored GB: a month's ingestion kept for retention_days (uncompressed, so an upper bound)."""
    return ingest_gb * retention_days / DAYS_PER_MONTH


def _logs(b: _Builder, spec: Spec) -> None:
    usage, retention = spec.cost, spec.logs.retention_days
    ingest = usage.log_ingestion_gb_month + (usage.flow_log_gb_month if spec.network.flow_logs else 0)
    what = "application" + (" + VPC flow" if spec.network.flow_logs else "")
    b.per("logs", f"CloudWatch Logs ingestion ({what} logs)", ingest, "GB", "cloudwatch_logs_ingest_gb")
    stored = _log_storage_gb(ingest, retention)
    b.per("logs", f"CloudWatch Logs storage ({retention} days kept)", round(stored, 2), "GB",
          "cloudwatch_logs_storage_gb_month")


def _storage_and_dns(b: _Builder, spec: Spec) -> None:
    usage = spec.cost
    b.per("storage", "S3 uploads bucket (Standard)", usage.s3_storage_gb, "GB", "s3_standard_gb_month")
    b.per("storage", "S3 PUT/LIST requests", usage.s3_put_thousands_month, "thousand", "s3_put_per_1k")
    b.per("storage", "S3 GET requests", usage.s3_get_thousands_month, "thousand", "s3_get_per_1k")
    if spec.loadbalancer.access_logs:
        b.per("storage", "S3 ALB access logs", usage.alb_access_log_gb_month, "GB", "s3_standard_gb_month")
    b.per("security", "Secrets Manager secrets (app + RDS master)", SECRETS, "secrets", "secretsmanager_secret_month")
    b.per("security", "Secrets Manager API calls", usage.secrets_api_calls_month, "calls",
          "secretsmanager_per_10k_calls", divisor=10_000)
    if spec.loadbalancer.waf:
        b.per("security", "WAF web ACL", 1, "web ACL", "waf_web_acl_month")
        b.per("security", "WAF rules (managed rule groups)", WAF_RULE_GROUPS, "rules", "waf_rule_month")
        b.per("security", "WAF requests", usage.waf_requests_millions_month, "million", "waf_requests_per_million")
    dns = spec.dns
    if dns.create_hosted_zone:
        b.per("dns", "Route 53 hosted zone", 1, "zone", "route53_zone_month")
        b.per("dns", "Route 53 queries", usage.dns_queries_millions_month, "million", "route53_queries_per_million")
    if dns.health_check:
        b.per("dns", "Route 53 health check (basic)", 1, "check", "route53_health_check_month")
        b.per("dns", "Route 53 health check features (HTTPS, latency)", HEALTH_CHECK_FEATURES, "features",
              "route53_health_check_feature_month")


def _levers(est: Estimate, spec: Spec) -> list[Lever]:
    """The seed guidelines' savings levers, each computed on its own (they overlap: do not add them up)."""
    prices, hours, usage = est.prices, est.prices.hours_per_month, spec.cost
    levers = []
    for name, svc in sorted(spec.services.items()):
        if not svc.gpu:
            continue
        rate, _ = _service_rate(prices, svc, usage.spot_discount_percent)
        off = max(hours - usage.office_hours_month, 0)
        levers.append(Lever(f"stop {name} out of hours", round(off * rate, 2),
                            f"runs {usage.office_hours_month} of {hours:g} h (cost.office_hours_month); "
                            "its EBS volumes are still billed"))
        if svc.market == "on-demand":
            saving = hours * rate * usage.spot_discount_percent / 100
            levers.append(Lever(f"spot for {name}", round(saving, 2),
                                f"{usage.spot_discount_percent}% below on-demand; interruptible (needs "
                                "market: spot and interruptible: true)"))
    db = spec.database
    if db.multi_az:
        single = hours * prices.rds_hour(db.instance_class) + db.allocated_storage_gb * prices.rate(
            "rds_storage_gb_month")
        note = "not for production (guardrail)" if spec.environment.production else "database.multi_az: false"
        levers.append(Lever("single-AZ RDS", round(single, 2), note))
    retention = spec.logs.retention_days
    if retention > SHORT_RETENTION_DAYS:
        ingest = usage.log_ingestion_gb_month + (usage.flow_log_gb_month if spec.network.flow_logs else 0)
        saved_gb = _log_storage_gb(ingest, retention) - _log_storage_gb(ingest, SHORT_RETENTION_DAYS)
        saving = saved_gb * prices.rate("cloudwatch_logs_storage_gb_month")
        levers.append(Lever(f"log retention {SHORT_RETENTION_DAYS} days instead of {retention}", round(saving, 2),
                            f"{saved_gb:.1f} GB less stored at {ingest:g} GB/month ingested"))
    return levers


def estimate(env: str, spec: Spec) -> Estimate:
    """The monthly estimate of one environment's effective (validated, defaulted) spec."""
    prices = price_table(spec.region)
    builder = _Builder(prices)
    for part in (_compute, _database, _network, _logs, _storage_and_dns):
        part(builder, spec)
    est = Estimate(env, spec.region, prices, builder.items)
    est.levers = _levers(est, spec)
    return est


def estimate_json(est: Estimate) -> dict[str, Any]:
    return {
        "environment": est.env, "region": est.region, "total_monthly_usd": est.total,
        "items": [{"group": i.group, "item": i.item, "quantity": i.quantity, "monthly_usd": i.monthly}
                  for i in est.items],
        "levers": [{"name": lv.name, "saving_monthly_usd": lv.saving, "detail": lv.detail} for lv in est.levers],
    }


def prices_json(est: Estimate) -> dict[str, str]:
    return {"as_of": est.prices.as_of, "compiled": est.prices.compiled, "source": est.prices.source}
