"""networking: VPC, subnets, gateways, routes, VPC endpoints, optional flow logs."""

from __future__ import annotations

from typing import Any

from tfgen.interfaces import ModuleInterface, common_vars, out, var


def interface(project: dict[str, Any], env: dict[str, Any]) -> ModuleInterface:
    net = env["spec"]["network"]
    return ModuleInterface(
        name="networking",
        title="Networking",
        description="VPC with DNS support, one public and one private subnet per availability zone, an internet "
                    "gateway, NAT gateway(s) with Elastic IPs, route tables, an S3 gateway endpoint, interface "
                    "endpoints for Session Manager, and optional VPC flow logs.",
        variables=(
            *common_vars(env),
            var("aws_region", "string", "Region, used in VPC endpoint service names.", env["region"]),
            var("vpc_cidr", "string", "IPv4 CIDR block of the VPC.", net["vpc_cidr"]),
            var("availability_zones", "list(string)", "Availability zones, one public and one private subnet each.",
                net["availability_zones"]),
            var("public_subnet_cidrs", "list(string)", "CIDRs of the public subnets, in AZ order.",
                net["public_subnet_cidrs"]),
            var("private_subnet_cidrs", "list(string)", "CIDRs of the private subnets, in AZ order.",
                net["private_subnet_cidrs"]),
            var("nat_gateway_per_az", "bool", "One NAT gateway per AZ instead of a single shared one.",
                net["nat_gateway"] == "per_az"),
            var("interface_endpoints", "set(string)", "Interface endpoint services (ssm, ssmmessages, ec2messages).",
                sorted(net["interface_endpoints"])),
            var("enable_flow_logs", "bool", "Send VPC flow logs to CloudWatch Logs.", net["flow_logs"]),
            var("log_retention_days", "number", "Retention in days of every CloudWatch log group (and log "
                "bucket) of the environment; networking applies it to the flow-log group.",
                env["spec"]["logs"]["retention_days"]),
        ),
        outputs=(
            out("vpc_id", "ID of the VPC.", "aws_vpc.main.id", export=True),
            out("vpc_cidr", "CIDR block of the VPC.", "aws_vpc.main.cidr_block"),
            out("public_subnet_ids", "IDs of the public subnets, in AZ order.", "aws_subnet.public[*].id",
                export=True),
            out("private_subnet_ids", "IDs of the private subnets, in AZ order.", "aws_subnet.private[*].id",
                export=True),
            out("nat_gateway_public_ips", "Public IPs of the NAT gateways (egress addresses).",
                "aws_eip.nat[*].public_ip", export=True),
            out("private_route_table_ids", "IDs of the private route tables.", "aws_route_table.private[*].id"),
            out("flow_log_group_name", "CloudWatch log group of the VPC flow logs (null when disabled).",
                "one(aws_cloudwatch_log_group.flow_logs[*].name)"),
        ),
    )
