package bootstrap_test

import (
	"context"
	"errors"
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
	profiles := []string{"dev", "prod-eu", "1", "true", "-", "a.b", "x_y", "null", strings.Repeat("p", 64)}
	opts := []bootstrap.Option{bootstrap.WithProfiles(profiles...), bootstrap.WithDescription("Platform team — policies")}
	puts := ptPuts(t, opts...)
	again := ptPuts(t, opts...)
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
		// Deterministic: a second run with the same options writes the same
		// bytes (signing depends on it), and there is no generation time.
		if second := aws.ToString(again["/sentinel/policies/"+p].Value); second != doc {
			t.Errorf("%s: two runs wrote different values:\n%s\n%s", p, doc, second)
		}
		if strings.Contains(doc, "Generated") {
			t.Errorf("%s: the policy has a Generated line:\n%s", p, doc)
		}
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
		var parsed struct {
			Version string `yaml:"version"`
			Rules   []struct {
				Name       string `yaml:"name"`
				Effect     string `yaml:"effect"`
				Conditions struct {
					Profiles []any `yaml:"profiles"`
				} `yaml:"conditions"`
				Reason string `yaml:"reason"`
			} `yaml:"rules"`
		}
		if err := yaml.Unmarshal([]byte(doc), &parsed); err != nil {
			t.Fatalf("%s: the starter policy does not parse: %v\n%s", p, err, doc)
		}
		// The profile reads back as a string, whatever YAML would make of it.
		if parsed.Version != "1" || len(parsed.Rules) != 1 || parsed.Rules[0].Name != "default-deny" ||
			parsed.Rules[0].Effect != "deny" || len(parsed.Rules[0].Conditions.Profiles) != 1 ||
			parsed.Rules[0].Conditions.Profiles[0] != any(p) || parsed.Rules[0].Reason != "Default deny - customize this policy" {
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
		docs[p] = "# " + e + "\nversion: \"1\"\nrules:\n  - name: only-" + e + "\n    effect: " + e + "\n    conditions:\n      profiles: [" + p + "]\n    reason: test\n"
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
	// Each of Sentinel's rules and the library's stricter ones, through Run:
	// a *ConfigError for WithPolicy naming the profile and the rule or
	// field, and no AWS call.
	rule := func(conditions string) string {
		return "version: \"1\"\nrules:\n  - name: r\n    effect: deny\n    conditions:\n" + conditions
	}
	cases := []struct{ name, doc, want string }{
		{"not YAML", "version: \"1\"\nrules: [\n", "not valid YAML"},
		{"wrong version", strings.Replace(rule("      profiles: [dev]\n"), `"1"`, `"0"`, 1), `version: the version is "0"`},
		{"no rules", "version: \"1\"\nrules: []\n", "rules: the policy has no rules"},
		{"nameless rule", "version: \"1\"\nrules:\n  - effect: deny\n    conditions: {users: [x]}\n", "rules[0].name"},
		{"unknown effect", "version: \"1\"\nrules:\n  - name: a\n    effect: audit\n    conditions: {users: [x]}\n", `rules[0].effect: rule "a" has effect "audit"`},
		{"no conditions", "version: \"1\"\nrules:\n  - name: a\n    effect: deny\n", `rules[0].conditions: rule "a" has no conditions`},
		{"profiles: dev", rule("      profiles: dev\n"), "rules[0].conditions.profiles: must be a list"},
		{"max_server_duration: forever", rule("      profiles: [dev]\n") + "    max_server_duration: forever\n", "rules[0].max_server_duration"},
		{"days: [mon]", rule("      time: {days: [mon]}\n"), "rules[0].conditions.time.days[0]"},
		{"hours 9:00", rule("      time: {hours: {start: \"9:00\", end: \"17:00\"}}\n"), "rules[0].conditions.time.hours.start"},
		{"hours 24:00", rule("      time: {hours: {start: \"09:00\", end: \"24:00\"}}\n"), "rules[0].conditions.time.hours.end"},
		{"timezone Mars/Olympus", rule("      time: {timezone: Mars/Olympus}\n"), "rules[0].conditions.time.timezone"},
		{"misspelt key", rule("      users: [a]\n      profile: [dev]\n"), "rules[0].conditions.profile: unknown key; did you mean profiles?"},
		{"mode: [web]", rule("      users: [a]\n      mode: [web]\n"), "rules[0].conditions.mode[0]"},
		{"time: {}", rule("      time: {}\n"), "rules[0].conditions.time"},
		{"anchors", "version: \"1\"\nrules:\n  - &r {name: a, effect: deny, conditions: {users: [x]}}\n  - *r\n", "rules[0]: YAML anchors"},
		{"over 4096 bytes", rule("      profiles: [dev]\n") + strings.Repeat("#", 4096) + "\n", "bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := append(vtStrictClients(t), bootstrap.WithProfiles("dev", "team-a"), bootstrap.WithPolicy("team-a", c.doc))
			rep, err := bootstrap.Run(context.Background(), aws.Config{Region: "us-east-1"}, opts...)
			checkConfigError(t, rep, err, "WithPolicy", "team-a")
			var ce *bootstrap.ConfigError
			if errors.As(err, &ce) && !strings.Contains(ce.Reason, c.want) {
				t.Errorf("reason %q; want it to contain %q", ce.Reason, c.want)
			}
		})
	}
}

// An existing parameter gets a warning that says which kind of problem it
// has, and is never written (no PutParameter is expected).
func TestExistingPolicyWarningKinds(t *testing.T) {
	cases := map[string]string{
		"Sentinel cannot load the current value":                       "version: \"1\"\nrules:\n  - name: a\n    effect: deny\n    conditions: {profiles: dev}\n",
		"Sentinel's validator refuses the current value":               "version: \"1\"\nrules:\n  - name: a\n    effect: deny\n",
		"only this library's stricter checks refuse the current value": "version: \"1\"\nrules:\n  - name: a\n    effect: deny\n    conditions: {profiles: [dev], time: {}}\n",
	}
	for want, value := range cases {
		t.Run(want, func(t *testing.T) {
			ctrl := gomock.NewController(t)
			sm := mocks.NewMockSSMAPI(ctrl)
			sm.EXPECT().GetParameters(gomock.Any(), gomock.Any(), gomock.Any()).Return(&ssm.GetParametersOutput{Parameters: []ssmtypes.Parameter{{
				Name: aws.String("/sentinel/policies/dev"), Value: aws.String(value), Version: 2, Type: ssmtypes.ParameterTypeString,
			}}}, nil)
			rep, err := bootstrap.Run(context.Background(), aws.Config{Region: "us-east-1"},
				bootstrap.WithSSMClient(sm), bootstrap.WithDynamoDBClient(mocks.NewMockDynamoDBAPI(ctrl)), bootstrap.WithProfiles("dev"))
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			p := rep.Parameters[0]
			if p.Action != bootstrap.ActionNone || p.Version != 2 || len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], want) || !strings.Contains(p.Warnings[0], "unchanged") {
				t.Errorf("%+v; want action none, version 2, one warning containing %q", p, want)
			}
		})
	}
}
