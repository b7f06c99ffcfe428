variable "function_name" {
  description = "Name of the Lambda function; also names its execution role, inline policy and log group."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be 1-64 characters of letters, digits, '-' or '_'."
  }
}

variable "role_name" {
  description = "Name of the execution role; null names it after the function. Set it to adopt an existing role (e.g. the console's `<function>-role-<suffix>`) without replacing it."
  type        = string
  default     = null

  validation {
    condition     = var.role_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.role_name))
    error_message = "role_name must be null or 1-64 characters of letters, digits and +=,.@_-."
  }
}

variable "role_path" {
  description = "Path of the execution role, e.g. `/service-role/` for a role the Lambda console made."
  type        = string
  default     = "/"
  nullable    = false

  validation {
    condition     = length(var.role_path) <= 512 && can(regex("^/([\\x21-\\x7E]*/)?$", var.role_path))
    error_message = "role_path must start and end with '/' and hold at most 512 printable ASCII characters, e.g. / or /service-role/."
  }
}

variable "policy_name" {
  description = "Name of the execution role's inline policy; null names it after the function. Set it to adopt an existing inline policy."
  type        = string
  default     = null

  validation {
    condition     = var.policy_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,128}$", var.policy_name))
    error_message = "policy_name must be null or 1-128 characters of letters, digits and +=,.@_-."
  }
}

variable "package_path" {
  description = "Path to the deployment package (.zip), e.g. the output of `counterstack build`."
  type        = string
  nullable    = false

  validation {
    condition     = endswith(var.package_path, ".zip")
    error_message = "package_path must be the path of a .zip file."
  }

  validation {
    condition     = try(fileexists(var.package_path), false)
    error_message = "package_path must name an existing file (build it first: counterstack build)."
  }
}

variable "handler" {
  description = "Function entry point, e.g. `visitor_counter.handler.handler` (module path and function)."
  type        = string

  validation {
    condition     = length(var.handler) <= 128 && can(regex("^[^\\s]+\\.[^\\s.]+$", var.handler))
    error_message = "handler must be at most 128 characters without whitespace, in the form module.function."
  }
}

variable "runtime" {
  description = "Lambda runtime identifier."
  type        = string
  default     = "python3.12"
  nullable    = false

  validation {
    condition     = contains(["python3.9", "python3.10", "python3.11", "python3.12", "python3.13"], var.runtime)
    error_message = "runtime must be one of python3.9, python3.10, python3.11, python3.12, python3.13."
  }
}

variable "environment_variables" {
  description = "Environment variables of the function."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for key in keys(var.environment_variables) : can(regex("^[A-Za-z][A-Za-z0-9_]*$", key))])
    error_message = "environment_variables keys must start with a letter and contain only letters, digits and '_'."
  }

  validation {
    condition = length(setintersection(keys(var.environment_variables), [
      "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_DEFAULT_REGION",
      "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_NAME",
      "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME",
      "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_RUNTIME_API", "AWS_REGION", "AWS_SECRET_ACCESS_KEY",
      "AWS_SECRET_KEY", "AWS_SESSION_TOKEN", "LAMBDA_RUNTIME_DIR", "LAMBDA_TASK_ROOT",
    ])) == 0
    error_message = "environment_variables must not set keys reserved by the Lambda runtime (AWS_REGION, AWS_LAMBDA_*, _HANDLER, ...)."
  }
}

variable "policy_statements" {
  description = "Extra Allow statements of the execution role's inline policy, each a list of actions on a list of resource ARNs. Log writes to the function's own log group are always added."
  type = list(object({
    actions   = list(string)
    resources = list(string)
  }))
  default  = []
  nullable = false

  validation {
    condition     = alltrue([for s in var.policy_statements : length(s.actions) > 0 && length(s.resources) > 0])
    error_message = "policy_statements entries must each have at least one action and one resource."
  }

  validation {
    condition = alltrue(flatten([
      for s in var.policy_statements : [for a in s.actions : can(regex("^([a-z0-9-]+:[A-Za-z0-9*]+|\\*)$", a))]
    ]))
    error_message = "policy_statements actions must look like service:Action (e.g. dynamodb:UpdateItem)."
  }

  validation {
    condition = alltrue(flatten([
      for s in var.policy_statements : [for r in s.resources : r == "*" || startswith(r, "arn:")]
    ]))
    error_message = "policy_statements resources must be ARNs (arn:...) or \"*\"."
  }
}

variable "timeout" {
  description = "Maximum run time of one invocation, in seconds (1-900)."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds from 1 to 900."
  }
}

variable "memory_size" {
  description = "Memory of the function in MB (128-10240)."
  type        = number
  default     = 128
  nullable    = false

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "reserved_concurrent_executions" {
  description = "Concurrency reserved for (and capping) the function: -1 for no reservation, 0 to disable invocations, N to cap at N."
  type        = number
  default     = -1
  nullable    = false

  validation {
    condition     = var.reserved_concurrent_executions >= -1 && floor(var.reserved_concurrent_executions) == var.reserved_concurrent_executions
    error_message = "reserved_concurrent_executions must be -1 (unreserved) or a whole number >= 0."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's log group, in days (a value CloudWatch Logs accepts)."
  type        = number
  default     = 14
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "architectures" {
  description = "Instruction set of the function: [\"x86_64\"] or [\"arm64\"] (Graviton, lower price per GB-second); null keeps Lambda's default, x86_64. Changing it updates the function in place."
  type        = list(string)
  default     = null

  validation {
    condition     = var.architectures == null || try(length(var.architectures) == 1 && contains(["x86_64", "arm64"], var.architectures[0]), false)
    error_message = "architectures must be null, [\"x86_64\"] or [\"arm64\"]."
  }
}

variable "tracing_mode" {
  description = "X-Ray tracing of the function: \"Active\" (sample and record every invocation) or \"PassThrough\" (trace only when the caller's header says so), which also allows the role xray:PutTraceSegments and xray:PutTelemetryRecords on \"*\"; null leaves tracing off."
  type        = string
  default     = null

  validation {
    condition     = var.tracing_mode == null || contains(["Active", "PassThrough"], coalesce(var.tracing_mode, "-"))
    error_message = "tracing_mode must be null, \"Active\" or \"PassThrough\"."
  }
}

variable "permissions_boundary" {
  description = "ARN of an IAM policy that bounds the execution role's permissions (organisations that require one on every role); null sets none."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.permissions_boundary))
    error_message = "permissions_boundary must be null or an IAM policy ARN (arn:aws:iam::<account>:policy/<name>)."
  }
}

variable "log_group_kms_key_arn" {
  description = "ARN of a customer managed KMS key that encrypts the function's log group (its key policy must allow logs.<region>.amazonaws.com); null uses CloudWatch Logs' own encryption."
  type        = string
  default     = null

  validation {
    condition     = var.log_group_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.log_group_kms_key_arn))
    error_message = "log_group_kms_key_arn must be null or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>)."
  }
}

variable "tags" {
  description = "Tags applied to the function, its role and its log group."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256])
    error_message = "tags keys must be 1-128 characters and values at most 256 characters."
  }
}
