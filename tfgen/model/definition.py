"""The spec format: every setting, its type, default and meaning, in one place.

`SPEC` drives validation (`tfgen validate`), defaults and the JSON Schema (`tfgen schema`). Fields marked
`shapes_modules=True` must agree across every environment: only the project's identity, which the shared
docs and the top-level README describe once. Everything else may differ between environments.
"""

from __future__ import annotations

from tfgen.cost.fields import COST
from tfgen.model.schema import Field, boolean, integer, list_of, map_of, obj, string

NAME_PATTERN = r"[a-z][a-z0-9-]*[a-z0-9]"
SERVICE_NAME_PATTERN = r"[a-z][a-z0-9_]{0,19}"
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)
AMI_FAMILIES = ("al2023", "deep-learning-base-ubuntu22")
PERMISSIONS = ("uploads-rw", "app-secrets-read", "db-connect", "db-secret-read")
# A spec key such as services.llm.data_volume.size_gb, or a resource address such as
# module.compute.aws_ebs_volume.data["llm"].
ACK_KEY_PATTERN = r'[a-z][a-z0-9_]*(\.[a-z0-9][a-z0-9_-]*|\[("[^"\]]+"|[0-9]+)\])*'


PROJECT = obj("Project identity; shared by every environment.", {
    "name": string("Project slug used in resource names and tags.", pattern=NAME_PATTERN, max_length=20,
                   examples=("imageunderstander",), shapes_modules=True),
    "display_name": string("Human-readable project name for the Project tag and docs.",
                           examples=("ImageUnderstander",), shapes_modules=True),
    "short_name": string("Up to 5 characters for resources whose name prefix AWS limits to 6 (ALB, target group).",
                         pattern=r"[a-z][a-z0-9]{0,4}", examples=("imgu",), shapes_modules=True),
})

ENVIRONMENT = obj("What kind of environment this spec describes.", {
    "production": boolean("Production environments must meet the guardrails (deletion protection, final "
                          "snapshot, Multi-AZ, >= 90 days of logs, an alarm subscriber).",
                          False),
    "guardrail_overrides": map_of(
        string("Why this guardrail does not apply; printed as a warning on every render."),
        "Explicit, documented exceptions to production guardrails: rule id -> reason.", {},
        key_pattern=r"[a-z_]+", examples=({"multi_az": "single-AZ until launch, cost approved by finance"},),
    ),
    "acknowledged_changes": map_of(
        string("The change approved and why: `FROM -> TO: reason` for a spec key, `destroy: reason` or "
               "`replace: reason` for a resource address; printed as a warning on every render."),
        "Destructive changes against the committed tree that are intended (`tfgen impact` lists them): spec key "
        "or resource address -> the change it approves and why. An entry stops matching when the change "
        "differs, and one that matches nothing is an error: remove it once the change is applied.", {},
        key_pattern=ACK_KEY_PATTERN,
        examples=({"database.allocated_storage_gb": "100 -> 50: restored from snapshot into a smaller volume, "
                                                    "ticket OPS-42"},),
    ),
})

ACCOUNT_ID_PATTERN = r"\d{12}"
ROLE_ARN_PATTERN = r"arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}"

BASELINE = obj("The account baseline, generated in the bootstrap root beside the state bucket (per account and "
               "region, not per environment: environments sharing a state bucket must agree on it).", {
    "cloudtrail": boolean("A multi-region CloudTrail trail with log file validation, encrypted with a KMS key, "
                          "delivering to a bucket of its own.", True),
    "guardduty": boolean("A GuardDuty detector in the bootstrap root's region.", True),
    "security_hub": boolean("Enable Security Hub in the account (its standards bill per check).", False),
    "config": boolean("An AWS Config recorder of every resource type, delivering to the trail's log bucket "
                      "(billed per recorded item).", False),
    "session_logging": boolean("Session Manager preferences (the account's SSM-SessionManagerRunShell document) "
                               "logging every session to an encrypted CloudWatch log group; the instance roles "
                               "may write there and use its KMS key.", True),
    "log_retention_days": integer("Days the trail's and the sessions' logs are kept (a CloudWatch Logs retention "
                                  "of 90 days or more).", 365,
                                  choices=tuple(d for d in LOG_RETENTION_DAYS if d >= 90)),
})

