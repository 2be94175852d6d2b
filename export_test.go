package bootstrap_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"go.uber.org/mock/gomock"

	"github.com/sentinel-tools/bootstrap"
)

var formats = []bootstrap.Format{bootstrap.FormatCloudFormation, bootstrap.FormatTerraform}

// exportSet is a set of options that both Export and Run are given.
type exportSet struct {
	name string
	opts []bootstrap.Option
}

var exportTags = map[string]string{"team": "platform", "cost center": "42"}

// goldenSets are the option sets of the golden files of both formats.
var goldenSets = []exportSet{
	{"defaults", []bootstrap.Option{bootstrap.WithProfiles("dev", "dev-1", "prod"), bootstrap.WithAll()}},
	{"sessions_ratelimits_kms_tags_iam", []bootstrap.Option{
		bootstrap.WithProfiles("dev_1", "dev.1"), bootstrap.WithSessions(), bootstrap.WithDeviceIndex(),
		bootstrap.WithRateLimits(), bootstrap.WithRateLimitTable("tvm-rate-limits"),
		bootstrap.WithTags(exportTags), bootstrap.WithKMSKey(testKMSARN), bootstrap.WithDescription("Platform team"),
		bootstrap.WithPolicy("dev.1", validPolicy("dev.1")), bootstrap.WithIAMPolicies(),
	}},
	{"suffix_names_no_pitr_no_protection", []bootstrap.Option{
		bootstrap.WithNameSuffix("-blue"), bootstrap.WithPolicyRoot("/team/policies"), bootstrap.WithProfiles("dev1"),
		bootstrap.WithApprovals(), bootstrap.WithApprovalTable("team-approvals"), bootstrap.WithBreakGlass(),
		bootstrap.WithoutPointInTimeRecovery(), bootstrap.WithoutDeletionProtection(), bootstrap.WithIAMPolicies(),
	}},
}

// moreSets are further option sets, checked without golden files.
var moreSets = []exportSet{
	{"profiles only", []bootstrap.Option{bootstrap.WithProfiles("a", "b-c", "b_c", "b.c", "bc", "Zz")}},
	{"tables only", []bootstrap.Option{bootstrap.WithAll(), bootstrap.WithRateLimits()}},
	{"custom names", []bootstrap.Option{bootstrap.WithAll(), bootstrap.WithApprovalTable("a1"), bootstrap.WithBreakGlassTable("b2"),
		bootstrap.WithSessionTable("s3"), bootstrap.WithNameSuffix(".x"), bootstrap.WithProfiles("p")}},
	{"alias key, device index", []bootstrap.Option{bootstrap.WithSessions(), bootstrap.WithDeviceIndex(), bootstrap.WithKMSKey("alias/sentinel")}},
	{"rate limits, region", []bootstrap.Option{bootstrap.WithRateLimits(), bootstrap.WithRegion("cn-north-1"), bootstrap.WithProfiles("x"), bootstrap.WithIAMPolicies()}},
}

func allSets() []exportSet { return append(slices.Clone(goldenSets), moreSets...) }

// terraformOK reports whether the Terraform export takes the set (its KMS
// key must be an ARN).
func terraformOK(set exportSet) bool { return set.name != "alias key, device index" }

func mustExport(t *testing.T, format bootstrap.Format, o ...bootstrap.Option) []byte {
	t.Helper()
	out, err := bootstrap.Export(context.Background(), testConfig(), format, o...)
	if err != nil {
		t.Fatalf("Export(%s): %v", format, err)
	}
	return out
}

func TestExportGolden(t *testing.T) {
	for _, set := range goldenSets {
		t.Run(set.name, func(t *testing.T) {
			assertGoldenBytes(t, "export_"+set.name+".golden.yaml", mustExport(t, bootstrap.FormatCloudFormation, set.opts...))
			assertGoldenBytes(t, "export_"+set.name+".golden.tf", mustExport(t, bootstrap.FormatTerraform, set.opts...))
		})
	}
}

