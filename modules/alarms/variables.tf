variable "name" {
  description = "Name of the stack: prefixes every alarm (<name>-api-5xx, ...) and names the topic <name>-alarms."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,200}$", var.name))
    error_message = "name must be 1-200 characters of letters, digits, '-' or '_'."
  }
}

variable "function_name" {
  description = "Name of the Lambda function watched (the lambda module's function_name output)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be a Lambda function name (1-64 letters, digits, '-' or '_')."
  }
}

variable "function_timeout" {
  description = "Timeout of the function in seconds (the lambda module's timeout); the Duration alarm fires near it."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = var.function_timeout >= 1 && var.function_timeout <= 900
    error_message = "function_timeout must be between 1 and 900 seconds."
  }
}

variable "api_id" {
  description = "ID of the HTTP API watched (the http-api module's api_id output)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{1,32}$", var.api_id))
    error_message = "api_id must be an API Gateway id (lowercase letters and digits)."
  }
}

variable "stage_name" {
  description = "Stage of the HTTP API watched; its metrics carry the dimensions ApiId and Stage."
  type        = string
  default     = "prod"
  nullable    = false

  validation {
    condition     = var.stage_name == "$default" || can(regex("^[A-Za-z0-9_-]{1,128}$", var.stage_name))
    error_message = "stage_name must be \"$default\" or 1-128 characters of letters, digits, '-' or '_'."
  }
}

variable "alarm_emails" {
  description = "E-mail addresses subscribed to the topic; each must confirm the subscription from the mail AWS sends. Empty only with allow_no_subscribers = true."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for email in var.alarm_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", email))])
    error_message = "alarm_emails entries must be e-mail addresses (name@example.com)."
  }

  validation {
    condition     = length(var.alarm_emails) > 0 || var.allow_no_subscribers
    error_message = "alarm_emails is empty, so nobody would be told when an alarm fires: give at least one address, or set allow_no_subscribers = true to say nobody is to be told (or that others subscribe to topic_arn)."
  }
}

variable "allow_no_subscribers" {
  description = "Whether an empty alarm_emails is meant: nobody is told by e-mail (other endpoints may subscribe to topic_arn). False refuses an empty alarm_emails at plan time."
  type        = bool
  default     = false
  nullable    = false
}

variable "period" {
  description = "Length of one evaluation period in seconds (60 or a multiple of 60: AWS services publish per minute)."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = var.period >= 60 && var.period % 60 == 0
    error_message = "period must be 60 or a multiple of 60 seconds."
  }
}

variable "evaluation_periods" {
  description = "Number of most recent periods every alarm but api-latency evaluates (api-latency has latency_evaluation_periods)."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.evaluation_periods >= 1 && floor(var.evaluation_periods) == var.evaluation_periods
    error_message = "evaluation_periods must be a whole number >= 1."
  }
}

variable "datapoints_to_alarm" {
  description = "How many of the evaluated periods must breach for ALARM (M of N), for every alarm but api-latency; at most evaluation_periods."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.datapoints_to_alarm >= 1 && floor(var.datapoints_to_alarm) == var.datapoints_to_alarm
    error_message = "datapoints_to_alarm must be a whole number >= 1."
  }

  validation {
    condition     = var.datapoints_to_alarm <= var.evaluation_periods
    error_message = "datapoints_to_alarm must be at most evaluation_periods."
  }
}

variable "treat_missing_data" {
  description = "How a period without data counts: notBreaching (a quiet site is fine), breaching, ignore or missing."
  type        = string
  default     = "notBreaching"
  nullable    = false

  validation {
    condition     = contains(["notBreaching", "breaching", "ignore", "missing"], var.treat_missing_data)
    error_message = "treat_missing_data must be one of notBreaching, breaching, ignore, missing."
  }
}

variable "errors_threshold" {
  description = "Function errors (Lambda Errors, Sum) in one period that raise the lambda-errors alarm."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.errors_threshold >= 1
    error_message = "errors_threshold must be >= 1."
  }
}

