# Inputs of the prod environment. Defaults come from specs/prod.yaml, so `terraform plan`
# needs no tfvars file; change the spec and re-render rather than overriding here.

variable "aws_region" {
  description = "AWS region of this environment."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region name such as us-east-1."
  }
}

variable "domain_name" {
  description = "Domain served by the ALB (the hosted zone's name)."
  type        = string
  default     = "imageunderstander.example.com"

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be a lowercase DNS name such as app.example.com."
  }
}

variable "subdomains" {
  description = "Subdomain labels with alias records and certificate names."
  type        = list(string)
  default     = ["www", "api"]

  validation {
    condition     = alltrue([for item in var.subdomains : can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", item))])
    error_message = "Every subdomain must be one lowercase DNS label."
  }
}

variable "create_hosted_zone" {
  description = "Manage DNS in Route 53 (hosted zone, validation and alias records)."
  type        = bool
  default     = true
}

variable "create_route53_health_check" {
  description = "Create the Route 53 HTTPS health check and its alarm."
  type        = bool
  default     = true

  validation {
    condition     = var.create_hosted_zone || !var.create_route53_health_check
    error_message = "create_route53_health_check needs create_hosted_zone = true."
  }
}

variable "availability_zones" {
  description = "Availability zones, one public and one private subnet each."
  type        = list(string)
  default     = ["us-east-1a", "us-east-1b"]

  validation {
    condition     = length(var.availability_zones) >= 2
    error_message = "availability_zones needs at least two zones."
  }

  validation {
    condition     = length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "availability_zones lists a zone twice."
  }

  validation {
    condition = alltrue([
      for item in var.availability_zones :
      can(regex("^[a-z]{2}(-[a-z]+)+-[0-9][a-z]$", item))
    ])
    error_message = "Every zone must be a name such as us-east-1a."
  }
}

variable "public_subnet_cidrs" {
  description = "CIDRs of the public subnets, in the order of availability_zones."
  type        = list(string)
  default     = ["10.0.1.0/24", "10.0.2.0/24"]

  validation {
    condition     = alltrue([for block in var.public_subnet_cidrs : can(cidrhost(block, 0))])
    error_message = "Every entry of public_subnet_cidrs must be an IPv4 CIDR block such as 10.0.1.0/24."
  }

  validation {
    condition     = length(var.public_subnet_cidrs) == length(var.availability_zones)
    error_message = "public_subnet_cidrs must have one entry per availability zone, in the order of availability_zones."
  }
}

variable "private_subnet_cidrs" {
  description = "CIDRs of the private subnets, in the order of availability_zones."
  type        = list(string)
  default     = ["10.0.11.0/24", "10.0.12.0/24"]

  validation {
    condition     = alltrue([for block in var.private_subnet_cidrs : can(cidrhost(block, 0))])
    error_message = "Every entry of private_subnet_cidrs must be an IPv4 CIDR block such as 10.0.1.0/24."
  }

  validation {
    condition     = length(var.private_subnet_cidrs) == length(var.availability_zones)
    error_message = "private_subnet_cidrs must have one entry per availability zone, in the order of availability_zones."
  }
}

variable "backend_instance_type" {
  description = "EC2 instance type of the backend service."
  type        = string
  default     = "t4g.micro"

  validation {
    condition     = can(regex("^[a-z]+[0-9]+[a-z]*(-[a-z0-9]+)?\\.[a-z0-9-]+$", var.backend_instance_type))
    error_message = "backend_instance_type must be an EC2 instance type such as t4g.micro."
  }
}

variable "backend_market" {
  description = "Purchase option of the backend instance: on-demand or spot."
  type        = string
  default     = "spot"

  validation {
    condition     = contains(["on-demand", "spot"], var.backend_market)
    error_message = "backend_market must be \"on-demand\" or \"spot\" (lowercase)."
  }
}

variable "backend_spot_max_price" {
  description = "Spot max price (USD/hour) of backend; null caps it at the on-demand price."
  type        = string
  default     = null

  validation {
    condition = (
      var.backend_spot_max_price == null ? true :
      can(regex("^[0-9]+(\\.[0-9]+)?$", var.backend_spot_max_price))
    )
    error_message = "backend_spot_max_price must be null or a price in USD per hour such as \"0.0084\"."
  }
}

variable "backend_root_volume_size" {
  description = "Size of the backend root volume in GiB (encrypted gp3)."
  type        = number
  default     = 20

  validation {
    condition     = var.backend_root_volume_size >= 8 && var.backend_root_volume_size <= 16384
    error_message = "backend_root_volume_size must be from 8 to 16384 GiB."
  }
}

variable "chromadb_instance_type" {
  description = "EC2 instance type of the chromadb service."
  type        = string
  default     = "t3.medium"

  validation {
    condition     = can(regex("^[a-z]+[0-9]+[a-z]*(-[a-z0-9]+)?\\.[a-z0-9-]+$", var.chromadb_instance_type))
    error_message = "chromadb_instance_type must be an EC2 instance type such as t4g.micro."
  }
}

variable "chromadb_market" {
  description = "Purchase option of the chromadb instance: on-demand or spot."
  type        = string
  default     = "on-demand"

  validation {
    condition     = contains(["on-demand", "spot"], var.chromadb_market)
    error_message = "chromadb_market must be \"on-demand\" or \"spot\" (lowercase)."
  }
}

variable "chromadb_spot_max_price" {
  description = "Spot max price (USD/hour) of chromadb; null caps it at the on-demand price."
  type        = string
  default     = null

  validation {
    condition = (
      var.chromadb_spot_max_price == null ? true :
      can(regex("^[0-9]+(\\.[0-9]+)?$", var.chromadb_spot_max_price))
    )
    error_message = "chromadb_spot_max_price must be null or a price in USD per hour such as \"0.0084\"."
  }
}

variable "chromadb_root_volume_size" {
  description = "Size of the chromadb root volume in GiB (encrypted gp3)."
  type        = number
  default     = 20

  validation {
    condition     = var.chromadb_root_volume_size >= 8 && var.chromadb_root_volume_size <= 16384
    error_message = "chromadb_root_volume_size must be from 8 to 16384 GiB."
  }
}

variable "chromadb_data_volume_size" {
  description = "Size of the persistent chromadb data volume in GiB."
  type        = number
  default     = 100

  validation {
    condition     = var.chromadb_data_volume_size >= 1 && var.chromadb_data_volume_size <= 16384
    error_message = "chromadb_data_volume_size must be from 1 to 16384 GiB."
  }
}

variable "frontend_instance_type" {
  description = "EC2 instance type of the frontend service."
  type        = string
  default     = "t4g.micro"

  validation {
    condition     = can(regex("^[a-z]+[0-9]+[a-z]*(-[a-z0-9]+)?\\.[a-z0-9-]+$", var.frontend_instance_type))
    error_message = "frontend_instance_type must be an EC2 instance type such as t4g.micro."
  }
}

variable "frontend_market" {
  description = "Purchase option of the frontend instance: on-demand or spot."
  type        = string
  default     = "spot"

  validation {
    condition     = contains(["on-demand", "spot"], var.frontend_market)
    error_message = "frontend_market must be \"on-demand\" or \"spot\" (lowercase)."
  }
}

variable "frontend_spot_max_price" {
  description = "Spot max price (USD/hour) of frontend; null caps it at the on-demand price."
  type        = string
  default     = null

  validation {
    condition = (
      var.frontend_spot_max_price == null ? true :
      can(regex("^[0-9]+(\\.[0-9]+)?$", var.frontend_spot_max_price))
    )
    error_message = "frontend_spot_max_price must be null or a price in USD per hour such as \"0.0084\"."
  }
}

variable "frontend_root_volume_size" {
  description = "Size of the frontend root volume in GiB (encrypted gp3)."
  type        = number
  default     = 20

  validation {
    condition     = var.frontend_root_volume_size >= 8 && var.frontend_root_volume_size <= 16384
    error_message = "frontend_root_volume_size must be from 8 to 16384 GiB."
  }
}

variable "llm_instance_type" {
  description = "EC2 instance type of the llm service."
  type        = string
  default     = "g5.xlarge"

  validation {
    condition     = can(regex("^[a-z]+[0-9]+[a-z]*(-[a-z0-9]+)?\\.[a-z0-9-]+$", var.llm_instance_type))
    error_message = "llm_instance_type must be an EC2 instance type such as t4g.micro."
  }
}

variable "llm_market" {
  description = "Purchase option of the llm instance: on-demand or spot."
  type        = string
  default     = "on-demand"

  validation {
    condition     = contains(["on-demand", "spot"], var.llm_market)
    error_message = "llm_market must be \"on-demand\" or \"spot\" (lowercase)."
  }
}

variable "llm_spot_max_price" {
  description = "Spot max price (USD/hour) of llm; null caps it at the on-demand price."
  type        = string
  default     = null

  validation {
    condition = (
      var.llm_spot_max_price == null ? true :
      can(regex("^[0-9]+(\\.[0-9]+)?$", var.llm_spot_max_price))
    )
    error_message = "llm_spot_max_price must be null or a price in USD per hour such as \"0.0084\"."
  }
}

variable "llm_root_volume_size" {
  description = "Size of the llm root volume in GiB (encrypted gp3)."
  type        = number
  default     = 100

  validation {
    condition     = var.llm_root_volume_size >= 8 && var.llm_root_volume_size <= 16384
    error_message = "llm_root_volume_size must be from 8 to 16384 GiB."
  }
}

variable "llm_data_volume_size" {
  description = "Size of the persistent llm data volume in GiB."
  type        = number
  default     = 50

  validation {
    condition     = var.llm_data_volume_size >= 1 && var.llm_data_volume_size <= 16384
    error_message = "llm_data_volume_size must be from 1 to 16384 GiB."
  }
}

variable "name_prefix" {
  description = "Prefix for resource names: <project>-<environment>."
  type        = string
  default     = "imageunderstander-prod"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-42 lowercase letters, digits and hyphens."
  }
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

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0))
    error_message = "vpc_cidr must be an IPv4 CIDR block such as 10.0.0.0/16."
  }
}