AWS_ACCOUNT = obj("The AWS account this environment lives in (one account per environment is the safe layout).", {
    "account_id": string("Account id of the environment (required): every provider block gets allowed_account_ids, "
                         "so this spec can never be applied with another account's credentials (`make apply "
                         "ENV=dev` with production credentials stops before it changes anything).",
                         pattern=ACCOUNT_ID_PATTERN, examples=("111122223333",), formerly=None),
    "assume_role_arn": string("Role the AWS provider assumes in that account (null: use the caller's credentials "
                              "as they are).", None, nullable=True, pattern=ROLE_ARN_PATTERN,
                              examples=("arn:aws:iam::111122223333:role/terraform-deploy",)),
    "baseline": BASELINE,
})

STATE = obj("Remote state backend (S3 with native lock file or DynamoDB locking).", {
    "bucket": string("S3 bucket holding Terraform state (versioned, encrypted; the bootstrap root creates it). "
                     "null: <project>-tfstate-<aws.account_id>-<state.region>, unique per account and region "
                     "(needs aws.account_id). A spec naming its bucket keeps that name; changing it moves the "
                     "state and is an acknowledged change.", None, nullable=True,
                     pattern=r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", examples=("imgu-terraform-state",)),
    "region": string("Region of the state bucket.", "us-east-1", examples=("us-east-1",)),
    "key_prefix": string("State object key is <key_prefix>/<environment>/terraform.tfstate.",
                         "imageunderstander", pattern=r"[A-Za-z0-9._/-]+"),
    "key": string("The whole state object key, instead of <key_prefix>/<environment>/terraform.tfstate: the key "
                  "of an existing deployment's state that `tfgen adopt` takes over.", None, nullable=True,
                  pattern=r"[A-Za-z0-9._-][A-Za-z0-9._/-]{0,1023}", examples=("imageunderstander/terraform.tfstate",)),
    "lock": string("How state is locked: S3 lock file (Terraform >= 1.11), a DynamoDB table, or both "
                   "while migrating.", "lockfile", choices=("lockfile", "dynamodb", "both")),
    "dynamodb_table": string("DynamoDB lock table (lock: dynamodb or both).", "terraform-state-lock"),
})

NETWORK = obj("VPC layout: one public and one private subnet per availability zone.", {
    "vpc_cidr": string("IPv4 CIDR of the VPC (/16 to /28).", examples=("10.0.0.0/16",)),
    "availability_zones": list_of(string("AZ name in the spec's region."), "Availability zones (at least 2).",
                                  min_items=2, examples=(["us-east-1a", "us-east-1b"],)),
    "public_subnet_cidrs": list_of(string("Subnet CIDR inside the VPC."),
                                   "Public subnets (ALB, NAT), one per AZ in order.", min_items=2,
                                   examples=(["10.0.1.0/24", "10.0.2.0/24"],)),
    "private_subnet_cidrs": list_of(string("Subnet CIDR inside the VPC."),
                                    "Private subnets (instances, database), one per AZ in order.", min_items=2,
                                    examples=(["10.0.11.0/24", "10.0.12.0/24"],)),
    "nat_gateway": string("One NAT gateway, or one per AZ for AZ-independent egress.", "single",
                          choices=("single", "per_az")),
    "interface_endpoints": list_of(
        string("Interface endpoint service short name.", choices=("ssm", "ssmmessages", "ec2messages")),
        "Interface VPC endpoints for Session Manager and Run Command (the S3 gateway endpoint is always created). "
        "SSM Agent 3.3.40.0 and later runs both over ssmmessages; list ec2messages only for older agents, which "
        "fall back to it (the instance roles then get the six ec2messages actions).",
        ["ssm", "ssmmessages"]),
    "flow_logs": boolean("Send VPC flow logs to CloudWatch Logs.", False),
    "security_group_descriptions": map_of(
        string("A security group description as AWS allows it (up to 255 of letters, digits, spaces and "
               "._-:/()#,@[]+=&;{}!$*).", pattern=r"[A-Za-z0-9 ._:/()#,@\[\]+=&;{}!$*-]{1,255}"),
        "Descriptions of existing security groups by group (alb, rds, endpoints or a service name). A group's "
        "description cannot change without replacing the group, so `tfgen adopt` writes the live ones here; "
        "groups not named get tfgen's.", {},
        examples=({"alb": "Security group for Application Load Balancer"},)),
})

VOLUME = Field("object", "A persistent, encrypted EBS data volume that survives instance replacement.", None,
               nullable=True, fields={
    "size_gb": integer("Size in GiB (gp3: 1-16384).", examples=(50,)),
    "mount_path": string("Where user data mounts the volume.", pattern=r"/[A-Za-z0-9._/-]+",
                         examples=("/opt/models",)),
    "device_name": string("Device name of the attachment.", "/dev/sdf", pattern=r"/dev/(sd|xvd)[f-p]"),
    "final_snapshot": boolean("Snapshot the volume when Terraform destroys it. `tfgen adopt` sets false on a volume "
                              "it imports: the provider can only turn this on together with a size, type, IOPS "
                              "or throughput change (it sends ModifyVolume, which AWS refuses when nothing else "
                              "changes); turn it on with the next such change.", True),
})

AUTO_SCALING = obj("How a stateless service runs: an Auto Scaling group (launch template, the same user data, "
                   "instances in every private subnet, replaced when terminated) instead of a single instance.", {
    "enabled": boolean("Run the service in an Auto Scaling group; null means yes for services without a data "
                       "volume (stateless) and no for the others (a data volume attaches to one instance).",
                       None, nullable=True),
    "min_size": integer("Fewest instances the group keeps running.", 1, minimum=0, maximum=100),
    "max_size": integer("Most instances the group runs (an instance refresh or a rebalance launches one above "
                        "desired capacity while it replaces another).", 2, minimum=1, maximum=100),
    "desired_capacity": integer("Instances the group runs (between min_size and max_size).", 1, minimum=0,
                                maximum=100),
    "on_demand_base_capacity": integer("With market: spot, this many instances are on-demand before any spot "
                                       "instance (0: all spot; with market: on-demand every instance is).", 0,
                                       minimum=0, maximum=100),
    "extra_instance_types": list_of(string("EC2 instance type of the same architecture."),
                                    "More instance types the group may launch besides instance_type (spot "
                                    "capacity from more pools: fewer interruptions).", [],
                                    examples=(["t4g.small"],)),
})

SERVICE = obj("One EC2 service. Adding an entry here adds its instance, security group, IAM role, log group, "
              "user data, outputs and docs.", {
    "description": string("What the service does (security group and docs; ASCII).",
                          pattern=r"[ -~]{1,200}", examples=("API backend",)),
    "port": integer("TCP port the service listens on.", minimum=1, maximum=65535,
                    examples=(8000,)),
    "ingress_from": list_of(string("'alb' or another service's name."),
                            "Who may connect to the port (security-group references, never CIDRs).",
                            examples=(["alb"], ["backend", "llm"])),
    "instance_type": string("EC2 instance type (family.size).", examples=("t4g.micro",)),
    "availability_zone": string("AZ of the instance (and its data volume), one of network.availability_zones; "
                                "null means the alphabetically first zone, so adding or reordering zones never "
                                "moves the service.", None, nullable=True, examples=("us-east-1a",)),
    "market": string("Purchase option.", "on-demand", choices=("on-demand", "spot")),
    "interruptible": boolean("The service is stateless and tolerates interruption (required for spot).",
                             False),
    "spot_max_price": string("Spot max price in USD/hour; null caps it at the on-demand price (recommended by AWS).",
                             None, nullable=True, pattern=r"\d+(\.\d+)?", examples=("0.0084",)),
    "gpu": boolean("The service needs a GPU instance family.", False),
    "ami": string("Image family: Amazon Linux 2023 (architecture from the instance type) or the AWS Deep "
                  "Learning Base AMI (Ubuntu 22.04, NVIDIA drivers).", "al2023", choices=AMI_FAMILIES),
    "keep_user_data": boolean("An adopted instance keeps the user data it booted with (set by `tfgen adopt`): "
                              "tfgen's bootstrap never runs on it and a change of it does not replace the "
                              "instance; remove it to replace the instance on purpose (docs/adoption.md).", False),
    "root_volume_gb": integer("Encrypted gp3 root volume size in GiB.", 20, minimum=8, maximum=16384),
    "data_volume": VOLUME,
    "auto_scaling": AUTO_SCALING,
    "permissions": list_of(string("Extra IAM permission.", choices=PERMISSIONS),
                           "IAM beyond SSM + CloudWatch (which every service gets): uploads-rw (the uploads "
                           "bucket), app-secrets-read (the application secret), db-connect (a database user of "
                           "the service's own name with IAM authentication: DB_USERNAME and DB_IAM_AUTH=1 in its "
                           "environment, rds-db:connect for that user only, no password anywhere), "
                           "db-secret-read (the RDS master user's secret as DB_USERNAME/DB_PASSWORD: only for an "
                           "application not yet moved to db-connect, since AWS advises against applications "
                           "using the master user and its 7-day rotation breaks their logins).", [],
                           examples=(["uploads-rw", "app-secrets-read"],)),
    "packages": list_of(string("OS package name.", pattern=r"[A-Za-z0-9][A-Za-z0-9.+_-]*"),
                        "System packages installed by user data.", [],
                        examples=(["python3.11", "python3.11-pip"],)),
    "pip_packages": list_of(string("Python package requirement.", pattern=r"[A-Za-z0-9][A-Za-z0-9.=<>_\[\],-]*"),
                            "Python packages installed into /opt/<service>/venv by user data.", [],
                            examples=(["chromadb==0.5.23"],)),
    "exec_start": string("Command the systemd unit runs.",
                         pattern=r"[ -~]{1,300}", examples=("/opt/backend/venv/bin/python -m app",)),
    "start_on_boot": boolean("Start and enable the unit at boot (only where the code is on the image).",
                             False),
})

DATABASE = obj("RDS MySQL.", {
    "engine_version": string("MySQL version: a major.minor such as 8.4 (RDS picks the current default minor "
                             "and auto minor upgrades keep it current) or a full 8.x.y pin.", "8.4",
                             examples=("8.4", "8.0.40")),
    "instance_class": string("DB instance class.", "db.t4g.micro", examples=("db.t4g.micro",)),
    "allocated_storage_gb": integer("gp3 storage in GiB (can only grow).", 20),
    "max_allocated_storage_gb": integer("Storage autoscaling ceiling in GiB (0 disables).", 100, minimum=0),
    "iops": integer("Provisioned gp3 IOPS; only allowed from 400 GiB (below, MySQL gets a fixed 3000).", None,
                    nullable=True, examples=(12000,)),
    "storage_throughput": integer("gp3 throughput in MiB/s; only allowed from 400 GiB.", None, nullable=True,
                                  examples=(500,)),
    "multi_az": boolean("Standby replica in a second AZ.", True),
    "read_replicas": integer("Read replicas of the instance (asynchronous MySQL replication, readable: the "
                             "read_address output), spread over the availability zones from the second one on, "
                             "each with its own CPU, replica-lag and free-storage alarms. They need automated "
                             "backups (backup_retention_days >= 1).", 0, minimum=0, maximum=5),
    "replica_instance_class": string("DB instance class of the read replicas (null: the instance's class).", None,
                                     nullable=True, examples=("db.t4g.small",)),
    "backup_retention_days": integer("Automated backup retention (0-35 days).", 7),
    "backup_window": string("Daily backup window (UTC).", "03:00-04:00", pattern=r"\d\d:\d\d-\d\d:\d\d"),
    "maintenance_window": string("Weekly maintenance window (UTC).", "sun:04:30-sun:05:30",
                                 pattern=r"[a-z]{3}:\d\d:\d\d-[a-z]{3}:\d\d:\d\d"),
    "deletion_protection": boolean("Refuse to delete the database.", False),
    "master_secret_ready": boolean(
        "The RDS-managed master user secret exists, so the database module creates the db-connect services' "
        "users (its function logs in with it) and services with db-secret-read are given it. `tfgen adopt` "
        "sets false for a database that does not manage its password in Secrets Manager yet: RDS creates the "
        "secret during the first apply, and a service planned without it would see its ARN appear mid-apply "
        "(Terraform stops: inconsistent final plan). After that apply, delete the line and apply again.", True),
    "apply_immediately": boolean("Apply modifications (class, storage, engine upgrades) at once instead of in the "
                                 "next maintenance window; an engine upgrade restarts the database either way.",
                                 False),
    "skip_final_snapshot": boolean("Skip the final snapshot on destroy.", True),
    "monitoring_interval": integer("Enhanced monitoring interval in seconds.", 60,
                                   choices=(0, 1, 5, 10, 15, 30, 60)),
    "db_name": string("Initial database name (letters and digits).", "imageunderstander",
                      pattern=r"[A-Za-z][A-Za-z0-9]{0,63}"),
    "identifier": string("RDS identifier of an existing database to keep (set by `tfgen adopt`); by default "
                         "<project>-<environment>-mysql.", None, nullable=True,
                         pattern=r"[a-z][a-z0-9-]{0,62}"),
    "username": string("Master user name (the password is generated and kept by RDS in Secrets Manager).",
                       "admin", pattern=r"[A-Za-z][A-Za-z0-9_]{0,15}"),
    "ingress_from": list_of(string("Service name."), "Services that may reach MySQL on 3306.",
                            examples=(["backend", "llm"],)),
    "parameters": map_of(string("Parameter value."), "MySQL parameter group settings.",
                         {"require_secure_transport": "1"}, key_pattern=r"[a-z_]+"),
})

LOADBALANCER = obj("Application Load Balancer with HTTPS.", {
    "target_service": string("Service the ALB forwards to.", "frontend"),
    "health_check_path": string("Target health check path.", "/health", pattern=r"/[ -~]*"),
    "health_check_interval": integer("Seconds between health checks.", 30, minimum=5, maximum=300),
    "stickiness_hours": integer("Load-balancer cookie lifetime in hours (0 disables stickiness).", 24,
                                minimum=0, maximum=168),
    "name_prefix": string("name_prefix of the ALB and target group (set by `tfgen adopt` to keep existing ones); by "
                          "default project.short_name followed by '-'.", None, nullable=True,
                          pattern=r"[a-z][a-z0-9-]{0,5}"),
    "ssl_policy": string("TLS policy of the HTTPS listener.", "ELBSecurityPolicy-TLS13-1-2-2021-06",
                         pattern=r"ELBSecurityPolicy-(TLS13|TLS-1-2|FS-1-2)[A-Za-z0-9-]*"),
    "deletion_protection": boolean("Refuse to delete the load balancer.", False),
    "idle_timeout": integer("Idle timeout in seconds.", 60, minimum=1, maximum=4000),
    "access_logs": boolean("Write ALB access logs to a dedicated S3 bucket.", False),
    "waf": boolean("Attach an AWS WAFv2 web ACL with AWS managed rule groups.", False),
})

DNS = obj("Domain, certificate and optional Route 53 management.", {
    "domain": string("Domain served by the ALB (certificate covers it and the subdomains).",
                     examples=("app.example.com",)),
    "subdomains": list_of(string("Subdomain label.", pattern=r"[a-z0-9]([a-z0-9-]*[a-z0-9])?"),
                          "Alias records and certificate names besides the apex.", ["www", "api"]),
    "create_hosted_zone": boolean("Create a Route 53 hosted zone, validation and alias records.", False),
    "health_check": boolean("Route 53 HTTPS health check with an alarm (needs the hosted zone).", False),
    "delegations": map_of(
        list_of(string("Name server host name.", pattern=r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*"
                       r"[a-z0-9])?)+\.?"), "The child zone's name servers (its `route53_name_servers` output).",
                min_items=1),
        "Subdomains whose zones live elsewhere (another environment's root, often in another account): this "
        "environment's hosted zone gets an NS record per entry, delegating the subdomain to its name servers. "
        "Apply the child first; its name servers are known only then (docs/environments.md).", {},
        key_pattern=r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+",
        examples=({"staging.imageunderstander.example.com": ["ns-2048.awsdns-64.com", "ns-2049.awsdns-65.net",
                                                             "ns-2050.awsdns-66.org", "ns-2051.awsdns-67.co.uk"]},)),
})

STORAGE = obj("Uploads bucket and secrets.", {
    "ia_transition_days": integer("Move objects to Standard-IA after this many days (>= 30).", 30),
    "noncurrent_expiration_days": integer("Delete noncurrent object versions after this many days.", 90,
                                          minimum=1),
    "cors_allowed_origins": list_of(string("Origin URL."), "CORS origins for browser uploads; empty means "
                                    "https://<domain> and https://www.<domain>.", [],
                                    examples=(["https://app.example.com"],)),
    "app_secret_name": string("Name of an existing application secret to keep with its values (set by `tfgen "
                              "adopt`): tfgen then writes no generated values into it. By default tfgen creates "
                              "<project>-<environment>-app-<suffix> and generates its values once.", None,
                              nullable=True, pattern=r"[A-Za-z0-9/_+=.@-]{1,512}"),
    "secret_recovery_window_days": integer("Secrets Manager recovery window (0 or 7-30).", 7),
    "app_secret_keys": list_of(string("Key name inside the application secret.", pattern=r"[a-z][a-z0-9_]*"),
                               "Keys of the application secret, generated once and never in state.",
                               ["jwt_secret_key", "encryption_key", "llm_api_key"]),
})

ALERTS = obj("Who hears the alarms: one encrypted SNS topic per environment notifies these subscribers on every "
              "alarm and OK transition.", {
    "email": list_of(string("Email address (AWS sends a confirmation mail first).",
                            pattern=r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
                     "Email subscriptions of the alarm topic.", [], examples=(["oncall@example.com"],)),
    "https": list_of(string("HTTPS endpoint (a pager or chat webhook; it must confirm the subscription).",
                            pattern=r"https://[A-Za-z0-9.-]+(:\d+)?(/[!-~]*)?"),
                     "HTTPS subscriptions of the alarm topic.", [],
                     examples=(["https://events.pagerduty.com/integration/abc/enqueue"],)),
})

BACKUP = obj("Scheduled AWS Backup (plan and selection by tag) of every data volume and, where asked, the database: "
              "recovery points exist before a disaster, not only when a volume is destroyed.", {
    "enabled": boolean("Create the backup vault, plan and tag selection.", True),
    "schedule": string("When the backup runs (AWS Backup cron expression, UTC).", "cron(0 5 ? * * *)",
                       pattern=r"cron\([0-9*?/,#LW ?A-Z-]+\)", examples=("cron(0 5 ? * * *)",)),
    "retention_days": integer("Days a recovery point is kept.", 14, minimum=1, maximum=36500),
    "database": boolean("Also back up the RDS instance with AWS Backup (snapshots kept for retention_days, "
                        "beyond the automated backups' 35-day limit and independent of the instance).", False),
    "copy_region": string("Copy every recovery point to a vault in this region (disaster recovery); null: no "
                          "copy.", None, nullable=True, pattern=r"[a-z]{2}(-gov)?-[a-z]+-\d", examples=("us-west-2",)),
    "copy_retention_days": integer("Days a copied recovery point is kept (null: retention_days).", None,
                                   nullable=True, minimum=1, maximum=36500),
})

LOGS = obj("CloudWatch Logs.", {
    "retention_days": integer("Retention of every log group.", 30, choices=LOG_RETENTION_DAYS),
})

SPEC: Field = obj("A tfgen environment spec.", {
    "project": PROJECT,
    "environment": ENVIRONMENT,
    "region": string("AWS region of the environment.", examples=("us-east-1",)),
    "aws": AWS_ACCOUNT,
    "state": STATE,
    "network": NETWORK,
    "services": map_of(SERVICE, "EC2 services by name.", key_pattern=SERVICE_NAME_PATTERN),
    "database": DATABASE,
    "loadbalancer": LOADBALANCER,
    "dns": DNS,
    "storage": STORAGE,
    "logs": LOGS,
    "backup": BACKUP,
    "alerts": ALERTS,
    "tags": map_of(string("Tag value."), "Extra tags on every resource (provider default_tags).", {},
                   key_pattern=r"[A-Za-z][A-Za-z0-9_.:/=+@-]{0,127}"),
    "cost": COST,
})
