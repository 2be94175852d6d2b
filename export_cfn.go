package bootstrap

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"go.yaml.in/yaml/v3"
)

// The CloudFormation export is built from typed resources: the structs
// below are the properties of AWS::DynamoDB::Table, AWS::SSM::Parameter and
// AWS::IAM::ManagedPolicy that the export sets, named and typed as in the
// CloudFormation resource specification (a test checks them against the
// provider schemas cfn-lint ships), and marshalled to YAML.

// CloudFormation's quotas (per template and stack).
const (
	maxTemplateInline = 51_200    // bytes of a TemplateBody in a request
	maxTemplateS3     = 1_000_000 // bytes of a template in S3 ("1 MB")
	maxStackResources = 500
)

// cfnKMSKeyParameter is the template parameter of the tables' KMS key, and
// cfnKMSKeyCondition is true when it is set.
const (
	cfnKMSKeyParameter = "TableKMSKey"
	cfnKMSKeyCondition = "UseTableKMSKey"
)

type cfnTemplate struct {
	AWSTemplateFormatVersion string               `yaml:"AWSTemplateFormatVersion"`
	Description              string               `yaml:"Description"`
	Parameters               cfnMap[cfnParameter] `yaml:"Parameters,omitempty"`
	Conditions               cfnMap[cfnFn]        `yaml:"Conditions,omitempty"`
	Resources                cfnMap[cfnResource]  `yaml:"Resources"`
	Outputs                  cfnMap[cfnOutput]    `yaml:"Outputs,omitempty"`
}

type cfnParameter struct {
	Type                  string `yaml:"Type"`
	Default               string `yaml:"Default"`
	AllowedPattern        string `yaml:"AllowedPattern,omitempty"`
	ConstraintDescription string `yaml:"ConstraintDescription,omitempty"`
	Description           string `yaml:"Description"`
}

type cfnResource struct {
	Type                string `yaml:"Type"`
	DeletionPolicy      string `yaml:"DeletionPolicy,omitempty"`
	UpdateReplacePolicy string `yaml:"UpdateReplacePolicy,omitempty"`
	// Properties is one of the *cfn…Properties types below.
	Properties any `yaml:"Properties"`
}

type cfnOutput struct {
	Description string    `yaml:"Description"`
	Value       cfnString `yaml:"Value"`
}

// AWS::DynamoDB::Table

type cfnTableProperties struct {
	TableName                        string                               `yaml:"TableName"`
	AttributeDefinitions             []cfnAttributeDefinition             `yaml:"AttributeDefinitions"`
	KeySchema                        []cfnKeySchema                       `yaml:"KeySchema"`
	BillingMode                      string                               `yaml:"BillingMode"`
	GlobalSecondaryIndexes           []cfnGlobalSecondaryIndex            `yaml:"GlobalSecondaryIndexes,omitempty"`
	SSESpecification                 *cfnSSESpecification                 `yaml:"SSESpecification,omitempty"`
	DeletionProtectionEnabled        bool                                 `yaml:"DeletionProtectionEnabled"`
	TimeToLiveSpecification          *cfnTimeToLiveSpecification          `yaml:"TimeToLiveSpecification,omitempty"`
	PointInTimeRecoverySpecification *cfnPointInTimeRecoverySpecification `yaml:"PointInTimeRecoverySpecification,omitempty"`
	Tags                             []cfnTag                             `yaml:"Tags,omitempty"`
}

type cfnAttributeDefinition struct {
	AttributeName string `yaml:"AttributeName"`
	AttributeType string `yaml:"AttributeType"`
}

type cfnKeySchema struct {
	AttributeName string `yaml:"AttributeName"`
	KeyType       string `yaml:"KeyType"`
}

type cfnGlobalSecondaryIndex struct {
	IndexName  string         `yaml:"IndexName"`
	KeySchema  []cfnKeySchema `yaml:"KeySchema"`
	Projection cfnProjection  `yaml:"Projection"`
}

type cfnProjection struct {
	ProjectionType   string   `yaml:"ProjectionType"`
	NonKeyAttributes []string `yaml:"NonKeyAttributes,omitempty"`
}

type cfnSSESpecification struct {
	SSEEnabled     bool      `yaml:"SSEEnabled"`
	SSEType        string    `yaml:"SSEType,omitempty"`
	KMSMasterKeyId cfnString `yaml:"KMSMasterKeyId,omitempty"`
}