variable "nat_gateway_per_az" {
  description = "One NAT gateway per AZ instead of a single shared one."
  type        = bool
  default     = true
}

variable "interface_endpoints" {
  description = "Interface endpoint services (ssm, ssmmessages, ec2messages)."
  type        = set(string)
  default     = ["ec2messages", "ssm", "ssmmessages"]

  validation {
    condition = alltrue([
      for name in var.interface_endpoints :
      contains(["ssm", "ssmmessages", "ec2messages"], name)
    ])
    error_message = "interface_endpoints may only hold ssm, ssmmessages and ec2messages."
  }
}

variable "enable_flow_logs" {
  description = "Send VPC flow logs to CloudWatch Logs."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention in days of every CloudWatch log group of the environment (networking: the flow-log group)."
  type        = number
  default     = 90

  validation {
    condition = contains([
      1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
    ], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "uploads_force_destroy" {
  description = "Let `terraform destroy` delete a non-empty uploads bucket (false in production)."
  type        = bool
  default     = false
}

variable "cors_allowed_origins" {
  description = "Origins allowed to upload from the browser (CORS)."
  type        = list(string)
  default     = ["https://imageunderstander.example.com", "https://www.imageunderstander.example.com"]

  validation {
    condition     = alltrue([for item in var.cors_allowed_origins : can(regex("^https?://[^/]+$", item))])
    error_message = "Every CORS origin must be a scheme and host such as https://example.com."
  }
}

variable "ia_transition_days" {
  description = "Days before objects move to Standard-IA."
  type        = number
  default     = 30

  validation {
    condition     = var.ia_transition_days >= 30 && var.ia_transition_days <= 36500
    error_message = "ia_transition_days must be from 30 to 36500 (S3 needs at least 30)."
  }
}

variable "noncurrent_expiration_days" {
  description = "Days before noncurrent object versions are deleted."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_expiration_days >= 1 && var.noncurrent_expiration_days <= 36500
    error_message = "noncurrent_expiration_days must be from 1 to 36500."
  }
}

variable "secret_recovery_window_days" {
  description = "Secrets Manager recovery window in days (0 or 7-30)."
  type        = number
  default     = 7

  validation {
    condition     = contains(concat([0], range(7, 31)), var.secret_recovery_window_days)
    error_message = "secret_recovery_window_days must be 0 (delete at once) or from 7 to 30."
  }
}

variable "app_secret_keys" {
  description = "Keys of the application secret, generated once."
  type        = list(string)
  default     = ["jwt_secret_key", "encryption_key", "llm_api_key"]

  validation {
    condition     = length(var.app_secret_keys) > 0
    error_message = "app_secret_keys needs at least one key."
  }

  validation {
    condition     = alltrue([for item in var.app_secret_keys : can(regex("^[a-z][a-z0-9_]*$", item))])
    error_message = "Secret keys must be lowercase letters, digits and underscores."
  }
}

variable "db_engine_version" {
  description = "MySQL engine version: major.minor lets RDS choose the current minor; the parameter group family follows it."
  type        = string
  default     = "8.4"

  validation {
    condition     = can(regex("^8\\.(0|4)(\\.[0-9]+)?$", var.db_engine_version))
    error_message = "db_engine_version must be MySQL 8.0 or 8.4 (8.4, 8.0.40, ...)."
  }
}

variable "db_parameters" {
  description = "MySQL parameter group settings."
  type        = map(string)
  default = {
    character_set_server     = "utf8mb4"
    collation_server         = "utf8mb4_unicode_ci"
    long_query_time          = "2"
    require_secure_transport = "1"
    slow_query_log           = "1"
  }

  validation {
    condition     = alltrue([for name in keys(var.db_parameters) : can(regex("^[a-z_]+$", name))])
    error_message = "db_parameters names must be lowercase letters and underscores."
  }
}

variable "db_name" {
  description = "Name of the initial database."
  type        = string
  default     = "imageunderstander"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9]{0,63}$", var.db_name))
    error_message = "db_name must be 1-64 letters and digits, starting with a letter."
  }
}

