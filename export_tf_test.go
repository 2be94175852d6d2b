package bootstrap_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/sentinel-tools/bootstrap"
)

// A Terraform export read back with hclparse: every block, every attribute
// evaluated (jsonencode included).
type tfBlock struct {
	typ    string
	labels []string
	attrs  map[string]cty.Value
	exprs  map[string]hclsyntax.Expression
	blocks []*tfBlock
}

func (b *tfBlock) children(typ string) []*tfBlock {
	var out []*tfBlock
	for _, c := range b.blocks {
		if c.typ == typ {
			out = append(out, c)
		}
	}
	return out
}

func (b *tfBlock) child(t *testing.T, typ string) *tfBlock {
	t.Helper()
	cs := b.children(typ)
	if len(cs) != 1 {
		t.Fatalf("%v: %d %s blocks, want 1", b.labels, len(cs), typ)
	}
	return cs[0]
}

func (b *tfBlock) str(name string) string {
	v, ok := b.attrs[name]
	if !ok || v.IsNull() {
		return ""
	}
	return v.AsString()
}

func (b *tfBlock) boolean(t *testing.T, name string) bool {
	t.Helper()
	v, ok := b.attrs[name]
	if !ok {
		t.Fatalf("%v has no %s", b.labels, name)
	}
	return v.True()
}

func (b *tfBlock) stringMap(name string) map[string]string {
	v, ok := b.attrs[name]
	if !ok {
		return nil
	}
	out := map[string]string{}
	for k, x := range v.AsValueMap() {
		out[k] = x.AsString()
	}
	return out
}

var tfFunctions = map[string]function.Function{"jsonencode": stdlib.JSONEncodeFunc}

func readTFBlock(t *testing.T, b *hclsyntax.Block) *tfBlock {
	t.Helper()
	out := &tfBlock{typ: b.Type, labels: b.Labels, attrs: map[string]cty.Value{}, exprs: map[string]hclsyntax.Expression{}}
	for name, a := range b.Body.Attributes {
		out.exprs[name] = a.Expr
		if v, diags := a.Expr.Value(&hcl.EvalContext{Functions: tfFunctions}); !diags.HasErrors() {
			out.attrs[name] = v
		}
	}
	for _, c := range b.Body.Blocks {
		out.blocks = append(out.blocks, readTFBlock(t, c))
	}
	return out
}

type tfConfig struct{ blocks []*tfBlock }

func parseTerraform(t *testing.T, src []byte) *tfConfig {
	t.Helper()
	f, diags := hclparse.NewParser().ParseHCL(src, "export.tf")
	if diags.HasErrors() {
		t.Fatalf("the export is not HCL: %v\n%s", diags, src)
	}
	c := &tfConfig{}
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		c.blocks = append(c.blocks, readTFBlock(t, b))
	}
	return c
}

func (c *tfConfig) resources(typ string) []*tfBlock {
	var out []*tfBlock
	for _, b := range c.blocks {
		if b.typ == "resource" && b.labels[0] == typ {
			out = append(out, b)
		}
	}
	return out
}

func (c *tfConfig) names() (tables, params []string) {
	for _, b := range c.resources("aws_dynamodb_table") {
		tables = append(tables, b.str("name"))
	}
	for _, b := range c.resources("aws_ssm_parameter") {
		params = append(params, b.str("name"))
	}
	return tables, params
}

// tfCreateTableInput reads an aws_dynamodb_table back into the CreateTable
// request it stands for, as the provider sends it.
func tfCreateTableInput(t *testing.T, b *tfBlock) *dynamodb.CreateTableInput {
	t.Helper()
	in := &dynamodb.CreateTableInput{
		TableName:                 aws.String(b.str("name")),
		BillingMode:               types.BillingMode(b.str("billing_mode")),
		KeySchema:                 []types.KeySchemaElement{{AttributeName: aws.String(b.str("hash_key")), KeyType: types.KeyTypeHash}},
		DeletionProtectionEnabled: aws.Bool(b.boolean(t, "deletion_protection_enabled")),
	}
	for _, a := range b.children("attribute") {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(a.str("name")), AttributeType: types.ScalarAttributeType(a.str("type"))})
	}
	for _, g := range b.children("global_secondary_index") {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName: aws.String(g.str("name")),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(g.str("hash_key")), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(g.str("range_key")), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionType(g.str("projection_type"))},
		})
	}
	sse := b.child(t, "server_side_encryption")
	in.SSESpecification = &types.SSESpecification{Enabled: aws.Bool(sse.boolean(t, "enabled"))}
	if sse.boolean(t, "enabled") {
		in.SSESpecification.SSEType = types.SSETypeKms // the provider's enabled = true
	}
	if key := sse.str("kms_key_arn"); key != "" {
		in.SSESpecification.KMSMasterKeyId = aws.String(key)
	}
	tags := b.stringMap("tags")
	for _, k := range slices.Sorted(mapsKeys(tags)) {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return in
}

