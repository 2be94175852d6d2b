package bootstrap

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// The Terraform export is written with hclwrite: aws_dynamodb_table,
// aws_ssm_parameter and aws_iam_policy resources of the AWS provider, and
// commented-out import blocks for the tables and parameters.

// tfProviderVersion is the AWS provider the export is written for (and
// tested with, 5.100.0): deletion_protection_enabled needs 4.65 or later.
const tfProviderVersion = ">= 5.0"

// terraform renders the model as a Terraform configuration.
func (m *exportModel) terraform() ([]byte, error) {
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	body.AppendUnstructuredTokens(tfComment(m.tfHeader()))
	body.AppendNewline()

	tf := body.AppendNewBlock("terraform", nil).Body()
	tf.SetAttributeValue("required_version", cty.StringVal(">= 1.5.0"))
	tf.AppendNewBlock("required_providers", nil).Body().SetAttributeValue("aws", cty.ObjectVal(map[string]cty.Value{
		"source":  cty.StringVal("hashicorp/aws"),
		"version": cty.StringVal(tfProviderVersion),
	}))

	for _, t := range m.tables {
		body.AppendNewline()
		if err := tfTable(body, t); err != nil {
			return nil, err
		}
	}
	for _, p := range m.parameters {
		body.AppendNewline()
		if err := tfParameter(body, p); err != nil {
			return nil, err
		}
	}
	for _, p := range m.iam {
		body.AppendNewline()
		if err := m.tfPolicy(body, p); err != nil {
			return nil, err
		}
	}
	if imports := m.tfImports(); len(imports) > 0 {
		body.AppendNewline()
		body.AppendUnstructuredTokens(tfComment(imports))
	}
	return hclwrite.Format(f.Bytes()), nil
}

func (m *exportModel) tfHeader() string {
	return "Sentinel's resources, exported by github.com/sentinel-tools/bootstrap.\n" +
		"Configure the aws provider for region " + m.region + ": the names and IAM documents are for it.\n" +
		"Tables cannot be destroyed (prevent_destroy), and Terraform never reverts a\n" +
		"parameter's value written later (ignore_changes), as bootstrap never overwrites one.\n"
}

// tfComment turns text into comment lines.
func tfComment(text string) hclwrite.Tokens {
	var b strings.Builder
	for line := range strings.Lines(text) {
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			b.WriteString("#\n")
		} else {
			b.WriteString("# " + line + "\n")
		}
	}
	return hclwrite.Tokens{{Type: hclsyntax.TokenComment, Bytes: []byte(b.String())}}
}

