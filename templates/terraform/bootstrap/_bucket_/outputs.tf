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

output "cloudtrail_arn" {
  description = "ARN of the account's trail (null without cloudtrail_enabled)."
  value       = one(aws_cloudtrail.main[*].arn)
}

output "audit_log_bucket" {
  description = "Bucket receiving the trail's (and AWS Config's) deliveries (null without either)."
  value       = one(aws_s3_bucket.trail[*].id)
}

output "guardduty_detector_id" {
  description = "ID of the GuardDuty detector (null without guardduty_enabled)."
  value       = one(aws_guardduty_detector.main[*].id)
}

output "session_log_group" {
  description = "Log group of the Session Manager sessions (null without session_logging_enabled)."
  value       = one(aws_cloudwatch_log_group.session[*].name)
}

output "session_kms_key_arn" {
  description = "KMS key of the sessions: whoever starts a session needs kms:GenerateDataKey on it."
  value       = one(aws_kms_key.session[*].arn)
}
