"""The `cost:` section of a spec: usage assumptions for `tfgen cost` (traffic, data volumes, hours).

Prices come from tfgen's dated table (`tfgen/data/aws_prices.yaml`); what a price table cannot know (how many
GB go through the NAT gateway, how much the application logs) is stated here, with defaults sized for a small
application, so every estimate says what it assumed and a team can set its own numbers per environment.
"""

from __future__ import annotations

from tfgen.model.schema import integer, number, obj


def _amount(description: str, default: float) -> object:
    return number(description, default, minimum=0)


COST = obj("Usage assumptions behind `tfgen cost` (prices are in tfgen's dated price table).", {
    "nat_data_gb_month": _amount("GB a month processed by the NAT gateway(s): package installs, model "
                                 "downloads, AWS APIs without an endpoint.", 50),
    "alb_lcu": _amount("Average load balancer capacity units per hour (1 LCU: 25 new connections/s, 3,000 "
                       "active connections, 1 GB/hour or 1,000 rule evaluations/s).", 1),
    "endpoint_data_gb_month": _amount("GB a month through the interface endpoints (Session Manager).", 5),
    "log_ingestion_gb_month": _amount("GB of logs a month ingested into CloudWatch Logs, all groups.", 5),
    "flow_log_gb_month": _amount("GB of VPC flow logs a month (only with network.flow_logs).", 10),
    "alb_access_log_gb_month": _amount("GB of ALB access logs a month kept in S3 (only with "
                                       "loadbalancer.access_logs).", 5),
    "s3_storage_gb": _amount("GB stored in the uploads bucket (priced as S3 Standard).", 50),
    "s3_put_thousands_month": _amount("Thousands of PUT/POST/LIST requests a month to the uploads bucket.", 50),
    "s3_get_thousands_month": _amount("Thousands of GET requests a month to the uploads bucket.", 500),
    "secrets_api_calls_month": _amount("Secrets Manager API calls a month (all secrets).", 100_000),
    "dns_queries_millions_month": _amount("Millions of Route 53 queries a month (only with a hosted zone).", 1),
    "waf_requests_millions_month": _amount("Millions of requests a month inspected by WAF (only with "
                                           "loadbalancer.waf).", 5),
    "spot_discount_percent": integer("How much cheaper spot is than on-demand on average, in percent (the seed "
                                     "guidelines assume ~70%; spot prices move with demand).", 70,
                                     minimum=0, maximum=95),
    "office_hours_month": integer("Hours a month a GPU service runs when it is stopped out of hours (savings "
                                  "lever; 10 hours x 22 working days).", 220, minimum=0, maximum=744),
})