variable "db_instance_class" {
  description = "DB instance class."
  type        = string
  default     = "db.t4g.micro"

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.db_instance_class))
    error_message = "db_instance_class must be an RDS class such as db.t4g.micro."
  }
}

variable "db_allocated_storage" {
  description = "Allocated gp3 storage in GiB (can only grow)."
  type        = number
  default     = 20

  validation {
    condition     = var.db_allocated_storage >= 20 && var.db_allocated_storage <= 65536
    error_message = "db_allocated_storage must be from 20 to 65536 GiB."
  }
}

variable "db_max_allocated_storage" {
  description = "Storage autoscaling ceiling in GiB (0 disables)."
  type        = number
  default     = 100

  validation {
    condition     = var.db_max_allocated_storage >= 0 && var.db_max_allocated_storage <= 65536
    error_message = "db_max_allocated_storage must be from 0 to 65536 GiB."
  }
}

variable "db_iops" {
  description = "Provisioned gp3 IOPS; null below 400 GiB (MySQL gets 3000 there)."
  type        = number
  default     = null

  validation {
    condition     = var.db_iops == null ? true : var.db_iops >= 12000 && var.db_iops <= 64000
    error_message = "db_iops must be null or from 12000 to 64000."
  }
}

variable "db_storage_throughput" {
  description = "gp3 throughput in MiB/s; null below 400 GiB."
  type        = number
  default     = null

  validation {
    condition = (
      var.db_storage_throughput == null ? true :
      var.db_storage_throughput >= 500 && var.db_storage_throughput <= 4000
    )
    error_message = "db_storage_throughput must be null or from 500 to 4000."
  }
}

