package integration_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"go.yaml.in/yaml/v3"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/internal/awsshim"
	"github.com/sentinel-tools/bootstrap/internal/emulator"
)

// exportSet is one set of options given to Export and then to Run.
type exportSet struct {
	name string
	opts []bootstrap.Option
	pitr bool   // point-in-time recovery asked for
	key  string // WithKMSKey, "" for the AWS-managed key
}

// opsPolicy is the WithPolicy of profile ops: ${...} and %{...} are no
// template in it, in either format.
const opsPolicy = "version: \"1\"\nrules:\n  - name: allow-ops ${not.a.template} %{ if }\n    effect: allow\n    conditions:\n      profiles: [ops]\n"

// exportSets are the option sets both formats are deployed with. The key
// is a real moto key, so that the Terraform provider and Run see the same
// key ARN.
func exportSets(t *testing.T, e *env) []exportSet {
	t.Helper()
	out, err := kms.NewFromConfig(e.cfg).CreateKey(context.Background(), &kms.CreateKeyInput{Description: aws.String("tables of " + t.Name())})
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	key := aws.ToString(out.KeyMetadata.Arn)
	sets := []exportSet{
		{"defaults", []bootstrap.Option{bootstrap.WithProfiles("dev", "dev-1", "dev_1", "dev.1", "dev1"), bootstrap.WithAll()}, true, ""},
		{"sessions_ratelimits_kms_tags_iam", []bootstrap.Option{
			bootstrap.WithProfiles("ops", "audit"), bootstrap.WithSessions(), bootstrap.WithDeviceIndex(),
			bootstrap.WithRateLimits(), bootstrap.WithRateLimitTable("tvm-rate-limits"),
			bootstrap.WithTags(map[string]string{"team": "platform", "cost center": "42"}), bootstrap.WithKMSKey(key),
			bootstrap.WithDescription("Platform team"), bootstrap.WithPolicy("ops", opsPolicy), bootstrap.WithIAMPolicies(),
		}, true, key},
		{"custom_names_no_pitr", []bootstrap.Option{
			bootstrap.WithPolicyRoot("/team/policies"), bootstrap.WithProfiles("dev1"),
			bootstrap.WithApprovals(), bootstrap.WithApprovalTable("team-approvals"), bootstrap.WithBreakGlass(),
			bootstrap.WithoutPointInTimeRecovery(), bootstrap.WithoutDeletionProtection(), bootstrap.WithIAMPolicies(),
		}, false, ""},
	}
	// Each set its own names (a later WithNameSuffix wins over env.opts'):
	// the sets select the same tables.
	for i := range sets {
		sets[i].opts = append(sets[i].opts, bootstrap.WithNameSuffix(fmt.Sprintf("%s-%d", e.suffix, i)))
	}
	return sets
}

func (e *env) export(format bootstrap.Format, extra ...bootstrap.Option) []byte {
	e.t.Helper()
	out, err := bootstrap.Export(context.Background(), e.cfg, format, e.opts(extra...)...)
	if err != nil {
		e.t.Fatalf("Export(%s): %v", format, err)
	}
	return out
}

// toolOrSkip finds a command, or skips the test loudly (fails it in CI).
func toolOrSkip(t *testing.T, name, install string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		msg := name + " not found on PATH; " + install
		if os.Getenv("CI") != "" {
			t.Fatalf("missing in CI: %s", msg)
		}
		t.Skipf("\n*****\n***** SKIPPING: %s\n*****", msg)
	}
	return path
}

// cfnLint runs cfn-lint on the templates; any finding fails the test.
func cfnLint(t *testing.T, files ...string) {
	t.Helper()
	bin := toolOrSkip(t, "cfn-lint", "install it with pip install cfn-lint")
	out, err := exec.Command(bin, append([]string{"--"}, files...)...).CombinedOutput()
	if err != nil {
		t.Errorf("cfn-lint found problems (%v):\n%s", err, out)
	}
}