// Without signing, Export calls nothing: not the clients it is given, not
// the clients it could build from cfg (whose HTTP client and credentials
// fail the test), and it reads no state.
func TestExportMakesNoAWSCall(t *testing.T) {
	cfg := aws.Config{
		Region:     testRegion,
		HTTPClient: failingHTTP{t},
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			t.Error("credentials retrieved")
			return aws.Credentials{}, errors.New("no")
		}),
	}
	for _, set := range allSets() {
		for _, f := range formats {
			if f == bootstrap.FormatTerraform && !terraformOK(set) {
				continue
			}
			t.Run(set.name+"/"+string(f), func(t *testing.T) {
				s, d := newMocks(t) // no expectations: any call fails the test
				for _, o := range [][]bootstrap.Option{set.opts, opts(set.opts, bootstrap.WithSSMClient(s), bootstrap.WithDynamoDBClient(d))} {
					if _, err := bootstrap.Export(context.Background(), cfg, f, o...); err != nil {
						t.Fatal(err)
					}
				}
			})
		}
	}
}

type failingHTTP struct{ t *testing.T }

func (f failingHTTP) Do(r *http.Request) (*http.Response, error) {
	f.t.Errorf("Export sent %s %s", r.Method, r.URL)
	return nil, errors.New("no network in this test")
}

// Options that only steer a run are accepted and change nothing.
func TestExportIgnoresRunOptions(t *testing.T) {
	base := goldenSets[1].opts
	for _, f := range formats {
		want := mustExport(t, f, base...)
		got := mustExport(t, f, opts(base, bootstrap.WithPlanOnly(), bootstrap.WithProgress(func(bootstrap.Event) { t.Error("progress called") }),
			bootstrap.WithConcurrency(3), bootstrap.WithWaitTimeout(time.Second))...)
		if string(got) != string(want) {
			t.Errorf("%s: run options changed the export:\n%s", f, firstDifference(string(want), string(got)))
		}
	}
}

