# The seed's flat root, as its README describes it: one root, no modules, the seed's names. Used by
# tests/e2e/test_adopt_flat_root.py as the "before" of an adoption (applied, then forgotten with `removed`).
terraform {
  required_version = ">= 1.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

variable "region" {
  description = "Region of the seed's stack."
  type        = string
  default     = "eu-west-1"
}

# The seed's names by default; the adoption test gives ct-... names on --target aws.
variable "table_name" {
  description = "Name of the counter's table."
  type        = string
  default     = "visitor-counter"
}

variable "function_name" {
  description = "Name of the counter's function (its role and policy are named after it)."
  type        = string
  default     = "visitorCounter"
}

variable "api_name" {
  description = "Name of the HTTP API."
  type        = string
  default     = "visitor-counter"
}

variable "package_path" {
  description = "The function's zip (the project's own build)."
  type        = string
}

provider "aws" {
  region = var.region
}

resource "aws_dynamodb_table" "visitor_counter" {
  name         = var.table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"

  attribute {
    name = "id"
    type = "S"
  }
}

resource "aws_iam_role" "lambda_exec" {
  name = "${var.function_name}Role"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "lambda.amazonaws.com" }
    }]
  })
}

resource "aws_iam_role_policy" "lambda_dynamodb" {
  name = "${var.function_name}DynamoDB"
  role = aws_iam_role.lambda_exec.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["dynamodb:UpdateItem", "dynamodb:GetItem"]
        Resource = aws_dynamodb_table.visitor_counter.arn
      },
      {
        Effect   = "Allow"
        Action   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "*"
      },
    ]
  })
}

resource "aws_lambda_function" "visitor_counter" {
  function_name    = var.function_name
  role             = aws_iam_role.lambda_exec.arn
  filename         = var.package_path
  source_code_hash = filebase64sha256(var.package_path)
  handler          = "visitor_counter.handler.handler"
  runtime          = "python3.12"

  environment {
    variables = {
      TABLE_NAME = aws_dynamodb_table.visitor_counter.name
    }
  }
}

resource "aws_apigatewayv2_api" "http_api" {
  name          = var.api_name
  protocol_type = "HTTP"

  cors_configuration {
    allow_origins = ["https://selimcelem.com", "https://www.selimcelem.com"]
    allow_methods = ["GET", "OPTIONS"]
    allow_headers = ["content-type"]
  }
}

resource "aws_apigatewayv2_integration" "lambda" {
  api_id                 = aws_apigatewayv2_api.http_api.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.visitor_counter.invoke_arn
  integration_method     = "POST"
  payload_format_version = "2.0"
}

resource "aws_apigatewayv2_route" "visitors" {
  api_id    = aws_apigatewayv2_api.http_api.id
  route_key = "GET /visitors"
  target    = "integrations/${aws_apigatewayv2_integration.lambda.id}"
}

resource "aws_apigatewayv2_stage" "prod" {
  api_id      = aws_apigatewayv2_api.http_api.id
  name        = "prod"
  auto_deploy = true
}

resource "aws_lambda_permission" "apigw" {
  statement_id  = "AllowAPIGatewayInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.visitor_counter.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.http_api.execution_arn}/*/*"
}

output "api_id" {
  description = "Id of the HTTP API the website calls."
  value       = aws_apigatewayv2_api.http_api.id
}

output "invoke_url" {
  description = "URL of the prod stage."
  value       = aws_apigatewayv2_stage.prod.invoke_url
}
