provider "aws" {
  region = var.aws_region

  # This spec belongs to one account: credentials of any other account fail before a single change.
  allowed_account_ids = ["111122223333"]

  default_tags {
    tags = {
      Environment = "prod"
      GeneratedBy = "tfgen"
      ManagedBy   = "Terraform"
      Owner       = "platform-team"
      Project     = "ImageUnderstander"
    }
  }
}

# Route 53 health-check metrics exist only in us-east-1, so their alarm is created there.
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"

  # This spec belongs to one account: credentials of any other account fail before a single change.
  allowed_account_ids = ["111122223333"]

  default_tags {
    tags = {
      Environment = "prod"
      GeneratedBy = "tfgen"
      ManagedBy   = "Terraform"
      Owner       = "platform-team"
      Project     = "ImageUnderstander"
    }
  }
}
