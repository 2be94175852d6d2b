# Sentinel's resources, exported by github.com/sentinel-tools/bootstrap.
# Configure the aws provider for region eu-west-1: the names and IAM documents are for it.
# Tables cannot be destroyed (prevent_destroy), and Terraform never reverts a
# parameter's value written later (ignore_changes), as bootstrap never overwrites one.

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

resource "aws_dynamodb_table" "sessions" {
  name                        = "sentinel-sessions"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "id"
  deletion_protection_enabled = true
  attribute {
    name = "id"
    type = "S"
  }
  attribute {
    name = "user"
    type = "S"
  }
  attribute {
    name = "created_at"
    type = "S"
  }
  attribute {
    name = "status"
    type = "S"
  }
  attribute {
    name = "profile"
    type = "S"
  }
  attribute {
    name = "server_instance_id"
    type = "S"
  }
  attribute {
    name = "device_id"
    type = "S"
  }
  global_secondary_index {
    name            = "gsi-user"
    hash_key        = "user"
    range_key       = "created_at"
    projection_type = "ALL"
  }
  global_secondary_index {
    name            = "gsi-status"
    hash_key        = "status"
    range_key       = "created_at"
    projection_type = "ALL"
  }
  global_secondary_index {
    name            = "gsi-profile"
    hash_key        = "profile"
    range_key       = "created_at"
    projection_type = "ALL"
  }
  global_secondary_index {
    name            = "gsi-server-instance"
    hash_key        = "server_instance_id"
    range_key       = "status"
    projection_type = "ALL"
  }
  global_secondary_index {
    name            = "gsi-device-id"
    hash_key        = "device_id"
    range_key       = "created_at"
    projection_type = "ALL"
  }
  ttl {
    attribute_name = "ttl"
    enabled        = true
  }
  point_in_time_recovery {
    enabled = true
  }
  server_side_encryption {
    enabled     = true
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }
  tags = {
    "cost center" = "42"
    team          = "platform"
  }

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_dynamodb_table" "ratelimits" {
  name                        = "tvm-rate-limits"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "PK"
  deletion_protection_enabled = true
  attribute {
    name = "PK"
    type = "S"
  }
  ttl {
    attribute_name = "TTL"
    enabled        = true
  }
  point_in_time_recovery {
    enabled = true
  }
  server_side_encryption {
    enabled     = true
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }
  tags = {
    "cost center" = "42"
    team          = "platform"
  }

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_ssm_parameter" "policy_devZu1" {
  name        = "/sentinel/policies/dev_1"
  type        = "String"
  tier        = "Standard"
  description = "Platform team"
  tags = {
    "cost center" = "42"
    team          = "platform"
  }
  value = <<EOT
# Sentinel policy for profile: dev_1
# Description: Platform team
# This starter policy denies every request. Customize it: see Sentinel's policy reference.
version: "1"
rules:
  - name: default-deny
    effect: deny
    conditions:
      profiles:
        - dev_1
    reason: Default deny - customize this policy
EOT

  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_ssm_parameter" "policy_devZd1" {
  name        = "/sentinel/policies/dev.1"
  type        = "String"
  tier        = "Standard"
  description = "Platform team"
  tags = {
    "cost center" = "42"
    team          = "platform"
  }
  value = <<EOT
version: "1"
rules:
  - name: allow-dev.1
    effect: allow
    conditions:
      profiles: [dev.1]
EOT

  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_iam_policy" "iam_SentinelPolicyReader" {
  name        = "SentinelPolicyReader-eu-west-1"
  description = "Lets Sentinel read the policies under /sentinel/policies."
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "ReadPolicies"
      Effect   = "Allow"
      Action   = ["ssm:GetParameter", "ssm:GetParameters"]
      Resource = ["arn:aws:ssm:eu-west-1:*:parameter/sentinel/policies/*"]
      }, {
      Sid      = "ListPolicies"
      Effect   = "Allow"
      Action   = ["ssm:GetParametersByPath"]
      Resource = ["arn:aws:ssm:eu-west-1:*:parameter/sentinel/policies"]
    }]
  })
}

