package bootstrap_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/internal/awsshim"
	"github.com/sentinel-tools/bootstrap/internal/baseline"
)

// Terraform side by side: the tool users would pick instead of the library.
//
// Terraform cannot download anything here, so the benchmark writes a CLI
// configuration (TF_CLI_CONFIG_FILE) whose provider_installation takes the
// AWS provider from a filesystem mirror (benchTFMirror; terraform init
// links the provider from there, which is as fast as a plugin cache).
const (
	benchTFProviderVersion = "5.100.0"
	benchTFMirrorDefault   = "/opt/tf-plugins"
	benchTFMirrorEnv       = "BOOTSTRAP_TF_MIRROR" // another mirror directory
)

// BenchmarkTerraform applies, through the same shim (tables CREATING for
// T = 5 s, 20 ms per request), the same three tables (Sentinel's schemas,
// TTL, point-in-time recovery, SSE with KMS, deletion protection) and N
// policy parameters with Terraform and with the library's fresh Run, then
// plans again with no change: `terraform plan` against Run WithPlanOnly.
// N = 3 and 100; with -short T = 1 s, N = 3 and no terraform plan (each
// terraform command starts the provider, a 700 MB program, which takes
// seconds).
//
// Reported: tf-s/op and lib-s/op (apply: terraform apply against Run),
// tf/lib; tf-plan-s and lib-plan-s (the no-op plans), tf/lib-plan; the
// calls of each (as the shim counted them); tf-init-s (terraform init,
// not part of tf-s/op).
//
// Asserted: both end with every parameter holding its starter policy and
// every table ACTIVE as specified (checked on moto); the no-op terraform
// plan reports no changes (-detailed-exitcode 0) and the library's plan
// has every action none.
//
// It skips (fails when CI is set) where terraform or the provider mirror
// is missing.
func BenchmarkTerraform(b *testing.B) {
	tf, mirror := benchTerraformTools(b)
	creating := benchScale(5*time.Second, time.Second)
	for _, n := range benchScale([]int{3, 100}, []int{3}) {
		b.Run(fmt.Sprintf("T=%s/profiles=%d", creating, n), func(b *testing.B) {
			benchTerraform(b, tf, mirror, creating, n)
		})
	}
}

func benchTerraform(b *testing.B, tf, mirror string, creating time.Duration, n int) {
	profiles := benchProfiles(n)
	opts := awsshim.Options{Delay: benchDelay, CreatingFor: creating}
	var (
		tfApply, tfPlan, tfInit, lib, libPlan        float64
		tfCalls, tfPlanCalls, libCalls, libPlanCalls float64
	)
	b.StopTimer()
	for range b.N {
		// Terraform.
		shim, _ := benchShim(b, opts)
		suffix := benchSuffix()
		tables := benchTFTables(suffix)
		dir := b.TempDir()
		benchWriteHCL(b, filepath.Join(dir, "cli.tfrc"), benchTFCLIConfig(mirror))
		benchWriteHCL(b, filepath.Join(dir, "main.tf"), benchTFConfig(shim.URL, benchRoot(suffix), profiles, tables))
		run := func(args ...string) (time.Duration, int) {
			return benchTerraformRun(b, tf, dir, args...)
		}
		d, _ := run("init", "-input=false", "-no-color")
		tfInit += d.Seconds()
		shim.Reset()
		d, _ = run("apply", "-auto-approve", "-input=false", "-no-color")
		tfApply += d.Seconds()
		tfCalls += benchCalls(shim)
		benchVerify(b, "terraform", benchRoot(suffix), profiles, tables)
		if !testing.Short() { // each terraform command starts the 700 MB provider: keep bench-short short
			shim.Reset()
			d, code := run("plan", "-detailed-exitcode", "-input=false", "-no-color")
			if code != 0 {
				b.Fatalf("terraform plan after apply: exit code %d, want 0 (no changes)", code)
			}
			tfPlan += d.Seconds()
			tfPlanCalls += benchCalls(shim)
		}

		// The library, in the same run.
		shim, cfg := benchShim(b, opts)
		suffix = benchSuffix()
		libOpts := []bootstrap.Option{bootstrap.WithNameSuffix(suffix), bootstrap.WithProfiles(profiles...), bootstrap.WithAll()}
		b.StartTimer()
		began := time.Now()
		rep := benchRun(b, cfg, libOpts...)
		wall := time.Since(began)
		b.StopTimer()
		benchWant(b, rep, bootstrap.Summary{Create: n + 3})
		lib += wall.Seconds()
		libCalls += benchCalls(shim)
		benchVerify(b, "library", benchRoot(suffix), profiles, baseline.AllTables(suffix))
		shim.Reset()
		began = time.Now()
		rep = benchRun(b, cfg, append(libOpts, bootstrap.WithPlanOnly())...)
		libPlan += time.Since(began).Seconds()
		benchWant(b, rep, bootstrap.Summary{None: n + 3})
		libPlanCalls += benchCalls(shim)
	}
	k := float64(b.N)
	b.ReportMetric(tfApply/k, "tf-s/op")
	b.ReportMetric(lib/k, "lib-s/op")
	b.ReportMetric(tfApply/lib, "tf/lib")
	if tfPlan > 0 {
		b.ReportMetric(tfPlan/k, "tf-plan-s")
		b.ReportMetric(tfPlan/libPlan, "tf/lib-plan")
		b.ReportMetric(tfPlanCalls/k, "tf-plan-calls")
	}
	b.ReportMetric(libPlan/k, "lib-plan-s")
	b.ReportMetric(tfCalls/k, "tf-calls/op")
	b.ReportMetric(libCalls/k, "lib-calls/op")
	b.ReportMetric(libPlanCalls/k, "lib-plan-calls")
	b.ReportMetric(tfInit/k, "tf-init-s")
}

