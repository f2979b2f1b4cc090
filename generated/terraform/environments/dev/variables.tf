# Inputs of the dev environment. Defaults come from specs/dev.yaml, so `terraform plan`
# needs no tfvars file; change the spec and re-render rather than overriding here.

variable "aws_region" {
  description = "AWS region of this environment."
  type        = string
  default     = "us-east-1"
}

variable "environment" {
  description = "Environment name."
  type        = string
  default     = "dev"
}

variable "domain_name" {
  description = "Domain served by the ALB and covered by the certificate."
  type        = string
  default     = "dev.imageunderstander.example.com"
}

variable "subdomains" {
  description = "Subdomains with alias records and certificate names."
  type        = list(string)
  default     = ["www", "api"]
}

variable "create_hosted_zone" {
  description = "Manage DNS in Route 53 (hosted zone, validation and alias records)."
  type        = bool
  default     = false
}

variable "name_prefix" {
  description = "Prefix for resource names: <project>-<environment>."
  type        = string
  default     = "imageunderstander-dev"
}

variable "tags" {
  description = "Tags merged into every taggable resource (besides provider default_tags)."
  type        = map(string)
  default     = {}
}

variable "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC."
  type        = string
  default     = "10.0.0.0/16"
}

variable "availability_zones" {
  description = "Availability zones, one public and one private subnet each."
  type        = list(string)
  default     = ["us-east-1a", "us-east-1b"]
}

variable "public_subnet_cidrs" {
  description = "CIDRs of the public subnets, in AZ order."
  type        = list(string)
  default     = ["10.0.1.0/24", "10.0.2.0/24"]
}

variable "private_subnet_cidrs" {
  description = "CIDRs of the private subnets, in AZ order."
  type        = list(string)
  default     = ["10.0.11.0/24", "10.0.12.0/24"]
}

variable "nat_gateway_per_az" {
  description = "One NAT gateway per AZ instead of a single shared one."
  type        = bool
  default     = false
}

variable "interface_endpoints" {
  description = "Interface endpoint services (ssm, ssmmessages, ec2messages)."
  type        = set(string)
  default     = ["ec2messages", "ssm", "ssmmessages"]
}

variable "enable_flow_logs" {
  description = "Send VPC flow logs to CloudWatch Logs."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "Retention in days of every CloudWatch log group (and log bucket) of the environment; networking applies it to the flow-log group."
  type        = number
  default     = 30
}

variable "uploads_force_destroy" {
  description = "Let `terraform destroy` delete a non-empty uploads bucket (false in production)."
  type        = bool
  default     = true
}

variable "cors_allowed_origins" {
  description = "Origins allowed to upload from the browser (CORS)."
  type        = list(string)
  default     = ["https://dev.imageunderstander.example.com", "https://www.dev.imageunderstander.example.com"]
}

variable "ia_transition_days" {
  description = "Days before objects move to Standard-IA (at least 30)."
  type        = number
  default     = 30
}

variable "noncurrent_expiration_days" {
  description = "Days before noncurrent object versions are deleted."
  type        = number
  default     = 90
}

variable "secret_recovery_window_days" {
  description = "Secrets Manager recovery window in days (0 or 7-30)."
  type        = number
  default     = 7
}

variable "db_engine_version" {
  description = "MySQL engine version; major.minor lets RDS choose the current minor. Must match the parameter group family."
  type        = string
  default     = "8.4"
}

variable "db_instance_class" {
  description = "DB instance class."
  type        = string
  default     = "db.t4g.micro"
}

variable "db_allocated_storage" {
  description = "Allocated gp3 storage in GiB (can only grow)."
  type        = number
  default     = 20
}

variable "db_max_allocated_storage" {
  description = "Storage autoscaling ceiling in GiB (0 disables)."
  type        = number
  default     = 100
}

variable "db_iops" {
  description = "Provisioned gp3 IOPS; null below 400 GiB (MySQL gets 3000 there)."
  type        = number
  default     = null
}

variable "db_storage_throughput" {
  description = "gp3 throughput in MiB/s; null below 400 GiB."
  type        = number
  default     = null
}

variable "db_multi_az" {
  description = "Run a standby replica in a second availability zone."
  type        = bool
  default     = false
}

variable "db_backup_retention_days" {
  description = "Automated backup retention in days."
  type        = number
  default     = 7
}

variable "db_backup_window" {
  description = "Daily backup window (UTC)."
  type        = string
  default     = "03:00-04:00"
}

variable "db_maintenance_window" {
  description = "Weekly maintenance window (UTC)."
  type        = string
  default     = "sun:04:30-sun:05:30"
}

variable "db_deletion_protection" {
  description = "Refuse to delete the database."
  type        = bool
  default     = false
}

variable "db_skip_final_snapshot" {
  description = "Skip the final snapshot when the database is destroyed."
  type        = bool
  default     = true
}

variable "db_monitoring_interval" {
  description = "Enhanced monitoring interval in seconds (0 disables)."
  type        = number
  default     = 60
}

variable "db_username" {
  description = "Master user name; RDS generates the password into Secrets Manager."
  type        = string
  default     = "admin"
}

