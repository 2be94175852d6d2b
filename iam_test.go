package bootstrap_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sentinel-tools/bootstrap"
)

// iamDoc is an IAM policy document as the tests read it.
type iamDoc struct {
	Version   string
	Statement []struct {
		Sid       string
		Effect    string
		Action    []string
		Resource  []string
		Condition map[string]map[string]string
	}
}

// iamOptionSet is one set of options whose documents are checked.
type iamOptionSet struct {
	name     string
	region   string
	opts     []bootstrap.Option
	profiles bool
	tables   []string // purposes selected
	tags     bool
	kmsKey   string // WithKMSKey, as given
	signing  string // WithPolicySigning, as given
	pitr     bool
}

var (
	iamKeyARN     = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	iamSignKeyARN = "arn:aws:kms:us-east-1:123456789012:key/99999999-12ab-34cd-56ef-1234567890ab"
)

func iamOptionSets() []iamOptionSet {
	all := []string{bootstrap.PurposeApprovals, bootstrap.PurposeBreakGlass, bootstrap.PurposeSessions}
	tags := map[string]string{"team": "platform", "env": "prod"}
	return []iamOptionSet{
		{name: "profiles_only", opts: vtOpts(bootstrap.WithProfiles("dev", "prod")), profiles: true, pitr: true},
		{name: "all", opts: vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithAll()), profiles: true, tables: all, pitr: true},
		{name: "all_tags_kms", opts: vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithAll(), bootstrap.WithTags(tags), bootstrap.WithKMSKey(iamKeyARN)),
			profiles: true, tables: all, tags: true, kmsKey: iamKeyARN, pitr: true},
		{name: "no_pitr", opts: vtOpts(bootstrap.WithAll(), bootstrap.WithoutPointInTimeRecovery()), tables: all},
		{name: "signing_tags_kms_alias_ratelimits", opts: vtOpts(bootstrap.WithProfiles("dev", "prod"), bootstrap.WithAll(), bootstrap.WithRateLimits(),
			bootstrap.WithTags(tags), bootstrap.WithKMSKey("alias/sentinel-tables"), bootstrap.WithPolicySigning(iamSignKeyARN)),
			profiles: true, tables: append(slices.Clone(all), bootstrap.PurposeRateLimits), tags: true, kmsKey: "alias/sentinel-tables", signing: iamSignKeyARN, pitr: true},
	}
}

// More option sets, checked structurally but without golden files.
func iamMoreOptionSets() []iamOptionSet {
	return []iamOptionSet{
		{name: "sessions_only_tags", opts: vtOpts(bootstrap.WithSessions(), bootstrap.WithTags(map[string]string{"a": "b"})),
			tables: []string{bootstrap.PurposeSessions}, tags: true, pitr: true},
		{name: "profiles_tags", opts: vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithTags(map[string]string{"a": "b"})), profiles: true, tags: true, pitr: true},
		{name: "approvals_breakglass_kms_alias_no_pitr", opts: vtOpts(bootstrap.WithApprovals(), bootstrap.WithBreakGlass(), bootstrap.WithKMSKey("alias/sentinel"), bootstrap.WithoutPointInTimeRecovery()),
			tables: []string{bootstrap.PurposeApprovals, bootstrap.PurposeBreakGlass}, kmsKey: "alias/sentinel"},
		{name: "kms_key_id", opts: vtOpts(bootstrap.WithSessions(), bootstrap.WithKMSKey(vtKeyID)), tables: []string{bootstrap.PurposeSessions}, kmsKey: vtKeyID, pitr: true},
		{name: "kms_alias_arn", opts: vtOpts(bootstrap.WithSessions(), bootstrap.WithKMSKey("arn:aws:kms:us-east-1:210987654321:alias/shared")),
			tables: []string{bootstrap.PurposeSessions}, kmsKey: "arn:aws:kms:us-east-1:210987654321:alias/shared", pitr: true},
		{name: "china", region: "cn-north-1", opts: vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithAll()),
			profiles: true, tables: []string{bootstrap.PurposeApprovals, bootstrap.PurposeBreakGlass, bootstrap.PurposeSessions}, pitr: true},
		{name: "govcloud", region: "us-gov-west-1", opts: vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithSessions()),
			profiles: true, tables: []string{bootstrap.PurposeSessions}, pitr: true},
		{name: "root_suffix_names", opts: vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithPolicyRoot("/team/sentinel/"), bootstrap.WithAll(),
			bootstrap.WithApprovalTable("req"), bootstrap.WithNameSuffix("-ci7")),
			profiles: true, tables: []string{bootstrap.PurposeApprovals, bootstrap.PurposeBreakGlass, bootstrap.PurposeSessions}, pitr: true},
		{name: "signing_alias_other_root", opts: vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithPolicyRoot("/team/policies"), bootstrap.WithPolicySigning("alias/sentinel-signing")),
			profiles: true, signing: "alias/sentinel-signing", pitr: true},
		{name: "signing_key_id_china_suffix", region: "cn-north-1", opts: vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithNameSuffix("-x"), bootstrap.WithPolicySigning(vtKeyID)),
			profiles: true, signing: vtKeyID, pitr: true},
		{name: "signing_alias_arn", opts: vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithPolicySigning("arn:aws:kms:us-east-1:210987654321:alias/sign")),
			profiles: true, signing: "arn:aws:kms:us-east-1:210987654321:alias/sign", pitr: true},
	}
}