// Every template the tests export passes cfn-lint: those of the option
// sets deployed below, the other kinds the unit tests export (another
// partition, an alias or key ID as the tables' key, odd profile names,
// custom names, tables only, signed, over 51,200 bytes for S3) and the
// golden files of the unit tests.
func TestIntegrationExportCloudFormationLint(t *testing.T) {
	e := newEnv(t, awsshim.Options{})
	dir := t.TempDir()
	var files []string
	write := func(name string, tpl []byte) {
		path := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(path, tpl, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
	}
	for _, set := range exportSets(t, e) {
		write(set.name, e.export(bootstrap.FormatCloudFormation, set.opts...))
	}
	signARN, _ := e.signingKey()
	many := make([]string, 120)
	for i := range many {
		many[i] = fmt.Sprintf("p%03d", i)
	}
	for _, set := range []exportSet{
		{name: "aws_cn", opts: []bootstrap.Option{bootstrap.WithRegion("cn-north-1"), bootstrap.WithRateLimits(), bootstrap.WithProfiles("x"), bootstrap.WithIAMPolicies()}},
		{name: "alias_key_device_index", opts: []bootstrap.Option{bootstrap.WithSessions(), bootstrap.WithDeviceIndex(), bootstrap.WithKMSKey("alias/sentinel"), bootstrap.WithIAMPolicies()}},
		{name: "key_id", opts: []bootstrap.Option{bootstrap.WithAll(), bootstrap.WithKMSKey("1234abcd-12ab-34cd-56ef-1234567890ab"), bootstrap.WithIAMPolicies()}},
		{name: "odd_profiles", opts: []bootstrap.Option{bootstrap.WithProfiles("a", "b-c", "b_c", "b.c", "bc", "Zz")}},
		{name: "custom_names", opts: []bootstrap.Option{bootstrap.WithAll(), bootstrap.WithApprovalTable("a1"), bootstrap.WithBreakGlassTable("b2"),
			bootstrap.WithSessionTable("s3"), bootstrap.WithNameSuffix(".x"), bootstrap.WithProfiles("p")}},
		{name: "tables_only", opts: []bootstrap.Option{bootstrap.WithAll(), bootstrap.WithRateLimits()}},
		{name: "signed", opts: []bootstrap.Option{bootstrap.WithProfiles("dev", "prod"), bootstrap.WithPolicySigning(signARN), bootstrap.WithIAMPolicies()}},
		{name: "s3_sized", opts: []bootstrap.Option{bootstrap.WithProfiles(many...), bootstrap.WithAll(), bootstrap.WithIAMPolicies(), bootstrap.WithS3Bucket("templates")}},
	} {
		tpl := e.export(bootstrap.FormatCloudFormation, set.opts...)
		if set.name == "s3_sized" && len(tpl) <= 51200 {
			t.Fatalf("the S3-sized template is %d bytes; want more than 51200", len(tpl))
		}
		write(set.name, tpl)
	}
	golden, err := filepath.Glob(filepath.Join("..", "testdata", "export_*.golden.yaml"))
	if err != nil || len(golden) < 3 {
		t.Fatalf("golden templates %v (%v)", golden, err)
	}
	cfnLint(t, append(files, golden...)...)
}

// withoutParameterTags removes the Tags of every AWS::SSM::Parameter:
// moto 5.2.1's CloudFormation fails on them in their CloudFormation form (a
// map). The unit tests check that the template has them.
func withoutParameterTags(t *testing.T, tpl []byte) []byte {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(tpl, &doc); err != nil {
		t.Fatal(err)
	}
	value := func(m *yaml.Node, key string) *yaml.Node {
		for i := 0; i < len(m.Content); i += 2 {
			if m.Content[i].Value == key {
				return m.Content[i+1]
			}
		}
		return nil
	}
	removed := 0
	res := value(doc.Content[0], "Resources")
	for i := 1; i < len(res.Content); i += 2 {
		r := res.Content[i]
		if value(r, "Type").Value != "AWS::SSM::Parameter" {
			continue
		}
		props := value(r, "Properties")
		for j := 0; j < len(props.Content); j += 2 {
			if props.Content[j].Value == "Tags" {
				props.Content = slices.Delete(props.Content, j, j+2)
				removed++
				break
			}
		}
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		t.Fatal(err)
	}
	t.Logf("deploying without the Tags of %d parameters", removed)
	return b.Bytes()
}

// The exported template, deployed into moto's CloudFormation, makes the
// resources Run wants: Run's plan with the same options finds every
// parameter as it should be, and of the tables changes exactly what moto's
// CloudFormation does not carry out (it ignores TimeToLiveSpecification,
// PointInTimeRecoverySpecification and SSESpecification; the unit tests
// prove the template has each of them).
func TestIntegrationExportCloudFormationDeploy(t *testing.T) {
	e := newEnv(t, awsshim.Options{})
	cfn := cloudformation.NewFromConfig(emulator.Config(emulator.Moto(t)))
	ctx := context.Background()
	for _, set := range exportSets(t, e) {
		t.Run(set.name, func(t *testing.T) {
			tpl := e.export(bootstrap.FormatCloudFormation, set.opts...)
			stack := "sentinel" + strings.NewReplacer("-", "", "_", "").Replace(e.suffix) + strings.ReplaceAll(set.name, "_", "")
			_, err := cfn.CreateStack(ctx, &cloudformation.CreateStackInput{
				StackName:    aws.String(stack),
				TemplateBody: aws.String(string(withoutParameterTags(t, tpl))),
				Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityNamedIam},
			})
			if err != nil {
				t.Fatalf("CreateStack: %v", err)
			}
			w := cloudformation.NewStackCreateCompleteWaiter(cfn, func(o *cloudformation.StackCreateCompleteWaiterOptions) {
				o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
			})
			out, err := w.WaitForOutput(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)}, time.Minute)
			if err != nil {
				t.Fatalf("the stack was not created: %v", err)
			}
			res, err := cfn.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: aws.String(stack)})
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[string]int{}
			for _, r := range res.StackResources {
				kinds[aws.ToString(r.ResourceType)]++
				if r.ResourceStatus != cfntypes.ResourceStatusCreateComplete {
					t.Errorf("%s: %s %s", aws.ToString(r.LogicalResourceId), r.ResourceStatus, aws.ToString(r.ResourceStatusReason))
				}
			}
			outputs := map[string]string{}
			for _, o := range out.Stacks[0].Outputs {
				outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
			}

			e.shim.Reset()
			rep := e.mustRun(append(slices.Clone(set.opts), bootstrap.WithPlanOnly())...)
			for _, p := range rep.Parameters {
				if p.Action != bootstrap.ActionNone || p.Error != "" || len(p.Warnings) > 0 {
					t.Errorf("parameter %s: %s %q %q, want none", p.Name, p.Action, p.Error, p.Warnings)
				}
			}
			e.checkParameterValues(rep)
			encrypt := "encrypt with KMS (AWS managed key)"
			if set.key != "" {
				encrypt = "encrypt with KMS key " + set.key
			}
			for _, tb := range rep.Tables {
				want := []string{encrypt, "enable TTL on " + tb.TTLAttribute}
				if set.pitr {
					want = append(want, "enable point-in-time recovery")
				}
				if tb.Action != bootstrap.ActionUpdate || tb.Error != "" || !slices.Equal(tb.Changes, want) || len(tb.Warnings) > 0 {
					t.Errorf("table %s: %s %q, changes %q, warnings %q; want update with exactly %q", tb.Name, tb.Action, tb.Error, tb.Changes, tb.Warnings, want)
				}
				if !slices.Contains(slices.Collect(mapValues(outputs)), tb.Name) || !slices.Contains(slices.Collect(mapValues(outputs)), tb.ARN) {
					t.Errorf("table %s (%s) is not in the stack's outputs %v", tb.Name, tb.ARN, outputs)
				}
			}
			if want := len(rep.Tables)*2 + len(rep.IAMPolicies) + min(len(rep.Parameters), 1); len(outputs) != want {
				t.Errorf("%d outputs, want %d: %v", len(outputs), want, outputs)
			}
			if want := map[string]int{"AWS::DynamoDB::Table": len(rep.Tables), "AWS::SSM::Parameter": len(rep.Parameters), "AWS::IAM::ManagedPolicy": len(rep.IAMPolicies)}; !maps.Equal(kinds, deleteZero(want)) {
				t.Errorf("the stack has %v, want %v", kinds, want)
			}
			if w := e.shim.Writes(); w != 0 {
				t.Errorf("the plan wrote %d times", w)
			}
		})
	}
}

