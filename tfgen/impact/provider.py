"""The one place tfgen keeps the AWS provider's facts that impact needs: which arguments force a replacement,
and which resources hold data or serve traffic.

FORCE_NEW lists, per resource type the generated tree uses, the arguments hashicorp/aws 5.x marks ForceNew
(`forces replacement` in a plan); nested blocks are written `block.argument`, and a block name alone means any
change in that block replaces. The provider's JSON schema does not expose ForceNew, so this table is kept by
hand; tests/test_impact_tree.py checks that every type the tree uses is listed and that every name exists in the
real provider schema (`terraform providers schema -json`), and `make e2e-impact` compares predictions with
real plans.
"""

from __future__ import annotations

from typing import Any

FORCE_NEW: dict[str, tuple[str, ...]] = {
    "aws_acm_certificate": ("domain_name", "subject_alternative_names", "key_algorithm", "certificate_authority_arn"),
    "aws_acm_certificate_validation": ("certificate_arn", "validation_record_fqdns"),
    "aws_autoscaling_group": ("name", "name_prefix"),
    "aws_backup_plan": ("name",),
    # A selection has no update: every argument replaces it.
    "aws_backup_selection": ("name", "plan_id", "iam_role_arn", "selection_tag", "resources", "not_resources",
                             "condition"),
    "aws_backup_vault": ("name", "kms_key_arn"),
    "aws_cloudtrail": ("name",),
    "aws_cloudwatch_dashboard": ("dashboard_name",),
    "aws_cloudwatch_log_group": ("name", "name_prefix", "log_group_class"),
    "aws_cloudwatch_metric_alarm": ("alarm_name",),
    "aws_config_configuration_recorder": ("name",),
    "aws_config_configuration_recorder_status": ("name",),
    "aws_config_delivery_channel": ("name",),
    "aws_db_instance": ("identifier", "identifier_prefix", "engine", "availability_zone", "db_name", "username",
                        "kms_key_id", "storage_encrypted", "snapshot_identifier", "character_set_name", "timezone",
                        "nchar_character_set_name", "custom_iam_instance_profile"),
    "aws_db_parameter_group": ("name", "name_prefix", "family", "description"),
    "aws_db_subnet_group": ("name", "name_prefix"),
    "aws_default_security_group": ("vpc_id",),
    "aws_dynamodb_table": ("name", "hash_key", "range_key"),
    "aws_ebs_volume": ("availability_zone", "encrypted", "kms_key_id", "snapshot_id", "outpost_arn"),
    "aws_eip": ("domain", "network_border_group", "public_ipv4_pool", "address", "customer_owned_ipv4_pool"),
    "aws_flow_log": ("vpc_id", "subnet_id", "eni_id", "log_destination", "log_destination_type", "traffic_type",
                     "iam_role_arn", "log_format", "max_aggregation_interval", "destination_options"),
    "aws_guardduty_detector": (),
    "aws_iam_instance_profile": ("name", "name_prefix", "path"),
    "aws_iam_role": ("name", "name_prefix", "path"),
    "aws_iam_role_policy": ("name", "name_prefix", "role"),
    "aws_iam_role_policy_attachment": ("role", "policy_arn"),
    "aws_kms_alias": ("name", "name_prefix"),
    "aws_launch_template": ("name", "name_prefix"),
    "aws_lambda_function": ("function_name", "package_type"),
    # Invoked on create or replace only (lifecycle_scope CREATE_ONLY): a changed argument re-invokes by replacing.
    "aws_lambda_invocation": ("function_name", "input", "qualifier", "triggers"),
    "aws_instance": ("ami", "availability_zone", "subnet_id", "private_ip", "key_name", "placement_group",
                     "tenancy", "host_id", "associate_public_ip_address", "ipv6_address_count", "hibernation",
                     "ebs_block_device", "ephemeral_block_device", "network_interface", "instance_market_options",
                     "root_block_device.encrypted", "root_block_device.kms_key_id"),
    "aws_internet_gateway": (),
    "aws_kms_key": ("customer_master_key_spec", "key_usage", "multi_region", "custom_key_store_id", "xks_key_id"),
    "aws_lb": ("name", "name_prefix", "internal", "load_balancer_type"),
    "aws_lb_listener": ("load_balancer_arn",),
    "aws_lb_target_group": ("name", "name_prefix", "port", "protocol", "vpc_id", "target_type", "protocol_version",
                            "ip_address_type"),
    "aws_lb_target_group_attachment": ("target_group_arn", "target_id", "port", "availability_zone"),
    "aws_nat_gateway": ("allocation_id", "subnet_id", "connectivity_type", "private_ip"),
    "aws_route": ("route_table_id", "destination_cidr_block", "destination_ipv6_cidr_block",
                  "destination_prefix_list_id"),
    "aws_route53_health_check": ("type", "reference_name", "request_interval", "measure_latency",
                                 "routing_control_arn"),
    "aws_route53_record": ("zone_id", "name"),
    "aws_route53_zone": ("name", "delegation_set_id"),
    "aws_route_table": ("vpc_id",),
    "aws_route_table_association": ("subnet_id", "gateway_id"),
    "aws_s3_bucket": ("bucket", "bucket_prefix", "object_lock_enabled"),
    "aws_s3_bucket_cors_configuration": ("bucket", "expected_bucket_owner"),
    "aws_s3_bucket_lifecycle_configuration": ("bucket", "expected_bucket_owner"),
    "aws_s3_bucket_logging": ("bucket", "expected_bucket_owner"),
    "aws_s3_bucket_ownership_controls": ("bucket",),
    "aws_s3_bucket_policy": ("bucket",),
    "aws_s3_bucket_public_access_block": ("bucket",),
    "aws_s3_bucket_server_side_encryption_configuration": ("bucket", "expected_bucket_owner"),
    "aws_s3_bucket_versioning": ("bucket", "expected_bucket_owner"),
    "aws_secretsmanager_secret": ("name", "name_prefix"),
    "aws_secretsmanager_secret_version": ("secret_id", "secret_string", "secret_binary"),
    "aws_security_group": ("name", "name_prefix", "description", "vpc_id"),
    "aws_securityhub_account": ("enable_default_standards",),
    "aws_sns_topic": ("name", "name_prefix", "fifo_topic"),
    "aws_sns_topic_policy": ("arn",),
    "aws_sns_topic_subscription": ("topic_arn", "protocol", "endpoint"),
    "aws_ssm_document": ("name", "document_type"),
    "aws_subnet": ("vpc_id", "cidr_block", "availability_zone", "availability_zone_id", "ipv6_native"),
    "aws_volume_attachment": ("device_name", "instance_id", "volume_id"),
    "aws_vpc": ("cidr_block", "instance_tenancy", "ipv4_ipam_pool_id"),
    "aws_vpc_endpoint": ("vpc_id", "service_name", "vpc_endpoint_type"),
    "aws_vpc_security_group_egress_rule": ("security_group_id",),
    "aws_vpc_security_group_ingress_rule": ("security_group_id",),
    "aws_wafv2_web_acl": ("name", "scope"),
    "aws_wafv2_web_acl_association": ("resource_arn", "web_acl_arn"),
    "aws_wafv2_web_acl_logging_configuration": ("resource_arn",),
    "terraform_data": ("triggers_replace",),
}

