package bootstrap_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"go.uber.org/mock/gomock"
	"go.yaml.in/yaml/v3"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/mocks"
)

// puts records PutParameter inputs by name; safe for Run's concurrency.
type puts struct {
	mu sync.Mutex
	in map[string]*ssm.PutParameterInput
}

func (p *puts) get(name string) *ssm.PutParameterInput {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.in[name]
}

// answer records in and answers it as created with version.
func (p *puts) answer(in *ssm.PutParameterInput, version int64) *ssm.PutParameterOutput {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.in == nil {
		p.in = map[string]*ssm.PutParameterInput{}
	}
	p.in[aws.ToString(in.Name)] = in
	return &ssm.PutParameterOutput{Version: version, Tier: ssmtypes.ParameterTierStandard}
}

// expectPut expects exactly one successful PutParameter for name, recorded in p.
func (p *puts) expectPut(s *mocks.MockSSMAPI, name string, version int64) *gomock.Call {
	return s.EXPECT().PutParameter(gomock.Any(), paramNamed(name), gomock.Any()).DoAndReturn(
		func(_ context.Context, in *ssm.PutParameterInput, _ ...func(*ssm.Options)) (*ssm.PutParameterOutput, error) {
			return p.answer(in, version), nil
		}).Times(1)
}

// GetParameters reads at most 10 names per call, never one call per
// profile: 25 profiles take exactly 3 calls, with the names in order.
func TestParametersAreReadTenPerCall(t *testing.T) {
	s, d := newMocks(t)
	var profiles []string
	for i := range 25 {
		profiles = append(profiles, fmt.Sprintf("account-%02d", i))
	}
	for lo := 0; lo < 25; lo += 10 {
		var names []string
		var found []ssmtypes.Parameter
		for _, p := range profiles[lo:min(lo+10, 25)] {
			names = append(names, paramName(p))
			found = append(found, existingParam(paramName(p), validPolicy(p), 1))
		}
		s.EXPECT().GetParameters(gomock.Any(), paramNames(names...), gomock.Any()).
			Return(&ssm.GetParametersOutput{Parameters: found}, nil).Times(1)
	}

	rep := mustRun(t, opts(clients(s, d), bootstrap.WithProfiles(profiles...))...)
	var got []string
	for _, r := range rep.Parameters {
		got = append(got, r.Profile)
		if r.Action != bootstrap.ActionNone || r.Status != bootstrap.StatusOK || r.Name != paramName(r.Profile) {
			t.Errorf("%s = %+v, want none, ok", r.Profile, r)
		}
	}
	if !slices.Equal(got, profiles) {
		t.Errorf("parameters reported in order %q, want the order given", got)
	}
	if want := (bootstrap.Summary{None: 25}); rep.Summary != want {
		t.Errorf("Summary = %+v, want %+v", rep.Summary, want)
	}
}

