# Alarm notifications of the dev environment: one SNS topic, encrypted with a customer-managed KMS
# key that CloudWatch may use (the AWS-managed aws/sns key does not let CloudWatch alarms publish), a topic
# policy admitting only this account's CloudWatch alarms, and the subscribers from specs/dev.yaml
# (alerts.email, alerts.https). Every alarm notifies it on ALARM and on OK.

data "aws_caller_identity" "current" {}

locals {
  alarm_actions           = [aws_sns_topic.alerts.arn]
  alarm_actions_us_east_1 = [aws_sns_topic.alerts.arn]
  alert_email             = []
  alert_https             = []
}

resource "aws_kms_key" "alerts" {
  description             = "${var.name_prefix} alarm notifications (${var.aws_region})"
  enable_key_rotation     = true
  deletion_window_in_days = 7

  # A key policy's "*" resource is this key. The account administers it through IAM; CloudWatch may use it
  # only for alarms of this account.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministersTheKey"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchAlarmsEncryptNotifications"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
      },
    ]
  })

  tags = merge({ Name = "${var.name_prefix}-alerts" }, var.tags)
}

resource "aws_sns_topic" "alerts" {
  name              = "${var.name_prefix}-alerts"
  kms_master_key_id = aws_kms_key.alerts.arn

  tags = merge({ Name = "${var.name_prefix}-alerts" }, var.tags)
}

data "aws_iam_policy_document" "alerts" {
  statement {
    sid       = "CloudWatchAlarmsPublish"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:aws:cloudwatch:${var.aws_region}:${data.aws_caller_identity.current.account_id}:alarm:*"]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts.json
}

resource "aws_sns_topic_subscription" "alerts_email" {
  for_each = toset(local.alert_email)

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_sns_topic_subscription" "alerts_https" {
  for_each = toset(local.alert_https)

  topic_arn              = aws_sns_topic.alerts.arn
  protocol               = "https"
  endpoint               = each.value
  endpoint_auto_confirms = false
}

