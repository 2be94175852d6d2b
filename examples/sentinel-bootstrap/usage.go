package main

import (
	"fmt"

	"github.com/sentinel-tools/bootstrap"
)

// usageText is the --help text. Keep it within 80 columns.
func usageText() string {
	return fmt.Sprintf(`Usage: %[1]s [flags]

Provisions what Sentinel needs in AWS: one SSM policy parameter per AWS
profile, and the DynamoDB tables for approval requests, break-glass events
and server sessions. It shows the plan, asks once, then applies. It is safe
to run again: existing parameters are never overwritten, and tables are
never deleted or recreated.

What to provision:
  --profile NAME              a policy parameter for this AWS profile
                              (repeatable)
  --with-approvals            the approval requests table
  --with-breakglass           the break-glass events table
  --with-sessions             the server sessions table
  --all                       all three tables
  --policy-root PATH          SSM path of the policy parameters
                              (default %[2]s)
  --description TEXT          description of new policy parameters
  --policy-file PROFILE=PATH  initial policy for PROFILE, read from PATH,
                              instead of the deny-all starter (repeatable)
  --generate-iam-policies     also print IAM policy documents for these
                              resources

Tables:
  --approval-table NAME       approval requests table
                              (default %[3]s)
  --breakglass-table NAME     break-glass events table
                              (default %[4]s)
  --session-table NAME        server sessions table
                              (default %[5]s)
  --kms-key KEY               encrypt with this KMS key: key ID, key ARN,
                              alias/NAME or alias ARN
                              (default: the AWS managed key)
  --tag KEY=VALUE             tag new parameters and tables (repeatable)
  --no-deletion-protection    create tables without deletion protection
  --no-pitr                   do not enable point-in-time recovery

How:
  --region REGION             AWS region (default: AWS_REGION or AWS config)
  --aws-profile NAME          profile in the AWS config files to use
                              (default: AWS_PROFILE or "default")
  --endpoint-url URL          send requests to this endpoint, e.g. an emulator
  --timeout DURATION          longest wait for a table to become ACTIVE
                              (default %[6]s)
  --plan                      show the plan and stop; change nothing
  -y, --yes                   apply without asking

Output:
  --json                      print only the report, as JSON
                              (never asks: needs --plan or --yes)
  --version                   print the version and exit
  -h, --help                  print this help and exit

Plan symbols: + create, ~ update, = unchanged, ? unknown (cannot be read),
! failed.
Exit status: 0 done (or nothing to do, or declined), 1 a resource failed or
AWS refused, 2 usage or validation error.

Examples:
  # Policies for two profiles and all three tables, after confirming the plan:
  %[1]s --profile dev --profile prod --all

  # Only show what would change:
  %[1]s --profile dev --with-approvals --plan

  # Unattended, with a machine-readable report:
  %[1]s --profile dev --all --tag team=platform --yes --json \
    > report.json

  # Against a local emulator (moto_server -p 5000), with dummy credentials:
  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
    %[1]s --endpoint-url http://127.0.0.1:5000 --region us-east-1 \
    --profile dev --all --no-deletion-protection --yes
`, progName, bootstrap.DefaultPolicyRoot, bootstrap.DefaultApprovalTable, bootstrap.DefaultBreakGlassTable,
		bootstrap.DefaultSessionTable, durationText(bootstrap.DefaultWaitTimeout))
}