// Missing parameters are created exactly as the issue says; an existing one
// is never written (no PutParameter is expected for it) and is reported with
// its version.
func TestMissingParametersAreCreated(t *testing.T) {
	tests := []struct {
		name        string
		opts        []bootstrap.Option
		description func(profile string) string
		tags        []ssmtypes.Tag
	}{{
		name:        "defaults",
		description: func(p string) string { return "Sentinel policy for profile " + p },
	}, {
		name: "WithDescription and WithTags",
		opts: []bootstrap.Option{
			bootstrap.WithDescription("Payments team AWS access"),
			bootstrap.WithTags(map[string]string{"team": "payments", "env": "prod"}),
		},
		description: func(string) string { return "Payments team AWS access" },
		tags:        []ssmtypes.Tag{{Key: aws.String("env"), Value: aws.String("prod")}, {Key: aws.String("team"), Value: aws.String("payments")}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, d := newMocks(t)
			s.EXPECT().GetParameters(gomock.Any(), paramNames(paramName("dev"), paramName("staging"), paramName("prod")), gomock.Any()).
				Return(&ssm.GetParametersOutput{
					Parameters:        []ssmtypes.Parameter{existingParam(paramName("staging"), validPolicy("staging"), 4)},
					InvalidParameters: []string{paramName("dev"), paramName("prod")},
				}, nil)
			var p puts
			p.expectPut(s, paramName("dev"), 1)
			p.expectPut(s, paramName("prod"), 1)

			rep := mustRun(t, opts(clients(s, d), append([]bootstrap.Option{bootstrap.WithProfiles("dev", "staging", "prod")}, tc.opts...)...)...)

			for _, profile := range []string{"dev", "prod"} {
				in := p.get(paramName(profile))
				if in == nil {
					t.Fatalf("no PutParameter for %s", profile)
				}
				want := &ssm.PutParameterInput{
					Name:        aws.String(paramName(profile)),
					Value:       in.Value, // checked in TestRunWritesStarterPolicy
					Type:        ssmtypes.ParameterTypeString,
					Tier:        ssmtypes.ParameterTierStandard,
					Overwrite:   aws.Bool(false),
					Description: aws.String(tc.description(profile)),
					Tags:        tc.tags,
				}
				assertSameJSON(t, "PutParameterInput for "+profile, in, want)
				if in.Overwrite == nil || *in.Overwrite {
					t.Errorf("%s: Overwrite = %v, want an explicit false", profile, in.Overwrite)
				}
				if got := paramResult(t, rep, profile); got.Action != bootstrap.ActionCreate || got.Status != bootstrap.StatusOK || got.Version != 1 {
					t.Errorf("%s = %+v, want create, ok, version 1", profile, got)
				}
			}
			if got := paramResult(t, rep, "staging"); got.Action != bootstrap.ActionNone || got.Status != bootstrap.StatusOK || got.Version != 4 {
				t.Errorf("staging = %+v, want none, ok, version 4", got)
			}
			if want := (bootstrap.Summary{Create: 2, None: 1}); rep.Summary != want {
				t.Errorf("Summary = %+v, want %+v", rep.Summary, want)
			}
		})
	}
}

// The starter policy has the header comments the issue lists and one
// default-deny rule for the profile, and it is valid by the package's own
// rules: fed back as an existing value, it draws no warning.
func TestRunWritesStarterPolicy(t *testing.T) {
	for _, desc := range []string{"", "Payments team AWS access"} {
		t.Run(fmt.Sprintf("description %q", desc), func(t *testing.T) {
			const profile = "prod-eu.1"
			name := paramName(profile)
			s, d := newMocks(t)
			s.EXPECT().GetParameters(gomock.Any(), paramNames(name), gomock.Any()).Return(&ssm.GetParametersOutput{}, nil)
			var p puts
			p.expectPut(s, name, 1)
			o := opts(clients(s, d), bootstrap.WithProfiles(profile))
			if desc != "" {
				o = append(o, bootstrap.WithDescription(desc))
			}
			mustRun(t, o...)

			value := aws.ToString(p.get(name).Value)
			checkRunStarterPolicy(t, value, profile, desc)

			// Valid per the package: an existing parameter with this value
			// gets no warning.
			s2, d2 := newMocks(t)
			s2.EXPECT().GetParameters(gomock.Any(), paramNames(name), gomock.Any()).
				Return(&ssm.GetParametersOutput{Parameters: []ssmtypes.Parameter{existingParam(name, value, 1)}}, nil)
			rep := mustRun(t, opts(clients(s2, d2), bootstrap.WithProfiles(profile))...)
			if w := rep.Parameters[0].Warnings; len(w) != 0 {
				t.Errorf("the starter policy draws warnings: %q", w)
			}
		})
	}
}

