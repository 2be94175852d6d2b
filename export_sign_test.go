package bootstrap_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
	values := map[string]string{}
	sigs := map[string]string{}
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
	if len(sigs) != 2 || len(values) != 2 {
		t.Fatalf("policies %v, signatures %v; want two of each", slices.Sorted(maps.Keys(values)), slices.Sorted(maps.Keys(sigs)))
	}
	for rest, value := range values {
		var env testEnvelope
		if err := json.Unmarshal([]byte(sigs[rest]), &env); err != nil {
			t.Fatalf("signature of %s: %v", rest, err)
		}
		sum := sha256.Sum256([]byte(value))
		if env.Metadata.PolicyHash != hex.EncodeToString(sum[:]) || env.Metadata.KeyID != testSignKeyARN {
			t.Errorf("signature of %s: %+v; want the hash of the exported value and the key", rest, env.Metadata)
		}
		if !slices.ContainsFunc(f.signed, func(m []byte) bool { return string(m) == value }) {
			t.Errorf("no Sign over the exported value of %s", rest)
		}
	}

	tf := string(mustExport(t, bootstrap.FormatTerraform, o...))
	for _, want := range []string{`resource "aws_ssm_parameter" "signature_dev"`, `"/sentinel/signatures/dev"`} {
		if !strings.Contains(tf, want) {
			t.Errorf("the Terraform export lacks %q", want)
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
			t.Errorf("exported parameters %q; Run plans %q", params, want)
		}
	}
}
