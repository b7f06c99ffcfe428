variable "name" {
  description = "Name of the DynamoDB table (3-255 characters: letters, digits, underscore, hyphen, dot)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.name))
    error_message = "name must be 3-255 characters of letters, digits, '_', '-' or '.'."
  }
}

variable "hash_key" {
  description = "Name of the partition key attribute (type S)."
  type        = string
  default     = "id"

  validation {
    condition     = length(var.hash_key) >= 1 && length(var.hash_key) <= 255 && can(regex("^[^\\s]+$", var.hash_key))
    error_message = "hash_key must be 1-255 characters without whitespace."
  }
}

variable "point_in_time_recovery" {
  description = "Whether point-in-time recovery is enabled on the table."
  type        = bool
  default     = true
  nullable    = false
}

variable "deletion_protection" {
  description = "Whether deletion protection is enabled (turn on in production, off in ephemeral stacks)."
  type        = bool
  default     = false
  nullable    = false
}

variable "kms_key_arn" {
  description = "ARN of a customer managed KMS key that encrypts the table; null uses the AWS managed key (aws/dynamodb). Changing it re-encrypts the table in place."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>)."
  }
}

variable "tags" {
  description = "Tags applied to the table."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256])
    error_message = "tags keys must be 1-128 characters and values at most 256 characters."
  }
}