variable "throttles_threshold" {
  description = "Throttled invocations (Lambda Throttles, Sum) in one period that raise the lambda-throttles alarm."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.throttles_threshold >= 1
    error_message = "throttles_threshold must be >= 1."
  }
}

variable "duration_threshold_percent" {
  description = "Percentage of function_timeout above which the longest invocation of a period (Duration, Maximum) raises the lambda-duration alarm."
  type        = number
  default     = 80
  nullable    = false

  validation {
    condition     = var.duration_threshold_percent > 0 && var.duration_threshold_percent < 100
    error_message = "duration_threshold_percent must be greater than 0 and less than 100."
  }
}

variable "api_5xx_threshold" {
  description = "Server errors of the stage (5xx, Sum) in one period that raise the api-5xx alarm."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.api_5xx_threshold >= 1
    error_message = "api_5xx_threshold must be >= 1."
  }
}

variable "create_4xx_alarm" {
  description = "Whether to alarm on the stage's client error rate (4xx, Average); throttled requests (429) are 4xx."
  type        = bool
  default     = false
  nullable    = false
}

variable "api_4xx_rate_threshold" {
  description = "Fraction of the stage's requests (0-1) answered 4xx in one period above which the api-4xx alarm fires."
  type        = number
  default     = 0.05
  nullable    = false

  validation {
    condition     = var.api_4xx_rate_threshold > 0 && var.api_4xx_rate_threshold < 1
    error_message = "api_4xx_rate_threshold must be a fraction greater than 0 and less than 1."
  }
}

variable "create_latency_alarm" {
  description = "Whether to alarm on the stage's p99 latency (Latency, extended statistic p99)."
  type        = bool
  default     = true
  nullable    = false
}

variable "latency_p99_threshold" {
  description = "p99 of the stage's Latency in one period, in milliseconds, above which the api-latency alarm fires."
  type        = number
  default     = 2000
  nullable    = false

  validation {
    condition     = var.latency_p99_threshold > 0
    error_message = "latency_p99_threshold must be greater than 0 milliseconds."
  }
}

variable "latency_evaluation_periods" {
  description = "Number of most recent periods the api-latency alarm evaluates; its own, so one slow minute (a cold start) does not page."
  type        = number
  default     = 5
  nullable    = false

  validation {
    condition     = var.latency_evaluation_periods >= 1 && floor(var.latency_evaluation_periods) == var.latency_evaluation_periods
    error_message = "latency_evaluation_periods must be a whole number >= 1."
  }
}

variable "latency_datapoints_to_alarm" {
  description = "How many of the api-latency alarm's evaluated periods must breach for ALARM (M of N); at most latency_evaluation_periods."
  type        = number
  default     = 3
  nullable    = false

  validation {
    condition     = var.latency_datapoints_to_alarm >= 1 && floor(var.latency_datapoints_to_alarm) == var.latency_datapoints_to_alarm
    error_message = "latency_datapoints_to_alarm must be a whole number >= 1."
  }

  validation {
    condition     = var.latency_datapoints_to_alarm <= var.latency_evaluation_periods
    error_message = "latency_datapoints_to_alarm must be at most latency_evaluation_periods."
  }
}

variable "kms_master_key_id" {
  description = "KMS key (id, ARN or alias) encrypting the topic; its policy must let cloudwatch.amazonaws.com use it. Null: the module creates one. Not alias/aws/sns: CloudWatch cannot publish with it."
  type        = string
  default     = null

  validation {
    condition     = var.kms_master_key_id == null || try(var.kms_master_key_id != "alias/aws/sns" && length(var.kms_master_key_id) > 0, false)
    error_message = "kms_master_key_id must be null or a customer managed key; alias/aws/sns does not let CloudWatch alarms publish."
  }
}

variable "tags" {
  description = "Tags applied to the topic, its key and every alarm."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256])
    error_message = "tags keys must be 1-128 characters and values at most 256 characters."
  }
}