variable "db_multi_az" {
  description = "Run a standby replica in a second availability zone."
  type        = bool
  default     = true
}

variable "db_backup_retention_days" {
  description = "Automated backup retention in days."
  type        = number
  default     = 7

  validation {
    condition     = var.db_backup_retention_days >= 0 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days must be from 0 to 35."
  }
}

variable "db_backup_window" {
  description = "Daily backup window (UTC)."
  type        = string
  default     = "03:00-04:00"

  validation {
    condition     = can(regex("^[0-2][0-9]:[0-5][0-9]-[0-2][0-9]:[0-5][0-9]$", var.db_backup_window))
    error_message = "db_backup_window must look like 03:00-04:00."
  }
}

variable "db_maintenance_window" {
  description = "Weekly maintenance window (UTC)."
  type        = string
  default     = "sun:04:30-sun:05:30"

  validation {
    condition     = length(split("-", var.db_maintenance_window)) == 2
    error_message = "db_maintenance_window must look like sun:04:30-sun:05:30."
  }

  validation {
    condition = alltrue([
      for time in split("-", var.db_maintenance_window) :
      can(regex("^(mon|tue|wed|thu|fri|sat|sun):[0-2][0-9]:[0-5][0-9]$", time))
    ])
    error_message = "db_maintenance_window must look like sun:04:30-sun:05:30."
  }
}

