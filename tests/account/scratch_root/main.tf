# A tiny root with every resource kind of the stack: the local account's apply/destroy fixture.
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.100" }
  }
}
provider "aws" {
  region = var.region
}

variable "package_path" { type = string }
variable "name" { type = string }
variable "region" { type = string }
variable "manual_deployment" {
  type        = bool
  default     = false
  description = "Serve the stage from an aws_apigatewayv2_deployment instead of auto_deploy."
}
variable "policy_actions" {
  type        = list(string)
  description = "What the function's role may do on the table (tests drop dynamodb:UpdateItem to see AWS deny it)."
  default     = ["dynamodb:UpdateItem"]
}
variable "policy_table_arn" {
  type        = string
  description = "The table ARN the role's statement names; empty means this stack's table (tests name another)."
  default     = ""
}
variable "reserved_concurrent_executions" {
  type        = number
  description = "The function's reserved concurrency; -1 reserves none (tests reserve 10 on a quota-10 account)."
  default     = 5
  validation {
    condition     = var.reserved_concurrent_executions >= -1
    error_message = "reserved_concurrent_executions must be -1 (no reservation) or a count >= 0."
  }
}

resource "aws_dynamodb_table" "t" {
  name         = var.name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"
  attribute {
    name = "id"
    type = "S"
  }
  point_in_time_recovery { enabled = true }
  server_side_encryption { enabled = true }
}
resource "aws_iam_role" "r" {
  name               = var.name
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}
resource "aws_iam_role_policy" "p" {
  role = aws_iam_role.r.id
  policy = jsonencode({ Version = "2012-10-17", Statement = [
    { Effect = "Allow", Action = var.policy_actions, Resource = coalesce(var.policy_table_arn, aws_dynamodb_table.t.arn) },
    { Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"], Resource = "${aws_cloudwatch_log_group.l.arn}:*" },
  ] })
}
resource "aws_cloudwatch_log_group" "l" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = 7
}
resource "aws_lambda_function" "f" {
  function_name                  = var.name
  role                           = aws_iam_role.r.arn
  handler                        = "visitor_counter.handler.handler"
  runtime                        = "python3.12"
  filename                       = var.package_path
  source_code_hash               = filebase64sha256(var.package_path)
  reserved_concurrent_executions = var.reserved_concurrent_executions
  environment { variables = { TABLE_NAME = aws_dynamodb_table.t.name } }
  depends_on = [aws_cloudwatch_log_group.l]
}
resource "aws_apigatewayv2_api" "a" {
  name          = var.name
  protocol_type = "HTTP"
  cors_configuration {
    allow_origins = ["https://selimcelem.com"]
    allow_methods = ["GET"]
    max_age       = 300
  }
}
resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.name}"
  retention_in_days = 7
}
resource "aws_apigatewayv2_integration" "i" {
  api_id                 = aws_apigatewayv2_api.a.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.f.invoke_arn
  payload_format_version = "2.0"
}
resource "aws_apigatewayv2_route" "r" {
  api_id    = aws_apigatewayv2_api.a.id
  route_key = "GET /visitors"
  target    = "integrations/${aws_apigatewayv2_integration.i.id}"
}
resource "aws_apigatewayv2_deployment" "d" {
  count       = var.manual_deployment ? 1 : 0
  api_id      = aws_apigatewayv2_api.a.id
  description = "routes ${aws_apigatewayv2_route.r.id}"
  lifecycle { create_before_destroy = true }
}
resource "aws_apigatewayv2_stage" "s" {
  api_id        = aws_apigatewayv2_api.a.id
  name          = "prod"
  auto_deploy   = !var.manual_deployment
  deployment_id = var.manual_deployment ? aws_apigatewayv2_deployment.d[0].id : null
  default_route_settings {
    throttling_burst_limit = 50
    throttling_rate_limit  = 100
  }
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format          = jsonencode({ requestId = "$context.requestId", status = "$context.status" })
  }
}
resource "aws_lambda_permission" "p" {
  statement_id  = "AllowAPIGatewayInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.f.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.a.execution_arn}/*/*"
}
output "invoke_url" { value = aws_apigatewayv2_stage.s.invoke_url }
output "visitors_url" { value = "${aws_apigatewayv2_stage.s.invoke_url}/visitors" }
output "api_id" { value = aws_apigatewayv2_api.a.id }
output "access_log_group" { value = aws_cloudwatch_log_group.access.name }
output "execution_arn" { value = aws_apigatewayv2_api.a.execution_arn }
