region = "eu-west-1"
instance_count = 3
enable_monitoring = true
tags = {
  Owner = "platform"
  Environment = "prod"
}
allowed_cidrs = ["10.0.0.0/8","172.16.0.0/12"]

# networking
vpc_cidr="10.0.0.0/16"
az_list = [
"eu-west-1a",
"eu-west-1b",
]
