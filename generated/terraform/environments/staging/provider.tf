provider "aws" {
  region = var.aws_region

  default_tags {
    tags = {
      Environment = "staging"
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

  default_tags {
    tags = {
      Environment = "staging"
      GeneratedBy = "tfgen"
      ManagedBy   = "Terraform"
      Owner       = "platform-team"
      Project     = "ImageUnderstander"
    }
  }
}
