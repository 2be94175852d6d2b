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
	kms      bool
	pitr     bool
}

var iamKeyARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

func iamOptionSets() []iamOptionSet {
	all := []string{bootstrap.PurposeApprovals, bootstrap.PurposeBreakGlass, bootstrap.PurposeSessions}
	tags := map[string]string{"team": "platform", "env": "prod"}
	return []iamOptionSet{
		{name: "profiles_only", opts: vtOpts(bootstrap.WithProfiles("dev", "prod")), profiles: true, pitr: true},
		{name: "all", opts: vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithAll()), profiles: true, tables: all, pitr: true},
		{name: "all_tags_kms", opts: vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithAll(), bootstrap.WithTags(tags), bootstrap.WithKMSKey(iamKeyARN)),
			profiles: true, tables: all, tags: true, kms: true, pitr: true},
		{name: "no_pitr", opts: vtOpts(bootstrap.WithAll(), bootstrap.WithoutPointInTimeRecovery()), tables: all},
	}
}

// More option sets, checked structurally but without golden files.
func iamMoreOptionSets() []iamOptionSet {
	return []iamOptionSet{
		{name: "sessions_only_tags", opts: vtOpts(bootstrap.WithSessions(), bootstrap.WithTags(map[string]string{"a": "b"})),
			tables: []string{bootstrap.PurposeSessions}, tags: true, pitr: true},
		{name: "profiles_tags", opts: vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithTags(map[string]string{"a": "b"})), profiles: true, tags: true, pitr: true},
		{name: "approvals_breakglass_kms_alias_no_pitr", opts: vtOpts(bootstrap.WithApprovals(), bootstrap.WithBreakGlass(), bootstrap.WithKMSKey("alias/sentinel"), bootstrap.WithoutPointInTimeRecovery()),
			tables: []string{bootstrap.PurposeApprovals, bootstrap.PurposeBreakGlass}, kms: true},
		{name: "china", region: "cn-north-1", opts: vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithAll()),
			profiles: true, tables: []string{bootstrap.PurposeApprovals, bootstrap.PurposeBreakGlass, bootstrap.PurposeSessions}, pitr: true},
		{name: "govcloud", region: "us-gov-west-1", opts: vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithSessions()),
			profiles: true, tables: []string{bootstrap.PurposeSessions}, pitr: true},
		{name: "root_suffix_names", opts: vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithPolicyRoot("/team/sentinel/"), bootstrap.WithAll(),
			bootstrap.WithApprovalTable("req"), bootstrap.WithNameSuffix("-ci7")),
			profiles: true, tables: []string{bootstrap.PurposeApprovals, bootstrap.PurposeBreakGlass, bootstrap.PurposeSessions}, pitr: true},
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

