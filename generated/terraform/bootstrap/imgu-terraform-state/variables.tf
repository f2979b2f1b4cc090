variable "region" {
  description = "Region of the state bucket (state.region of the specs using it)."
  type        = string
  default     = "us-east-1"
}

variable "state_bucket" {
  description = "Name of the state bucket; the environments' backend blocks name it literally."
  type        = string
  default     = "imgu-terraform-state"
}

variable "lock_tables" {
  description = "DynamoDB lock tables (state.dynamodb_table of the specs whose state.lock is dynamodb or both); empty with the native S3 lock file."
  type        = set(string)
  default     = []
}

variable "lock_table_deletion_protection" {
  description = "Refuse to delete the lock tables."
  type        = bool
  default     = true
}

variable "state_noncurrent_version_days" {
  description = "Days a superseded state version is kept for rollback (the current version is never expired)."
  type        = number
  default     = 90
}

variable "access_log_retention_days" {
  description = "Days the S3 server access logs of the state bucket are kept."
  type        = number
  default     = 365
}

variable "access_logs_force_destroy" {
  description = "Let destroy delete the log bucket with the access logs in it (apply true first, then destroy); the state bucket itself is never force-destroyed."
  type        = bool
  default     = false
}
