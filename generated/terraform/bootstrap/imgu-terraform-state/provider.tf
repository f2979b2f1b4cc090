provider "aws" {
  region = var.region

  default_tags {
    tags = {
      GeneratedBy = "tfgen"
      ManagedBy   = "Terraform"
      Project     = "ImageUnderstander"
      Purpose     = "terraform-state"
    }
  }
}
