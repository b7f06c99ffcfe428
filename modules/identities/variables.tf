variable "repository" {
  description = "The GitHub repository whose workflows assume the roles, as OWNER/REPO (no wildcard): every role trusts only this repository's tokens."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$", var.repository)) && !contains([".", ".."], try(split("/", var.repository)[1], ""))
    error_message = "repository must be OWNER/REPO: a GitHub owner (letters, digits, hyphens) and a repository name (letters, digits, '.', '_', '-'), without wildcards or anything else."
  }
}

variable "oidc_provider_arn" {
  description = "ARN of the account's existing GitHub OIDC provider (token.actions.githubusercontent.com) to reuse; null creates it (an account holds one provider per issuer)."
  type        = string
  default     = null

  validation {
    condition     = var.oidc_provider_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token\\.actions\\.githubusercontent\\.com$", var.oidc_provider_arn))
    error_message = "oidc_provider_arn must be null or the ARN of a GitHub OIDC provider: arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com."
  }
}

variable "oidc_thumbprints" {
  description = "Thumbprints of the GitHub issuer's certificate chain for a created provider. AWS no longer uses them for GitHub (it trusts the issuer through its own CA library), but IAM still stores them."
  type        = list(string)
  default     = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]

  validation {
    condition     = length(var.oidc_thumbprints) >= 1 && length(var.oidc_thumbprints) <= 5 && alltrue([for t in var.oidc_thumbprints : can(regex("^[0-9a-f]{40}$", t))])
    error_message = "oidc_thumbprints must hold 1-5 SHA-1 thumbprints of 40 lowercase hex digits."
  }
}

variable "roles" {
  description = "One role per GitHub environment, keyed by the environment's name. kind: plan or drift (read only, state read without lock), deploy or apply (the stack's writes, its state and lock file), nightly (ephemeral stacks named with nightly_name_prefix). subject: the token's sub, null for repo:<repository>:environment:<key>. name: the role's name, null for <role_name_prefix><key>."
  type = map(object({
    kind                 = string
    subject              = optional(string)
    name                 = optional(string)
    max_session_duration = optional(number, 3600)
  }))

  validation {
    condition     = length(var.roles) >= 1 && alltrue([for key in keys(var.roles) : can(regex("^[A-Za-z0-9._-]{1,255}$", key))])
    error_message = "roles must name at least one GitHub environment, each key 1-255 letters, digits, '.', '_' or '-' (no wildcard, no ':')."
  }

  validation {
    condition     = alltrue([for role in values(var.roles) : contains(["plan", "drift", "deploy", "apply", "nightly"], role.kind)])
    error_message = "roles kinds must each be plan, drift, deploy, apply or nightly."
  }

  validation {
    condition     = alltrue([for role in values(var.roles) : role.subject == null || (can(regex("^repo:[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}:environment:[A-Za-z0-9._-]{1,255}$", role.subject)))])
    error_message = "roles subjects must each be exactly repo:OWNER/REPO:environment:NAME; a wildcard (* or ?), a branch or ref (repo:OWNER/REPO:ref:refs/heads/...) or a pull_request subject would let a job outside the environment, and its required reviewers, take the role."
  }

  validation {
    condition     = alltrue([for role in values(var.roles) : role.name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", role.name))])
    error_message = "roles names must each be null or 1-64 characters of letters, digits and +=,.@_-."
  }

  validation {
    condition     = alltrue([for role in values(var.roles) : role.max_session_duration >= 3600 && role.max_session_duration <= 43200])
    error_message = "roles max_session_duration must be 3600-43200 seconds."
  }
}

variable "role_name_prefix" {
  description = "Prefix of each role's default name (<prefix><environment>) and of the permissions boundary's."
  type        = string
  default     = "counterstack-github-"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,40}$", var.role_name_prefix))
    error_message = "role_name_prefix must be 1-40 characters of letters, digits and +=,.@_-."
  }
}

variable "stack" {
  description = "The names the environment's units give its resources, as live/<environment>/env.hcl sets them: the deploy and read roles reach these and nothing else. lambda_role_name: the function's execution role (null: the function's name, as modules/lambda names it). project: the `project` tag the root's default_tags put on every resource; the alarms' key is reached through it and the environment tag."
  type = object({
    environment      = string
    table_name       = string
    function_name    = string
    api_name         = string
    lambda_role_name = optional(string)
    lambda_role_path = optional(string, "/")
    project          = optional(string, "visitor-counter")
  })

  validation {
    condition     = can(regex("^[a-z0-9-]{1,32}$", var.stack.environment))
    error_message = "stack environment must be 1-32 lowercase letters, digits or hyphens (live/<environment>)."
  }

  validation {
    condition     = alltrue([for name in [var.stack.table_name, var.stack.function_name, var.stack.api_name, coalesce(var.stack.lambda_role_name, var.stack.function_name)] : can(regex("^[A-Za-z0-9._-]{1,64}$", name))])
    error_message = "stack names (table_name, function_name, api_name and lambda_role_name) must be 1-64 letters, digits, '.', '_' or '-' (no wildcard)."
  }

  validation {
    condition     = can(regex("^/([A-Za-z0-9._-]+/)*$", var.stack.lambda_role_path))
    error_message = "stack lambda_role_path must start and end with '/', e.g. / or /service-role/."
  }
}

variable "state_bucket" {
  description = "The S3 bucket holding the environment's Terraform state (the root terragrunt.hcl's counterstack-tfstate-<account>-<environment>)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket))
    error_message = "state_bucket must be an S3 bucket name: 3-63 lowercase letters, digits, '.' or '-'."
  }
}

variable "state_key_prefix" {
  description = "The prefix of the state keys the environment's units use (live/<environment>/); the roles reach no other key, so a deploy role never touches this unit's own state."
  type        = string
  default     = null

  validation {
    condition     = var.state_key_prefix == null || can(regex("^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*/$", var.state_key_prefix))
    error_message = "state_key_prefix must be null or a key prefix ending in '/', without wildcards, e.g. live/prod/."
  }
}

variable "nightly_name_prefix" {
  description = "The prefix every resource of the nightly's ephemeral stacks starts with (counterstack.harness.naming's EPHEMERAL_PREFIX); a nightly role reaches only those."
  type        = string
  default     = "ct-"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.nightly_name_prefix))
    error_message = "nightly_name_prefix must be 2-16 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "tags" {
  description = "Tags applied to the provider, the roles and the policies."
  type        = map(string)
  default     = {}
}
