package bootstrap

// Export, in reading order:
//
//	export.go        the model: what Run would create, built from the resolved config
//	export_names.go  the reversible encoding of logical IDs and Terraform names
//	export_sign.go   the signature parameters (none while signing is off)
//	export_cfn.go    the model as a CloudFormation template (typed resources, YAML)
//	export_tf.go     the model as Terraform (hclwrite)

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// exportModel is everything Run would create for the options, as the
// requests Run sends: the formats only translate it.
type exportModel struct {
	region     string
	partition  string
	dnsSuffix  string
	policyRoot string
	kmsKey     string // WithKMSKey as given; "" for the AWS-managed key
	iamSuffix  string // WithNameSuffix, as it appears in IAM policy names
	tables     []exportTable
	// parameters are the policy parameters in the order the profiles were
	// given, then their signature parameters in the same order.
	parameters []exportParameter
	iam        []exportIAMPolicy // with WithIAMPolicies
}

// exportTable is one table: Run's CreateTable request, then the TTL and
// point-in-time recovery requests Run sends after it.
type exportTable struct {
	purpose string // as in TableResult.Purpose
	cfnID   string
	tfName  string
	create  *dynamodb.CreateTableInput
	ttl     *types.TimeToLiveSpecification
	pitr    *types.PointInTimeRecoverySpecification // nil with WithoutPointInTimeRecovery
}

// parameterKind tells a policy parameter from its signature.
type parameterKind int

const (
	policyParameter parameterKind = iota
	signatureParameter
)

// exportParameter is one SSM parameter, as Run's PutParameter request.
type exportParameter struct {
	kind    parameterKind
	profile string
	cfnID   string
	tfName  string
	put     *ssm.PutParameterInput // as Run sends it
}

// exportIAMPolicy is one IAM document of WithIAMPolicies, as a managed
// policy. Its name carries the suffix and the region (name is the
// Terraform form; CloudFormation writes the region as AWS::Region).
type exportIAMPolicy struct {
	IAMPolicy
	cfnID  string
	tfName string
}

// Limits of the formats.
const (
	maxIAMPolicyName = 128 // IAM managed policy names
)

// signatureFunc returns the signature parameter of each policy parameter,
// in the same order, or nil when the options do not sign. It is the only
// part of Export that may call AWS.
// awsCfg is Export's, for a KMS client built from it.
type signatureFunc func(ctx context.Context, c *config, awsCfg aws.Config, policies []*ssm.PutParameterInput) ([]*ssm.PutParameterInput, error)

// s3BucketOption is WithS3Bucket: it steers the CloudFormation export only,
// so it leaves the settings of Run alone.
type s3BucketOption string

func (s3BucketOption) apply(*settings) {}

// exportOptions are the options that only Export reads.
type exportOptions struct {
	s3Bucket    string
	s3BucketSet bool
	nameSuffix  string
}

func readExportOptions(opts []Option) exportOptions {
	var o exportOptions
	for _, opt := range opts {
		if b, ok := opt.(s3BucketOption); ok {
			o.s3Bucket, o.s3BucketSet = string(b), true
		}
	}
	return o
}

func export(ctx context.Context, awsCfg aws.Config, format Format, opts []Option) ([]byte, error) {
	c, err := resolve(opts, awsCfg)
	if err != nil {
		return nil, err
	}
	eo := readExportOptions(opts)
	// The suffix is part of the IAM policy names of an export (Run's
	// documents keep the bare names).
	eo.nameSuffix = c.nameSuffix
	if err := checkExport(c, format, eo); err != nil {
		return nil, err
	}
	if format == FormatCloudFormation && c.signing != nil {
		// CloudFormation's quotas are checked before any signing call, on
		// the template with the shortest signatures there can be (no
		// signature bytes, no key): a template that is too big even so is
		// refused with no AWS call. One within a few hundred bytes of the
		// limit is refused after signing.
		pre, err := newExportModel(ctx, c, awsCfg, eo, placeholderSignatures)
		if err != nil {
			return nil, err
		}
		if _, err := pre.cloudFormation(eo); err != nil {
			return nil, err
		}
	}
	m, err := newExportModel(ctx, c, awsCfg, eo, exportSignatures)
	if err != nil {
		return nil, err
	}
	if format == FormatTerraform {
		return m.terraform()
	}
	return m.cloudFormation(eo)
}

var (
	// s3BucketName is a bucket name as S3 allows it (general purpose buckets).
	s3BucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	// kmsKeyARN is a KMS key ARN (not an alias ARN).
	kmsKeyARN = regexp.MustCompile(`^` + kmsARN + `key/` + kmsKeyID + `$`)
)

// checkExport checks what only an export needs, after resolve.
func checkExport(c *config, format Format, eo exportOptions) *ConfigError {
	switch format {
	case FormatCloudFormation, FormatTerraform:
	default:
		return bad("Format", string(format), "not an export format: use %q or %q", FormatCloudFormation, FormatTerraform)
	}
	if eo.s3BucketSet {
		switch {
		case format != FormatCloudFormation:
			return bad("WithS3Bucket", eo.s3Bucket, "applies to the CloudFormation export only; drop it for %s", format)
		case !s3BucketName.MatchString(eo.s3Bucket) || strings.Contains(eo.s3Bucket, ".."):
			return bad("WithS3Bucket", eo.s3Bucket, "not an S3 bucket name: 3 to 63 lower-case letters, digits, '.' and '-', beginning and ending with a letter or digit")
		}
	}
	if format == FormatTerraform && c.kmsKey != "" && !kmsKeyARN.MatchString(c.kmsKey) {
		return bad("WithKMSKey", c.kmsKey, "the Terraform export needs a key ARN (arn:%s:kms:%s:ACCOUNT:key/KEY-ID): the AWS provider's kms_key_arn takes no key ID or alias, and an alias ARN would show as a change in every plan; find the key ARN with: aws kms describe-key --key-id %s --query KeyMetadata.Arn", c.partition, c.region, c.kmsKey)
	}
	if c.iam {
		for _, p := range iamPolicies(c) {
			if name := iamExportName(p.Name, eo.nameSuffix, c.region); len(name) > maxIAMPolicyName {
				return bad("WithNameSuffix", eo.nameSuffix, "the exported IAM policy name %q is %d characters; IAM allows %d: use a shorter suffix", name, len(name), maxIAMPolicyName)
			}
		}
	}
	return nil
}

