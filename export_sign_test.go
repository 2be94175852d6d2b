package bootstrap_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/sentinel-tools/bootstrap"
)

// A signed export: the only AWS calls are one DescribeKey and one Sign per
// policy, over exactly the policy value the template holds; each signature
// is a parameter of its own, at Sentinel's name, in both formats.
func TestExportSignsTheExportedPolicies(t *testing.T) {
	f, clients := newFakeAWS(t) // SSM calls would be logged; none is expected
	o := signing(clients, bootstrap.WithProfiles("dev", "prod"), bootstrap.WithPolicy("prod", validPolicy("prod")))

	tpl := mustExport(t, bootstrap.FormatCloudFormation, o...)
	if got := f.calls("get"); len(got) != 0 {
		t.Errorf("Export read SSM: %q", got)
	}
	if got := f.calls("put"); len(got) != 0 {
		t.Errorf("Export wrote SSM: %q", got)
	}
	if got := f.calls("describe"); len(got) != 1 {
		t.Errorf("DescribeKey calls %q; want one", got)
	}
	values, sigs := map[string]string{}, map[string]string{}
	for _, r := range cfnResources(t, tpl) {
		if r.Type != "AWS::SSM::Parameter" {
			continue
		}
		name, value := r.Props["Name"].(string), r.Props["Value"].(string)
		if strings.HasPrefix(name, "/sentinel/signatures/") {
			sigs[strings.TrimPrefix(name, "/sentinel/signatures/")] = value
			if r.Raw["DeletionPolicy"] != "Retain" {
				t.Errorf("%s: DeletionPolicy %v; want Retain", r.ID, r.Raw["DeletionPolicy"])
			}
		} else {
			values[strings.TrimPrefix(name, bootstrap.DefaultPolicyRoot+"/")] = value
		}
	}
	checkSignedExport(t, "CloudFormation", f, values, sigs)

	values, sigs = map[string]string{}, map[string]string{}
	for _, b := range parseTerraform(t, mustExport(t, bootstrap.FormatTerraform, o...)).resources("aws_ssm_parameter") {
		name, value := b.str("name"), b.str("value")
		if strings.HasPrefix(name, "/sentinel/signatures/") {
			sigs[strings.TrimPrefix(name, "/sentinel/signatures/")] = value
			if got := b.labels[len(b.labels)-1]; got != "signature_"+strings.TrimPrefix(name, "/sentinel/signatures/") {
				t.Errorf("%s: resource name %q; want signature_<profile>", name, got)
			}
		} else {
			values[strings.TrimPrefix(name, bootstrap.DefaultPolicyRoot+"/")] = value
		}
	}
	checkSignedExport(t, "Terraform", f, values, sigs)
}

// checkSignedExport checks an export's policies and signatures (by
// profile): one signature per policy, over the exported value, with the key,
// from a Sign call over exactly that value.
func checkSignedExport(t *testing.T, format string, f *fakeAWS, values, sigs map[string]string) {
	t.Helper()
	if len(sigs) != 2 || len(values) != 2 {
		t.Fatalf("%s: policies %v, signatures %v; want two of each", format, slices.Sorted(maps.Keys(values)), slices.Sorted(maps.Keys(sigs)))
	}
	for rest, value := range values {
		var env testEnvelope
		if err := json.Unmarshal([]byte(sigs[rest]), &env); err != nil {
			t.Fatalf("%s: signature of %s: %v", format, rest, err)
		}
		sum := sha256.Sum256([]byte(value))
		if env.Metadata.PolicyHash != hex.EncodeToString(sum[:]) || env.Metadata.KeyID != testSignKeyARN {
			t.Errorf("%s: signature of %s: %+v; want the hash of the exported value and the key", format, rest, env.Metadata)
		}
		if !slices.ContainsFunc(f.signed, func(m []byte) bool { return string(m) == value }) {
			t.Errorf("%s: no Sign over the exported value of %s", format, rest)
		}
	}
}

