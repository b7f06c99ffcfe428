output "api_id" {
  description = "ID of the HTTP API."
  value       = aws_apigatewayv2_api.this.id
}

output "api_arn" {
  description = "ARN of the HTTP API (arn:aws:apigateway:<region>::/apis/<api_id>), for IAM policies and tagging."
  value       = aws_apigatewayv2_api.this.arn
}

output "api_endpoint" {
  description = "Default endpoint of the API (https://<api_id>.execute-api.<region>.amazonaws.com), without the stage."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "execution_arn" {
  description = "Execution ARN of the API, the prefix of Lambda permission source ARNs."
  value       = aws_apigatewayv2_api.this.execution_arn
}

output "invoke_url" {
  description = "URL of the stage. Named stages have no trailing slash, the $default stage ends in '/'; trim it before appending a path."
  value       = aws_apigatewayv2_stage.this.invoke_url
}

output "stage_arn" {
  description = "ARN of the stage (arn:aws:apigateway:<region>::/apis/<api_id>/stages/<stage>), e.g. for a WAF association."
  value       = aws_apigatewayv2_stage.this.arn
}

output "access_log_group_arn" {
  description = "ARN of the stage's access log group (subscription filters, metric filters)."
  value       = aws_cloudwatch_log_group.access.arn
}