type cfnTimeToLiveSpecification struct {
	AttributeName string `yaml:"AttributeName"`
	Enabled       bool   `yaml:"Enabled"`
}

type cfnPointInTimeRecoverySpecification struct {
	PointInTimeRecoveryEnabled bool `yaml:"PointInTimeRecoveryEnabled"`
}

type cfnTag struct {
	Key   string `yaml:"Key"`
	Value string `yaml:"Value"`
}

// AWS::SSM::Parameter

type cfnSSMParameterProperties struct {
	Name        string            `yaml:"Name"`
	Type        string            `yaml:"Type"`
	Tier        string            `yaml:"Tier"`
	Description string            `yaml:"Description,omitempty"`
	Tags        map[string]string `yaml:"Tags,omitempty"` // a JSON object in the specification
	Value       string            `yaml:"Value"`
}

// AWS::IAM::ManagedPolicy

type cfnManagedPolicyProperties struct {
	ManagedPolicyName cfnString         `yaml:"ManagedPolicyName"`
	Description       string            `yaml:"Description"`
	PolicyDocument    cfnPolicyDocument `yaml:"PolicyDocument"`
}

type cfnPolicyDocument struct {
	Version   string         `yaml:"Version"`
	Statement []cfnStatement `yaml:"Statement"`
}

type cfnStatement struct {
	Sid       string                    `yaml:"Sid,omitempty"`
	Effect    string                    `yaml:"Effect"`
	Action    []string                  `yaml:"Action"`
	Resource  []cfnString               `yaml:"Resource"`
	Condition cfnMap[cfnMap[cfnString]] `yaml:"Condition,omitempty"`
}

// cfnString is a string property: a literal or an intrinsic function.
type cfnString interface{ cfnString() }

// cfnLiteral is a plain string value.
type cfnLiteral string

func (cfnLiteral) cfnString() {}

// cfnFn is an intrinsic function in its short YAML form: a scalar (!Ref X,
// !Sub "…", !GetAtt X.Arn) or a sequence of arguments (!If, !Equals, !Not).
type cfnFn struct {
	tag  string
	text string
	args []any
}

func (cfnFn) cfnString() {}

func cfnRef(name string) cfnFn              { return cfnFn{tag: "!Ref", text: name} }
func cfnSub(text string) cfnFn              { return cfnFn{tag: "!Sub", text: text} }
func cfnGetAtt(id, attribute string) cfnFn  { return cfnFn{tag: "!GetAtt", text: id + "." + attribute} }
func cfnCall(tag string, args ...any) cfnFn { return cfnFn{tag: tag, args: args} }

// MarshalYAML writes the short form.
func (f cfnFn) MarshalYAML() (any, error) {
	if f.args == nil {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: f.tag, Value: f.text}, nil
	}
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: f.tag, Style: yaml.FlowStyle}
	for _, a := range f.args {
		var c yaml.Node
		if err := c.Encode(a); err != nil {
			return nil, err
		}
		n.Content = append(n.Content, &c)
	}
	return n, nil
}

// cfnMap is a mapping that keeps its order.
type cfnMap[T any] []cfnEntry[T]

type cfnEntry[T any] struct {
	key   string
	value T
}

func (m *cfnMap[T]) add(key string, value T) { *m = append(*m, cfnEntry[T]{key, value}) }

// MarshalYAML writes the entries in order.
func (m cfnMap[T]) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for _, e := range m {
		var v yaml.Node
		if err := v.Encode(e.value); err != nil {
			return nil, err
		}
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: e.key}, &v)
	}
	return n, nil
}

