package bootstrap_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"go.uber.org/mock/gomock"
	"go.yaml.in/yaml/v3"

	"github.com/sentinel-tools/bootstrap"
)

// A template read back as plain data: mappings are map[string]any,
// sequences []any, scalars string or bool, and an intrinsic function in its
// short form (!Ref X) a cfnFn.
type cfnFn struct {
	Tag string
	Arg any
}

func cfnTree(t *testing.T, n *yaml.Node) any {
	t.Helper()
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		return cfnTree(t, n.Content[0])
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i < len(n.Content); i += 2 {
			m[n.Content[i].Value] = cfnTree(t, n.Content[i+1])
		}
		v = m
	case yaml.SequenceNode:
		s := []any{}
		for _, c := range n.Content {
			s = append(s, cfnTree(t, c))
		}
		v = s
	case yaml.ScalarNode:
		if shortForm(n.Tag) {
			return cfnFn{n.Tag, n.Value}
		}
		if err := n.Decode(&v); err != nil {
			t.Fatal(err)
		}
		return v
	default:
		t.Fatalf("unexpected YAML node %v", n.Kind)
	}
	if shortForm(n.Tag) {
		return cfnFn{n.Tag, v}
	}
	return v
}

// shortForm reports a tag of CloudFormation's short form (!Ref), not one
// of YAML's own (!!str).
func shortForm(tag string) bool { return strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!") }

func parseTemplate(t *testing.T, out []byte) map[string]any {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("the template is not YAML: %v\n%s", err, out)
	}
	return cfnTree(t, &doc).(map[string]any)
}

// cfnResource is one resource of a template, in template order.
type cfnResource struct {
	ID    string
	Type  string
	Props map[string]any
	Raw   map[string]any // the whole resource
}

func cfnResources(t *testing.T, out []byte) []cfnResource {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("the template is not YAML: %v", err)
	}
	var res *yaml.Node
	root := doc.Content[0]
	for i := 0; i < len(root.Content); i += 2 {
		if root.Content[i].Value == "Resources" {
			res = root.Content[i+1]
		}
	}
	if res == nil {
		t.Fatal("the template has no Resources")
	}
	var list []cfnResource
	for i := 0; i < len(res.Content); i += 2 {
		raw := cfnTree(t, res.Content[i+1]).(map[string]any)
		props, _ := raw["Properties"].(map[string]any)
		list = append(list, cfnResource{ID: res.Content[i].Value, Type: raw["Type"].(string), Props: props, Raw: raw})
	}
	return list
}

func cfnNames(rs []cfnResource) (tables, params []string) {
	for _, r := range rs {
		switch r.Type {
		case "AWS::DynamoDB::Table":
			tables = append(tables, r.Props["TableName"].(string))
		case "AWS::SSM::Parameter":
			params = append(params, r.Props["Name"].(string))
		}
	}
	return tables, params
}

func str(v any) *string {
	if v == nil {
		return nil
	}
	return aws.String(v.(string))
}

func keySchema(v any) []types.KeySchemaElement {
	var out []types.KeySchemaElement
	for _, k := range v.([]any) {
		k := k.(map[string]any)
		out = append(out, types.KeySchemaElement{AttributeName: str(k["AttributeName"]), KeyType: types.KeyType(k["KeyType"].(string))})
	}
	return out
}

// cfnCreateTableInput reads a table resource back into the CreateTable
// request it stands for, with the KMS key parameter at kmsKey.
func cfnCreateTableInput(t *testing.T, p map[string]any, kmsKey string) *dynamodb.CreateTableInput {
	t.Helper()
	in := &dynamodb.CreateTableInput{
		TableName:                 str(p["TableName"]),
		KeySchema:                 keySchema(p["KeySchema"]),
		BillingMode:               types.BillingMode(p["BillingMode"].(string)),
		DeletionProtectionEnabled: aws.Bool(p["DeletionProtectionEnabled"].(bool)),
	}
	for _, a := range p["AttributeDefinitions"].([]any) {
		a := a.(map[string]any)
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: str(a["AttributeName"]), AttributeType: types.ScalarAttributeType(a["AttributeType"].(string))})
	}
	if gsis, ok := p["GlobalSecondaryIndexes"]; ok {
		for _, g := range gsis.([]any) {
			g := g.(map[string]any)
			proj := g["Projection"].(map[string]any)
			in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
				IndexName: str(g["IndexName"]), KeySchema: keySchema(g["KeySchema"]),
				Projection: &types.Projection{ProjectionType: types.ProjectionType(proj["ProjectionType"].(string))},
			})
		}
	}
	sse := p["SSESpecification"].(map[string]any)
	in.SSESpecification = &types.SSESpecification{Enabled: aws.Bool(sse["SSEEnabled"].(bool)), SSEType: types.SSEType(sse["SSEType"].(string))}
	wantKey := cfnFn{"!If", []any{"UseTableKMSKey", cfnFn{"!Ref", "TableKMSKey"}, cfnFn{"!Ref", "AWS::NoValue"}}}
	if !reflect.DeepEqual(sse["KMSMasterKeyId"], wantKey) {
		t.Errorf("%s: KMSMasterKeyId = %#v, want the TableKMSKey parameter when set", *in.TableName, sse["KMSMasterKeyId"])
	}
	if kmsKey != "" {
		in.SSESpecification.KMSMasterKeyId = aws.String(kmsKey)
	}
	if tags, ok := p["Tags"]; ok {
		for _, tag := range tags.([]any) {
			tag := tag.(map[string]any)
			in.Tags = append(in.Tags, types.Tag{Key: str(tag["Key"]), Value: str(tag["Value"])})
		}
	}
	return in
}