// benchTerraformTools finds terraform and the provider mirror, or skips
// loudly (fails when CI is set).
func benchTerraformTools(b *testing.B) (tf, mirror string) {
	b.Helper()
	tf, err := exec.LookPath("terraform")
	if err != nil {
		benchSkipOrFatal(b, "terraform not found on PATH; install Terraform 1.11 to compare the library with it")
	}
	mirror = os.Getenv(benchTFMirrorEnv)
	if mirror == "" {
		mirror = benchTFMirrorDefault
	}
	provider := filepath.Join(mirror, "registry.terraform.io", "hashicorp", "aws", benchTFProviderVersion)
	if _, err := os.Stat(provider); err != nil {
		benchSkipOrFatal(b, fmt.Sprintf("the AWS provider %s is not in the filesystem mirror %s (%v); "+
			"unpack terraform-provider-aws there, or set %s to a mirror that has it", benchTFProviderVersion, mirror, err, benchTFMirrorEnv))
	}
	return tf, mirror
}

// benchSkipOrFatal skips with a loud message, or fails when CI is set (as
// the emulator helpers do for a missing emulator).
func benchSkipOrFatal(b *testing.B, msg string) {
	b.Helper()
	if os.Getenv("CI") != "" {
		b.Fatalf("tool missing in CI: %s", msg)
	}
	b.Skipf("\n*****\n***** SKIPPING: %s\n*****", msg)
}

// benchTerraformRun runs terraform in dir with the CLI configuration there
// and no AWS or Terraform settings from the environment, and returns how
// long it took and its exit code. A code other than 0, or 2 for a plan
// with -detailed-exitcode, fails the benchmark with terraform's output.
func benchTerraformRun(b *testing.B, tf, dir string, args ...string) (time.Duration, int) {
	b.Helper()
	cmd := exec.Command(tf, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "TF_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "TF_CLI_CONFIG_FILE="+filepath.Join(dir, "cli.tfrc"), "TF_IN_AUTOMATION=1", "TF_INPUT=0", "CHECKPOINT_DISABLE=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	began := time.Now()
	err := cmd.Run()
	took := time.Since(began)
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		b.Fatalf("terraform %s: %v", args[0], err)
	}
	if code != 0 && !(code == 2 && args[0] == "plan") {
		b.Fatalf("terraform %s: exit code %d:\n%s", strings.Join(args, " "), code, benchTail(out.String(), 4000))
	}
	return took, code
}

// benchTail is the end of s, at most n bytes.
func benchTail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// benchTFTables are the three tables with Sentinel's schemas, named as
// WithAll names them with suffix. The sessions table has the four indexes
// Sentinel needs (gsi-device-id is optional and left out).
func benchTFTables(suffix string) []baseline.TableSpec {
	all := baseline.AllTables(suffix)
	for i := range all {
		var kept []baseline.Index
		for _, x := range all[i].Indexes {
			if x.Name != "gsi-device-id" {
				kept = append(kept, x)
			}
		}
		all[i].Indexes = kept
	}
	return all
}

// benchTFCLIConfig is the CLI configuration: providers only from mirror.
func benchTFCLIConfig(mirror string) *hclwrite.File {
	f := hclwrite.NewEmptyFile()
	pi := f.Body().AppendNewBlock("provider_installation", nil).Body()
	fm := pi.AppendNewBlock("filesystem_mirror", nil).Body()
	fm.SetAttributeValue("path", cty.StringVal(mirror))
	fm.SetAttributeValue("include", cty.ListVal([]cty.Value{cty.StringVal("registry.terraform.io/hashicorp/aws")}))
	return f
}

