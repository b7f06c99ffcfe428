output "topic_arn" {
  description = "ARN of the SNS topic every alarm notifies on ALARM and OK; subscribe more endpoints here."
  value       = aws_sns_topic.this.arn
}

output "topic_name" {
  description = "Name of the SNS topic (<name>-alarms)."
  value       = aws_sns_topic.this.name
}

output "alarm_names" {
  description = "Names of the alarms created, by kind (lambda-errors, lambda-throttles, lambda-duration, api-5xx, api-4xx, api-latency)."
  value       = { for key, alarm in aws_cloudwatch_metric_alarm.this : key => alarm.alarm_name }
}

output "alarm_arns" {
  description = "ARNs of the alarms created, by kind."
  value       = { for key, alarm in aws_cloudwatch_metric_alarm.this : key => alarm.arn }
}

output "kms_key_arn" {
  description = "ARN of the key encrypting the topic (the module's own, or kms_master_key_id as given)."
  value       = local.create_kms_key ? aws_kms_key.this[0].arn : var.kms_master_key_id
}
