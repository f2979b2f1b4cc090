output "state_bucket" {
  description = "The state bucket the environments' backend blocks use."
  value       = aws_s3_bucket.state.id
}

output "state_bucket_arn" {
  description = "ARN of the state bucket (for the IAM policies of whoever runs Terraform)."
  value       = aws_s3_bucket.state.arn
}

output "access_log_bucket" {
  description = "Bucket receiving the state bucket's server access logs."
  value       = aws_s3_bucket.access_logs.id
}

output "lock_table_arns" {
  description = "DynamoDB lock tables by name (empty with the native S3 lock file)."
  value       = { for name, table in aws_dynamodb_table.lock : name => table.arn }
}
