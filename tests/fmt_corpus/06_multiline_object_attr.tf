resource "aws_s3_bucket" "logs" {
  bucket = "my-logs"
  tags = {
    Name = "logs"
    Environment = var.environment
    "kubernetes.io/cluster" = "owned"
    CostCenter: "1234"
  }
  versioning_configuration = { status = "Enabled" }
}