// With signing, the exported parameter names are Run's plan names: each
// policy, then each signature (for another root and a suffix too).
func TestExportSignedNamesAreRunsNames(t *testing.T) {
	for _, extra := range [][]bootstrap.Option{
		nil,
		{bootstrap.WithPolicyRoot("/team/policies"), bootstrap.WithNameSuffix("-blue")},
	} {
		_, clients := newFakeAWS(t)
		o := signing(clients, append([]bootstrap.Option{bootstrap.WithProfiles("dev", "dev-1")}, extra...)...)
		rep := mustRun(t, append(o, bootstrap.WithPlanOnly())...)
		var want []string
		for _, p := range rep.Parameters {
			want = append(want, p.Name)
		}
		for _, p := range rep.Parameters {
			if p.Signature == nil {
				t.Fatalf("%s: no signature in the plan", p.Name)
			}
			want = append(want, p.Signature.Name)
		}
		_, params := cfnNames(cfnResources(t, mustExport(t, bootstrap.FormatCloudFormation, o...)))
		if !slices.Equal(params, want) {
			t.Errorf("CloudFormation: exported parameters %q; Run plans %q", params, want)
		}
		_, params = parseTerraform(t, mustExport(t, bootstrap.FormatTerraform, o...)).names()
		if !slices.Equal(params, want) {
			t.Errorf("Terraform: exported parameters %q; Run plans %q", params, want)
		}
	}
}

// A signed CloudFormation export over CloudFormation's quotas is refused
// before any signing call: no DescribeKey, no Sign.
func TestExportSignedOverTheLimitsCallsNothing(t *testing.T) {
	names := numberedProfiles
	for _, c := range []struct {
		name string
		opts []bootstrap.Option
		says string
	}{
		// 250 policies, 250 signatures and 3 tables.
		{"too many resources", []bootstrap.Option{bootstrap.WithProfiles(names(250)...), bootstrap.WithAll(), bootstrap.WithS3Bucket("templates")}, "503 resources"},
		{"too big inline", []bootstrap.Option{bootstrap.WithProfiles(names(150)...)}, "51200 bytes inline"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, clients := newFakeAWS(t)
			_, err := bootstrap.Export(t.Context(), testConfig(), bootstrap.FormatCloudFormation, signing(clients, c.opts...)...)
			if !errors.Is(err, bootstrap.ErrInvalidConfig) {
				t.Fatalf("err = %v; want ErrInvalidConfig", err)
			}
			checkContains(t, "error", err.Error(), c.says)
			if got := f.calls(""); len(got) != 0 || len(f.signed) != 0 {
				t.Errorf("AWS calls %q, %d signed; want none before the refusal", got, len(f.signed))
			}
		})
	}
	// Under the limits, the same export signs.
	f, clients := newFakeAWS(t)
	mustExport(t, bootstrap.FormatCloudFormation, signing(clients, bootstrap.WithProfiles(names(10)...))...)
	if len(f.signed) != 10 {
		t.Errorf("%d policies signed; want 10", len(f.signed))
	}
}

// A signed export is for one region: the signing key's ARN is the only
// place where the template writes out a region or an account (in the
// signatures' envelopes, and the IAM documents that verify and sign with
// it).
func TestExportSignedNamesOnlyTheKeysRegion(t *testing.T) {
	_, clients := newFakeAWS(t)
	tpl := parseTemplate(t, mustExport(t, bootstrap.FormatCloudFormation, signing(clients, bootstrap.WithProfiles("dev"), bootstrap.WithIAMPolicies())...))
	named := 0
	walkStrings(tpl, func(s string, _ string) {
		if !strings.Contains(s, testRegion) && !strings.Contains(s, testAccount) {
			return
		}
		if rest := strings.ReplaceAll(s, testSignKeyARN, ""); rest == s || strings.Contains(rest, testRegion) || strings.Contains(rest, testAccount) {
			t.Errorf("the template writes out the region or account: %q", s)
		}
		named++
	})
	if named == 0 {
		t.Error("the signing key's ARN is nowhere in the template")
	}
}
