package bootstrap

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// IAM policy names, as in IAMPolicy.Name.
const (
	IAMPolicyReader          = "SentinelPolicyReader"
	IAMPolicyAdmin           = "SentinelPolicyAdmin"
	IAMPolicyApprovalTable   = "SentinelApprovalTable"
	IAMPolicyBreakGlassTable = "SentinelBreakGlassTable"
	IAMPolicySessionTable    = "SentinelSessionTable"
	IAMPolicyRateLimitTable  = "SentinelRateLimitTable"
	IAMPolicyBootstrap       = "SentinelBootstrap"
)

type iamDocument struct {
	Version   string         `json:"Version"`
	Statement []iamStatement `json:"Statement"`
}

type iamStatement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"`
	Action    []string                     `json:"Action"`
	Resource  []string                     `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

var (
	// policyReadActions are what Sentinel reads policies with (GetParameter
	// at run time); policyListAction is its listing of the root
	// (GetParametersByPath, not recursive), which IAM authorizes against the
	// path itself, not against the parameters it returns.
	policyReadActions  = []string{"ssm:GetParameter", "ssm:GetParameters"}
	policyListAction   = "ssm:GetParametersByPath"
	policyWriteActions = []string{"ssm:PutParameter", "ssm:DeleteParameter", "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource"}
	tableDataActions   = []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:Scan"}
	// rateLimitActions are the item actions of Sentinel's rate limiter
	// (CONTRACT.md §1): it only ever calls UpdateItem.
	rateLimitActions = []string{"dynamodb:UpdateItem"}
	// sidTableKey is the statement that lets DynamoDB use the tables' KMS key.
	sidTableKey = "TableEncryptionKeyViaDynamoDB"
	// signingActions are the KMS operations Run calls with WithPolicySigning.
	signingActions = []string{"kms:DescribeKey", "kms:Sign", "kms:Verify"}
	// tableKeyActions are what DynamoDB does with a customer-managed table key
	// on the caller's behalf when it creates or re-encrypts a table.
	tableKeyActions = []string{"kms:DescribeKey", "kms:CreateGrant"}
)

// bootstrapActions lists the IAM actions Run needs for the options: exactly
// the AWS operations it may call, plus those AWS checks on its behalf
// (ssm:AddTagsToResource for PutParameter with tags, dynamodb:TagResource for
// CreateTable with tags). The SentinelBootstrap document allows these.
func bootstrapActions(s *config) (ssmActions, dynamoActions []string) {
	if len(s.params) > 0 {
		ssmActions = []string{"ssm:GetParameters", "ssm:PutParameter"}
		if len(s.tags) > 0 {
			ssmActions = append(ssmActions, "ssm:AddTagsToResource")
		}
	}
	if len(s.tables) > 0 {
		dynamoActions = []string{"dynamodb:DescribeTable", "dynamodb:CreateTable", "dynamodb:UpdateTable",
			"dynamodb:DescribeTimeToLive", "dynamodb:UpdateTimeToLive"}
		if s.pitr {
			dynamoActions = append(dynamoActions, "dynamodb:DescribeContinuousBackups", "dynamodb:UpdateContinuousBackups")
		}
		if len(s.tags) > 0 {
			dynamoActions = append(dynamoActions, "dynamodb:ListTagsOfResource", "dynamodb:TagResource")
		}
	}
	return ssmActions, dynamoActions
}

// iamPolicies builds the documents for the selected options.
func iamPolicies(s *config) []IAMPolicy {
	part := s.partition
	paramARN := func(name string) string { return fmt.Sprintf("arn:%s:ssm:%s:*:parameter%s", part, s.region, name) }
	root, params := paramARN(s.policyRoot), paramARN(s.policyRoot+"/*")
	// The signatures of the policies under the root (signatureName of the
	// root's names), with WithPolicySigning.
	sigs := paramARN(signatureName(s.policyRoot+"/") + "*")
	tableARN := func(name string) string { return fmt.Sprintf("arn:%s:dynamodb:%s:*:table/%s", part, s.region, name) }
	var signKey string
	var signCond map[string]map[string]string
	if s.signing != nil {
		signKey, signCond = s.signing.iamResource(s)
	}

	reader := []iamStatement{
		{Sid: "ReadPolicies", Action: policyReadActions, Resource: []string{params}},
		{Sid: "ListPolicies", Action: []string{policyListAction}, Resource: []string{root}},
	}
	admin := []iamStatement{
		{Sid: "ManagePolicies", Action: append(slices.Clone(policyReadActions), policyWriteActions...), Resource: []string{params}},
		{Sid: "ListPolicies", Action: []string{policyListAction}, Resource: []string{root}},
	}
	if s.signing != nil {
		reader = append(reader,
			iamStatement{Sid: "ReadPolicySignatures", Action: []string{"ssm:GetParameter"}, Resource: []string{sigs}},
			iamStatement{Sid: "VerifyPolicySignatures", Action: []string{"kms:Verify"}, Resource: []string{signKey}, Condition: signCond})
		admin = append(admin,
			iamStatement{Sid: "ManagePolicySignatures", Action: append(slices.Clone(policyReadActions), policyWriteActions...), Resource: []string{sigs}},
			iamStatement{Sid: "SignPolicies", Action: []string{"kms:Sign"}, Resource: []string{signKey}, Condition: signCond})
	}
	readerText, adminText := "Lets Sentinel read the policies under "+s.policyRoot+".", "Lets an administrator read and change the policies under "+s.policyRoot+"."
	if s.signing != nil {
		readerText = "Lets Sentinel read the policies under " + s.policyRoot + " and verify their signatures."
		adminText = "Lets an administrator read, change and sign (sentinel policy push --sign) the policies under " + s.policyRoot + "."
	}
	out := []IAMPolicy{newIAMPolicy(IAMPolicyReader, readerText, reader...), newIAMPolicy(IAMPolicyAdmin, adminText, admin...)}
	var tables []string
	for _, t := range s.tables {
		arn := tableARN(t.name)
		tables = append(tables, arn)
		if len(t.indexes) == 0 { // the rate-limit table
			out = append(out, newIAMPolicy(t.iamPolicy, "Lets Sentinel's rate limiter use the table "+t.name+".",
				iamStatement{Sid: "UseTable", Action: rateLimitActions, Resource: []string{arn}}))
			continue
		}
		out = append(out, newIAMPolicy(t.iamPolicy, "Lets Sentinel use the "+t.purpose+" table "+t.name+" and its indexes.",
			iamStatement{Sid: "UseTable", Action: tableDataActions, Resource: []string{arn, arn + "/index/*"}}))
	}

	ssmActions, dynamoActions := bootstrapActions(s)
	var stmts []iamStatement
	if len(ssmActions) > 0 {
		stmts = append(stmts, iamStatement{Sid: "PolicyParameters", Action: ssmActions, Resource: []string{params}})
	}
	if len(ssmActions) > 0 && s.signing != nil {
		stmts = append(stmts,
			iamStatement{Sid: "PolicySignatureParameters", Action: ssmActions, Resource: []string{sigs}},
			iamStatement{Sid: "PolicySigningKey", Action: signingActions, Resource: []string{signKey}, Condition: signCond})
	}
	if len(dynamoActions) > 0 {
		stmts = append(stmts, iamStatement{Sid: "Tables", Action: dynamoActions, Resource: tables})
	}
	if s.kmsKey != "" && len(tables) > 0 {
		// DynamoDB uses the key on the caller's behalf when it creates or
		// re-encrypts a table; the library itself calls no KMS operation for
		// tables. Without WithKMSKey (the AWS-managed key aws/dynamodb), no KMS
		// permission is needed: that key's policy lets every principal of the
		// account use it through DynamoDB.
		resource, cond := parseKMSKey(s.kmsKey).iamResource(s)
		cond = maps.Clone(cond)
		if cond == nil {
			cond = map[string]map[string]string{}
		}
		cond["StringEquals"] = map[string]string{"kms:ViaService": "dynamodb." + s.region + "." + s.dnsSuffix}
		stmts = append(stmts, iamStatement{Sid: sidTableKey, Action: tableKeyActions, Resource: []string{resource}, Condition: cond})
	}
	out = append(out, newIAMPolicy(IAMPolicyBootstrap, "Exactly what bootstrap needs to plan and apply these options, for least privilege.", stmts...))
	return out
}

func newIAMPolicy(name, description string, stmts ...iamStatement) IAMPolicy {
	for i := range stmts {
		stmts[i].Effect = "Allow"
	}
	doc, err := json.Marshal(iamDocument{Version: "2012-10-17", Statement: stmts})
	if err != nil {
		panic(err) // cannot happen: plain strings and slices
	}
	return IAMPolicy{Name: name, Description: description, Document: doc}
}

// partition is the ARN partition of a region and its DNS suffix, as in the
// SDK's partitions.json.
func partition(region string) (id, dnsSuffix string) {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn", "amazonaws.com.cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov", "amazonaws.com"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso", "c2s.ic.gov"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b", "sc2s.sgov.gov"
	case strings.HasPrefix(region, "eu-isoe-"):
		return "aws-iso-e", "cloud.adc-e.uk"
	case strings.HasPrefix(region, "us-isof-"):
		return "aws-iso-f", "csp.hci.ic.gov"
	case strings.HasPrefix(region, "eusc-"):
		return "aws-eusc", "amazonaws.eu"
	}
	return "aws", "amazonaws.com"
}