func TestExportInvalidConfig(t *testing.T) {
	s, d := newMocks(t)
	mocksOpts := []bootstrap.Option{bootstrap.WithSSMClient(s), bootstrap.WithDynamoDBClient(d)}
	keyID := "11111111-2222-3333-4444-555555555555"
	for _, c := range []struct {
		name   string
		format bootstrap.Format
		cfg    aws.Config
		opts   []bootstrap.Option
		option string   // the option the error names
		says   []string // what the message says
	}{
		{"no region", bootstrap.FormatCloudFormation, aws.Config{}, []bootstrap.Option{bootstrap.WithProfiles("dev")}, "WithRegion", nil},
		{"nothing selected", bootstrap.FormatTerraform, testConfig(), nil, "WithProfiles", nil},
		{"bad profile", bootstrap.FormatCloudFormation, testConfig(), []bootstrap.Option{bootstrap.WithProfiles("dev/1")}, "WithProfiles", nil},
		{"bad policy", bootstrap.FormatTerraform, testConfig(), []bootstrap.Option{bootstrap.WithProfiles("dev"), bootstrap.WithPolicy("dev", "version: 2")}, "WithPolicy", nil},
		{"device index without sessions", bootstrap.FormatCloudFormation, testConfig(), []bootstrap.Option{bootstrap.WithApprovals(), bootstrap.WithDeviceIndex()}, "WithDeviceIndex", nil},
		{"unknown format", "pulumi", testConfig(), []bootstrap.Option{bootstrap.WithProfiles("dev")}, "Format", []string{"cloudformation", "terraform"}},
		{"empty format", "", testConfig(), []bootstrap.Option{bootstrap.WithProfiles("dev")}, "Format", nil},
		{"S3 bucket for Terraform", bootstrap.FormatTerraform, testConfig(), []bootstrap.Option{bootstrap.WithProfiles("dev"), bootstrap.WithS3Bucket("my-bucket")}, "WithS3Bucket", []string{"CloudFormation export only"}},
		{"bad S3 bucket", bootstrap.FormatCloudFormation, testConfig(), []bootstrap.Option{bootstrap.WithProfiles("dev"), bootstrap.WithS3Bucket("My_Bucket")}, "WithS3Bucket", []string{"not an S3 bucket name"}},
		{"S3 bucket with ..", bootstrap.FormatCloudFormation, testConfig(), []bootstrap.Option{bootstrap.WithProfiles("dev"), bootstrap.WithS3Bucket("a..b")}, "WithS3Bucket", nil},
		{"Terraform with a key ID", bootstrap.FormatTerraform, testConfig(), []bootstrap.Option{bootstrap.WithAll(), bootstrap.WithKMSKey(keyID)}, "WithKMSKey", []string{"key ARN", "kms_key_arn", "aws kms describe-key --key-id " + keyID}},
		{"Terraform with an alias", bootstrap.FormatTerraform, testConfig(), []bootstrap.Option{bootstrap.WithAll(), bootstrap.WithKMSKey("alias/sentinel")}, "WithKMSKey", []string{"key ARN"}},
		{"Terraform with an alias ARN", bootstrap.FormatTerraform, testConfig(), []bootstrap.Option{bootstrap.WithAll(), bootstrap.WithKMSKey("arn:aws:kms:eu-west-1:123456789012:alias/sentinel")}, "WithKMSKey", []string{"alias ARN would show as a change in every plan"}},
		{"IAM names too long", bootstrap.FormatCloudFormation, testConfig(), []bootstrap.Option{bootstrap.WithAll(), bootstrap.WithIAMPolicies(), bootstrap.WithNameSuffix(strings.Repeat("x", 64)), bootstrap.WithRegion(strings.Repeat("a", 48) + "-1")}, "WithNameSuffix", []string{"IAM allows 128"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := bootstrap.Export(context.Background(), c.cfg, c.format, opts(c.opts, mocksOpts...)...)
			var ce *bootstrap.ConfigError
			if !errors.Is(err, bootstrap.ErrInvalidConfig) || !errors.As(err, &ce) || ce.Option != c.option {
				t.Fatalf("err = %v; want ErrInvalidConfig naming %s", err, c.option)
			}
			checkContains(t, "error", err.Error(), c.says...)
		})
	}
	// The KMS key forms the Terraform export refuses are fine for CloudFormation.
	for _, key := range []string{keyID, "alias/sentinel", "arn:aws:kms:eu-west-1:123456789012:alias/sentinel"} {
		mustExport(t, bootstrap.FormatCloudFormation, opts(mocksOpts, bootstrap.WithAll(), bootstrap.WithKMSKey(key))...)
	}
}

// numberedProfiles are n profiles p000, p001, …
func numberedProfiles(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("p%03d", i)
	}
	return out
}