// iamPolicies plans the options with WithIAMPolicies and returns the report.
func iamPlan(t *testing.T, set iamOptionSet) *bootstrap.Report {
	t.Helper()
	region := set.region
	if region == "" {
		region = "us-east-1"
	}
	rep, _ := vtPlan(t, aws.Config{Region: region}, append(slices.Clone(set.opts), bootstrap.WithIAMPolicies())...)
	return rep
}

func TestIAMGolden(t *testing.T) {
	for _, set := range iamOptionSets() {
		t.Run(set.name, func(t *testing.T) {
			rep := iamPlan(t, set)
			got, err := json.MarshalIndent(rep.IAMPolicies, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			assertGoldenBytes(t, "iam_"+set.name+".golden.json", append(got, '\n'))
		})
	}
}

func TestIAMDocuments(t *testing.T) {
	for _, set := range append(iamOptionSets(), iamMoreOptionSets()...) {
		t.Run(set.name, func(t *testing.T) {
			rep := iamPlan(t, set)
			checkIAMPolicies(t, rep, set)
		})
	}
}

// Without WithIAMPolicies the report has none, and the JSON omits the field.
func TestIAMPoliciesOnlyWhenAsked(t *testing.T) {
	rep, _ := vtPlan(t, aws.Config{Region: "us-east-1"}, bootstrap.WithProfiles("dev"), bootstrap.WithAll())
	if rep.IAMPolicies != nil {
		t.Errorf("IAMPolicies = %v; want none without WithIAMPolicies", rep.IAMPolicies)
	}
	b, _ := json.Marshal(rep)
	if bytes.Contains(b, []byte("iam_policies")) {
		t.Errorf("the report JSON has iam_policies without WithIAMPolicies: %s", b)
	}
}

// iamPartition is the ARN partition of a region, by the region patterns of
// the SDK's partitions.json (aws-sdk-go-v2 internal/endpoints/awsrulesfn).
func iamPartition(region string) string {
	for _, p := range []struct{ pattern, partition string }{
		{`^cn-\w+-\d+$`, "aws-cn"},
		{`^us-gov-\w+-\d+$`, "aws-us-gov"},
		{`^us-iso-\w+-\d+$`, "aws-iso"},
		{`^us-isob-\w+-\d+$`, "aws-iso-b"},
		{`^eu-isoe-\w+-\d+$`, "aws-iso-e"},
		{`^us-isof-\w+-\d+$`, "aws-iso-f"},
		{`^eusc-(de)-\w+-\d+$`, "aws-eusc"},
	} {
		if regexp.MustCompile(p.pattern).MatchString(region) {
			return p.partition
		}
	}
	return "aws"
}

// iamKeyResource is the Resource and Condition a statement about a KMS key
// given as key must have, as iam.go documents it: IAM authorizes KMS
// operations against the key's ARN, never an alias (AWS KMS developer guide,
// "Use aliases to control access to KMS keys"), so an alias is a pattern of
// keys narrowed by kms:ResourceAliases.
func iamKeyResource(key, part, region string) (string, map[string]map[string]string) {
	aliasCond := func(alias string) map[string]map[string]string {
		return map[string]map[string]string{"ForAnyValue:StringEquals": {"kms:ResourceAliases": alias}}
	}
	switch {
	case strings.Contains(key, ":key/"):
		return key, nil
	case strings.HasPrefix(key, "arn:"):
		f := strings.SplitN(key, ":", 6)
		return fmt.Sprintf("arn:%s:kms:%s:%s:key/*", part, region, f[4]), aliasCond(f[5])
	case strings.HasPrefix(key, "alias/"):
		return fmt.Sprintf("arn:%s:kms:%s:*:key/*", part, region), aliasCond(key)
	}
	return fmt.Sprintf("arn:%s:kms:%s:*:key/%s", part, region, key), nil
}

// iamStatementWant is one statement a document must have, exactly.
type iamStatementWant struct {
	sid       string
	actions   []string
	resources []string
	cond      map[string]map[string]string
}

// iamExpect checks that d has exactly the statements want, in order.
func iamExpect(t *testing.T, name string, d iamDoc, want ...iamStatementWant) {
	t.Helper()
	if len(d.Statement) != len(want) {
		t.Errorf("%s: %d statements; want %d: %+v", name, len(d.Statement), len(want), d.Statement)
		return
	}
	for i, w := range want {
		st := d.Statement[i]
		if st.Sid != w.sid || !slices.Equal(st.Action, w.actions) || !slices.Equal(st.Resource, w.resources) || !maps.EqualFunc(st.Condition, w.cond, maps.Equal) {
			t.Errorf("%s statement %d: %s %v on %v if %v; want %s %v on %v if %v", name, i, st.Sid, st.Action, st.Resource, st.Condition, w.sid, w.actions, w.resources, w.cond)
		}
	}
}

// checkIAMPolicies checks every document of a report against the options, as
// issues 2, 8 and 11 and iam.go describe them.
func checkIAMPolicies(t *testing.T, rep *bootstrap.Report, set iamOptionSet) {
	t.Helper()
	part := iamPartition(rep.Region)
	ssmARN := func(name string) string { return fmt.Sprintf("arn:%s:ssm:%s:*:parameter%s", part, rep.Region, name) }
	root, params := ssmARN(rep.PolicyRoot), ssmARN(rep.PolicyRoot+"/*")
	// Sentinel's signature names of the root's policies (CONTRACT.md §3).
	sigs := ssmARN("/sentinel/signatures" + rep.PolicyRoot + "/*")
	if rest, ok := strings.CutPrefix(rep.PolicyRoot, "/sentinel/policies/"); ok {
		sigs = ssmARN("/sentinel/signatures/" + rest + "/*")
	} else if rep.PolicyRoot == "/sentinel/policies" {
		sigs = ssmARN("/sentinel/signatures/*")
	}
	tableNames := map[string]string{}
	for _, tr := range rep.Tables {
		tableNames[tr.Purpose] = tr.Name
	}
	tableARN := func(name string) string { return fmt.Sprintf("arn:%s:dynamodb:%s:*:table/%s", part, rep.Region, name) }

	wantNames := []string{bootstrap.IAMPolicyReader, bootstrap.IAMPolicyAdmin}
	perTable := map[string]string{
		bootstrap.PurposeApprovals:  bootstrap.IAMPolicyApprovalTable,
		bootstrap.PurposeBreakGlass: bootstrap.IAMPolicyBreakGlassTable,
		bootstrap.PurposeSessions:   bootstrap.IAMPolicySessionTable,
		bootstrap.PurposeRateLimits: bootstrap.IAMPolicyRateLimitTable,
	}
	for _, p := range set.tables {
		wantNames = append(wantNames, perTable[p])
	}
	wantNames = append(wantNames, bootstrap.IAMPolicyBootstrap)
	var names []string
	docs := map[string]iamDoc{}
	for _, p := range rep.IAMPolicies {
		names = append(names, p.Name)
		if p.Description == "" {
			t.Errorf("%s has no description", p.Name)
		}
		if !json.Valid(p.Document) {
			t.Fatalf("%s: not valid JSON: %s", p.Name, p.Document)
		}
		var d iamDoc
		dec := json.NewDecoder(bytes.NewReader(p.Document))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
			t.Fatalf("%s: %v: %s", p.Name, err, p.Document)
		}
		if d.Version != "2012-10-17" {
			t.Errorf("%s: Version %q", p.Name, d.Version)
		}
		if len(d.Statement) == 0 {
			t.Errorf("%s: no statement", p.Name)
		}
		sids := map[string]bool{}
		for _, st := range d.Statement {
			if st.Effect != "Allow" || len(st.Action) == 0 || len(st.Resource) == 0 {
				t.Errorf("%s/%s: Effect %q, %d actions, %d resources; want Allow and some of each", p.Name, st.Sid, st.Effect, len(st.Action), len(st.Resource))
			}
			if st.Sid == "" || sids[st.Sid] {
				t.Errorf("%s: Sid %q empty or repeated", p.Name, st.Sid)
			}
			sids[st.Sid] = true
			for _, a := range st.Action {
				if a != strings.TrimSpace(a) || !regexp.MustCompile(`^(ssm|dynamodb|kms):[A-Z][A-Za-z]+$`).MatchString(a) {
					t.Errorf("%s: action %q", p.Name, a)
				}
			}
			if len(slices.Compact(slices.Sorted(slices.Values(st.Action)))) != len(st.Action) {
				t.Errorf("%s/%s: repeated action in %v", p.Name, st.Sid, st.Action)
			}
			for _, r := range st.Resource {
				if r == "*" {
					t.Errorf("%s/%s: Resource \"*\"; every statement names its resources", p.Name, st.Sid)
				}
				if !strings.HasPrefix(r, "arn:"+part+":") {
					t.Errorf("%s: resource %q not in partition %s", p.Name, r, part)
				}
				if !strings.Contains(r, ":"+rep.Region+":") {
					t.Errorf("%s: resource %q not in region %s", p.Name, r, rep.Region)
				}
			}
		}
		docs[p.Name] = d
	}
	if !slices.Equal(names, wantNames) {
		t.Fatalf("policies %v; want %v", names, wantNames)
	}

	var signKey string
	var signCond map[string]map[string]string
	if set.signing != "" {
		signKey, signCond = iamKeyResource(set.signing, part, rep.Region)
	}

	// Reader and admin. Sentinel reads a policy with GetParameter and lists
	// the root with GetParametersByPath, which IAM authorizes against the
	// path itself (AWS Systems Manager user guide, "How Parameter Store
	// authorizes parameter retrieval").
	read := []string{"ssm:GetParameter", "ssm:GetParameters"}
	manage := append(slices.Clone(read), "ssm:PutParameter", "ssm:DeleteParameter", "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource")
	list := iamStatementWant{"ListPolicies", []string{"ssm:GetParametersByPath"}, []string{root}, nil}
	reader := []iamStatementWant{{"ReadPolicies", read, []string{params}, nil}, list}
	admin := []iamStatementWant{{"ManagePolicies", manage, []string{params}, nil}, list}
	if set.signing != "" {
		reader = append(reader,
			iamStatementWant{"ReadPolicySignatures", []string{"ssm:GetParameter"}, []string{sigs}, nil},
			iamStatementWant{"VerifyPolicySignatures", []string{"kms:Verify"}, []string{signKey}, signCond})
		admin = append(admin,
			iamStatementWant{"ManagePolicySignatures", manage, []string{sigs}, nil},
			iamStatementWant{"SignPolicies", []string{"kms:Sign"}, []string{signKey}, signCond})
	}
	iamExpect(t, bootstrap.IAMPolicyReader, docs[bootstrap.IAMPolicyReader], reader...)
	iamExpect(t, bootstrap.IAMPolicyAdmin, docs[bootstrap.IAMPolicyAdmin], admin...)

	// One per table: the rate limiter only calls UpdateItem, on a table
	// without indexes.
	data := []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:Scan"}
	var tables []string
	for _, p := range set.tables {
		arn := tableARN(tableNames[p])
		tables = append(tables, arn)
		if p == bootstrap.PurposeRateLimits {
			iamExpect(t, perTable[p], docs[perTable[p]], iamStatementWant{"UseTable", []string{"dynamodb:UpdateItem"}, []string{arn}, nil})
			continue
		}
		iamExpect(t, perTable[p], docs[perTable[p]], iamStatementWant{"UseTable", data, []string{arn, arn + "/index/*"}, nil})
	}

	// Bootstrap: exactly what Run calls for these options.
	var want []iamStatementWant
	if set.profiles {
		ssmActions := []string{"ssm:GetParameters", "ssm:PutParameter"}
		if set.tags {
			ssmActions = append(ssmActions, "ssm:AddTagsToResource")
		}
		want = append(want, iamStatementWant{"PolicyParameters", ssmActions, []string{params}, nil})
		if set.signing != "" {
			want = append(want,
				iamStatementWant{"PolicySignatureParameters", ssmActions, []string{sigs}, nil},
				iamStatementWant{"PolicySigningKey", []string{"kms:DescribeKey", "kms:Sign", "kms:Verify"}, []string{signKey}, signCond})
		}
	}
	if len(set.tables) > 0 {
		ddb := []string{"dynamodb:DescribeTable", "dynamodb:CreateTable", "dynamodb:UpdateTable", "dynamodb:DescribeTimeToLive", "dynamodb:UpdateTimeToLive"}
		if set.pitr {
			ddb = append(ddb, "dynamodb:DescribeContinuousBackups", "dynamodb:UpdateContinuousBackups")
		}
		if set.tags {
			ddb = append(ddb, "dynamodb:ListTagsOfResource", "dynamodb:TagResource")
		}
		want = append(want, iamStatementWant{"Tables", ddb, tables, nil})
		// The table key is used by DynamoDB on the caller's behalf only
		// (kms:ViaService); the AWS-managed key needs nothing (its key policy
		// lets the account's principals use it through DynamoDB).
		if set.kmsKey != "" {
			res, cond := iamKeyResource(set.kmsKey, part, rep.Region)
			cond = maps.Clone(cond)
			if cond == nil {
				cond = map[string]map[string]string{}
			}
			suffix := map[string]string{"aws-cn": "amazonaws.com.cn", "aws-iso": "c2s.ic.gov"}[part]
			if suffix == "" {
				suffix = "amazonaws.com"
			}
			cond["StringEquals"] = map[string]string{"kms:ViaService": "dynamodb." + rep.Region + "." + suffix}
			want = append(want, iamStatementWant{"TableEncryptionKeyViaDynamoDB", []string{"kms:DescribeKey", "kms:CreateGrant"}, []string{res}, cond})
		}
	}
	iamExpect(t, bootstrap.IAMPolicyBootstrap, docs[bootstrap.IAMPolicyBootstrap], want...)
}