func cfnParameterInput(p map[string]any) *ssm.PutParameterInput {
	in := &ssm.PutParameterInput{
		Name: str(p["Name"]), Value: str(p["Value"]), Description: str(p["Description"]),
		Type: ssmtypes.ParameterType(p["Type"].(string)), Tier: ssmtypes.ParameterTier(p["Tier"].(string)),
		Overwrite: aws.Bool(false), // Run's; no property of the template
	}
	if tags, ok := p["Tags"].(map[string]any); ok {
		for _, k := range slices.Sorted(mapsKeys(tags)) {
			in.Tags = append(in.Tags, ssmtypes.Tag{Key: aws.String(k), Value: aws.String(tags[k].(string))})
		}
	}
	return in
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// kmsDefault is the default of the template's KMS key parameter.
func kmsDefault(t *testing.T, tpl map[string]any) string {
	t.Helper()
	params, ok := tpl["Parameters"].(map[string]any)
	if !ok {
		return ""
	}
	return params["TableKMSKey"].(map[string]any)["Default"].(string)
}

// Every table and parameter of the template is exactly Run's request, kept
// on deletion and replacement; each table has TTL on its attribute and, when
// asked, point-in-time recovery (moto's CloudFormation ignores both, so this
// is where they are proved); the outputs name each table and its ARN.
func TestExportCloudFormationResourcesAreRunsRequests(t *testing.T) {
	for _, set := range allSets() {
		t.Run(set.name, func(t *testing.T) {
			out := mustExport(t, bootstrap.FormatCloudFormation, set.opts...)
			tpl := parseTemplate(t, out)
			wantTables, wantParams := runRequests(t, set.opts)
			plan := plannedTables(t, set.opts)
			outputs, _ := tpl["Outputs"].(map[string]any)
			tables, params := 0, 0
			for _, r := range cfnResources(t, out) {
				if r.Type == "AWS::DynamoDB::Table" || r.Type == "AWS::SSM::Parameter" {
					if r.Raw["DeletionPolicy"] != "Retain" || r.Raw["UpdateReplacePolicy"] != "Retain" {
						t.Errorf("%s: DeletionPolicy %v, UpdateReplacePolicy %v; want Retain", r.ID, r.Raw["DeletionPolicy"], r.Raw["UpdateReplacePolicy"])
					}
				}
				switch r.Type {
				case "AWS::DynamoDB::Table":
					tables++
					name := r.Props["TableName"].(string)
					want, ok := wantTables[name]
					if !ok {
						t.Errorf("%s: table %s is not one Run creates", r.ID, name)
						continue
					}
					assertSameJSON(t, r.ID, cfnCreateTableInput(t, r.Props, kmsDefault(t, tpl)), want)
					ttlAttr, pitr := plan[name].TTLAttribute, slices.Contains(plan[name].Changes, "enable point-in-time recovery")
					if !slices.Contains(plan[name].Changes, "enable TTL on "+ttlAttr) {
						t.Fatalf("%s: Run plans %q", name, plan[name].Changes)
					}
					if got := r.Props["TimeToLiveSpecification"]; !reflect.DeepEqual(got, map[string]any{"AttributeName": ttlAttr, "Enabled": true}) {
						t.Errorf("%s: TimeToLiveSpecification = %v, want enabled on %s", r.ID, got, ttlAttr)
					}
					got, has := r.Props["PointInTimeRecoverySpecification"]
					if has != pitr || has && !reflect.DeepEqual(got, map[string]any{"PointInTimeRecoveryEnabled": true}) {
						t.Errorf("%s: PointInTimeRecoverySpecification = %v; want enabled: %v", r.ID, got, pitr)
					}
					if sse := r.Props["SSESpecification"].(map[string]any); sse["SSEEnabled"] != true || sse["SSEType"] != "KMS" {
						t.Errorf("%s: SSESpecification = %v, want KMS", r.ID, sse)
					}
					if outputs[r.ID+"Name"].(map[string]any)["Value"] != (cfnFn{"!Ref", r.ID}) ||
						outputs[r.ID+"Arn"].(map[string]any)["Value"] != (cfnFn{"!GetAtt", r.ID + ".Arn"}) {
						t.Errorf("%s: outputs %v", r.ID, outputs)
					}
				case "AWS::SSM::Parameter":
					params++
					want, ok := wantParams[r.Props["Name"].(string)]
					if !ok {
						t.Errorf("%s: parameter %v is not one Run creates", r.ID, r.Props["Name"])
						continue
					}
					assertSameJSON(t, r.ID, cfnParameterInput(r.Props), want)
				}
			}
			if tables != len(wantTables) || params != len(wantParams) {
				t.Errorf("%d tables and %d parameters; Run creates %d and %d", tables, params, len(wantTables), len(wantParams))
			}
		})
	}
}

// With the default options, the tables are exactly the golden
// CreateTableInput files of Run's own tests.
func TestExportCloudFormationTablesMatchGoldenFiles(t *testing.T) {
	out := mustExport(t, bootstrap.FormatCloudFormation, bootstrap.WithAll(), bootstrap.WithRateLimits())
	rs := cfnResources(t, out)
	if len(rs) != 4 {
		t.Fatalf("%d resources, want 4", len(rs))
	}
	for i, purpose := range []string{bootstrap.PurposeApprovals, bootstrap.PurposeBreakGlass, bootstrap.PurposeSessions, bootstrap.PurposeRateLimits} {
		want, err := os.ReadFile(filepath.Join("testdata", "create_table_"+purpose+".golden.json"))
		if err != nil {
			t.Fatal(err)
		}
		if got := canonicalJSON(t, cfnCreateTableInput(t, rs[i].Props, "")); string(got) != string(want) {
			t.Errorf("%s differs from its golden CreateTableInput:\n%s", rs[i].ID, firstDifference(string(want), string(got)))
		}
	}
}

// Ready for StackSets: no ARN, region, partition or account is written out
// (but the KMS key parameter's default, which WithKMSKey gave); ARNs are
// built from the pseudo parameters; IAM policy names hold the region; and
// the documents are Run's, once the pseudo parameters are filled in.
func TestExportCloudFormationIsPortable(t *testing.T) {
	for _, set := range allSets() {
		t.Run(set.name, func(t *testing.T) {
			out := mustExport(t, bootstrap.FormatCloudFormation, set.opts...)
			tpl := parseTemplate(t, out)
			rep := mustRun(t, opts(set.opts, planOnlyMocks(t)...)...)
			region := rep.Region
			// The KMS key, a template parameter: its default stands for it.
			refs := map[string]any{}
			if params, ok := tpl["Parameters"].(map[string]any); ok {
				for name, p := range params {
					if p, ok := p.(map[string]any); ok {
						refs[name] = p["Default"]
					}
				}
			}
			delete(tpl, "Parameters") // the KMS key: its default, and the forms it takes
			walkStrings(tpl, func(s string, fn string) {
				if strings.Contains(s, region) || strings.Contains(s, "123456789012") {
					t.Errorf("the template writes out the region or account: %q", s)
				}
				if strings.Contains(s, "arn:") && (fn != "!Sub" || !strings.Contains(s, "arn:${AWS::Partition}:")) {
					t.Errorf("an ARN not built from AWS::Partition: %q (%s)", s, fn)
				}
			})
			partition := "aws"
			if strings.HasPrefix(region, "cn-") {
				partition = "aws-cn"
			}
			fill := strings.NewReplacer("${AWS::Partition}", partition, "${AWS::Region}", region, "${AWS::AccountId}", "*",
				"${AWS::URLSuffix}", dnsSuffix(region))
			var iam []cfnResource
			for _, r := range cfnResources(t, out) {
				if r.Type == "AWS::IAM::ManagedPolicy" {
					iam = append(iam, r)
				}
			}
			if len(iam) != len(rep.IAMPolicies) {
				t.Fatalf("%d IAM policies; Run's report has %d", len(iam), len(rep.IAMPolicies))
			}
			for i, r := range iam {
				want := rep.IAMPolicies[i]
				if r.Props["ManagedPolicyName"] != (cfnFn{"!Sub", want.Name + suffixOf(set) + "-${AWS::Region}"}) || r.Props["Description"] != want.Description {
					t.Errorf("%s: name %v, description %v; want %s%s-${AWS::Region}, %q", r.ID, r.Props["ManagedPolicyName"], r.Props["Description"], want.Name, suffixOf(set), want.Description)
				}
				assertSameDocument(t, r.ID, resolveFns(r.Props["PolicyDocument"], fill, refs), cfnTableKeyStatement(t, want.Document, partition, region))
			}
		})
	}
}

// cfnTableKeyStatement is Run's IAM document as the template has it: the
// statement about the tables' KMS key, which the template takes as a
// parameter in any form at deploy time, grants any key of the region, used
// only through DynamoDB there.
func cfnTableKeyStatement(t *testing.T, doc json.RawMessage, partition, region string) json.RawMessage {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	for _, st := range d["Statement"].([]any) {
		if st := st.(map[string]any); st["Sid"] == "TableEncryptionKeyViaDynamoDB" {
			st["Resource"] = []any{"arn:" + partition + ":kms:" + region + ":*:key/*"}
			st["Condition"] = map[string]any{"StringEquals": map[string]any{"kms:ViaService": "dynamodb." + region + "." + dnsSuffix(region)}}
		}
	}
	out, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func dnsSuffix(region string) string {
	if strings.HasPrefix(region, "cn-") {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

// suffixOf is the WithNameSuffix of a set, read off a table or parameter
// name it gives.
func suffixOf(set exportSet) string {
	switch set.name {
	case "suffix_names_no_pitr_no_protection":
		return "-blue"
	case "custom names":
		return ".x"
	}
	return ""
}

// walkStrings calls fn with every string of a template tree, and the
// intrinsic function it is the argument of.
func walkStrings(v any, fn func(s, in string)) {
	var walk func(v any, in string)
	walk = func(v any, in string) {
		switch v := v.(type) {
		case string:
			fn(v, in)
		case map[string]any:
			for k, x := range v {
				fn(k, in)
				walk(x, in)
			}
		case []any:
			for _, x := range v {
				walk(x, in)
			}
		case cfnFn:
			walk(v.Arg, v.Tag)
		}
	}
	walk(v, "")
}

// resolveFns replaces each !Sub by its text with the pseudo parameters filled in.
func resolveFns(v any, fill *strings.Replacer, refs map[string]any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			out[k] = resolveFns(x, fill, refs)
		}
		return out
	case []any:
		out := []any{}
		for _, x := range v {
			out = append(out, resolveFns(x, fill, refs))
		}
		return out
	case cfnFn:
		if v.Tag == "!Sub" {
			return fill.Replace(v.Arg.(string))
		}
		if r, ok := refs[fmt.Sprint(v.Arg)]; v.Tag == "!Ref" && ok {
			return r
		}
	}
	return v
}

func assertSameDocument(t *testing.T, what string, got any, want json.RawMessage) {
	t.Helper()
	var w any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var gv any
	if err := json.Unmarshal(g, &gv); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gv, w) {
		t.Errorf("%s: document\n%s\nwant Run's\n%s", what, g, want)
	}
}

// plannedTables are the table results of Run's plan where nothing exists
// yet, by name: what Run does after CreateTable (TTL, point-in-time recovery).
func plannedTables(t *testing.T, o []bootstrap.Option) map[string]bootstrap.TableResult {
	t.Helper()
	out := map[string]bootstrap.TableResult{}
	for _, r := range mustRun(t, opts(o, planOnlyMocks(t)...)...).Tables {
		out[r.Name] = r
	}
	return out
}

// planOnlyMocks are clients for a plan in which nothing exists yet.
func planOnlyMocks(t *testing.T) []bootstrap.Option {
	t.Helper()
	s, d := newMocks(t)
	s.EXPECT().GetParameters(gomock.Any(), gomock.Any(), gomock.Any()).Return(&ssm.GetParametersOutput{}, nil).AnyTimes()
	d.EXPECT().DescribeTable(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil, notFound("any")).AnyTimes()
	return opts(clients(s, d), bootstrap.WithPlanOnly())
}
