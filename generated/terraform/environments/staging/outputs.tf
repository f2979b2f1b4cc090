# Outputs of the staging environment (re-exported from the modules), in the order of main.tf.

# -----------------------------------------------------------------------------
# TLS certificate
# -----------------------------------------------------------------------------

output "acm_certificate_arn" {
  description = "ARN of the ACM certificate used by the HTTPS listener."
  value       = aws_acm_certificate.main.arn
}

output "acm_certificate_domain_validation_options" {
  description = "DNS records that validate the certificate (add them at your DNS provider without Route 53)."
  value       = aws_acm_certificate.main.domain_validation_options
}

# -----------------------------------------------------------------------------
# Networking
# -----------------------------------------------------------------------------

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.networking.vpc_id
}

output "public_subnet_ids" {
  description = "IDs of the public subnets, sorted by availability zone name."
  value       = module.networking.public_subnet_ids
}

output "private_subnet_ids" {
  description = "IDs of the private subnets, sorted by availability zone name."
  value       = module.networking.private_subnet_ids
}

output "nat_gateway_public_ips" {
  description = "Public IPs of the NAT gateways (egress addresses)."
  value       = module.networking.nat_gateway_public_ips
}

# -----------------------------------------------------------------------------
# Security
# -----------------------------------------------------------------------------

output "security_group_ids" {
  description = "Security group ID by name: alb, each service, rds."
  value       = module.security.security_group_ids
}

output "role_arns" {
  description = "IAM role ARN by service."
  value       = module.security.role_arns
}

# -----------------------------------------------------------------------------
# Storage
# -----------------------------------------------------------------------------

output "uploads_bucket_name" {
  description = "Name of the uploads bucket."
  value       = module.storage.uploads_bucket_name
}

output "app_secret_arn" {
  description = "ARN of the application secret (values are fetched at boot, never output); available once the secret has its first value."
  value       = module.storage.app_secret_arn
}

output "app_secrets_name" {
  description = "Name of the application secret."
  value       = module.storage.app_secret_name
}

output "log_group_names" {
  description = "CloudWatch log group name by service."
  value       = module.storage.log_group_names
}

# -----------------------------------------------------------------------------
# Database
# -----------------------------------------------------------------------------

output "db_endpoint" {
  description = "Connection endpoint (address:port)."
  value       = module.database.endpoint
}

output "db_address" {
  description = "Host name of the database."
  value       = module.database.address
}

output "db_identifier" {
  description = "RDS instance identifier."
  value       = module.database.identifier
}

output "db_engine_version" {
  description = "MySQL version RDS is running."
  value       = module.database.engine_version_actual
}

output "db_final_snapshot_identifier" {
  description = "Name of the snapshot taken when the database is destroyed: <identifier>-final-<creation time, UTC> (null when skipped)."
  value       = module.database.final_snapshot_identifier
}

output "db_master_user_secret_arn" {
  description = "ARN of the RDS-managed Secrets Manager secret holding the master credentials."
  value       = module.database.master_user_secret_arn
}

# -----------------------------------------------------------------------------
# Compute
# -----------------------------------------------------------------------------

output "data_volume_ids" {
  description = "Persistent data volume ID by service that has one."
  value       = module.compute.data_volume_ids
}

output "instance_ids" {
  description = "Instance ID by service."
  value       = module.compute.instance_ids
}

output "private_ips" {
  description = "Private IP address by service."
  value       = module.compute.private_ips
}

output "backend_instance_id" {
  description = "ID of the backend instance (Session Manager target)."
  value       = module.compute.instance_ids["backend"]
}

output "chromadb_instance_id" {
  description = "ID of the chromadb instance (Session Manager target)."
  value       = module.compute.instance_ids["chromadb"]
}

output "frontend_instance_id" {
  description = "ID of the frontend instance (Session Manager target)."
  value       = module.compute.instance_ids["frontend"]
}

output "llm_instance_id" {
  description = "ID of the llm instance (Session Manager target)."
  value       = module.compute.instance_ids["llm"]
}

# -----------------------------------------------------------------------------
# Load balancer
# -----------------------------------------------------------------------------

output "alb_dns_name" {
  description = "DNS name of the ALB (CNAME/alias target without Route 53)."
  value       = module.loadbalancer.alb_dns_name
}

output "alb_zone_id" {
  description = "Canonical hosted zone ID of the ALB (for alias records)."
  value       = module.loadbalancer.alb_zone_id
}

output "alb_arn" {
  description = "ARN of the ALB."
  value       = module.loadbalancer.alb_arn
}

output "target_group_arn" {
  description = "ARN of the target group."
  value       = module.loadbalancer.target_group_arn
}

output "alb_access_logs_bucket_name" {
  description = "S3 bucket with the ALB access logs (null when disabled)."
  value       = module.loadbalancer.access_logs_bucket_name
}

output "web_acl_arn" {
  description = "ARN of the WAFv2 web ACL (null when disabled)."
  value       = module.loadbalancer.web_acl_arn
}

# -----------------------------------------------------------------------------
# Route 53
# -----------------------------------------------------------------------------

output "route53_zone_id" {
  description = "ID of the hosted zone."
  value       = one(module.route53[*].zone_id)
}

output "route53_name_servers" {
  description = "Name servers of the hosted zone: delegate the domain to them (README)."
  value       = one(module.route53[*].name_servers)
}

output "route53_health_check_id" {
  description = "ID of the Route 53 health check (null when disabled)."
  value       = one(module.route53[*].health_check_id)
}
