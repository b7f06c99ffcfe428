locals {
  # Methods the browser may use cross-origin: those of the routes, plus OPTIONS for preflight.
  # An ANY or $default route answers every method, so CORS must allow them all.
  route_methods = [for key in keys(var.routes) : key == "$default" ? "*" : split(" ", key)[0]]
  cors_allow_methods = (
    anytrue([for method in local.route_methods : contains(["*", "ANY"], method)])
    ? ["*"]
    : sort(distinct(concat(local.route_methods, ["OPTIONS"])))
  )

  # What follows the stage in the source ARN of each route's invocations: METHOD/path, with ANY
  # and every {param} or {proxy+} segment a wildcard.
  route_source_paths = {
    for key in keys(var.routes) : key => key == "$default" ? "$default" : join("/", [
      split(" ", key)[0] == "ANY" ? "*" : split(" ", key)[0],
      trimprefix(replace(split(" ", key)[1], "/\\{[^}]+\\}/", "*"), "/"),
    ])
  }

  access_log_format = jsonencode({
    requestId          = "$context.requestId"
    requestTime        = "$context.requestTime"
    sourceIp           = "$context.identity.sourceIp"
    userAgent          = "$context.identity.userAgent"
    httpMethod         = "$context.httpMethod"
    routeKey           = "$context.routeKey"
    path               = "$context.path"
    protocol           = "$context.protocol"
    status             = "$context.status"
    responseLength     = "$context.responseLength"
    responseLatency    = "$context.responseLatency"
    integrationStatus  = "$context.integration.status"
    integrationLatency = "$context.integration.latency"
    integrationError   = "$context.integration.error"
    errorMessage       = "$context.error.message"
  })
}

resource "aws_apigatewayv2_api" "this" {
  name          = var.name
  protocol_type = "HTTP"

  dynamic "cors_configuration" {
    for_each = length(var.cors_allow_origins) > 0 ? [1] : []
    content {
      allow_origins = var.cors_allow_origins
      allow_methods = local.cors_allow_methods
      allow_headers = ["content-type"]
      max_age       = 3600 # browsers cache a preflight answer for an hour
    }
  }

  tags = var.tags
}

resource "aws_apigatewayv2_integration" "this" {
  for_each = var.routes

  api_id                 = aws_apigatewayv2_api.this.id
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = each.value.invoke_arn
  payload_format_version = "2.0"

  # A new function is allowed in before the route is pointed at it, and the old permission (create
  # before destroy) goes only after: a moved route never invokes a function that refuses it.
  depends_on = [aws_lambda_permission.this]
}

resource "aws_apigatewayv2_route" "this" {
  #checkov:skip=CKV_AWS_309:The counter is a public, anonymous GET by design; abuse is capped by stage throttling and the function's reserved concurrency.

  for_each = var.routes

  api_id    = aws_apigatewayv2_api.this.id
  route_key = each.key
  target    = "integrations/${aws_apigatewayv2_integration.this[each.key].id}"
}

resource "aws_cloudwatch_log_group" "access" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts every log group at rest by default; a customer managed key is an opt-in (access_log_kms_key_arn).
  #checkov:skip=CKV_AWS_338:Retention is an input (7-30 days per environment) to cap cost; access logs are operational, not an audit record kept for a year.

  name              = "/aws/apigateway/${var.name}"
  retention_in_days = var.access_log_retention_days
  kms_key_id        = var.access_log_kms_key_arn

  tags = var.tags
}

resource "aws_apigatewayv2_stage" "this" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = var.stage_name
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit = var.throttling_burst_limit
    throttling_rate_limit  = var.throttling_rate_limit
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format          = local.access_log_format
  }

  tags = var.tags

  # auto_deploy deploys on the next change; routes first, so the first deployment has them.
  depends_on = [aws_apigatewayv2_route.this]
}

# One permission per route, scoped to what API Gateway presents when that route invokes its function:
# <execution_arn>/<stage>/<METHOD>/<path> (ANY and path parameters as wildcards; the $default
# route's is <stage>/$default). Each has its own statement id, so a replacement (a new route
# path, a new stage, the wider per-function permission of earlier versions moved onto a route) is
# created before the old statement is removed: no request is refused while it changes.
resource "aws_lambda_permission" "this" {
  for_each = var.routes

  # Every argument forces replacement: an adopted permission keeps its statement id and source ARN
  # (per route when they differ: the maps win over the single values).
  statement_id  = coalesce(lookup(var.permission_statement_ids, each.key, null), var.permission_statement_id, "${substr("AllowInvokeFromHttpApi-${var.name}", 0, 91)}-${substr(sha1(each.key), 0, 8)}")
  action        = "lambda:InvokeFunction"
  function_name = each.value.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = coalesce(lookup(var.permission_source_arns, each.key, null), var.permission_source_arn, "${aws_apigatewayv2_api.this.execution_arn}/${var.stage_name}/${local.route_source_paths[each.key]}")

  lifecycle {
    create_before_destroy = true
  }
}
