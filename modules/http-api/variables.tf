variable "name" {
  description = "Name of the HTTP API; also names its access log group (/aws/apigateway/<name>)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.name))
    error_message = "name must be 1-128 characters of letters, digits, '-' or '_'."
  }
}

variable "routes" {
  description = "Routes of the API keyed by route key (\"GET /visitors\", \"ANY /items/{proxy+}\" or \"$default\"), each proxied to a Lambda function (payload format 2.0)."
  type = map(object({
    function_name = string
    invoke_arn    = string
  }))
  nullable = false

  validation {
    condition     = length(var.routes) > 0
    error_message = "routes must contain at least one route."
  }

  validation {
    condition = alltrue([
      for key in keys(var.routes) : key == "$default" || can(regex(
        "^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) (/|(/([A-Za-z0-9._~-]+|\\{[A-Za-z0-9_]+\\}))+(/\\{[A-Za-z0-9_]+\\+\\})?|/\\{[A-Za-z0-9_]+\\+\\})$",
        key,
      ))
    ])
    error_message = "routes keys must be \"$default\" or \"METHOD /path\" with METHOD one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY and a path starting with '/' ({param} segments allowed, {proxy+} only last)."
  }

  validation {
    condition     = alltrue([for route in values(var.routes) : can(regex("^[A-Za-z0-9_-]{1,64}$", route.function_name))])
    error_message = "routes function_name values must be Lambda function names (1-64 letters, digits, '-' or '_')."
  }

  validation {
    condition     = alltrue([for route in values(var.routes) : startswith(route.invoke_arn, "arn:")])
    error_message = "routes invoke_arn values must be Lambda invoke ARNs (arn:...), e.g. the lambda module's invoke_arn output."
  }
}

variable "stage_name" {
  description = "Name of the auto-deployed stage (\"$default\" serves the API at the root of its endpoint)."
  type        = string
  default     = "prod"
  nullable    = false

  validation {
    condition     = var.stage_name == "$default" || can(regex("^[A-Za-z0-9_-]{1,128}$", var.stage_name))
    error_message = "stage_name must be \"$default\" or 1-128 characters of letters, digits, '-' or '_'."
  }
}

variable "cors_allow_origins" {
  description = "Origins allowed to call the API from a browser (https://host[:port], or http://localhost[:port] / http://127.0.0.1[:port] for development). Empty: no CORS configuration."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition = alltrue([
      for origin in var.cors_allow_origins : can(regex(
        "^(https://[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|http://(localhost|127\\.0\\.0\\.1))(:[0-9]{1,5})?$",
        origin,
      ))
    ])
    error_message = "cors_allow_origins entries must be https://host[:port] (or http://localhost[:port], http://127.0.0.1[:port]) without path or trailing slash."
  }

  validation {
    condition     = length(distinct(var.cors_allow_origins)) == length(var.cors_allow_origins)
    error_message = "cors_allow_origins must not contain duplicates."
  }
}

variable "throttling_burst_limit" {
  description = "Stage-wide burst limit (requests) of the default route settings."
  type        = number
  default     = 100
  nullable    = false

  validation {
    condition     = var.throttling_burst_limit >= 0 && floor(var.throttling_burst_limit) == var.throttling_burst_limit
    error_message = "throttling_burst_limit must be a whole number >= 0."
  }
}

variable "throttling_rate_limit" {
  description = "Stage-wide steady-state rate limit (requests per second) of the default route settings."
  type        = number
  default     = 50
  nullable    = false

  validation {
    condition     = var.throttling_rate_limit >= 0
    error_message = "throttling_rate_limit must be a number >= 0."
  }
}

variable "access_log_retention_days" {
  description = "Retention of the stage's access log group, in days (a value CloudWatch Logs accepts)."
  type        = number
  default     = 14
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.access_log_retention_days)
    error_message = "access_log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "access_log_kms_key_arn" {
  description = "ARN of a customer managed KMS key that encrypts the access log group (its key policy must allow logs.<region>.amazonaws.com); null uses CloudWatch Logs' own encryption."
  type        = string
  default     = null

  validation {
    condition     = var.access_log_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.access_log_kms_key_arn))
    error_message = "access_log_kms_key_arn must be null or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>)."
  }
}

variable "permission_statement_id" {
  description = "Statement id of the Lambda invoke permission when the API has one route; null gives `AllowInvokeFromHttpApi-<name>-<8 hex digits of the route key's SHA-1>` (at most 100 characters). Set it to adopt an existing permission (e.g. the console's `lambda-<uuid>`)."
  type        = string
  default     = null

  validation {
    condition     = var.permission_statement_id == null || can(regex("^[A-Za-z0-9_-]{1,100}$", var.permission_statement_id))
    error_message = "permission_statement_id must be null or 1-100 characters of letters, digits, '-' or '_'."
  }

  validation {
    condition     = var.permission_statement_id == null || length(var.routes) == 1
    error_message = "permission_statement_id names one permission and routes has several (one permission each): give each route's id in permission_statement_ids instead."
  }
}

variable "permission_source_arn" {
  description = "Source ARN of the Lambda invoke permission of every route not in permission_source_arns; null gives each route its own, `<execution_arn>/<stage>/<METHOD>/<path>` (ANY and path parameters as `*`). Set it to adopt an existing permission, e.g. `arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/*/*/visitors`."
  type        = string
  default     = null

  validation {
    condition     = var.permission_source_arn == null || can(regex("^arn:aws[a-z-]*:execute-api:[a-z0-9-]+:[0-9]{12}:[a-z0-9]+/.+$", var.permission_source_arn))
    error_message = "permission_source_arn must be null or an execute-api ARN (arn:aws:execute-api:<region>:<account>:<api_id>/<stage>/<method>/<path>)."
  }
}

variable "permission_statement_ids" {
  description = "Statement id of each route's invoke permission, by route key (\"GET /visitors\"); a route not listed gets `permission_statement_id` (or its default). Set it to adopt existing permissions."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for id in values(var.permission_statement_ids) : can(regex("^[A-Za-z0-9_-]{1,100}$", id))])
    error_message = "permission_statement_ids values must be 1-100 characters of letters, digits, '-' or '_'."
  }

  validation {
    condition     = alltrue([for key in keys(var.permission_statement_ids) : contains(keys(var.routes), key)])
    error_message = "permission_statement_ids keys must be route keys of routes (\"GET /visitors\"): each route has its own permission."
  }
}

variable "permission_source_arns" {
  description = "Source ARN of each route's invoke permission, by route key (\"GET /visitors\"); a route not listed gets `permission_source_arn` (or its own default). Set it to adopt existing permissions."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for arn in values(var.permission_source_arns) : can(regex("^arn:aws[a-z-]*:execute-api:[a-z0-9-]+:[0-9]{12}:[a-z0-9]+/.+$", arn))])
    error_message = "permission_source_arns values must be execute-api ARNs (arn:aws:execute-api:<region>:<account>:<api_id>/<stage>/<method>/<path>)."
  }

  validation {
    condition     = alltrue([for key in keys(var.permission_source_arns) : contains(keys(var.routes), key)])
    error_message = "permission_source_arns keys must be route keys of routes (\"GET /visitors\"): each route has its own permission."
  }
}

variable "tags" {
  description = "Tags applied to the API, its stage and its access log group."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256])
    error_message = "tags keys must be 1-128 characters and values at most 256 characters."
  }
}