// The template's KMS key parameter takes an alias at deploy time, as the
// README shows for StackSets, although the template was exported with a
// key ARN and IAM policies: an IAM statement naming the key parameter
// would be refused (an IAM resource must be an ARN).
func TestIntegrationExportCloudFormationKeyOverride(t *testing.T) {
	e := newEnv(t, awsshim.Options{})
	cfn := cloudformation.NewFromConfig(emulator.Config(emulator.Moto(t)))
	ctx := context.Background()
	set := exportSets(t, e)[1]
	if set.key == "" {
		t.Fatal("the set with a KMS key has none")
	}
	tpl := string(withoutParameterTags(t, e.export(bootstrap.FormatCloudFormation, set.opts...)))
	alias := "alias/sentinel" + e.suffix
	stack := "sentinelkey" + strings.NewReplacer("-", "", "_", "").Replace(e.suffix)
	_, err := cfn.CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName:    aws.String(stack),
		TemplateBody: aws.String(tpl),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityNamedIam},
		Parameters:   []cfntypes.Parameter{{ParameterKey: aws.String("TableKMSKey"), ParameterValue: aws.String(alias)}},
	})
	if err != nil {
		t.Fatalf("CreateStack with TableKMSKey=%s: %v", alias, err)
	}
	w := cloudformation.NewStackCreateCompleteWaiter(cfn, func(o *cloudformation.StackCreateCompleteWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	})
	if err := w.Wait(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)}, time.Minute); err != nil {
		t.Errorf("TableKMSKey=%s: the stack was not created: %v", alias, err)
	}
}

