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

resource "aws_dynamodb_table" "approvals" {
  name                        = "team-approvals-blue"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "id"
  deletion_protection_enabled = false
  attribute {
    name = "id"
    type = "S"
  }
  attribute {
    name = "requester"
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
  global_secondary_index {
    name            = "gsi-requester"
    hash_key        = "requester"
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
  ttl {
    attribute_name = "ttl"
    enabled        = true
  }
  server_side_encryption {
    enabled = true
  }

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_dynamodb_table" "breakglass" {
  name                        = "sentinel-breakglass-blue"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "id"
  deletion_protection_enabled = false
  attribute {
    name = "id"
    type = "S"
  }
  attribute {
    name = "invoker"
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
  global_secondary_index {
    name            = "gsi-invoker"
    hash_key        = "invoker"
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
  ttl {
    attribute_name = "ttl"
    enabled        = true
  }
  server_side_encryption {
    enabled = true
  }

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_ssm_parameter" "policy_dev1" {
  name        = "/team/policies-blue/dev1"
  type        = "String"
  tier        = "Standard"
  description = "Sentinel policy for profile dev1"
  value       = <<EOT
# Sentinel policy for profile: dev1
# This starter policy denies every request. Customize it: see Sentinel's policy reference.
version: "1"
rules:
  - name: default-deny
    effect: deny
    conditions:
      profiles:
        - dev1
    reason: Default deny - customize this policy
EOT

  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_iam_policy" "iam_SentinelPolicyReader" {
  name        = "SentinelPolicyReader-blue-eu-west-1"
  description = "Lets Sentinel read the policies under /team/policies-blue."
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "ReadPolicies"
      Effect   = "Allow"
      Action   = ["ssm:GetParameter", "ssm:GetParameters"]
      Resource = ["arn:aws:ssm:eu-west-1:*:parameter/team/policies-blue/*"]
      }, {
      Sid      = "ListPolicies"
      Effect   = "Allow"
      Action   = ["ssm:GetParametersByPath"]
      Resource = ["arn:aws:ssm:eu-west-1:*:parameter/team/policies-blue"]
    }]
  })
}

resource "aws_iam_policy" "iam_SentinelPolicyAdmin" {
  name        = "SentinelPolicyAdmin-blue-eu-west-1"
  description = "Lets an administrator read and change the policies under /team/policies-blue."
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "ManagePolicies"
      Effect   = "Allow"
      Action   = ["ssm:GetParameter", "ssm:GetParameters", "ssm:PutParameter", "ssm:DeleteParameter", "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource"]
      Resource = ["arn:aws:ssm:eu-west-1:*:parameter/team/policies-blue/*"]
      }, {
      Sid      = "ListPolicies"
      Effect   = "Allow"
      Action   = ["ssm:GetParametersByPath"]
      Resource = ["arn:aws:ssm:eu-west-1:*:parameter/team/policies-blue"]
    }]
  })
}

resource "aws_iam_policy" "iam_SentinelApprovalTable" {
  name        = "SentinelApprovalTable-blue-eu-west-1"
  description = "Lets Sentinel use the approvals table team-approvals-blue and its indexes."
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "UseTable"
      Effect   = "Allow"
      Action   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:Scan"]
      Resource = ["arn:aws:dynamodb:eu-west-1:*:table/team-approvals-blue", "arn:aws:dynamodb:eu-west-1:*:table/team-approvals-blue/index/*"]
    }]
  })
}

resource "aws_iam_policy" "iam_SentinelBreakGlassTable" {
  name        = "SentinelBreakGlassTable-blue-eu-west-1"
  description = "Lets Sentinel use the breakglass table sentinel-breakglass-blue and its indexes."
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "UseTable"
      Effect   = "Allow"
      Action   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:Scan"]
      Resource = ["arn:aws:dynamodb:eu-west-1:*:table/sentinel-breakglass-blue", "arn:aws:dynamodb:eu-west-1:*:table/sentinel-breakglass-blue/index/*"]
    }]
  })
}

resource "aws_iam_policy" "iam_SentinelBootstrap" {
  name        = "SentinelBootstrap-blue-eu-west-1"
  description = "Exactly what bootstrap needs to plan and apply these options, for least privilege."
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "PolicyParameters"
      Effect   = "Allow"
      Action   = ["ssm:GetParameters", "ssm:PutParameter"]
      Resource = ["arn:aws:ssm:eu-west-1:*:parameter/team/policies-blue/*"]
      }, {
      Sid      = "Tables"
      Effect   = "Allow"
      Action   = ["dynamodb:DescribeTable", "dynamodb:CreateTable", "dynamodb:UpdateTable", "dynamodb:DescribeTimeToLive", "dynamodb:UpdateTimeToLive"]
      Resource = ["arn:aws:dynamodb:eu-west-1:*:table/team-approvals-blue", "arn:aws:dynamodb:eu-west-1:*:table/sentinel-breakglass-blue"]
    }]
  })
}

# To adopt resources that exist already (tables and parameters that bootstrap
# or the original command created), uncomment these import blocks (Terraform 1.5+)
# and run terraform plan: it shows where they differ from this configuration.
#
# import {
#   to = aws_dynamodb_table.approvals
#   id = "team-approvals-blue"
# }
# import {
#   to = aws_dynamodb_table.breakglass
#   id = "sentinel-breakglass-blue"
# }
# import {
#   to = aws_ssm_parameter.policy_dev1
#   id = "/team/policies-blue/dev1"
# }
