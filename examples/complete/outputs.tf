output "visitors_url" {
  description = "URL of GET /visitors."
  value       = "${trimsuffix(module.http_api.invoke_url, "/")}/visitors"
}

output "invoke_url" {
  description = "URL of the API stage."
  value       = module.http_api.invoke_url
}

output "api_id" {
  description = "ID of the HTTP API."
  value       = module.http_api.api_id
}

output "table_name" {
  description = "Name of the DynamoDB table."
  value       = module.dynamodb.name
}

output "function_name" {
  description = "Name of the Lambda function."
  value       = module.lambda.function_name
}

output "alarm_topic_arn" {
  description = "ARN of the SNS topic the alarms notify on ALARM and OK."
  value       = module.alarms.topic_arn
}

output "alarm_names" {
  description = "Names of the alarms, by kind (api-5xx, lambda-errors, ...)."
  value       = module.alarms.alarm_names
}

output "alarm_kms_key_arn" {
  description = "ARN of the KMS key encrypting the alarms' topic (the module's own, or alarms_kms_master_key_id as given)."
  value       = module.alarms.kms_key_arn
}