func TestIAMPartitions(t *testing.T) {
	for region, part := range map[string]string{
		"us-east-1":       "aws",
		"eu-central-1":    "aws",
		"cn-north-1":      "aws-cn",
		"cn-northwest-1":  "aws-cn",
		"us-gov-west-1":   "aws-us-gov",
		"us-gov-east-1":   "aws-us-gov",
		"us-iso-east-1":   "aws-iso",
		"us-isob-east-1":  "aws-iso-b",
		"eu-isoe-west-1":  "aws-iso-e",
		"us-isof-south-1": "aws-iso-f",
		"eusc-de-east-1":  "aws-eusc",
	} {
		t.Run(region, func(t *testing.T) {
			rep, _ := vtPlan(t, aws.Config{Region: region}, bootstrap.WithProfiles("dev"), bootstrap.WithAll(), bootstrap.WithIAMPolicies())
			for _, p := range rep.IAMPolicies {
				for _, arn := range regexp.MustCompile(`arn:[^"]*`).FindAllString(string(p.Document), -1) {
					if !strings.HasPrefix(arn, "arn:"+part+":") || !strings.Contains(arn, ":"+region+":") {
						t.Errorf("%s: %s; want partition %s, region %s", p.Name, arn, part, region)
					}
				}
			}
		})
	}
}

// The KMS statement names DynamoDB's endpoint in the region's partition.
func TestIAMKMSViaServicePerPartition(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1":     "dynamodb.us-east-1.amazonaws.com",
		"cn-north-1":    "dynamodb.cn-north-1.amazonaws.com.cn",
		"us-iso-east-1": "dynamodb.us-iso-east-1.c2s.ic.gov",
	} {
		rep := iamPlan(t, iamOptionSet{name: region, region: region, opts: vtOpts(bootstrap.WithSessions(), bootstrap.WithKMSKey("alias/sentinel"))})
		var doc iamDoc
		for _, p := range rep.IAMPolicies {
			if p.Name == bootstrap.IAMPolicyBootstrap {
				if err := json.Unmarshal(p.Document, &doc); err != nil {
					t.Fatal(err)
				}
			}
		}
		got := ""
		for _, st := range doc.Statement {
			if v, ok := st.Condition["StringEquals"]["kms:ViaService"]; ok {
				got = v
			}
		}
		if got != want {
			t.Errorf("%s: kms:ViaService %q, want %q", region, got, want)
		}
	}
}
