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
  name                        = "sentinel-requests"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "id"
  deletion_protection_enabled = true
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
  point_in_time_recovery {
    enabled = true
  }
  server_side_encryption {
    enabled = true
  }

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_dynamodb_table" "breakglass" {
  name                        = "sentinel-breakglass"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "id"
  deletion_protection_enabled = true
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
  point_in_time_recovery {
    enabled = true
  }
  server_side_encryption {
    enabled = true
  }

  lifecycle {
    prevent_destroy = true
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
  ttl {
    attribute_name = "ttl"
    enabled        = true
  }
  point_in_time_recovery {
    enabled = true
  }
  server_side_encryption {
    enabled = true
  }

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_ssm_parameter" "policy_dev" {
  name        = "/sentinel/policies/dev"
  type        = "String"
  tier        = "Standard"
  description = "Sentinel policy for profile dev"
  value       = <<EOT
# Sentinel policy for profile: dev
# This starter policy denies every request. Customize it: see Sentinel's policy reference.
version: "1"
rules:
  - name: default-deny
    effect: deny
    conditions:
      profiles:
        - dev
    reason: Default deny - customize this policy
EOT

  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_ssm_parameter" "policy_devZh1" {
  name        = "/sentinel/policies/dev-1"
  type        = "String"
  tier        = "Standard"
  description = "Sentinel policy for profile dev-1"
  value       = <<EOT
# Sentinel policy for profile: dev-1
# This starter policy denies every request. Customize it: see Sentinel's policy reference.
version: "1"
rules:
  - name: default-deny
    effect: deny
    conditions:
      profiles:
        - dev-1
    reason: Default deny - customize this policy
EOT

  lifecycle {
    ignore_changes = [value]
  }
}

resource "aws_ssm_parameter" "policy_prod" {
  name        = "/sentinel/policies/prod"
  type        = "String"
  tier        = "Standard"
  description = "Sentinel policy for profile prod"
  value       = <<EOT
# Sentinel policy for profile: prod
# This starter policy denies every request. Customize it: see Sentinel's policy reference.
version: "1"
rules:
  - name: default-deny
    effect: deny
    conditions:
      profiles:
        - prod
    reason: Default deny - customize this policy
EOT

  lifecycle {
    ignore_changes = [value]
  }
}

# To adopt resources that exist already (tables and parameters that bootstrap
# or the original command created), uncomment these import blocks (Terraform 1.5+)
# and run terraform plan: it shows where they differ from this configuration.
#
# import {
#   to = aws_dynamodb_table.approvals
#   id = "sentinel-requests"
# }
# import {
#   to = aws_dynamodb_table.breakglass
#   id = "sentinel-breakglass"
# }
# import {
#   to = aws_dynamodb_table.sessions
#   id = "sentinel-sessions"
# }
# import {
#   to = aws_ssm_parameter.policy_dev
#   id = "/sentinel/policies/dev"
# }
# import {
#   to = aws_ssm_parameter.policy_devZh1
#   id = "/sentinel/policies/dev-1"
# }
# import {
#   to = aws_ssm_parameter.policy_prod
#   id = "/sentinel/policies/prod"
# }