resource "aws_iam_policy" "iam_SentinelPolicyAdmin" {
  name        = "SentinelPolicyAdmin-eu-west-1"
  description = "Lets an administrator read and change the policies under /sentinel/policies."
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "ManagePolicies"
      Effect   = "Allow"
      Action   = ["ssm:GetParameter", "ssm:GetParameters", "ssm:PutParameter", "ssm:DeleteParameter", "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource"]
      Resource = ["arn:aws:ssm:eu-west-1:*:parameter/sentinel/policies/*"]
      }, {
      Sid      = "ListPolicies"
      Effect   = "Allow"
      Action   = ["ssm:GetParametersByPath"]
      Resource = ["arn:aws:ssm:eu-west-1:*:parameter/sentinel/policies"]
    }]
  })
}

resource "aws_iam_policy" "iam_SentinelSessionTable" {
  name        = "SentinelSessionTable-eu-west-1"
  description = "Lets Sentinel use the sessions table sentinel-sessions and its indexes."
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "UseTable"
      Effect   = "Allow"
      Action   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:Scan"]
      Resource = ["arn:aws:dynamodb:eu-west-1:*:table/sentinel-sessions", "arn:aws:dynamodb:eu-west-1:*:table/sentinel-sessions/index/*"]
    }]
  })
}

resource "aws_iam_policy" "iam_SentinelRateLimitTable" {
  name        = "SentinelRateLimitTable-eu-west-1"
  description = "Lets Sentinel's rate limiter use the table tvm-rate-limits."
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "UseTable"
      Effect   = "Allow"
      Action   = ["dynamodb:UpdateItem"]
      Resource = ["arn:aws:dynamodb:eu-west-1:*:table/tvm-rate-limits"]
    }]
  })
}

resource "aws_iam_policy" "iam_SentinelBootstrap" {
  name        = "SentinelBootstrap-eu-west-1"
  description = "Exactly what bootstrap needs to plan and apply these options, for least privilege."
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "PolicyParameters"
      Effect   = "Allow"
      Action   = ["ssm:GetParameters", "ssm:PutParameter", "ssm:AddTagsToResource"]
      Resource = ["arn:aws:ssm:eu-west-1:*:parameter/sentinel/policies/*"]
      }, {
      Sid      = "Tables"
      Effect   = "Allow"
      Action   = ["dynamodb:DescribeTable", "dynamodb:CreateTable", "dynamodb:UpdateTable", "dynamodb:DescribeTimeToLive", "dynamodb:UpdateTimeToLive", "dynamodb:DescribeContinuousBackups", "dynamodb:UpdateContinuousBackups", "dynamodb:ListTagsOfResource", "dynamodb:TagResource"]
      Resource = ["arn:aws:dynamodb:eu-west-1:*:table/sentinel-sessions", "arn:aws:dynamodb:eu-west-1:*:table/tvm-rate-limits"]
      }, {
      Sid      = "TableEncryptionKeyViaDynamoDB"
      Effect   = "Allow"
      Action   = ["kms:DescribeKey", "kms:CreateGrant"]
      Resource = ["arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"]
      Condition = {
        StringEquals = {
          "kms:ViaService" = "dynamodb.eu-west-1.amazonaws.com"
        }
      }
    }]
  })
}

# To adopt resources that exist already (tables and parameters that bootstrap
# or the original command created), uncomment these import blocks (Terraform 1.5+)
# and run terraform plan: it shows where they differ from this configuration.
#
# import {
#   to = aws_dynamodb_table.sessions
#   id = "sentinel-sessions"
# }
# import {
#   to = aws_dynamodb_table.ratelimits
#   id = "tvm-rate-limits"
# }
# import {
#   to = aws_ssm_parameter.policy_devZu1
#   id = "/sentinel/policies/dev_1"
# }
# import {
#   to = aws_ssm_parameter.policy_devZd1
#   id = "/sentinel/policies/dev.1"
# }