// tfTable translates Run's requests for one table.
func tfTable(body *hclwrite.Body, t exportTable) error {
	in := t.create
	if err := knownFields(in, "TableName", "AttributeDefinitions", "KeySchema", "BillingMode", "GlobalSecondaryIndexes",
		"SSESpecification", "DeletionProtectionEnabled", "Tags"); err != nil {
		return err
	}
	if len(in.KeySchema) != 1 {
		return fmt.Errorf("bootstrap: the export writes tables with a partition key only, not %d keys", len(in.KeySchema))
	}
	b := body.AppendNewBlock("resource", []string{"aws_dynamodb_table", t.tfName}).Body()
	b.SetAttributeValue("name", cty.StringVal(aws.ToString(in.TableName)))
	b.SetAttributeValue("billing_mode", cty.StringVal(string(in.BillingMode)))
	b.SetAttributeValue("hash_key", cty.StringVal(aws.ToString(in.KeySchema[0].AttributeName)))
	b.SetAttributeValue("deletion_protection_enabled", cty.BoolVal(aws.ToBool(in.DeletionProtectionEnabled)))
	for _, a := range in.AttributeDefinitions {
		ab := b.AppendNewBlock("attribute", nil).Body()
		ab.SetAttributeValue("name", cty.StringVal(aws.ToString(a.AttributeName)))
		ab.SetAttributeValue("type", cty.StringVal(string(a.AttributeType)))
	}
	for _, g := range in.GlobalSecondaryIndexes {
		if err := knownFields(&g, "IndexName", "KeySchema", "Projection"); err != nil {
			return err
		}
		gb := b.AppendNewBlock("global_secondary_index", nil).Body()
		gb.SetAttributeValue("name", cty.StringVal(aws.ToString(g.IndexName)))
		for _, k := range g.KeySchema {
			attr := "hash_key"
			if k.KeyType == types.KeyTypeRange {
				attr = "range_key"
			}
			gb.SetAttributeValue(attr, cty.StringVal(aws.ToString(k.AttributeName)))
		}
		if g.Projection != nil {
			gb.SetAttributeValue("projection_type", cty.StringVal(string(g.Projection.ProjectionType)))
			if len(g.Projection.NonKeyAttributes) > 0 {
				gb.SetAttributeValue("non_key_attributes", tfStrings(g.Projection.NonKeyAttributes))
			}
		}
	}
	if t.ttl != nil {
		tb := b.AppendNewBlock("ttl", nil).Body()
		tb.SetAttributeValue("attribute_name", cty.StringVal(aws.ToString(t.ttl.AttributeName)))
		tb.SetAttributeValue("enabled", cty.BoolVal(aws.ToBool(t.ttl.Enabled)))
	}
	if t.pitr != nil {
		b.AppendNewBlock("point_in_time_recovery", nil).Body().SetAttributeValue("enabled", cty.BoolVal(aws.ToBool(t.pitr.PointInTimeRecoveryEnabled)))
	}
	if sse := in.SSESpecification; sse != nil {
		if err := knownFields(sse, "Enabled", "SSEType", "KMSMasterKeyId"); err != nil {
			return err
		}
		if sse.SSEType != "" && sse.SSEType != types.SSETypeKms {
			return fmt.Errorf("bootstrap: the Terraform export writes KMS encryption only, not %s", sse.SSEType)
		}
		sb := b.AppendNewBlock("server_side_encryption", nil).Body()
		sb.SetAttributeValue("enabled", cty.BoolVal(aws.ToBool(sse.Enabled)))
		if key := aws.ToString(sse.KMSMasterKeyId); key != "" {
			sb.SetAttributeValue("kms_key_arn", cty.StringVal(key)) // checkExport: a key ARN
		}
	}
	if len(in.Tags) > 0 {
		tags := map[string]string{}
		for _, tag := range in.Tags {
			tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
		b.SetAttributeValue("tags", tfMap(tags))
	}
	b.AppendNewline()
	b.AppendNewBlock("lifecycle", nil).Body().SetAttributeValue("prevent_destroy", cty.True)
	return nil
}

// tfParameter translates Run's PutParameter request.
func tfParameter(body *hclwrite.Body, p exportParameter) error {
	if err := knownParameterFields(p.put); err != nil {
		return err
	}
	b := body.AppendNewBlock("resource", []string{"aws_ssm_parameter", p.tfName}).Body()
	b.SetAttributeValue("name", cty.StringVal(aws.ToString(p.put.Name)))
	b.SetAttributeValue("type", cty.StringVal(string(p.put.Type)))
	b.SetAttributeValue("tier", cty.StringVal(string(p.put.Tier)))
	if d := aws.ToString(p.put.Description); d != "" {
		b.SetAttributeValue("description", cty.StringVal(d))
	}
	if len(p.put.Tags) > 0 {
		b.SetAttributeValue("tags", tfMap(p.tags()))
	}
	b.SetAttributeRaw("value", tfText(aws.ToString(p.put.Value)))
	b.AppendNewline()
	b.AppendNewBlock("lifecycle", nil).Body().SetAttributeRaw("ignore_changes",
		hclwrite.TokensForTuple([]hclwrite.Tokens{hclwrite.TokensForIdentifier("value")}))
	return nil
}

// tfPolicy writes one IAM document as an aws_iam_policy, the document as
// jsonencode of the same JSON, in the same order.
func (m *exportModel) tfPolicy(body *hclwrite.Body, p exportIAMPolicy) error {
	doc, err := decodeIAMDocument(p.Document)
	if err != nil {
		return fmt.Errorf("bootstrap: exporting the IAM policy %s: %w", p.Name, err)
	}
	var stmts []hclwrite.Tokens
	for _, st := range doc.Statement {
		var attrs []hclwrite.ObjectAttrTokens
		if st.Sid != "" {
			attrs = append(attrs, tfAttr("Sid", hclwrite.TokensForValue(cty.StringVal(st.Sid))))
		}
		attrs = append(attrs,
			tfAttr("Effect", hclwrite.TokensForValue(cty.StringVal(st.Effect))),
			tfAttr("Action", hclwrite.TokensForValue(tfStrings(st.Action))),
			tfAttr("Resource", hclwrite.TokensForValue(tfStrings(st.Resource))))
		if len(st.Condition) > 0 {
			var ops []hclwrite.ObjectAttrTokens
			for _, op := range slices.Sorted(maps.Keys(st.Condition)) {
				ops = append(ops, tfAttr(op, hclwrite.TokensForValue(tfMap(st.Condition[op]))))
			}
			attrs = append(attrs, tfAttr("Condition", hclwrite.TokensForObject(ops)))
		}
		stmts = append(stmts, hclwrite.TokensForObject(attrs))
	}
	document := hclwrite.TokensForObject([]hclwrite.ObjectAttrTokens{
		tfAttr("Version", hclwrite.TokensForValue(cty.StringVal(doc.Version))),
		tfAttr("Statement", hclwrite.TokensForTuple(stmts)),
	})
	b := body.AppendNewBlock("resource", []string{"aws_iam_policy", p.tfName}).Body()
	b.SetAttributeValue("name", cty.StringVal(iamExportName(p.Name, m.iamSuffix, m.region)))
	b.SetAttributeValue("description", cty.StringVal(p.Description))
	b.SetAttributeRaw("policy", hclwrite.TokensForFunctionCall("jsonencode", document))
	return nil
}

// tfAttr is one attribute of an object expression; a name that is not an
// identifier is quoted.
func tfAttr(name string, value hclwrite.Tokens) hclwrite.ObjectAttrTokens {
	key := hclwrite.TokensForIdentifier(name)
	if !hclsyntax.ValidIdentifier(name) {
		key = hclwrite.TokensForValue(cty.StringVal(name))
	}
	return hclwrite.ObjectAttrTokens{Name: key, Value: value}
}

// tfImports are the import blocks of the tables and parameters (the
// resources Run or the original command may have created already), to be
// uncommented by whoever adopts them.
func (m *exportModel) tfImports() string {
	if len(m.tables)+len(m.parameters) == 0 {
		return ""
	}
	f := hclwrite.NewEmptyFile()
	add := func(kind, name, id string) {
		b := f.Body().AppendNewBlock("import", nil).Body()
		b.SetAttributeTraversal("to", hcl.Traversal{hcl.TraverseRoot{Name: kind}, hcl.TraverseAttr{Name: name}})
		b.SetAttributeValue("id", cty.StringVal(id))
	}
	for _, t := range m.tables {
		add("aws_dynamodb_table", t.tfName, aws.ToString(t.create.TableName))
	}
	for _, p := range m.parameters {
		add("aws_ssm_parameter", p.tfName, aws.ToString(p.put.Name))
	}
	return "To adopt resources that exist already (tables and parameters that bootstrap\n" +
		"or the original command created), uncomment these import blocks (Terraform 1.5+)\n" +
		"and run terraform plan: it shows where they differ from this configuration.\n\n" +
		string(hclwrite.Format(f.Bytes()))
}

func tfStrings(ss []string) cty.Value {
	vals := make([]cty.Value, len(ss))
	for i, s := range ss {
		vals[i] = cty.StringVal(s)
	}
	return cty.ListVal(vals)
}

func tfMap(m map[string]string) cty.Value {
	vals := make(map[string]cty.Value, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		vals[k] = cty.StringVal(m[k])
	}
	return cty.MapVal(vals)
}

// tfText is a string expression: a heredoc for text of whole lines (a
// policy), so that it reads as written, and a quoted string otherwise.
// In both, ${ and %{ are escaped: the value is exactly s.
func tfText(s string) hclwrite.Tokens {
	if !heredocText(s) {
		return hclwrite.TokensForValue(cty.StringVal(s))
	}
	delim := "EOT"
	for i := 1; slices.ContainsFunc(strings.Split(s, "\n"), func(l string) bool { return strings.TrimSpace(l) == delim }); i++ {
		delim = fmt.Sprintf("EOT%d", i)
	}
	content := strings.NewReplacer("${", "$${", "%{", "%%{").Replace(s)
	return hclwrite.Tokens{
		{Type: hclsyntax.TokenOHeredoc, Bytes: []byte("<<" + delim + "\n")},
		{Type: hclsyntax.TokenStringLit, Bytes: []byte(content)},
		{Type: hclsyntax.TokenCHeredoc, Bytes: []byte(delim)},
	}
}

// heredocText reports whether s can be written as a heredoc: valid UTF-8
// lines ending in a newline, without other control characters than tab.
func heredocText(s string) bool {
	if s == "" || !strings.HasSuffix(s, "\n") || !utf8.ValidString(s) {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool {
		return r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || r == '\u2028' || r == '\u2029' || r == '\u0085'
	})
}
