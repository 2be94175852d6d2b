package bootstrap_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"go.uber.org/mock/gomock"
	"go.yaml.in/yaml/v3"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/mocks"
)

// ptPuts runs an apply over an empty account and returns every
// PutParameterInput, by parameter name.
func ptPuts(t *testing.T, opts ...bootstrap.Option) map[string]*ssm.PutParameterInput {
	t.Helper()
	ctrl := gomock.NewController(t)
	sm := mocks.NewMockSSMAPI(ctrl)
	var rec puts
	sm.EXPECT().GetParameters(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, in *ssm.GetParametersInput, _ ...func(*ssm.Options)) (*ssm.GetParametersOutput, error) {
			return &ssm.GetParametersOutput{InvalidParameters: in.Names}, nil
		})
	sm.EXPECT().PutParameter(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, in *ssm.PutParameterInput, _ ...func(*ssm.Options)) (*ssm.PutParameterOutput, error) {
			return rec.answer(in, 1), nil
		})
	opts = append([]bootstrap.Option{bootstrap.WithSSMClient(sm), bootstrap.WithDynamoDBClient(mocks.NewMockDynamoDBAPI(ctrl))}, opts...)
	rep, err := bootstrap.Run(context.Background(), aws.Config{Region: "us-east-1"}, opts...)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, p := range rep.Parameters {
		if p.Action != bootstrap.ActionCreate || p.Status != bootstrap.StatusOK || p.Version != 1 {
			t.Errorf("%s: %+v; want create ok version 1", p.Name, p)
		}
	}
	return rec.in
}

func TestStarterPolicyIsWhatRunWrites(t *testing.T) {
	profiles := []string{"dev", "prod-eu", "1", "true", "-"}
	puts := ptPuts(t, bootstrap.WithProfiles(profiles...), bootstrap.WithDescription("Platform team — policies"))
	for _, p := range profiles {
		in := puts["/sentinel/policies/"+p]
		if in == nil {
			t.Fatalf("no PutParameter for %s", p)
		}
		if in.Type != ssmtypes.ParameterTypeString || in.Tier != ssmtypes.ParameterTierStandard || aws.ToBool(in.Overwrite) || in.Overwrite == nil {
			t.Errorf("%s: Type %s Tier %s Overwrite %v; want String, Standard, false", p, in.Type, in.Tier, in.Overwrite)
		}
		if got := aws.ToString(in.Description); got != "Platform team — policies" {
			t.Errorf("%s: Description %q", p, got)
		}
		doc := aws.ToString(in.Value)
		for _, want := range []string{
			"# Sentinel policy for profile: " + p + "\n",
			"# Description: Platform team — policies\n",
			"version: \"1\"\n",
			"name: default-deny\n",
			"effect: deny\n",
			"reason: Default deny - customize this policy\n",
		} {
			if !strings.Contains(doc, want) {
				t.Errorf("%s: the policy lacks %q:\n%s", p, want, doc)
			}
		}
		if strings.Contains(doc, "Generated:") {
			t.Errorf("%s: a Generated line makes the policy depend on the clock:\n%s", p, doc)
		}
		var parsed struct {
			Version string `yaml:"version"`
			Rules   []struct {
				Name       string `yaml:"name"`
				Effect     string `yaml:"effect"`
				Conditions struct {
					Profiles []string `yaml:"profiles"`
				} `yaml:"conditions"`
				Reason string `yaml:"reason"`
			} `yaml:"rules"`
		}
		if err := yaml.Unmarshal([]byte(doc), &parsed); err != nil {
			t.Fatalf("%s: the starter policy does not parse: %v\n%s", p, err, doc)
		}
		if parsed.Version != "1" || len(parsed.Rules) != 1 || parsed.Rules[0].Name != "default-deny" ||
			parsed.Rules[0].Effect != "deny" || len(parsed.Rules[0].Conditions.Profiles) != 1 ||
			parsed.Rules[0].Conditions.Profiles[0] != p || parsed.Rules[0].Reason != "Default deny - customize this policy" {
			t.Errorf("%s: the starter policy reads as %+v", p, parsed)
		}
	}
}

func TestStarterPolicyDefaultDescription(t *testing.T) {
	puts := ptPuts(t, bootstrap.WithProfiles("dev"))
	in := puts["/sentinel/policies/dev"]
	if got := aws.ToString(in.Description); got != "Sentinel policy for profile dev" {
		t.Errorf("Description %q", got)
	}
	if strings.Contains(aws.ToString(in.Value), "# Description:") {
		t.Errorf("a description line without WithDescription:\n%s", aws.ToString(in.Value))
	}
}

func TestWithPolicyEveryEffect(t *testing.T) {
	effects := []string{"allow", "deny", "require_approval", "require_server", "require_server_session"}
	var opts []bootstrap.Option
	docs := map[string]string{}
	for _, e := range effects {
		p := "p-" + strings.ReplaceAll(e, "_", "-")
		docs[p] = "# " + e + "\nversion: \"1\"\nrules:\n  - name: only-" + e + "\n    effect: " + e + "\n    reason: test\n"
		opts = append(opts, bootstrap.WithProfiles(p), bootstrap.WithPolicy(p, docs[p]))
	}
	opts = append(opts, bootstrap.WithProfiles("starter")) // no WithPolicy: gets the starter policy
	puts := ptPuts(t, opts...)
	for p, doc := range docs {
		if got := aws.ToString(puts["/sentinel/policies/"+p].Value); got != doc {
			t.Errorf("%s: wrote %q; want the WithPolicy YAML byte for byte", p, got)
		}
	}
	if got := aws.ToString(puts["/sentinel/policies/starter"].Value); !strings.Contains(got, "default-deny") {
		t.Errorf("starter: wrote %q; want the starter policy", got)
	}
}

func TestWithPolicyInvalidNamesTheProfile(t *testing.T) {
	// The policy checks of issue 2, each through Run: a *ConfigError for
	// WithPolicy naming the profile, and no AWS call.
	cases := map[string]string{
		"not YAML":        "version: \"1\"\nrules: [\n",
		"wrong version":   "version: \"0\"\nrules:\n  - name: a\n    effect: deny\n",
		"no rules":        "version: \"1\"\nrules: []\n",
		"nameless rule":   "version: \"1\"\nrules:\n  - effect: deny\n",
		"unknown effect":  "version: \"1\"\nrules:\n  - name: a\n    effect: audit\n",
		"over 4096 bytes": "version: \"1\"\nrules:\n  - name: a\n    effect: deny\n" + strings.Repeat("#", 4096) + "\n",
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			opts := append(vtStrictClients(t), bootstrap.WithProfiles("dev", "team-a"), bootstrap.WithPolicy("team-a", doc))
			rep, err := bootstrap.Run(context.Background(), aws.Config{Region: "us-east-1"}, opts...)
			checkConfigError(t, rep, err, "WithPolicy", "team-a")
		})
	}
}