func deleteZero(m map[string]int) map[string]int {
	maps.DeleteFunc(m, func(_ string, n int) bool { return n == 0 })
	return m
}

func mapValues(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for _, v := range m {
			if !yield(v) {
				return
			}
		}
	}
}

// checkParameterValues reads every parameter of the report: each holds
// its WithPolicy text exactly, or the starter policy of its profile.
func (e *env) checkParameterValues(rep *bootstrap.Report) {
	e.t.Helper()
	for _, p := range rep.Parameters {
		out, err := e.ssm.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(p.Name)})
		if err != nil {
			e.t.Fatalf("GetParameter %s: %v", p.Name, err)
		}
		value := aws.ToString(out.Parameter.Value)
		if p.Profile == "ops" {
			if value != opsPolicy {
				e.t.Errorf("%s = %q, want the WithPolicy text %q", p.Name, value, opsPolicy)
			}
			continue
		}
		checkStarterPolicy(e.t, p.Profile, value)
	}
}

// Terraform, for real: the exports of all option sets, each a module of one
// configuration whose provider is aimed at moto, pass terraform fmt, and
// are applied (which validates them); Run's plan with the same options then finds
// everything as it should be (action none, with no exception: the
// provider sets TTL, point-in-time recovery and encryption on moto); and a
// second terraform plan has nothing to change.
func TestIntegrationExportTerraformApply(t *testing.T) {
	tf := toolOrSkip(t, "terraform", "install Terraform 1.5 or later, with the AWS provider in a local mirror (BOOTSTRAP_TF_PLUGINS, default /opt/tf-plugins)")
	mirror := os.Getenv("BOOTSTRAP_TF_PLUGINS")
	if mirror == "" {
		mirror = "/opt/tf-plugins"
	}
	if found, _ := filepath.Glob(filepath.Join(mirror, "registry.terraform.io", "hashicorp", "aws", "*", "*", "terraform-provider-aws*")); len(found) == 0 {
		msg := "no AWS provider in the Terraform plugin mirror " + mirror + " (terraform cannot download it here; set BOOTSTRAP_TF_PLUGINS to a filesystem mirror)"
		if os.Getenv("CI") != "" {
			t.Fatalf("missing in CI: %s", msg)
		}
		t.Skipf("\n*****\n***** SKIPPING: %s\n*****", msg)
	}
	e := newEnv(t, awsshim.Options{})
	moto := emulator.Moto(t)
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("cli.tfrc", fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
`, mirror))
	root := fmt.Sprintf(`provider "aws" {
  region                      = %q
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  endpoints {
    dynamodb = %[2]q
    iam      = %[2]q
    ssm      = %[2]q
    sts      = %[2]q
  }
}
`, emulator.Region, moto)
	sets := exportSets(t, e)
	for _, set := range sets {
		write(filepath.Join("root", set.name, "main.tf"), string(e.export(bootstrap.FormatTerraform, set.opts...)))
		root += fmt.Sprintf("\nmodule %q {\n  source = \"./%s\"\n}\n", set.name, set.name)
	}
	write(filepath.Join("root", "main.tf"), root)

	terraform := func(args ...string) (string, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, tf, args...)
		cmd.Dir = filepath.Join(dir, "root")
		cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+filepath.Join(dir, "cli.tfrc"), "TF_IN_AUTOMATION=1", "TF_INPUT=0",
			"CHECKPOINT_DISABLE=1", "TF_DATA_DIR="+filepath.Join(dir, ".terraform"), "TF_PLUGIN_CACHE_DIR=", "TF_LOG=")
		began := time.Now()
		out, err := cmd.CombinedOutput()
		t.Logf("terraform %s: %s", args[0], time.Since(began).Round(time.Millisecond))
		return string(out), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := terraform(args...)
		if err != nil {
			t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	must("fmt", "-check", "-recursive", "-diff")
	must("init", "-input=false", "-no-color")
	must("apply", "-auto-approve", "-input=false", "-no-color")

	e.shim.Reset()
	for _, set := range sets {
		rep := e.mustRun(append(slices.Clone(set.opts), bootstrap.WithPlanOnly())...)
		for _, tb := range rep.Tables {
			if tb.Action != bootstrap.ActionNone || tb.Error != "" || len(tb.Changes) > 0 || len(tb.Warnings) > 0 {
				t.Errorf("%s: table %s: %s %q, changes %q, warnings %q; want none", set.name, tb.Name, tb.Action, tb.Error, tb.Changes, tb.Warnings)
			}
		}
		for _, p := range rep.Parameters {
			if p.Action != bootstrap.ActionNone || p.Error != "" || len(p.Warnings) > 0 {
				t.Errorf("%s: parameter %s: %s %q %q, want none", set.name, p.Name, p.Action, p.Error, p.Warnings)
			}
		}
		if rep.Summary != (bootstrap.Summary{None: len(rep.Tables) + len(rep.Parameters)}) {
			t.Errorf("%s: summary %+v, want all none", set.name, rep.Summary)
		}
		e.checkParameterValues(rep)
	}
	if w := e.shim.Writes(); w != 0 {
		t.Errorf("Run's plans wrote %d times", w)
	}

	// -detailed-exitcode: 0 is no changes, 2 is changes.
	if out, err := terraform("plan", "-detailed-exitcode", "-input=false", "-no-color"); err != nil {
		t.Errorf("the second terraform plan is not empty (%v):\n%s", err, out)
	} else if !strings.Contains(out, "No changes.") {
		t.Errorf("the second terraform plan does not say No changes:\n%s", out)
	}
}
