output "role_arns" {
  description = "ARN of each role, by GitHub environment: the value of that environment's AWS_ROLE_ARN variable."
  value       = { for environment, role in aws_iam_role.this : environment => role.arn }
}

output "role_names" {
  description = "Name of each role, by GitHub environment."
  value       = { for environment, role in aws_iam_role.this : environment => role.name }
}

output "role_kinds" {
  description = "Kind of each role (plan, drift, deploy, apply, nightly), by GitHub environment."
  value       = { for environment, role in local.roles : environment => role.kind }
}

output "oidc_provider_arn" {
  description = "ARN of the GitHub OIDC provider the roles trust (created here, or the one given)."
  value       = local.oidc_provider_arn
}

output "permissions_boundary_arn" {
  description = "ARN of the boundary a deploy or apply role must put on every role it creates: the lambda unit's permissions_boundary. Null when no role deploys."
  value       = contains(local.used_scopes, "stack") ? aws_iam_policy.boundary["stack"].arn : null
}

output "nightly_permissions_boundary_arn" {
  description = "ARN of the boundary a nightly role must put on every role its ephemeral stacks create. Null without a nightly role."
  value       = contains(local.used_scopes, "nightly") ? aws_iam_policy.boundary["nightly"].arn : null
}