func tfParameterInput(b *tfBlock) *ssm.PutParameterInput {
	in := &ssm.PutParameterInput{
		Name: aws.String(b.str("name")), Value: aws.String(b.str("value")), Description: aws.String(b.str("description")),
		Type: ssmtypes.ParameterType(b.str("type")), Tier: ssmtypes.ParameterTier(b.str("tier")),
		Overwrite: aws.Bool(false),
	}
	tags := b.stringMap("tags")
	for _, k := range slices.Sorted(mapsKeys(tags)) {
		in.Tags = append(in.Tags, ssmtypes.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return in
}

// traversals are the names an expression like [value] lists.
func traversals(t *testing.T, e hclsyntax.Expression) []string {
	t.Helper()
	list, diags := hcl.ExprList(e)
	if diags.HasErrors() {
		t.Fatalf("not a list: %v", diags)
	}
	var out []string
	for _, x := range list {
		tr, diags := hcl.AbsTraversalForExpr(x)
		if diags.HasErrors() {
			t.Fatalf("not a traversal: %v", diags)
		}
		out = append(out, tr.RootName())
	}
	return out
}

// Parsed back, every table is Run's CreateTable request, attribute for
// attribute, with Run's TTL and point-in-time recovery and prevent_destroy;
// every parameter is Run's PutParameter request with ignore_changes =
// [value]; every IAM policy is Run's document, named with the suffix and
// the region.
func TestExportTerraformParsedBackIsRun(t *testing.T) {
	for _, set := range allSets() {
		if !terraformOK(set) {
			continue
		}
		t.Run(set.name, func(t *testing.T) {
			tf := parseTerraform(t, mustExport(t, bootstrap.FormatTerraform, set.opts...))
			wantTables, wantParams := runRequests(t, set.opts)
			plan := plannedTables(t, set.opts)
			rep := mustRun(t, opts(set.opts, planOnlyMocks(t)...)...)

			tables := tf.resources("aws_dynamodb_table")
			if len(tables) != len(wantTables) {
				t.Errorf("%d tables; Run creates %d", len(tables), len(wantTables))
			}
			for _, b := range tables {
				name := b.str("name")
				want, ok := wantTables[name]
				if !ok {
					t.Errorf("table %s is not one Run creates", name)
					continue
				}
				assertSameJSON(t, "table "+name, tfCreateTableInput(t, b), want)
				ttl := b.child(t, "ttl")
				if ttl.str("attribute_name") != plan[name].TTLAttribute || !ttl.boolean(t, "enabled") {
					t.Errorf("%s: ttl %v, want enabled on %s", name, ttl.attrs, plan[name].TTLAttribute)
				}
				pitr := b.children("point_in_time_recovery")
				if wantPITR := slices.Contains(plan[name].Changes, "enable point-in-time recovery"); len(pitr) != 0 != wantPITR || wantPITR && !pitr[0].boolean(t, "enabled") {
					t.Errorf("%s: %d point_in_time_recovery blocks; Run enables it: %v", name, len(pitr), wantPITR)
				}
				if !b.child(t, "lifecycle").boolean(t, "prevent_destroy") {
					t.Errorf("%s: prevent_destroy is not true", name)
				}
			}

			params := tf.resources("aws_ssm_parameter")
			if len(params) != len(wantParams) {
				t.Errorf("%d parameters; Run creates %d", len(params), len(wantParams))
			}
			for _, b := range params {
				want, ok := wantParams[b.str("name")]
				if !ok {
					t.Errorf("parameter %s is not one Run creates", b.str("name"))
					continue
				}
				assertSameJSON(t, "parameter "+b.str("name"), tfParameterInput(b), want)
				lc := b.child(t, "lifecycle")
				if got := traversals(t, lc.exprs["ignore_changes"]); !slices.Equal(got, []string{"value"}) {
					t.Errorf("%s: ignore_changes = %v, want [value]", b.str("name"), got)
				}
			}

			iam := tf.resources("aws_iam_policy")
			if len(iam) != len(rep.IAMPolicies) {
				t.Fatalf("%d IAM policies; Run's report has %d", len(iam), len(rep.IAMPolicies))
			}
			for i, b := range iam {
				want := rep.IAMPolicies[i]
				if b.str("name") != want.Name+suffixOf(set)+"-"+rep.Region || b.str("description") != want.Description {
					t.Errorf("IAM policy %q (%q), want %s%s-%s", b.str("name"), b.str("description"), want.Name, suffixOf(set), rep.Region)
				}
				var doc any
				if err := json.Unmarshal([]byte(b.str("policy")), &doc); err != nil {
					t.Fatalf("%s: policy is not JSON: %v", b.str("name"), err)
				}
				assertSameDocument(t, b.str("name"), doc, want.Document)
			}
		})
	}
}

// With the default options, the tables are exactly the golden
// CreateTableInput files of Run's own tests.
func TestExportTerraformTablesMatchGoldenFiles(t *testing.T) {
	tf := parseTerraform(t, mustExport(t, bootstrap.FormatTerraform, bootstrap.WithAll(), bootstrap.WithRateLimits()))
	tables := tf.resources("aws_dynamodb_table")
	purposes := []string{bootstrap.PurposeApprovals, bootstrap.PurposeBreakGlass, bootstrap.PurposeSessions, bootstrap.PurposeRateLimits}
	if len(tables) != len(purposes) {
		t.Fatalf("%d tables, want %d", len(tables), len(purposes))
	}
	for i, purpose := range purposes {
		want, err := os.ReadFile(filepath.Join("testdata", "create_table_"+purpose+".golden.json"))
		if err != nil {
			t.Fatal(err)
		}
		if tables[i].labels[1] != purpose {
			t.Errorf("table %d is named %q, want %q", i, tables[i].labels[1], purpose)
		}
		if got := canonicalJSON(t, tfCreateTableInput(t, tables[i])); string(got) != string(want) {
			t.Errorf("%s differs from its golden CreateTableInput:\n%s", purpose, firstDifference(string(want), string(got)))
		}
	}
}

// The import blocks, once uncommented, name each table and parameter of
// the export with the exact ID Terraform imports it by (the table name,
// the parameter name).
func TestExportTerraformImportBlocks(t *testing.T) {
	for _, set := range allSets() {
		if !terraformOK(set) {
			continue
		}
		t.Run(set.name, func(t *testing.T) {
			out := string(mustExport(t, bootstrap.FormatTerraform, set.opts...))
			if strings.Contains(out, "\nimport {") {
				t.Fatal("an import block is not commented out")
			}
			uncommented := strings.ReplaceAll(out, "\n# import {", "\nimport {")
			uncommented = strings.ReplaceAll(uncommented, "\n#   to", "\n  to")
			uncommented = strings.ReplaceAll(uncommented, "\n#   id", "\n  id")
			uncommented = strings.ReplaceAll(uncommented, "\n# }", "\n}")
			tf := parseTerraform(t, []byte(uncommented))
			want := map[string]string{}
			for _, b := range append(tf.resources("aws_dynamodb_table"), tf.resources("aws_ssm_parameter")...) {
				want[b.labels[0]+"."+b.labels[1]] = b.str("name")
			}
			got := map[string]string{}
			for _, b := range tf.blocks {
				if b.typ == "import" {
					tr, diags := hcl.AbsTraversalForExpr(b.exprs["to"])
					if diags.HasErrors() {
						t.Fatal(diags)
					}
					got[tr.RootName()+"."+tr[1].(hcl.TraverseAttr).Name] = b.str("id")
				}
			}
			if len(got) != len(want) {
				t.Errorf("import blocks %v, want %v", got, want)
			}
			for to, id := range want {
				if got[to] != id {
					t.Errorf("import of %s has ID %q, want %q", to, got[to], id)
				}
			}
		})
	}
}

// A value that a heredoc cannot hold exactly is quoted; template sequences
// are escaped either way, so the value reads back as given.
func TestExportTerraformValuesReadBackExactly(t *testing.T) {
	values := []string{
		"version: \"1\"\nrules:\n  - name: x ${var.y} %{ if }\n    effect: deny\n    conditions: {profiles: [p]}\n",
		"version: \"1\"\nrules:\n  - name: EOT\n    effect: deny\n    conditions: {profiles: [p]}\nEOT\n",
		"version: \"1\"\nrules: [{name: a, effect: deny, conditions: {profiles: [p]}}]", // no final newline
		"version: \"1\"\r\nrules: [{name: a, effect: deny, conditions: {profiles: [p]}}]\r\n",
		"version: \"1\"\nrules:\n\t- {name: \"tab\\there\", effect: deny, conditions: {profiles: [p]}}\n",
		"  version: \"1\"\n  rules: [{name: indented, effect: deny, conditions: {profiles: [p]}}]\n",
	}
	for _, v := range values {
		out, err := bootstrap.Export(t.Context(), testConfig(), bootstrap.FormatTerraform, bootstrap.WithProfiles("p"), bootstrap.WithPolicy("p", v))
		if err != nil {
			continue // not a policy bootstrap accepts: nothing to write
		}
		b := parseTerraform(t, out).resources("aws_ssm_parameter")[0]
		if got := b.str("value"); got != v {
			t.Errorf("value reads back as %q, want %q\n%s", got, v, out)
		}
	}
}