# Arguments that force a replacement only when another argument says so.
CONDITIONAL_FORCE_NEW = {("aws_instance", "user_data"): "user_data_replace_on_change",
                         ("aws_instance", "user_data_base64"): "user_data_replace_on_change"}

# Resources whose destruction loses data (kept until deleted on purpose): removing one needs a moved block or
# an acknowledgement.
DATA_HOLDING = frozenset({"aws_db_instance", "aws_ebs_volume", "aws_s3_bucket", "aws_secretsmanager_secret",
                          "aws_cloudwatch_log_group", "aws_route53_zone", "aws_kms_key", "aws_backup_vault"})
# Resources whose replacement interrupts traffic (a new DNS name, listener or certificate), without losing data.
TRAFFIC_SERVING = frozenset({"aws_lb", "aws_lb_listener", "aws_lb_target_group", "aws_acm_certificate"})


def role(resource_type: str) -> str:
    """`data`, `traffic` or `` for a resource type."""
    if resource_type in DATA_HOLDING:
        return "data"
    return "traffic" if resource_type in TRAFFIC_SERVING else ""


def forces_replacement(resource_type: str, path: str, attrs: dict[str, Any]) -> bool:
    """Whether a change of `path` (`argument` or `block.argument`) replaces a resource of this type."""
    table = FORCE_NEW.get(resource_type)
    if table is None:
        return True  # a type tfgen does not know: assume the worst, and the table test names it
    if path in table or path.split(".")[0] in table:
        return True
    switch = CONDITIONAL_FORCE_NEW.get((resource_type, path))
    return bool(switch and attrs.get(switch))