func checkRunStarterPolicy(t *testing.T, value, profile, desc string) {
	t.Helper()
	if len(value) > 4096 {
		t.Errorf("starter policy is %d bytes, over the Standard tier's 4096", len(value))
	}
	var comments []string
	for line := range strings.Lines(value) {
		if strings.HasPrefix(line, "#") {
			comments = append(comments, strings.TrimSpace(line))
		}
	}
	want := []string{"# Sentinel policy for profile: " + profile}
	if desc != "" {
		want = append(want, "# Description: "+desc)
	}
	// No generation time (contract: the same options write the same bytes).
	if len(comments) != len(want)+1 || !slices.Equal(comments[:len(want)], want) {
		t.Fatalf("header comments = %q; want %q, then a hint", comments, want)
	}
	checkContains(t, "hint", strings.ToLower(comments[len(want)]), "customize")

	var doc struct {
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
	if err := yaml.Unmarshal([]byte(value), &doc); err != nil {
		t.Fatalf("starter policy is not YAML: %v\n%s", err, value)
	}
	if doc.Version != "1" || len(doc.Rules) != 1 {
		t.Fatalf("starter policy: version %q, %d rules; want version \"1\", one rule:\n%s", doc.Version, len(doc.Rules), value)
	}
	r := doc.Rules[0]
	if r.Name != "default-deny" || r.Effect != "deny" || !slices.Equal(r.Conditions.Profiles, []string{profile}) ||
		r.Reason != "Default deny - customize this policy" {
		t.Errorf("rule = %+v; want default-deny, deny, profiles [%s], the default reason", r, profile)
	}
}

// WithPolicy's YAML is the new parameter's value, byte for byte; the other
// profile still gets the starter policy.
func TestWithPolicyIsUsedVerbatim(t *testing.T) {
	custom := "# payments\nversion: \"1\"\nrules:\n  - name: allow-payments\n    effect: allow\n    conditions:\n      profiles: [prod]\n  - name: approval-for-admin\n    effect: require_approval\n    conditions:\n      users: [admin]\n"
	s, d := newMocks(t)
	s.EXPECT().GetParameters(gomock.Any(), paramNames(paramName("dev"), paramName("prod")), gomock.Any()).Return(&ssm.GetParametersOutput{}, nil)
	var p puts
	p.expectPut(s, paramName("dev"), 1)
	p.expectPut(s, paramName("prod"), 1)

	mustRun(t, opts(clients(s, d), bootstrap.WithProfiles("dev", "prod"), bootstrap.WithPolicy("prod", custom))...)

	if got := aws.ToString(p.get(paramName("prod")).Value); got != custom {
		t.Errorf("prod value = %q, want WithPolicy's YAML verbatim %q", got, custom)
	}
	checkContains(t, "dev value", aws.ToString(p.get(paramName("dev")).Value), "name: default-deny")
}

// An existing parameter whose value is not a valid Sentinel policy gets a
// warning, and is still never written (there is no PutParameter expectation).
func TestExistingInvalidPolicyWarnsAndIsNotWritten(t *testing.T) {
	tests := []struct {
		name    string
		param   ssmtypes.Parameter
		warning []string // empty: no warning
	}{
		{"valid", existingParam(paramName("dev"), validPolicy("dev"), 3), nil},
		{"not YAML", existingParam(paramName("dev"), "rules: [unclosed", 3), []string{"Sentinel cannot load the current value", "YAML", "unchanged"}},
		{"wrong version", existingParam(paramName("dev"), "version: \"2\"\nrules:\n  - name: a\n    effect: allow\n", 3), []string{"Sentinel's validator refuses the current value", "version", "unchanged"}},
		{"no rules", existingParam(paramName("dev"), "version: \"1\"\nrules: []\n", 3), []string{"Sentinel's validator refuses the current value", "rules", "unchanged"}},
		{"unknown effect", existingParam(paramName("dev"), "version: \"1\"\nrules:\n  - name: a\n    effect: permit\n", 3), []string{"Sentinel's validator refuses the current value", "permit", "unchanged"}},
		{"misspelt key", existingParam(paramName("dev"), "version: \"1\"\nrules:\n  - name: a\n    effect: allow\n    conditions: {users: [a], profile: [dev]}\n", 3), []string{"only this library's stricter checks refuse the current value", "rules[0].conditions.profile: unknown key; did you mean profiles?", "unchanged"}},
		{"written by an earlier version", existingParam(paramName("dev"), "# Sentinel policy for profile: dev\n# Generated: 2025-01-02T03:04:05Z\nversion: \"1\"\nrules:\n  - name: default-deny\n    effect: deny\n    conditions:\n      profiles:\n        - dev\n    reason: Default deny - customize this policy\n", 3), nil},
		{"SecureString", func() ssmtypes.Parameter {
			p := existingParam(paramName("dev"), "ciphertext", 3)
			p.Type = ssmtypes.ParameterTypeSecureString
			return p
		}(), []string{"SecureString"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, d := newMocks(t)
			s.EXPECT().GetParameters(gomock.Any(), paramNames(paramName("dev")), gomock.Any()).
				Return(&ssm.GetParametersOutput{Parameters: []ssmtypes.Parameter{tc.param}}, nil)

			rep := mustRun(t, opts(clients(s, d), bootstrap.WithProfiles("dev"))...)
			got := rep.Parameters[0]
			if got.Action != bootstrap.ActionNone || got.Status != bootstrap.StatusOK || got.Version != 3 || got.Error != "" {
				t.Errorf("dev = %+v, want none, ok, version 3", got)
			}
			if len(tc.warning) == 0 {
				if len(got.Warnings) != 0 {
					t.Errorf("Warnings = %q, want none", got.Warnings)
				}
				return
			}
			if len(got.Warnings) != 1 {
				t.Fatalf("Warnings = %q, want one", got.Warnings)
			}
			checkContains(t, "warning", got.Warnings[0], tc.warning...)
		})
	}
}

// Throttling is retried and ends ok: a GetParameters answered
// ThrottlingException once, and a PutParameter answered it twice.
func TestThrottlingIsRetried(t *testing.T) {
	throttled := func(op string) error {
		return opErr("SSM", op, apiErr("ThrottlingException", "Rate exceeded"))
	}
	t.Run("GetParameters", func(t *testing.T) {
		s, d := newMocks(t)
		gomock.InOrder(
			s.EXPECT().GetParameters(gomock.Any(), paramNames(paramName("dev")), gomock.Any()).Return(nil, throttled("GetParameters")),
			s.EXPECT().GetParameters(gomock.Any(), paramNames(paramName("dev")), gomock.Any()).
				Return(&ssm.GetParametersOutput{Parameters: []ssmtypes.Parameter{existingParam(paramName("dev"), validPolicy("dev"), 9)}}, nil),
		)
		rep := mustRun(t, opts(clients(s, d), bootstrap.WithProfiles("dev"))...)
		if got := rep.Parameters[0]; got.Action != bootstrap.ActionNone || got.Status != bootstrap.StatusOK || got.Version != 9 {
			t.Errorf("dev = %+v, want none, ok, version 9", got)
		}
	})
	t.Run("PutParameter", func(t *testing.T) {
		// Twenty parameters, one at a time: nineteen are accepted, then the
		// last is throttled twice. (The library paces writes from the rate
		// that succeeded in the last second, so the successes before the
		// throttle keep the retry brief.)
		s, d := newMocks(t)
		var profiles, names []string
		for i := range 20 {
			profiles = append(profiles, fmt.Sprintf("p%02d", i))
			names = append(names, paramName(profiles[i]))
		}
		s.EXPECT().GetParameters(gomock.Any(), paramNames(names[:10]...), gomock.Any()).Return(&ssm.GetParametersOutput{}, nil)
		s.EXPECT().GetParameters(gomock.Any(), paramNames(names[10:]...), gomock.Any()).Return(&ssm.GetParametersOutput{}, nil)
		var p puts
		for _, n := range names[:19] {
			p.expectPut(s, n, 1)
		}
		last := names[19]
		gomock.InOrder(
			s.EXPECT().PutParameter(gomock.Any(), paramNamed(last), gomock.Any()).Return(nil, throttled("PutParameter")).Times(2),
			p.expectPut(s, last, 1),
		)

		rep := mustRun(t, opts(clients(s, d), bootstrap.WithProfiles(profiles...), bootstrap.WithConcurrency(1))...)
		if got := paramResult(t, rep, "p19"); got.Action != bootstrap.ActionCreate || got.Status != bootstrap.StatusOK || got.Version != 1 || got.Error != "" {
			t.Errorf("p19 = %+v, want create, ok, version 1", got)
		}
		if want := (bootstrap.Summary{Create: 20}); rep.Summary != want {
			t.Errorf("Summary = %+v, want %+v", rep.Summary, want)
		}
	})
}

// In apply, a parameter that could not be read (access denied) is still
// created, with Overwrite=false so that an existing one is refused: the
// refused one is none, the other create, and neither keeps the read error.
func TestUnreadableParametersAreCreatedWithoutOverwrite(t *testing.T) {
	s, d := newMocks(t)
	s.EXPECT().GetParameters(gomock.Any(), paramNames(paramName("dev"), paramName("prod")), gomock.Any()).
		Return(nil, accessDenied("SSM", "GetParameters"))
	var p puts
	p.expectPut(s, paramName("dev"), 1)
	s.EXPECT().PutParameter(gomock.Any(), paramNamed(paramName("prod")), gomock.Any()).
		Return(nil, opErr("SSM", "PutParameter", &ssmtypes.ParameterAlreadyExists{Message: aws.String("The parameter already exists.")}))

	rep := mustRun(t, opts(clients(s, d), bootstrap.WithProfiles("dev", "prod"))...)
	if in := p.get(paramName("dev")); in == nil || in.Overwrite == nil || *in.Overwrite {
		t.Errorf("dev PutParameter = %+v, want Overwrite=false", in)
	}
	if got := paramResult(t, rep, "dev"); got.Action != bootstrap.ActionCreate || got.Status != bootstrap.StatusOK || got.Error != "" {
		t.Errorf("dev = %+v, want create, ok, no error", got)
	}
	if got := paramResult(t, rep, "prod"); got.Action != bootstrap.ActionNone || got.Status != bootstrap.StatusOK || got.Error != "" {
		t.Errorf("prod = %+v, want none, ok, no error", got)
	}
}

// A rule whose session_table names another table than the selected sessions
// table gets a warning on its parameter: for a policy Run writes (plan and
// apply) and for an existing one.
func TestSessionTableWarningOnParameters(t *testing.T) {
	doc := "version: \"1\"\nrules:\n  - {name: servers, effect: require_server_session, session_table: team-sessions, conditions: {profiles: [dev]}}\n"
	for _, plan := range []bool{true, false} {
		s, d := newMocks(t)
		expectCorrectTable(d, bootstrap.PurposeSessions, true, nil)
		s.EXPECT().GetParameters(gomock.Any(), paramNames(paramName("dev"), paramName("prod")), gomock.Any()).
			Return(&ssm.GetParametersOutput{Parameters: []ssmtypes.Parameter{existingParam(paramName("prod"), strings.ReplaceAll(doc, "[dev]", "[prod]"), 4)}}, nil)
		o := opts(clients(s, d), bootstrap.WithSessions(), bootstrap.WithProfiles("dev", "prod"), bootstrap.WithPolicy("dev", doc))
		if plan {
			o = append(o, bootstrap.WithPlanOnly())
		} else {
			s.EXPECT().PutParameter(gomock.Any(), paramNamed(paramName("dev")), gomock.Any()).Return(&ssm.PutParameterOutput{Version: 1}, nil)
		}
		rep := mustRun(t, o...)
		for _, p := range rep.Parameters {
			if len(p.Warnings) != 1 {
				t.Errorf("plan=%v %s: warnings %q; want the session_table one", plan, p.Name, p.Warnings)
				continue
			}
			checkContains(t, p.Name+" warning", p.Warnings[0], `"team-sessions"`, `"sentinel-sessions"`, "WithSessionTable")
		}
	}
}

// PutParameter answering ParameterAlreadyExists (someone created it after
// the read) is action none, not a failure, and is not retried.
func TestParameterAlreadyExistsIsNone(t *testing.T) {
	exists := map[string]error{
		"modeled": opErr("SSM", "PutParameter", &ssmtypes.ParameterAlreadyExists{Message: aws.String("The parameter already exists.")}),
		"generic": opErr("SSM", "PutParameter", apiErr("ParameterAlreadyExists", "The parameter already exists.")),
	}
	for kind, err := range exists {
		t.Run(kind, func(t *testing.T) {
			s, d := newMocks(t)
			s.EXPECT().GetParameters(gomock.Any(), paramNames(paramName("dev"), paramName("prod")), gomock.Any()).
				Return(&ssm.GetParametersOutput{InvalidParameters: []string{paramName("dev"), paramName("prod")}}, nil)
			s.EXPECT().PutParameter(gomock.Any(), paramNamed(paramName("dev")), gomock.Any()).Return(nil, err).Times(1)
			s.EXPECT().PutParameter(gomock.Any(), paramNamed(paramName("prod")), gomock.Any()).Return(&ssm.PutParameterOutput{Version: 1}, nil).Times(1)

			rep := mustRun(t, opts(clients(s, d), bootstrap.WithProfiles("dev", "prod"))...)
			if got := paramResult(t, rep, "dev"); got.Action != bootstrap.ActionNone || got.Status != bootstrap.StatusOK || got.Error != "" {
				t.Errorf("dev = %+v, want none, ok, no error", got)
			}
			if got := paramResult(t, rep, "prod"); got.Action != bootstrap.ActionCreate || got.Status != bootstrap.StatusOK || got.Version != 1 {
				t.Errorf("prod = %+v, want create, ok, version 1", got)
			}
			if want := (bootstrap.Summary{Create: 1, None: 1}); rep.Summary != want {
				t.Errorf("Summary = %+v, want %+v", rep.Summary, want)
			}
		})
	}
}