variable "db_alarm_cpu_percent" {
  description = "CPU utilization (%) that raises the CPU alarm."
  type        = number
  default     = 80
}

variable "db_alarm_free_storage_bytes" {
  description = "Free storage (bytes) below which the storage alarm fires."
  type        = number
  default     = 2147483648
}

variable "db_alarm_connections" {
  description = "Connection count that raises the connections alarm."
  type        = number
  default     = 50
}

variable "backend_instance_type" {
  description = "EC2 instance type of the backend service."
  type        = string
  default     = "t4g.micro"
}

variable "backend_architecture" {
  description = "CPU architecture of the backend instance type (arm64 or x86_64); selects the AMI."
  type        = string
  default     = "arm64"
}

variable "backend_market" {
  description = "Purchase option of the backend instance: on-demand or spot."
  type        = string
  default     = "spot"
}

variable "backend_spot_max_price" {
  description = "Spot max price (USD/hour) of the backend instance; null caps it at the on-demand price (recommended; the current spot price is paid either way)."
  type        = string
  default     = null
}

variable "backend_root_volume_size" {
  description = "Size of the backend root volume in GiB (encrypted gp3)."
  type        = number
  default     = 20
}

variable "chromadb_instance_type" {
  description = "EC2 instance type of the chromadb service."
  type        = string
  default     = "t3.medium"
}

variable "chromadb_architecture" {
  description = "CPU architecture of the chromadb instance type (arm64 or x86_64); selects the AMI."
  type        = string
  default     = "x86_64"
}

variable "chromadb_market" {
  description = "Purchase option of the chromadb instance: on-demand or spot."
  type        = string
  default     = "on-demand"
}

variable "chromadb_spot_max_price" {
  description = "Spot max price (USD/hour) of the chromadb instance; null caps it at the on-demand price (recommended; the current spot price is paid either way)."
  type        = string
  default     = null
}

variable "chromadb_root_volume_size" {
  description = "Size of the chromadb root volume in GiB (encrypted gp3)."
  type        = number
  default     = 20
}

variable "chromadb_data_volume_size" {
  description = "Size of the persistent chromadb data volume in GiB, mounted at /var/lib/chromadb."
  type        = number
  default     = 100
}

variable "frontend_instance_type" {
  description = "EC2 instance type of the frontend service."
  type        = string
  default     = "t4g.micro"
}

variable "frontend_architecture" {
  description = "CPU architecture of the frontend instance type (arm64 or x86_64); selects the AMI."
  type        = string
  default     = "arm64"
}

variable "frontend_market" {
  description = "Purchase option of the frontend instance: on-demand or spot."
  type        = string
  default     = "spot"
}

variable "frontend_spot_max_price" {
  description = "Spot max price (USD/hour) of the frontend instance; null caps it at the on-demand price (recommended; the current spot price is paid either way)."
  type        = string
  default     = null
}

variable "frontend_root_volume_size" {
  description = "Size of the frontend root volume in GiB (encrypted gp3)."
  type        = number
  default     = 20
}

variable "llm_instance_type" {
  description = "EC2 instance type of the llm service."
  type        = string
  default     = "g5.xlarge"
}

variable "llm_architecture" {
  description = "CPU architecture of the llm instance type (arm64 or x86_64); selects the AMI."
  type        = string
  default     = "x86_64"
}

variable "llm_market" {
  description = "Purchase option of the llm instance: on-demand or spot."
  type        = string
  default     = "on-demand"
}

variable "llm_spot_max_price" {
  description = "Spot max price (USD/hour) of the llm instance; null caps it at the on-demand price (recommended; the current spot price is paid either way)."
  type        = string
  default     = null
}

variable "llm_root_volume_size" {
  description = "Size of the llm root volume in GiB (encrypted gp3)."
  type        = number
  default     = 100
}

variable "llm_data_volume_size" {
  description = "Size of the persistent llm data volume in GiB, mounted at /opt/models."
  type        = number
  default     = 50
}

variable "alb_deletion_protection" {
  description = "Refuse to delete the ALB (set false and apply before destroy)."
  type        = bool
  default     = false
}

variable "alb_idle_timeout" {
  description = "ALB idle timeout in seconds."
  type        = number
  default     = 60
}

variable "ssl_policy" {
  description = "TLS security policy of the HTTPS listener."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

variable "health_check_path" {
  description = "HTTP path of the target (and Route 53) health check."
  type        = string
  default     = "/health"
}

variable "health_check_interval" {
  description = "Seconds between target health checks."
  type        = number
  default     = 30
}

variable "stickiness_hours" {
  description = "Load-balancer cookie lifetime in hours; 0 disables stickiness."
  type        = number
  default     = 24
}

variable "enable_access_logs" {
  description = "Write ALB access logs to a dedicated S3 bucket."
  type        = bool
  default     = false
}

variable "enable_waf" {
  description = "Attach an AWS WAFv2 web ACL with AWS managed rule groups."
  type        = bool
  default     = false
}

variable "enable_health_check" {
  description = "Create the HTTPS health check and its alarm."
  type        = bool
  default     = false
}