// cloudFormation renders the model as a CloudFormation template, refusing
// one over CloudFormation's quotas.
func (m *exportModel) cloudFormation(eo exportOptions) ([]byte, error) {
	tpl, err := m.cfnTemplate()
	if err != nil {
		return nil, err
	}
	var body bytes.Buffer
	enc := yaml.NewEncoder(&body)
	enc.SetIndent(2)
	if err := enc.Encode(tpl); err != nil {
		return nil, fmt.Errorf("bootstrap: writing the template: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("bootstrap: writing the template: %w", err)
	}
	out := append([]byte(m.cfnHeader(eo)), body.Bytes()...)
	if err := m.cfnLimits(len(out), len(tpl.Resources), eo); err != nil {
		return nil, err
	}
	return out, nil
}

// cfnHeader is the comment at the top of the template: the command that
// deploys it.
func (m *exportModel) cfnHeader(eo exportOptions) string {
	var b strings.Builder
	b.WriteString("# Sentinel's resources, exported by github.com/sentinel-tools/bootstrap.\n")
	b.WriteString("# Tables and parameters are retained when the stack is deleted. Deploy with:\n")
	b.WriteString("#   aws cloudformation deploy --template-file sentinel.yaml --stack-name sentinel")
	if eo.s3BucketSet {
		b.WriteString(" --s3-bucket " + eo.s3Bucket)
	}
	if len(m.iam) > 0 {
		b.WriteString(" --capabilities CAPABILITY_NAMED_IAM")
	}
	b.WriteString("\n")
	return b.String()
}

func (m *exportModel) cfnLimits(size, resources int, eo exportOptions) *ConfigError {
	profiles := fmt.Sprintf("%d profiles", m.profiles())
	if resources > maxStackResources {
		return bad("WithProfiles", profiles, "the template would have %d resources; CloudFormation allows %d per stack: export the profiles in several stacks (the tables and WithIAMPolicies in one of them only)", resources, maxStackResources)
	}
	switch {
	case !eo.s3BucketSet && size > maxTemplateInline:
		return bad("WithProfiles", profiles, "the template would be %d bytes; CloudFormation takes at most %d bytes inline: deploy it from S3 (WithS3Bucket, the CLI's --s3-bucket; up to 1 MB), or export fewer profiles per stack", size, maxTemplateInline)
	case size > maxTemplateS3:
		return bad("WithProfiles", profiles, "the template would be %d bytes; CloudFormation takes at most 1 MB (%d bytes) from S3: export fewer profiles per stack (the tables and WithIAMPolicies in one of them only)", size, maxTemplateS3)
	}
	return nil
}

func (m *exportModel) profiles() int {
	n := 0
	for _, p := range m.parameters {
		if p.kind == policyParameter {
			n++
		}
	}
	return n
}

func (m *exportModel) cfnTemplate() (*cfnTemplate, error) {
	tpl := &cfnTemplate{
		AWSTemplateFormatVersion: "2010-09-09",
		Description:              m.cfnDescription(),
	}
	if len(m.tables) > 0 {
		tpl.Parameters.add(cfnKMSKeyParameter, cfnParameter{
			Type:                  "String",
			Default:               m.kmsKey,
			AllowedPattern:        `^$|` + kmsKeyForms.String(),
			ConstraintDescription: "a KMS key ID, key ARN, alias name (alias/...) or alias ARN, or empty for the AWS managed key",
			Description:           "The KMS key that encrypts the tables: a key ID, key ARN, alias name (alias/...) or alias ARN; empty for the AWS managed key (alias/aws/dynamodb). An alias works in every region of a StackSet.",
		})
		tpl.Conditions.add(cfnKMSKeyCondition, cfnCall("!Not", cfnCall("!Equals", cfnRef(cfnKMSKeyParameter), "")))
	}
	for _, t := range m.tables {
		props, err := cfnTable(t)
		if err != nil {
			return nil, err
		}
		tpl.Resources.add(t.cfnID, cfnResource{Type: "AWS::DynamoDB::Table", DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain", Properties: props})
		tpl.Outputs.add(t.cfnID+"Name", cfnOutput{Description: "The name of the " + t.purpose + " table", Value: cfnRef(t.cfnID)})
		tpl.Outputs.add(t.cfnID+"Arn", cfnOutput{Description: "The ARN of the " + t.purpose + " table", Value: cfnGetAtt(t.cfnID, "Arn")})
	}
	for _, p := range m.parameters {
		props, err := cfnSSMParameter(p)
		if err != nil {
			return nil, err
		}
		tpl.Resources.add(p.cfnID, cfnResource{Type: "AWS::SSM::Parameter", DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain", Properties: props})
	}
	if m.profiles() > 0 {
		tpl.Outputs.add("PolicyRoot", cfnOutput{Description: "The SSM path of the policy parameters", Value: cfnLiteral(m.policyRoot)})
	}
	for _, p := range m.iam {
		props, err := m.cfnManagedPolicy(p)
		if err != nil {
			return nil, err
		}
		tpl.Resources.add(p.cfnID, cfnResource{Type: "AWS::IAM::ManagedPolicy", Properties: props})
		tpl.Outputs.add(p.cfnID+"Arn", cfnOutput{Description: "The ARN of the IAM policy " + p.Name, Value: cfnRef(p.cfnID)})
	}
	return tpl, nil
}

func (m *exportModel) cfnDescription() string {
	var parts []string
	if n := m.profiles(); n > 0 {
		parts = append(parts, fmt.Sprintf("%d policy parameters under %s", n, m.policyRoot))
	}
	for _, t := range m.tables {
		parts = append(parts, "the "+t.purpose+" table "+aws.ToString(t.create.TableName))
	}
	if len(m.iam) > 0 {
		parts = append(parts, "IAM policies")
	}
	return "Sentinel: " + strings.Join(parts, ", ") + ". Exported by github.com/sentinel-tools/bootstrap."
}

// cfnTable translates Run's requests for one table.
func cfnTable(t exportTable) (*cfnTableProperties, error) {
	in := t.create
	if err := knownFields(in, "TableName", "AttributeDefinitions", "KeySchema", "BillingMode", "GlobalSecondaryIndexes",
		"SSESpecification", "DeletionProtectionEnabled", "Tags"); err != nil {
		return nil, err
	}
	p := &cfnTableProperties{
		TableName:                 aws.ToString(in.TableName),
		BillingMode:               string(in.BillingMode),
		DeletionProtectionEnabled: aws.ToBool(in.DeletionProtectionEnabled),
	}
	for _, a := range in.AttributeDefinitions {
		p.AttributeDefinitions = append(p.AttributeDefinitions, cfnAttributeDefinition{aws.ToString(a.AttributeName), string(a.AttributeType)})
	}
	p.KeySchema = cfnKeys(in.KeySchema)
	for _, g := range in.GlobalSecondaryIndexes {
		if err := knownFields(&g, "IndexName", "KeySchema", "Projection"); err != nil {
			return nil, err
		}
		x := cfnGlobalSecondaryIndex{IndexName: aws.ToString(g.IndexName), KeySchema: cfnKeys(g.KeySchema)}
		if g.Projection != nil {
			x.Projection = cfnProjection{ProjectionType: string(g.Projection.ProjectionType), NonKeyAttributes: g.Projection.NonKeyAttributes}
		}
		p.GlobalSecondaryIndexes = append(p.GlobalSecondaryIndexes, x)
	}
	if sse := in.SSESpecification; sse != nil {
		if err := knownFields(sse, "Enabled", "SSEType", "KMSMasterKeyId"); err != nil {
			return nil, err
		}
		p.SSESpecification = &cfnSSESpecification{SSEEnabled: aws.ToBool(sse.Enabled), SSEType: string(sse.SSEType)}
		if aws.ToBool(sse.Enabled) {
			// The key is the template parameter, whose default is
			// sse.KMSMasterKeyId (WithKMSKey).
			p.SSESpecification.KMSMasterKeyId = cfnCall("!If", cfnKMSKeyCondition, cfnRef(cfnKMSKeyParameter), cfnRef("AWS::NoValue"))
		}
	}
	if t.ttl != nil {
		p.TimeToLiveSpecification = &cfnTimeToLiveSpecification{AttributeName: aws.ToString(t.ttl.AttributeName), Enabled: aws.ToBool(t.ttl.Enabled)}
	}
	if t.pitr != nil {
		p.PointInTimeRecoverySpecification = &cfnPointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.ToBool(t.pitr.PointInTimeRecoveryEnabled)}
	}
	for _, tag := range in.Tags {
		p.Tags = append(p.Tags, cfnTag{aws.ToString(tag.Key), aws.ToString(tag.Value)})
	}
	return p, nil
}

func cfnKeys(ks []types.KeySchemaElement) []cfnKeySchema {
	out := make([]cfnKeySchema, len(ks))
	for i, k := range ks {
		out[i] = cfnKeySchema{aws.ToString(k.AttributeName), string(k.KeyType)}
	}
	return out
}

// cfnSSMParameter translates Run's PutParameter request.
func cfnSSMParameter(p exportParameter) (*cfnSSMParameterProperties, error) {
	if err := knownParameterFields(p.put); err != nil {
		return nil, err
	}
	props := &cfnSSMParameterProperties{
		Name:        aws.ToString(p.put.Name),
		Type:        string(p.put.Type),
		Tier:        string(p.put.Tier),
		Description: aws.ToString(p.put.Description),
		Value:       aws.ToString(p.put.Value),
	}
	if len(p.put.Tags) > 0 {
		props.Tags = p.tags()
	}
	return props, nil
}

// cfnManagedPolicy translates one IAM document. Its ARNs and the region in
// it are rewritten with AWS::Partition, AWS::Region, AWS::AccountId and
// AWS::URLSuffix, so that the template fits every account and region.
func (m *exportModel) cfnManagedPolicy(p exportIAMPolicy) (*cfnManagedPolicyProperties, error) {
	doc, err := decodeIAMDocument(p.Document)
	if err != nil {
		return nil, fmt.Errorf("bootstrap: exporting the IAM policy %s: %w", p.Name, err)
	}
	out := &cfnManagedPolicyProperties{
		ManagedPolicyName: cfnSub(iamExportName(p.Name, m.iamSuffix, "${AWS::Region}")),
		Description:       p.Description,
		PolicyDocument:    cfnPolicyDocument{Version: doc.Version},
	}
	for _, st := range doc.Statement {
		cs := cfnStatement{Sid: st.Sid, Effect: st.Effect, Action: st.Action}
		if st.Sid == sidTableKey {
			// The tables' key is the template parameter, given at deploy
			// time in any form (key ID, key ARN, alias, alias ARN), which IAM
			// cannot resolve: a key ARN in the statement would refuse an
			// alias, and the key named at export would stay after an
			// override. So: any key of the stack's region, used only by
			// DynamoDB there on the caller's behalf; the key's own policy
			// still decides who may use it.
			cs.Resource = []cfnString{cfnSub("arn:${AWS::Partition}:kms:${AWS::Region}:*:key/*")}
			var via cfnMap[cfnString]
			via.add("kms:ViaService", cfnSub("dynamodb.${AWS::Region}.${AWS::URLSuffix}"))
			cs.Condition.add("StringEquals", via)
			out.PolicyDocument.Statement = append(out.PolicyDocument.Statement, cs)
			continue
		}
		for _, r := range st.Resource {
			cs.Resource = append(cs.Resource, m.cfnPortable(r))
		}
		for _, op := range slices.Sorted(maps.Keys(st.Condition)) {
			var keys cfnMap[cfnString]
			for _, k := range slices.Sorted(maps.Keys(st.Condition[op])) {
				keys.add(k, m.cfnPortable(st.Condition[op][k]))
			}
			cs.Condition.add(op, keys)
		}
		out.PolicyDocument.Statement = append(out.PolicyDocument.Statement, cs)
	}
	return out, nil
}

// iamDocumentIn is an IAM document as iamPolicies writes it. Decoding
// refuses any other field, so that a document the export cannot translate
// fails loudly instead of losing a part.
type iamDocumentIn struct {
	Version   string `json:"Version"`
	Statement []struct {
		Sid       string                       `json:"Sid"`
		Effect    string                       `json:"Effect"`
		Action    []string                     `json:"Action"`
		Resource  []string                     `json:"Resource"`
		Condition map[string]map[string]string `json:"Condition"`
	} `json:"Statement"`
}

func decodeIAMDocument(doc []byte) (*iamDocumentIn, error) {
	var d iamDocumentIn
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, err
	}
	return &d, nil
}

// cfnPortable rewrites an ARN of the export's partition in the account the
// documents leave open ("*": the account they are used in) with pseudo
// parameters, and the region's service domains (dynamodb.REGION.amazonaws.com)
// likewise. The table's KMS key is the template parameter that holds it,
// so that each stack instance can be given its own region's key. Another
// ARN that names an account is left as it is: it names that resource,
// wherever the stack runs.
func (m *exportModel) cfnPortable(s string) cfnString {
	if m.kmsKey != "" && s == m.kmsKey {
		return cfnRef(cfnKMSKeyParameter)
	}
	out := strings.ReplaceAll(s, "${", "${!") // a literal ${ in Fn::Sub
	if parts := strings.SplitN(out, ":", 6); len(parts) == 6 && parts[0] == "arn" && parts[1] == m.partition && parts[4] == "*" {
		parts[1], parts[4] = "${AWS::Partition}", "${AWS::AccountId}"
		if parts[3] == m.region {
			parts[3] = "${AWS::Region}"
		}
		out = strings.Join(parts, ":")
	}
	out = strings.ReplaceAll(out, "."+m.region+"."+m.dnsSuffix, ".${AWS::Region}.${AWS::URLSuffix}")
	if out == s {
		return cfnLiteral(s)
	}
	return cfnSub(out)
}
