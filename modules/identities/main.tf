data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  arn        = "arn:${local.partition}"

  issuer   = "token.actions.githubusercontent.com"
  audience = "sts.amazonaws.com"
  # Composed, not read from the resource, so the trust policies are known (and reviewed) at plan.
  oidc_provider_arn = coalesce(var.oidc_provider_arn, "${local.arn}:iam::${local.account_id}:oidc-provider/${local.issuer}")

  # What each kind of role may do: plan and drift read (state without its lock: they plan with
  # -lock=false), deploy and apply write the stack, nightly writes ephemeral stacks only.
  access = { plan = "read", drift = "read", deploy = "deploy", apply = "deploy", nightly = "nightly" }

  roles = {
    for environment, role in var.roles : environment => {
      kind                 = role.kind
      access               = local.access[role.kind]
      name                 = coalesce(role.name, "${var.role_name_prefix}${environment}")
      subject              = coalesce(role.subject, "repo:${var.repository}:environment:${environment}")
      max_session_duration = role.max_session_duration
    }
  }

  state_key_prefix = coalesce(var.state_key_prefix, "live/${var.stack.environment}/")
  state_bucket_arn = "${local.arn}:s3:::${var.state_bucket}"

  # The names a role reaches, by scope: the environment's stack (env.hcl's names), or the
  # nightly's ephemeral stacks (every name starts with the prefix). Keys carry no name: they are
  # reached through the tags the provider's default_tags put on them at creation.
  lambda_role_name = coalesce(var.stack.lambda_role_name, var.stack.function_name)
  scopes = {
    stack = {
      boundary      = "${var.role_name_prefix}${var.stack.environment}-boundary"
      table         = var.stack.table_name
      function      = var.stack.function_name
      role          = "${var.stack.lambda_role_path}${local.lambda_role_name}"
      log_groups    = ["/aws/lambda/${var.stack.function_name}", "/aws/apigateway/${var.stack.api_name}"]
      topic         = "${var.stack.api_name}-alarms"
      alarms        = "${var.stack.api_name}-*"
      key_alias     = "alias/${var.stack.api_name}-alarms"
      key_tags      = { project = var.stack.project, environment = var.stack.environment }
      lambda_groups = ["/aws/lambda/${var.stack.function_name}"]
    }
    nightly = {
      boundary      = "${var.role_name_prefix}nightly-boundary"
      table         = "${var.nightly_name_prefix}*"
      function      = "${var.nightly_name_prefix}*"
      role          = "/${var.nightly_name_prefix}*"
      log_groups    = ["/aws/lambda/${var.nightly_name_prefix}*", "/aws/apigateway/${var.nightly_name_prefix}*"]
      topic         = "${var.nightly_name_prefix}*"
      alarms        = "${var.nightly_name_prefix}*"
      key_alias     = "alias/${var.nightly_name_prefix}*"
      key_tags      = { "counterstack:ephemeral" = "${var.nightly_name_prefix}*" }
      lambda_groups = ["/aws/lambda/${var.nightly_name_prefix}*"]
    }
  }
  # Only the scopes some role uses get a boundary.
  used_scopes = toset(compact([
    anytrue([for role in values(local.roles) : role.access == "deploy"]) ? "stack" : "",
    anytrue([for role in values(local.roles) : role.access == "nightly"]) ? "nightly" : "",
  ]))
  boundary_arns = { for scope, names in local.scopes : scope => "${local.arn}:iam::${local.account_id}:policy/${names.boundary}" }

  # The stack's resources, service by service: what reading them takes (a plan's refresh) and
  # what changing them adds (apply, destroy). One list feeds the read and the write policies.
  services = {
    for scope, names in local.scopes : scope => {
      table = {
        sid       = "Table"
        resources = ["${local.arn}:dynamodb:${local.region}:${local.account_id}:table/${names.table}"]
        reads     = ["dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTable", "dynamodb:DescribeTimeToLive", "dynamodb:ListTagsOfResource"]
        writes    = ["dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:TagResource", "dynamodb:UntagResource", "dynamodb:UpdateContinuousBackups", "dynamodb:UpdateTable", "dynamodb:UpdateTimeToLive"]
        condition = {}
      }
      function = {
        sid = "Function"
        resources = [
          "${local.arn}:lambda:${local.region}:${local.account_id}:function:${names.function}",
          "${local.arn}:lambda:${local.region}:${local.account_id}:function:${names.function}:*",
        ]
        reads = [
          "lambda:GetFunction", "lambda:GetFunctionCodeSigningConfig", "lambda:GetFunctionConcurrency",
          "lambda:GetFunctionConfiguration", "lambda:GetPolicy", "lambda:GetRuntimeManagementConfig",
          "lambda:ListTags", "lambda:ListVersionsByFunction",
        ]
        writes = [
          "lambda:AddPermission", "lambda:CreateFunction", "lambda:DeleteFunction", "lambda:DeleteFunctionConcurrency",
          "lambda:PutFunctionConcurrency", "lambda:RemovePermission", "lambda:TagResource", "lambda:UntagResource",
          "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
        ]
        condition = {}
      }
      function_role = {
        sid       = "FunctionRole"
        resources = ["${local.arn}:iam::${local.account_id}:role${names.role}"]
        reads     = ["iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole", "iam:ListRolePolicies", "iam:ListRoleTags"]
        writes    = ["iam:DeleteRole", "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription"]
        condition = {}
      }
      # A role is created, and its permissions changed, only under the boundary: whatever policy
      # the deploy role writes, the function's role can do no more than the boundary allows.
      function_role_boundary = {
        sid       = "FunctionRoleUnderBoundary"
        resources = ["${local.arn}:iam::${local.account_id}:role${names.role}"]
        reads     = []
        writes    = ["iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy"]
        condition = { StringEquals = { "iam:PermissionsBoundary" = local.boundary_arns[scope] } }
      }
      pass_function_role = {
        sid       = "PassFunctionRoleToLambda"
        resources = ["${local.arn}:iam::${local.account_id}:role${names.role}"]
        reads     = []
        writes    = ["iam:PassRole"]
        condition = { StringEquals = { "iam:PassedToService" = "lambda.amazonaws.com" } }
      }
      log_groups = {
        sid       = "LogGroups"
        resources = flatten([for group in names.log_groups : ["${local.arn}:logs:${local.region}:${local.account_id}:log-group:${group}", "${local.arn}:logs:${local.region}:${local.account_id}:log-group:${group}:*"]])
        reads     = ["logs:ListTagsForResource", "logs:ListTagsLogGroup"]
        writes    = ["logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:DeleteRetentionPolicy", "logs:DisassociateKmsKey", "logs:PutRetentionPolicy", "logs:TagLogGroup", "logs:TagResource", "logs:UntagLogGroup", "logs:UntagResource"]
        condition = {}
      }
      # DescribeLogGroups lists the region's log groups: it takes no resource.
      list_log_groups = {
        sid       = "ListLogGroups"
        resources = ["*"]
        reads     = ["logs:DescribeLogGroups"]
        writes    = []
        condition = {}
      }
      # API Gateway assigns the API's id: the ARNs of HTTP APIs cannot name this one in advance.
      http_api = {
        sid       = "HttpApis"
        resources = ["${local.arn}:apigateway:${local.region}::/apis", "${local.arn}:apigateway:${local.region}::/apis/*", "${local.arn}:apigateway:${local.region}::/tags/*"]
        reads     = ["apigateway:GET"]
        writes    = ["apigateway:DELETE", "apigateway:PATCH", "apigateway:POST", "apigateway:PUT"]
        condition = {}
      }
      # A stage's access logs are CloudWatch Logs' vended log delivery, whose actions take no
      # resource: AWS documents Resource "*" for them (HTTP API logging permissions).
      access_log_delivery = {
        sid       = "StageAccessLogDelivery"
        resources = ["*"]
        reads     = []
        writes    = ["logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeResourcePolicies", "logs:GetLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:UpdateLogDelivery"]
        condition = {}
      }
      topic = {
        sid       = "AlarmsTopic"
        resources = ["${local.arn}:sns:${local.region}:${local.account_id}:${names.topic}"]
        reads     = ["sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:ListTagsForResource"]
        writes    = ["sns:CreateTopic", "sns:DeleteTopic", "sns:SetTopicAttributes", "sns:Subscribe", "sns:TagResource", "sns:UntagResource"]
        condition = {}
      }
      # A subscription's own actions take no resource in SNS (only Subscribe names the topic).
      subscriptions = {
        sid       = "AlarmsSubscriptions"
        resources = ["*"]
        reads     = ["sns:GetSubscriptionAttributes"]
        writes    = ["sns:SetSubscriptionAttributes", "sns:Unsubscribe"]
        condition = {}
      }
      alarms = {
        sid       = "Alarms"
        resources = ["${local.arn}:cloudwatch:${local.region}:${local.account_id}:alarm:${names.alarms}"]
        reads     = ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"]
        writes    = ["cloudwatch:DeleteAlarms", "cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:UntagResource"]
        condition = {}
      }
      # A key has no name to scope by until its alias exists: it is created with, and then reached
      # through, the tags default_tags puts on it. An untagged key of the account may not be
      # tagged into reach (a key that already has the tag key is refused; CreateKey has none).
      create_key = {
        sid       = "CreateAlarmsKey"
        resources = ["*"]
        reads     = []
        writes    = ["kms:CreateKey", "kms:TagResource"]
        condition = { StringLike = { for key, value in names.key_tags : "aws:RequestTag/${key}" => value }, Null = { for key, value in names.key_tags : "aws:ResourceTag/${key}" => "true" } }
      }
      key = {
        sid       = "AlarmsKey"
        resources = ["${local.arn}:kms:${local.region}:${local.account_id}:key/*"]
        reads     = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]
        writes    = ["kms:CreateAlias", "kms:DeleteAlias", "kms:EnableKeyRotation", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:UpdateAlias", "kms:UpdateKeyDescription"]
        condition = { StringLike = { for key, value in names.key_tags : "aws:ResourceTag/${key}" => value } }
      }
      key_alias = {
        sid       = "AlarmsKeyAlias"
        resources = ["${local.arn}:kms:${local.region}:${local.account_id}:${names.key_alias}"]
        reads     = []
        writes    = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
        condition = {}
      }
      # ListAliases lists the account's aliases: it takes no resource.
      list_aliases = {
        sid       = "ListKeyAliases"
        resources = ["*"]
        reads     = ["kms:ListAliases"]
        writes    = []
        condition = {}
      }
    }
  }

  # The environment's state: the bucket's settings (read when Terragrunt checks its bootstrap),
  # its listing, and the objects under the environment's prefix only, so no role reaches the
  # state of this unit (accounts/<account>/identities/...).
  state_reads = [
    {
      Sid      = "StateBucket"
      Effect   = "Allow"
      Action   = ["s3:GetBucketAcl", "s3:GetBucketLogging", "s3:GetBucketOwnershipControls", "s3:GetBucketPolicy", "s3:GetBucketPublicAccessBlock", "s3:GetBucketTagging", "s3:GetBucketVersioning", "s3:GetEncryptionConfiguration", "s3:ListBucket"]
      Resource = [local.state_bucket_arn]
    },
    {
      Sid      = "StateRead"
      Effect   = "Allow"
      Action   = ["s3:GetObject"]
      Resource = ["${local.state_bucket_arn}/${local.state_key_prefix}*"]
    },
  ]
  # apply writes the state and its lock file (<key>.tflock), which it deletes when done.
  state_writes = [
    {
      Sid      = "StateWrite"
      Effect   = "Allow"
      Action   = ["s3:PutObject"]
      Resource = ["${local.state_bucket_arn}/${local.state_key_prefix}*"]
    },
    {
      Sid      = "StateLockRelease"
      Effect   = "Allow"
      Action   = ["s3:DeleteObject"]
      Resource = ["${local.state_bucket_arn}/${local.state_key_prefix}*.tflock"]
    },
  ]

  # The boundaries may not be loosened or removed by the roles that work under them.
  protect_boundaries = {
    Sid      = "BoundariesStayAsTheyAre"
    Effect   = "Deny"
    Action   = ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:DeleteRolePermissionsBoundary", "iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy"]
    Resource = ["*"]
  }

  # The nightly sweep lists the account to find what crashed runs left (prefix and mark).
  sweep_lists = {
    Sid      = "SweepLists"
    Effect   = "Allow"
    Action   = ["dynamodb:ListTables", "iam:ListRoles", "lambda:ListFunctions", "sns:ListTopics"]
    Resource = ["*"]
  }

  # The harness's one kept alarms key per account (counterstack.harness.shared_key).
  shared_key = [
    {
      Sid       = "CreateSharedAlarmsKey"
      Effect    = "Allow"
      Action    = ["kms:CreateKey", "kms:TagResource"]
      Resource  = ["*"]
      Condition = { StringEquals = { "aws:RequestTag/counterstack:shared-key" = "alarms" }, Null = { "aws:ResourceTag/counterstack:shared-key" = "true" } }
    },
    {
      Sid       = "SharedAlarmsKey"
      Effect    = "Allow"
      Action    = ["kms:CancelKeyDeletion", "kms:CreateAlias", "kms:DescribeKey", "kms:EnableKey", "kms:EnableKeyRotation", "kms:ScheduleKeyDeletion"]
      Resource  = ["${local.arn}:kms:${local.region}:${local.account_id}:key/*"]
      Condition = { StringEquals = { "aws:ResourceTag/counterstack:shared-key" = "alarms" } }
    },
    {
      Sid      = "SharedAlarmsKeyAlias"
      Effect   = "Allow"
      Action   = ["kms:CreateAlias"]
      Resource = ["${local.arn}:kms:${local.region}:${local.account_id}:alias/counterstack-shared-alarms"]
    },
  ]

  statements = {
    for scope, entries in local.services : scope => {
      reads = [
        for entry in values(entries) : merge(
          { Sid = "Read${entry.sid}", Effect = "Allow", Action = entry.reads, Resource = entry.resources },
          { for key, value in { Condition = entry.condition } : key => value if length(value) > 0 },
        ) if length(entry.reads) > 0
      ]
      writes = [
        for entry in values(entries) : merge(
          { Sid = entry.sid, Effect = "Allow", Action = sort(distinct(concat(entry.reads, entry.writes))), Resource = entry.resources },
          { for key, value in { Condition = entry.condition } : key => value if length(value) > 0 },
        )
      ]
    }
  }

  policies = {
    read    = { Version = "2012-10-17", Statement = concat(local.statements.stack.reads, local.state_reads) }
    deploy  = { Version = "2012-10-17", Statement = concat(local.statements.stack.writes, local.state_reads, local.state_writes, [local.protect_boundaries]) }
    nightly = { Version = "2012-10-17", Statement = concat(local.statements.nightly.writes, [local.sweep_lists], local.shared_key, [local.protect_boundaries]) }
  }

  # What a role the deploy (or nightly) role creates may ever do: the function's own work. The
  # function's inline policy (modules/lambda) grants less; the boundary caps whatever it says.
  boundaries = {
    for scope, names in local.scopes : scope => {
      Version = "2012-10-17"
      Statement = [
        {
          Sid      = "CountInTheTable"
          Effect   = "Allow"
          Action   = ["dynamodb:ConditionCheckItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]
          Resource = local.services[scope].table.resources
        },
        {
          Sid      = "WriteOwnLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = [for group in names.lambda_groups : "${local.arn}:logs:${local.region}:${local.account_id}:log-group:${group}:*"]
        },
        {
          # modules/lambda's opt-in tracing: X-Ray takes trace writes on Resource "*" only.
          Sid      = "WriteTraces"
          Effect   = "Allow"
          Action   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
          Resource = ["*"]
        },
      ]
    }
  }
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.oidc_provider_arn == null ? 1 : 0

  url             = "https://${local.issuer}"
  client_id_list  = [local.audience]
  thumbprint_list = var.oidc_thumbprints

  tags = var.tags
}