variable "db_deletion_protection" {
  description = "Refuse to delete the database."
  type        = bool
  default     = true
}

variable "db_skip_final_snapshot" {
  description = "Skip the final snapshot when the database is destroyed."
  type        = bool
  default     = false
}

variable "db_monitoring_interval" {
  description = "Enhanced monitoring interval in seconds (0 disables)."
  type        = number
  default     = 60

  validation {
    condition     = contains([0, 1, 5, 10, 15, 30, 60], var.db_monitoring_interval)
    error_message = "db_monitoring_interval must be 0, 1, 5, 10, 15, 30 or 60."
  }
}

variable "db_username" {
  description = "Master user name; RDS generates the password into Secrets Manager."
  type        = string
  default     = "admin"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,15}$", var.db_username))
    error_message = "db_username must be 1-16 letters, digits or underscores, starting with a letter."
  }
}

variable "db_alarm_cpu_percent" {
  description = "CPU utilization (%) that raises the CPU alarm."
  type        = number
  default     = 80

  validation {
    condition     = var.db_alarm_cpu_percent >= 1 && var.db_alarm_cpu_percent <= 100
    error_message = "db_alarm_cpu_percent must be from 1 to 100."
  }
}

variable "db_alarm_free_storage_bytes" {
  description = "Free storage (bytes) below which the storage alarm fires."
  type        = number
  default     = 2147483648

  validation {
    condition     = var.db_alarm_free_storage_bytes > 0
    error_message = "db_alarm_free_storage_bytes must be positive."
  }
}

variable "db_alarm_connections" {
  description = "Connection count that raises the connections alarm."
  type        = number
  default     = 50

  validation {
    condition     = var.db_alarm_connections >= 1 && var.db_alarm_connections <= 100000
    error_message = "db_alarm_connections must be from 1 to 100000."
  }
}

variable "lb_name_prefix" {
  description = "name_prefix of the ALB and target group (AWS allows 6 characters)."
  type        = string
  default     = "imgu-"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,5}$", var.lb_name_prefix))
    error_message = "lb_name_prefix must be 1-6 lowercase letters, digits or hyphens."
  }
}

variable "alb_deletion_protection" {
  description = "Refuse to delete the ALB (set false and apply before destroy)."
  type        = bool
  default     = true
}

variable "alb_idle_timeout" {
  description = "ALB idle timeout in seconds."
  type        = number
  default     = 60

  validation {
    condition     = var.alb_idle_timeout >= 1 && var.alb_idle_timeout <= 4000
    error_message = "alb_idle_timeout must be from 1 to 4000."
  }
}

variable "ssl_policy" {
  description = "TLS security policy of the HTTPS listener."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"

  validation {
    condition     = can(regex("^ELBSecurityPolicy-(TLS13|TLS-1-2|FS-1-2)[A-Za-z0-9-]*$", var.ssl_policy))
    error_message = "ssl_policy must be a TLS 1.2+ ELBSecurityPolicy."
  }
}

variable "health_check_path" {
  description = "HTTP path of the target (and Route 53) health check."
  type        = string
  default     = "/health"

  validation {
    condition     = can(regex("^/[ -~]*$", var.health_check_path))
    error_message = "health_check_path must start with / and be printable ASCII."
  }
}

variable "health_check_interval" {
  description = "Seconds between target health checks."
  type        = number
  default     = 30

  validation {
    condition     = var.health_check_interval >= 5 && var.health_check_interval <= 300
    error_message = "health_check_interval must be from 5 to 300."
  }
}

variable "stickiness_hours" {
  description = "Load-balancer cookie lifetime in hours; 0 disables stickiness."
  type        = number
  default     = 24

  validation {
    condition     = var.stickiness_hours >= 0 && var.stickiness_hours <= 168
    error_message = "stickiness_hours must be from 0 to 168."
  }
}

variable "enable_access_logs" {
  description = "Write ALB access logs to a dedicated S3 bucket."
  type        = bool
  default     = true
}

variable "enable_waf" {
  description = "Attach an AWS WAFv2 web ACL with AWS managed rule groups."
  type        = bool
  default     = true
}