// CloudFormation's quotas: 500 resources, 51,200 bytes inline, 1 MB from
// S3. Over them, Export says which and what to do.
func TestExportCloudFormationLimits(t *testing.T) {
	profiles := numberedProfiles
	bigPolicies := func(ps []string) []bootstrap.Option {
		var o []bootstrap.Option
		for _, p := range ps {
			o = append(o, bootstrap.WithPolicy(p, validPolicy(p)+"# "+strings.Repeat("x", 3500)+"\n"))
		}
		return o
	}
	small := profiles(40)
	mustExport(t, bootstrap.FormatCloudFormation, bootstrap.WithProfiles(small...), bootstrap.WithAll())

	for _, c := range []struct {
		name string
		opts []bootstrap.Option
		says []string
	}{
		{"too many resources", []bootstrap.Option{bootstrap.WithProfiles(profiles(498)...), bootstrap.WithAll(), bootstrap.WithS3Bucket("templates")},
			[]string{"501 resources", "500 per stack", "several stacks"}},
		{"too big inline", opts([]bootstrap.Option{bootstrap.WithProfiles(profiles(20)...)}, bigPolicies(profiles(20))...),
			[]string{"51200 bytes inline", "deploy it from S3", "WithS3Bucket", "--s3-bucket", "fewer profiles"}},
		{"too big in S3", opts([]bootstrap.Option{bootstrap.WithProfiles(profiles(300)...), bootstrap.WithS3Bucket("templates")}, bigPolicies(profiles(300))...),
			[]string{"1 MB", "from S3", "fewer profiles per stack"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := bootstrap.Export(context.Background(), testConfig(), bootstrap.FormatCloudFormation, c.opts...)
			var ce *bootstrap.ConfigError
			if !errors.As(err, &ce) || !errors.Is(err, bootstrap.ErrInvalidConfig) || ce.Option != "WithProfiles" {
				t.Fatalf("err = %v; want ErrInvalidConfig naming WithProfiles", err)
			}
			checkContains(t, "error", err.Error(), c.says...)
		})
	}
	// 496 profiles and the 4 tables are 500 resources: accepted from S3.
	out := mustExport(t, bootstrap.FormatCloudFormation, bootstrap.WithProfiles(profiles(496)...), bootstrap.WithAll(), bootstrap.WithRateLimits(), bootstrap.WithS3Bucket("templates"))
	if n := len(cfnResources(t, out)); n != 500 {
		t.Errorf("%d resources, want 500", n)
	}
	checkContains(t, "template", string(out), "--s3-bucket templates")
	// The 20 big policies fit from S3; Terraform has no such limit.
	big := opts([]bootstrap.Option{bootstrap.WithProfiles(profiles(20)...)}, bigPolicies(profiles(20))...)
	if out := mustExport(t, bootstrap.FormatCloudFormation, opts(big, bootstrap.WithS3Bucket("templates"))...); len(out) <= 51_200 {
		t.Errorf("the big template is only %d bytes", len(out))
	}
	mustExport(t, bootstrap.FormatTerraform, big...)
	mustExport(t, bootstrap.FormatTerraform, bootstrap.WithProfiles(profiles(600)...))
}

// runRequests runs Run (apply) against mocks that record every
// CreateTable and PutParameter request: no table or parameter exists,
// parameters are created, and CreateTable fails once recorded, so that
// Run stops there. It returns the requests by name.
func runRequests(t *testing.T, o []bootstrap.Option) (map[string]*dynamodb.CreateTableInput, map[string]*ssm.PutParameterInput) {
	t.Helper()
	s, d := newMocks(t)
	tables, params := map[string]*dynamodb.CreateTableInput{}, map[string]*ssm.PutParameterInput{}
	var mu sync.Mutex // the mocks are called concurrently
	s.EXPECT().GetParameters(gomock.Any(), gomock.Any(), gomock.Any()).Return(&ssm.GetParametersOutput{}, nil).AnyTimes()
	s.EXPECT().PutParameter(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(_ context.Context, in *ssm.PutParameterInput, _ ...func(*ssm.Options)) (*ssm.PutParameterOutput, error) {
			mu.Lock()
			defer mu.Unlock()
			params[aws.ToString(in.Name)] = in
			return &ssm.PutParameterOutput{Version: 1}, nil
		}).AnyTimes()
	d.EXPECT().DescribeTable(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(_ context.Context, in *dynamodb.DescribeTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
			return nil, notFound(aws.ToString(in.TableName))
		}).AnyTimes()
	d.EXPECT().CreateTable(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(_ context.Context, in *dynamodb.CreateTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error) {
			mu.Lock()
			defer mu.Unlock()
			tables[aws.ToString(in.TableName)] = in
			return nil, accessDenied("DynamoDB", "CreateTable")
		}).AnyTimes()
	_, err := bootstrap.Run(context.Background(), testConfig(), opts(o, clients(s, d)...)...)
	if err != nil && !errors.Is(err, bootstrap.ErrIncomplete) {
		t.Fatalf("Run: %v", err)
	}
	return tables, params
}

