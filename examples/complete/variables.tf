variable "name_prefix" {
  description = "Prefix of every resource name (table <prefix>-visitors, function <prefix>-visitor-counter, API <prefix>-visitors-api)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,31}$", var.name_prefix)) && !endswith(var.name_prefix, "-")
    error_message = "name_prefix must be 1-32 characters of lowercase letters, digits and '-', start with a letter and not end with '-'."
  }
}

variable "region" {
  description = "AWS region of the stack."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "cors_allow_origins" {
  description = "Origins of the website allowed to call the API from a browser."
  type        = list(string)
  default     = ["https://selimcelem.com", "https://www.selimcelem.com"]
}

variable "throttling_burst_limit" {
  description = "Stage-wide burst limit (requests) of the API's default route settings, passed to modules/http-api."
  type        = number
  default     = 100
  nullable    = false

  validation {
    condition     = var.throttling_burst_limit >= 0 && floor(var.throttling_burst_limit) == var.throttling_burst_limit
    error_message = "throttling_burst_limit must be a whole number >= 0."
  }
}

variable "throttling_rate_limit" {
  description = "Stage-wide steady-state rate limit (requests per second) of the API's default route settings, passed to modules/http-api."
  type        = number
  default     = 50
  nullable    = false

  validation {
    condition     = var.throttling_rate_limit >= 0
    error_message = "throttling_rate_limit must be a number >= 0."
  }
}

variable "alarm_emails" {
  description = "E-mail addresses told when an alarm fires or recovers (each confirms its subscription); empty for none."
  type        = list(string)
  default     = []
}

variable "create_4xx_alarm" {
  description = "Whether to alarm on the API's client error rate too (a throttled stage answers 429)."
  type        = bool
  default     = false
}

variable "alarms_kms_master_key_id" {
  description = "KMS key (id, ARN or alias) encrypting the alarms' topic, passed to modules/alarms as kms_master_key_id; its policy must let cloudwatch.amazonaws.com use it. Null: the module creates a key of its own (the default for a real deployment)."
  type        = string
  default     = null
}

variable "package_path" {
  description = "Path of the Lambda zip; null means build/visitor_counter.zip of this repository (counterstack build)."
  type        = string
  default     = null
}

variable "deletion_protection" {
  description = "Whether the table is protected from deletion (on in production, off in ephemeral stacks)."
  type        = bool
  default     = false
}

variable "reserved_concurrent_executions" {
  description = "Concurrency reserved for (and capping) the function; -1 for none. New accounts cannot reserve any (their limit is 10)."
  type        = number
  default     = -1
}

variable "tags" {
  description = "Tags added to every resource (Stack = name_prefix is always added)."
  type        = map(string)
  default     = {}
}
