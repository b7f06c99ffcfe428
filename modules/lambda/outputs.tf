output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "arn" {
  description = "ARN of the Lambda function."
  value       = aws_lambda_function.this.arn
}

output "qualified_arn" {
  description = "ARN of the function with its version (`:$LATEST`: the module publishes no versions)."
  value       = aws_lambda_function.this.qualified_arn
}

output "version" {
  description = "Version of the function (`$LATEST`: the module publishes no versions)."
  value       = aws_lambda_function.this.version
}

output "invoke_arn" {
  description = "ARN to use as an API Gateway integration URI."
  value       = aws_lambda_function.this.invoke_arn
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the function's execution role, to attach further policies to it."
  value       = aws_iam_role.this.name
}

output "log_group_name" {
  description = "Name of the function's CloudWatch log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_group_arn" {
  description = "ARN of the function's CloudWatch log group (subscription filters, metric filters)."
  value       = aws_cloudwatch_log_group.this.arn
}

output "timeout" {
  description = "Timeout of one invocation, in seconds (the alarms module's function_timeout: its Duration alarm fires near it)."
  value       = aws_lambda_function.this.timeout
}