// benchTFConfig is the Terraform configuration of the tables and of one
// aws_ssm_parameter per profile (the starter policy, as the library writes
// it), with a provider aimed at endpoint.
func benchTFConfig(endpoint, root string, profiles []string, tables []baseline.TableSpec) *hclwrite.File {
	f := hclwrite.NewEmptyFile()
	body := f.Body()

	rp := body.AppendNewBlock("terraform", nil).Body().AppendNewBlock("required_providers", nil).Body()
	rp.SetAttributeValue("aws", cty.ObjectVal(map[string]cty.Value{
		"source":  cty.StringVal("hashicorp/aws"),
		"version": cty.StringVal(benchTFProviderVersion),
	}))
	body.AppendNewline()

	p := body.AppendNewBlock("provider", []string{"aws"}).Body()
	p.SetAttributeValue("region", cty.StringVal("us-east-1"))
	p.SetAttributeValue("access_key", cty.StringVal("test"))
	p.SetAttributeValue("secret_key", cty.StringVal("test"))
	for _, skip := range []string{"skip_credentials_validation", "skip_metadata_api_check", "skip_requesting_account_id"} {
		p.SetAttributeValue(skip, cty.True)
	}
	ep := p.AppendNewBlock("endpoints", nil).Body()
	// kms too: the provider reads the table's KMS key, and no call may
	// leave the loopback interface.
	for _, svc := range []string{"dynamodb", "kms", "ssm", "sts"} {
		ep.SetAttributeValue(svc, cty.StringVal(endpoint))
	}

	for i, t := range tables {
		body.AppendNewline()
		r := body.AppendNewBlock("resource", []string{"aws_dynamodb_table", fmt.Sprintf("t%d", i)}).Body()
		r.SetAttributeValue("name", cty.StringVal(t.Name))
		r.SetAttributeValue("billing_mode", cty.StringVal("PAY_PER_REQUEST"))
		r.SetAttributeValue("hash_key", cty.StringVal("id"))
		r.SetAttributeValue("deletion_protection_enabled", cty.True)
		attrs := []string{"id"}
		for _, x := range t.Indexes {
			for _, a := range []string{x.Hash, x.Sort} {
				if !slices.Contains(attrs, a) {
					attrs = append(attrs, a)
				}
			}
		}
		for _, a := range attrs {
			ab := r.AppendNewBlock("attribute", nil).Body()
			ab.SetAttributeValue("name", cty.StringVal(a))
			ab.SetAttributeValue("type", cty.StringVal("S"))
		}
		for _, x := range t.Indexes {
			g := r.AppendNewBlock("global_secondary_index", nil).Body()
			g.SetAttributeValue("name", cty.StringVal(x.Name))
			g.SetAttributeValue("hash_key", cty.StringVal(x.Hash))
			g.SetAttributeValue("range_key", cty.StringVal(x.Sort))
			g.SetAttributeValue("projection_type", cty.StringVal("ALL"))
		}
		ttl := r.AppendNewBlock("ttl", nil).Body()
		ttl.SetAttributeValue("attribute_name", cty.StringVal(baseline.TTLAttribute))
		ttl.SetAttributeValue("enabled", cty.True)
		r.AppendNewBlock("point_in_time_recovery", nil).Body().SetAttributeValue("enabled", cty.True)
		r.AppendNewBlock("server_side_encryption", nil).Body().SetAttributeValue("enabled", cty.True) // KMS, the AWS-managed key
	}

	generated := time.Now().UTC()
	for i, profile := range profiles {
		body.AppendNewline()
		r := body.AppendNewBlock("resource", []string{"aws_ssm_parameter", fmt.Sprintf("p%d", i)}).Body()
		r.SetAttributeValue("name", cty.StringVal(root+"/"+profile))
		r.SetAttributeValue("type", cty.StringVal("String"))
		r.SetAttributeValue("tier", cty.StringVal("Standard"))
		r.SetAttributeValue("description", cty.StringVal("Sentinel policy for profile "+profile))
		r.SetAttributeValue("value", cty.StringVal(baseline.StarterPolicy(profile, "", generated)))
	}
	return f
}

// benchWriteHCL writes f to path.
func benchWriteHCL(b *testing.B, path string, f *hclwrite.File) {
	b.Helper()
	if err := os.WriteFile(path, f.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
}