resource "aws_iam_policy" "boundary" {
  for_each = local.used_scopes

  name        = local.scopes[each.key].boundary
  description = "Permissions boundary of every role the GitHub ${each.key == "stack" ? "${var.stack.environment} deploy" : "nightly"} role creates: the function's own work, nothing more."
  policy      = jsonencode(local.boundaries[each.key])

  tags = var.tags
}

resource "aws_iam_role" "this" {
  for_each = local.roles

  name                 = each.value.name
  description          = "GitHub Actions, environment ${each.key} of ${var.repository}: ${each.value.kind} (${each.value.access})."
  max_session_duration = each.value.max_session_duration

  # Only this repository's jobs that run in this environment: a job on another branch without
  # `environment:`, or in another environment, presents another sub and is refused.
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "GitHubEnvironment"
        Effect    = "Allow"
        Action    = "sts:AssumeRoleWithWebIdentity"
        Principal = { Federated = local.oidc_provider_arn }
        Condition = {
          StringEquals = {
            "${local.issuer}:aud" = local.audience
            "${local.issuer}:sub" = each.value.subject
          }
        }
      },
    ]
  })

  tags = merge(var.tags, { "github-environment" = each.key, "access" = each.value.access })

  lifecycle {
    precondition {
      condition     = startswith(each.value.subject, "repo:${var.repository}:environment:")
      error_message = "roles[\"${each.key}\"].subject must name the repository ${var.repository}: a role trusts only that repository's environments."
    }
  }

  # The trust names the provider: it exists before a role does.
  depends_on = [aws_iam_openid_connect_provider.github]
}

resource "aws_iam_role_policy" "this" {
  for_each = local.roles

  name   = each.value.access
  role   = aws_iam_role.this[each.key].id
  policy = jsonencode(local.policies[each.value.access])
}