// iamExportName is the name of an exported IAM policy: the document's name,
// the suffix and the region, so that installations with different suffixes
// and the regions of one account do not collide.
func iamExportName(name, suffix, region string) string {
	return name + suffix + "-" + region
}

// newExportModel builds the model from the resolved config, with the
// requests Run sends, so that an export cannot drift from Run.
func newExportModel(ctx context.Context, c *config, awsCfg aws.Config, eo exportOptions, sign signatureFunc) (*exportModel, error) {
	m := &exportModel{
		region:     c.region,
		partition:  c.partition,
		dnsSuffix:  c.dnsSuffix,
		policyRoot: c.policyRoot,
		kmsKey:     c.kmsKey,
		iamSuffix:  eo.nameSuffix,
	}
	for _, t := range c.tables {
		x := exportTable{
			purpose: t.purpose,
			cfnID:   tableExportNames[purposeOf(t)].cfn,
			tfName:  tableExportNames[purposeOf(t)].tf,
			create:  t.createTableInput(),
			ttl:     t.ttlInput().TimeToLiveSpecification,
		}
		if t.pitr {
			x.pitr = t.pitrInput().PointInTimeRecoverySpecification
		}
		m.tables = append(m.tables, x)
	}
	policies := make([]*ssm.PutParameterInput, len(c.params))
	for i := range c.params {
		p := &c.params[i]
		policies[i] = parameterInput(c, p)
		m.parameters = append(m.parameters, exportParameter{
			kind: policyParameter, profile: p.profile, put: policies[i],
			cfnID: cfnPolicyPrefix + exportName(p.profile), tfName: tfPolicyPrefix + exportName(p.profile),
		})
	}
	signatures, err := sign(ctx, c, awsCfg, policies)
	if err != nil {
		return nil, err
	}
	if signatures != nil && len(signatures) != len(policies) {
		return nil, fmt.Errorf("bootstrap: %d signatures for %d policies", len(signatures), len(policies))
	}
	for i, s := range signatures {
		p := c.params[i].profile
		m.parameters = append(m.parameters, exportParameter{
			kind: signatureParameter, profile: p, put: s,
			cfnID: cfnSignaturePrefix + exportName(p), tfName: tfSignaturePrefix + exportName(p),
		})
	}
	if c.iam {
		for _, p := range iamPolicies(c) {
			m.iam = append(m.iam, exportIAMPolicy{IAMPolicy: p, cfnID: cfnIAMPrefix + exportName(p.Name), tfName: tfIAMPrefix + exportName(p.Name)})
		}
	}
	if err := m.checkNames(); err != nil {
		return nil, err
	}
	return m, nil
}

// parameterInput is the PutParameter request with which Run creates a
// policy parameter (ssm.go).
func parameterInput(c *config, p *paramSpec) *ssm.PutParameterInput {
	return newParameterInput(p.name, c.policyFor(p), c.parameterDescription(p), c.tags)
}

// purposeOf is the index of a table's schema.
func purposeOf(t *tableSpec) purpose {
	for p := range numPurposes {
		if schemas[p].purpose == t.purpose {
			return p
		}
	}
	panic("bootstrap: unknown table purpose " + t.purpose)
}

// checkNames makes sure no two resources share a logical ID or a Terraform
// name; the encoding guarantees it, this makes it visible if a new kind of
// resource ever breaks the rule.
func (m *exportModel) checkNames() error {
	cfn, tf := map[string]bool{cfnKMSKeyParameter: true}, map[string]bool{}
	add := func(id, name string) error {
		if cfn[id] || tf[name] {
			return fmt.Errorf("bootstrap: two exported resources are named %s / %s", id, name)
		}
		cfn[id], tf[name] = true, true
		return nil
	}
	for _, t := range m.tables {
		if err := add(t.cfnID, t.tfName); err != nil {
			return err
		}
	}
	for _, p := range m.parameters {
		if err := add(p.cfnID, p.tfName); err != nil {
			return err
		}
	}
	for _, p := range m.iam {
		if err := add(p.cfnID, p.tfName); err != nil {
			return err
		}
	}
	return nil
}

// tags is a request's tags as a map.
func (p *exportParameter) tags() map[string]string {
	out := make(map[string]string, len(p.put.Tags))
	for _, t := range p.put.Tags {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}

// knownFields fails when a request sets a field the export does not
// translate: a field added to Run's requests must be added to both formats,
// or Export refuses to write a resource that differs from Run's.
func knownFields(req any, known ...string) error {
	v := reflect.ValueOf(req).Elem()
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if f.IsExported() && !v.Field(i).IsZero() && !slices.Contains(known, f.Name) {
			return fmt.Errorf("bootstrap: the export does not know the field %s of %s", f.Name, v.Type().Name())
		}
	}
	return nil
}

func knownParameterFields(in *ssm.PutParameterInput) error {
	// Overwrite is false: a template creates its resources, as Run does.
	return knownFields(in, "Name", "Value", "Type", "Tier", "Description", "Tags", "Overwrite")
}
