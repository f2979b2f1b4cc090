locals {
  parsed = provider::aws::arn_parse(var.arn)
  spaced = provider :: aws :: arn_parse ( var.arn )
  region = provider::aws::arn_parse(var.arn).region
}
