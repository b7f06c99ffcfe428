output "api_id" {
  description = "ID of the HTTP API."
  value       = aws_apigatewayv2_api.this.id
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