// planNames are the table and parameter names of Run's plan report.
func planNames(t *testing.T, o []bootstrap.Option) (tables, params []string) {
	t.Helper()
	s, d := newMocks(t)
	s.EXPECT().GetParameters(gomock.Any(), gomock.Any(), gomock.Any()).Return(&ssm.GetParametersOutput{}, nil).AnyTimes()
	d.EXPECT().DescribeTable(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(_ context.Context, in *dynamodb.DescribeTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
			return nil, notFound(aws.ToString(in.TableName))
		}).AnyTimes()
	rep := mustRun(t, opts(o, opts(clients(s, d), bootstrap.WithPlanOnly())...)...)
	for _, r := range rep.Tables {
		tables = append(tables, r.Name)
	}
	for _, r := range rep.Parameters {
		params = append(params, r.Name)
	}
	return tables, params
}

// The names in both exports are exactly those of Run's plan report, in the
// same order: suffixes, custom names, the device index, the rate-limit
// table, profiles that differ only in punctuation.
func TestExportNamesAreRunsNames(t *testing.T) {
	for _, set := range allSets() {
		t.Run(set.name, func(t *testing.T) {
			wantTables, wantParams := planNames(t, set.opts)
			cfn := cfnResources(t, mustExport(t, bootstrap.FormatCloudFormation, set.opts...))
			check := func(format string, tables, params []string) {
				t.Helper()
				if !slices.Equal(tables, wantTables) || !slices.Equal(params, wantParams) {
					t.Errorf("%s: tables %q, parameters %q; Run plans tables %q, parameters %q", format, tables, params, wantTables, wantParams)
				}
			}
			tables, params := cfnNames(cfn)
			check("CloudFormation", tables, params)
			if terraformOK(set) {
				tf := parseTerraform(t, mustExport(t, bootstrap.FormatTerraform, set.opts...))
				tables, params := tf.names()
				check("Terraform", tables, params)
			}
		})
	}
}

// Print the Terraform for one profile's policy parameter.
func ExampleExport() {
	cfg := aws.Config{Region: "eu-west-1"} // Export makes no AWS call: no credentials needed
	out, err := bootstrap.Export(context.Background(), cfg, bootstrap.FormatTerraform, bootstrap.WithProfiles("dev"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	// Output:
	// # Sentinel's resources, exported by github.com/sentinel-tools/bootstrap.
	// # Configure the aws provider for region eu-west-1: the names and IAM documents are for it.
	// # Tables cannot be destroyed (prevent_destroy), and Terraform never reverts a
	// # parameter's value written later (ignore_changes), as bootstrap never overwrites one.
	//
	// terraform {
	//   required_version = ">= 1.5.0"
	//   required_providers {
	//     aws = {
	//       source  = "hashicorp/aws"
	//       version = ">= 5.0"
	//     }
	//   }
	// }
	//
	// resource "aws_ssm_parameter" "policy_dev" {
	//   name        = "/sentinel/policies/dev"
	//   type        = "String"
	//   tier        = "Standard"
	//   description = "Sentinel policy for profile dev"
	//   value       = <<EOT
	// # Sentinel policy for profile: dev
	// # This starter policy denies every request. Customize it: see Sentinel's policy reference.
	// version: "1"
	// rules:
	//   - name: default-deny
	//     effect: deny
	//     conditions:
	//       profiles:
	//         - dev
	//     reason: Default deny - customize this policy
	// EOT
	//
	//   lifecycle {
	//     ignore_changes = [value]
	//   }
	// }
	//
	// # To adopt resources that exist already (tables and parameters that bootstrap
	// # or the original command created), uncomment these import blocks (Terraform 1.5+)
	// # and run terraform plan: it shows where they differ from this configuration.
	// #
	// # import {
	// #   to = aws_ssm_parameter.policy_dev
	// #   id = "/sentinel/policies/dev"
	// # }
}