// checkIAMPolicies checks every document of a report against the options, as
// issue 2 and iam.go describe them.
func checkIAMPolicies(t *testing.T, rep *bootstrap.Report, set iamOptionSet) {
	t.Helper()
	part := iamPartition(rep.Region)
	params := fmt.Sprintf("arn:%s:ssm:%s:*:parameter%s/*", part, rep.Region, rep.PolicyRoot)
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
				if r != "*" && !strings.HasPrefix(r, "arn:"+part+":") {
					t.Errorf("%s: resource %q not in partition %s", p.Name, r, part)
				}
				if r != "*" && !strings.Contains(r, ":"+rep.Region+":") {
					t.Errorf("%s: resource %q not in region %s", p.Name, r, rep.Region)
				}
			}
		}
		docs[p.Name] = d
	}
	if !slices.Equal(names, wantNames) {
		t.Fatalf("policies %v; want %v", names, wantNames)
	}

	// Reader and admin.
	reader := []string{"ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"}
	admin := append(slices.Clone(reader), "ssm:PutParameter", "ssm:DeleteParameter", "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource")
	iamExpectOne(t, docs[bootstrap.IAMPolicyReader], reader, []string{params})
	iamExpectOne(t, docs[bootstrap.IAMPolicyAdmin], admin, []string{params})

	// One per table.
	data := []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:Scan"}
	var tables []string
	for _, p := range set.tables {
		arn := tableARN(tableNames[p])
		tables = append(tables, arn)
		iamExpectOne(t, docs[perTable[p]], data, []string{arn, arn + "/index/*"})
	}

	// Bootstrap: exactly what Run calls for these options.
	boot := docs[bootstrap.IAMPolicyBootstrap]
	var wantSSM, wantDDB []string
	if set.profiles {
		wantSSM = []string{"ssm:GetParameters", "ssm:PutParameter"}
		if set.tags {
			wantSSM = append(wantSSM, "ssm:AddTagsToResource")
		}
	}
	if len(set.tables) > 0 {
		wantDDB = []string{"dynamodb:DescribeTable", "dynamodb:CreateTable", "dynamodb:UpdateTable", "dynamodb:DescribeTimeToLive", "dynamodb:UpdateTimeToLive"}
		if set.pitr {
			wantDDB = append(wantDDB, "dynamodb:DescribeContinuousBackups", "dynamodb:UpdateContinuousBackups")
		}
		if set.tags {
			wantDDB = append(wantDDB, "dynamodb:ListTagsOfResource", "dynamodb:TagResource")
		}
	}
	var gotSSM, gotDDB, gotKMS []string
	for _, st := range boot.Statement {
		for _, a := range st.Action {
			switch {
			case strings.HasPrefix(a, "ssm:"):
				gotSSM = append(gotSSM, a)
				if !slices.Equal(st.Resource, []string{params}) {
					t.Errorf("bootstrap: %s on %v; want %s", a, st.Resource, params)
				}
			case strings.HasPrefix(a, "dynamodb:"):
				gotDDB = append(gotDDB, a)
				if !slices.Equal(st.Resource, tables) {
					t.Errorf("bootstrap: %s on %v; want exactly the selected tables %v", a, st.Resource, tables)
				}
			case strings.HasPrefix(a, "kms:"):
				gotKMS = append(gotKMS, a)
				want := map[string]map[string]string{"StringEquals": {"kms:ViaService": "dynamodb." + rep.Region + ".amazonaws.com"}}
				if !slices.Equal(st.Resource, []string{"*"}) || !maps.EqualFunc(st.Condition, want, maps.Equal) {
					t.Errorf("bootstrap: %s on %v if %v; want * only via DynamoDB", a, st.Resource, st.Condition)
				}
			}
		}
	}
	sortEq := func(a, b []string) bool {
		return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
	}
	if !sortEq(gotSSM, wantSSM) {
		t.Errorf("bootstrap SSM actions %v; want %v", gotSSM, wantSSM)
	}
	if !sortEq(gotDDB, wantDDB) {
		t.Errorf("bootstrap DynamoDB actions %v; want %v", gotDDB, wantDDB)
	}
	if wantKMS := set.kms && len(set.tables) > 0; wantKMS != (len(gotKMS) > 0) {
		t.Errorf("bootstrap KMS actions %v; want some: %v", gotKMS, wantKMS)
	}
	if len(set.tables) == 0 {
		for _, st := range boot.Statement {
			for _, r := range st.Resource {
				if strings.Contains(r, ":dynamodb:") {
					t.Errorf("bootstrap: a DynamoDB resource %s with no table selected", r)
				}
			}
		}
	}
}

func iamExpectOne(t *testing.T, d iamDoc, actions, resources []string) {
	t.Helper()
	if len(d.Statement) != 1 {
		t.Fatalf("%d statements; want 1", len(d.Statement))
	}
	st := d.Statement[0]
	if !slices.Equal(st.Action, actions) || !slices.Equal(st.Resource, resources) {
		t.Errorf("statement %s: %v on %v; want %v on %v", st.Sid, st.Action, st.Resource, actions, resources)
	}
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
