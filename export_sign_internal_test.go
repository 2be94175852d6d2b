package bootstrap

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"go.yaml.in/yaml/v3"
)

// Without signing there are no signature parameters.
func TestExportSignaturesNoneWithoutSigning(t *testing.T) {
	c, err := resolve([]Option{WithProfiles("dev"), WithRegion("eu-west-1")}, aws.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := exportSignatures(context.Background(), c, aws.Config{}, []*ssm.PutParameterInput{parameterInput(c, &c.params[0])})
	if sigs != nil || err != nil {
		t.Fatalf("exportSignatures = %v, %v; want none", sigs, err)
	}
}

// fakeSigner stands for signing: one signature parameter per policy.
func fakeSigner(_ context.Context, c *config, _ aws.Config, policies []*ssm.PutParameterInput) ([]*ssm.PutParameterInput, error) {
	var out []*ssm.PutParameterInput
	for _, p := range policies {
		out = append(out, &ssm.PutParameterInput{
			Name:        aws.String("/sentinel/signatures/" + strings.TrimPrefix(aws.ToString(p.Name), c.policyRoot+"/")),
			Value:       aws.String(`{"signature":"c2ln","metadata":{"policy_hash":"` + aws.ToString(p.Name) + `"}}`),
			Type:        ssmtypes.ParameterTypeString,
			Tier:        ssmtypes.ParameterTierStandard,
			Description: aws.String("Signature of " + aws.ToString(p.Name)),
			Tags:        p.Tags,
		})
	}
	return out, nil
}

// Signature parameters, once signing returns them, are one more parameter
// resource of each format: named Signature<profile> / signature_<profile>,
// retained, their values ignored by Terraform after creation.
func TestExportWritesSignatureParameters(t *testing.T) {
	c, err := resolve([]Option{WithProfiles("dev-1", "prod"), WithTags(map[string]string{"team": "x"}), WithRegion("eu-west-1")}, aws.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := newExportModel(context.Background(), c, aws.Config{}, exportOptions{}, fakeSigner)
	if err != nil {
		t.Fatal(err)
	}
	cfn, err := m.cloudFormation(exportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Resources map[string]struct {
			Type                string         `yaml:"Type"`
			DeletionPolicy      string         `yaml:"DeletionPolicy"`
			UpdateReplacePolicy string         `yaml:"UpdateReplacePolicy"`
			Properties          map[string]any `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(cfn, &tpl); err != nil {
		t.Fatal(err)
	}
	for id, name := range map[string]string{"SignaturedevZh1": "/sentinel/signatures/dev-1", "Signatureprod": "/sentinel/signatures/prod"} {
		r, ok := tpl.Resources[id]
		if !ok || r.Type != "AWS::SSM::Parameter" || r.DeletionPolicy != "Retain" || r.UpdateReplacePolicy != "Retain" ||
			r.Properties["Name"] != name || !strings.Contains(r.Properties["Value"].(string), `"signature":"c2ln"`) {
			t.Errorf("%s = %+v", id, r)
		}
	}
	if len(tpl.Resources) != 4 {
		t.Errorf("%d resources, want 2 policies and 2 signatures", len(tpl.Resources))
	}

	tf, err := m.terraform()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`resource "aws_ssm_parameter" "signature_devZh1" {`,
		`name        = "/sentinel/signatures/dev-1"`,
		`# import {` + "\n" + `#   to = aws_ssm_parameter.signature_prod` + "\n" + `#   id = "/sentinel/signatures/prod"`,
	} {
		if !strings.Contains(string(tf), want) {
			t.Errorf("the Terraform lacks %q:\n%s", want, tf)
		}
	}
	if n := strings.Count(string(tf), "ignore_changes = [value]"); n != 4 {
		t.Errorf("%d parameters ignore later changes of their value, want 4", n)
	}

	// A signer that fails, or returns a signature per policy but one, fails
	// the export.
	boom := errors.New("kms: access denied")
	if _, err := newExportModel(context.Background(), c, aws.Config{}, exportOptions{}, func(context.Context, *config, aws.Config, []*ssm.PutParameterInput) ([]*ssm.PutParameterInput, error) {
		return nil, boom
	}); !errors.Is(err, boom) {
		t.Errorf("err = %v, want the signer's", err)
	}
	if _, err := newExportModel(context.Background(), c, aws.Config{}, exportOptions{}, func(ctx context.Context, c *config, cfg aws.Config, p []*ssm.PutParameterInput) ([]*ssm.PutParameterInput, error) {
		s, _ := fakeSigner(ctx, c, cfg, p)
		return s[:1], nil
	}); err == nil {
		t.Error("one signature for two policies was accepted")
	}
}
