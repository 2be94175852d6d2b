package bootstrap

import (
	"errors"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"go.yaml.in/yaml/v3"
)

// The fuzz targets re-check what validation accepts with simple, independent
// code written from the documented rules (issue 2 and the option docs), so a
// validator that lets something through is caught, not just one that panics.
// Seeds are in f.Add calls below and in testdata/fuzz/<target>/.
//
//	go test -run='^$' -fuzz=FuzzOptions -fuzztime=20s .
//
// FuzzValidatePolicy and FuzzDescription are in policy_fuzz_test.go.

// fzOptionNames are the options a ConfigError may name.
var fzOptionNames = []string{
	"WithProfiles", "WithPolicyRoot", "WithDescription", "WithPolicy", "WithApprovalTable", "WithBreakGlassTable",
	"WithSessionTable", "WithNameSuffix", "WithRegion", "WithSSMClient", "WithDynamoDBClient", "WithTags",
	"WithKMSKey", "WithWaitTimeout", "WithConcurrency", "WithPolicySigning",
}

func FuzzOptions(f *testing.F) {
	type seed struct{ profile, root, table, tagKey, tagValue, kmsKey, desc, suffix string }
	for _, s := range []seed{
		{"dev", "/sentinel/policies", "sentinel-requests", "team", "platform", "alias/sentinel", "Team policies", ""},
		{"prod.eu-1", "/sentinel/policies/", "t_1.x-y", "cost:center", "Équipe 42", "1234abcd-12ab-34cd-56ef-1234567890ab", "", "-ci"},
		{strings.Repeat("p", 64), "/a/b/c/d/e/f/g/h/i/j/k/l/m/n", strings.Repeat("t", 255), strings.Repeat("k", 128), strings.Repeat("v", 256), "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", strings.Repeat("d", 1024), strings.Repeat("s", 64)},
		{"-", "/a", "abc", "aws:x", "", "arn:aws-us-gov:kms:us-gov-west-1:123456789012:alias/x", "a\u2028version: \"2\"", "ws"},
		{"true", "/ssm", "ab", "AWS:x", "v\n", "mrk-0123456789abcdef0123456789abcdef", "line\nbreak", "a/b"},
		{"1", "//", "a b", "", "x", "alias/", "caf\xe9", "ü"},
		{"dév", "/", "tâble", "k#", "v*", "not-a-key", "\x00", " "},
		{"null", "no-slash", "", "k", strings.Repeat("é", 257), "arn:aws:s3:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", "\u0085", ""},
	} {
		f.Add(s.profile, s.root, s.table, s.tagKey, s.tagValue, s.kmsKey, s.desc, s.suffix)
	}
	f.Fuzz(func(t *testing.T, profile, root, table, tagKey, tagValue, kmsKey, desc, suffix string) {
		// Each value alone, the others valid, so that every check gets its turn.
		if s, ok := fzValidate(t, WithProfiles(profile)); ok {
			fzCheckProfile(t, s, profile)
			fzCheckStarter(t, s, profile, "")
		}
		if s, ok := fzValidate(t, WithProfiles("dev"), WithAll(), WithPolicyRoot(root), WithNameSuffix(suffix)); ok {
			fzCheckRoot(t, s, root, suffix)
			fzCheckSuffix(t, suffix)
			fzCheckTables(t, s, suffix)
		}
		if s, ok := fzValidate(t, WithApprovals(), WithApprovalTable(table), WithNameSuffix(suffix)); ok {
			fzCheckSuffix(t, suffix)
			fzCheckTables(t, s, suffix)
			if got := s.table(approvals).name; got != table+suffix {
				t.Fatalf("table %q with suffix %q became %q", table, suffix, got)
			}
		}
		if s, ok := fzValidate(t, WithAll(), WithTags(map[string]string{tagKey: tagValue})); ok {
			fzCheckTags(t, s)
		}
		if _, ok := fzValidate(t, WithAll(), WithKMSKey(kmsKey)); ok {
			fzCheckKMSKey(t, kmsKey)
		}
		if s, ok := fzValidate(t, WithProfiles(profile), WithPolicyRoot(root), WithNameSuffix(suffix), WithPolicySigning(kmsKey)); ok {
			fzCheckKMSKey(t, kmsKey)
			fzCheckRoot(t, s, root, suffix)
			if s.params[0].sigName == "" {
				t.Fatalf("signing accepted without a signature name: %+v", s.params)
			}
		}
		if s, ok := fzValidate(t, WithProfiles("dev"), WithDescription(desc)); ok {
			fzCheckDescription(t, desc)
			fzCheckStarter(t, s, "dev", desc)
		}
		// Everything at once.
		s, ok := fzValidate(t, WithProfiles(profile), WithPolicyRoot(root), WithAll(), WithApprovalTable(table),
			WithTags(map[string]string{tagKey: tagValue}), WithKMSKey(kmsKey), WithDescription(desc), WithNameSuffix(suffix))
		if ok {
			fzCheckProfile(t, s, profile)
			fzCheckRoot(t, s, root, suffix)
			fzCheckSuffix(t, suffix)
			fzCheckTables(t, s, suffix)
			fzCheckTags(t, s)
			fzCheckKMSKey(t, kmsKey)
			fzCheckDescription(t, desc)
			fzCheckStarter(t, s, profile, desc)
		}
	})
}

// fzValidate applies and validates the options. A rejection must be a
// *ConfigError naming a real option, in a one-line message.
func fzValidate(t *testing.T, opts ...Option) (*config, bool) {
	t.Helper()
	c, err := resolve(append(opts, WithRegion("us-east-1")), aws.Config{})
	if err == nil {
		return c, true
	}
	var ce *ConfigError
	if !errors.As(err, &ce) || !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("rejected with %T %v; want a *ConfigError", err, err)
	}
	if ce.Option == "" || !slices.Contains(fzOptionNames, ce.Option) {
		t.Fatalf("ConfigError names option %q: %v", ce.Option, err)
	}
	if ce.Reason == "" {
		t.Fatalf("ConfigError without a reason: %v", err)
	}
	if msg := err.Error(); strings.ContainsAny(msg, "\r\n") || !strings.Contains(msg, ce.Option) {
		t.Fatalf("message not one line naming the option: %q", msg)
	}
	return nil, false
}

// fzName reports whether s is 1 or more of A-Z a-z 0-9 _ . - (bytewise).
func fzName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

func fzCheckProfile(t *testing.T, s *config, profile string) {
	t.Helper()
	if len(profile) < 1 || len(profile) > 64 || !fzName(profile) {
		t.Fatalf("accepted profile %q", profile)
	}
	if len(s.params) != 1 || s.params[0].profile != profile {
		t.Fatalf("profile %q resolved to %+v", profile, s.params)
	}
	name := s.params[0].name
	if name != s.policyRoot+"/"+profile || !fzNameFits(name) {
		t.Fatalf("accepted parameter name %q (%d chars)", name, len(name))
	}
}

// fzARNPrefix is what SSM counts before a name in its 1011-character limit,
// in the region fzValidate uses (AWS's PutParameter documentation: the
// limit includes the ARN).
const fzARNPrefix = "arn:aws:ssm:us-east-1:123456789012:parameter"

// fzNameFits reports whether SSM takes name: at most 1011 characters with
// its ARN, at most 15 levels.
func fzNameFits(name string) bool {
	return len(fzARNPrefix)+len(name) <= 1011 && strings.Count(name, "/") <= 15
}

func fzCheckRoot(t *testing.T, s *config, root, suffix string) {
	t.Helper()
	want := strings.TrimSuffix(root, "/") + suffix
	got := s.policyRoot
	if got != want {
		t.Fatalf("root %q with suffix %q became %q; want %q", root, suffix, got, want)
	}
	if !strings.HasPrefix(got, "/") || strings.HasSuffix(got, "/") || strings.Contains(got, "//") {
		t.Fatalf("accepted root %q (from %q)", got, root)
	}
	for _, level := range strings.Split(got[1:], "/") {
		if !fzName(level) {
			t.Fatalf("accepted root %q: level %q", got, level)
		}
	}
	first, _, _ := strings.Cut(got[1:], "/")
	if len(first) >= 3 && (strings.EqualFold(first[:3], "aws") || strings.EqualFold(first[:3], "ssm")) {
		t.Fatalf("accepted root %q: SSM reserves names beginning with %q", got, first[:3])
	}
	for _, p := range s.params {
		name := p.name
		if name != got+"/"+p.profile || !fzNameFits(name) {
			t.Fatalf("accepted parameter name %q", name)
		}
		if p.sigName != "" && !fzNameFits(p.sigName) {
			t.Fatalf("accepted signature parameter name %q", p.sigName)
		}
	}
}

func fzCheckSuffix(t *testing.T, suffix string) {
	t.Helper()
	if len(suffix) > 64 || suffix != "" && !fzName(suffix) {
		t.Fatalf("accepted suffix %q", suffix)
	}
}

func fzCheckTables(t *testing.T, s *config, suffix string) {
	t.Helper()
	seen := map[string]bool{}
	for _, spec := range s.tables {
		if len(spec.name) < 3 || len(spec.name) > 255 || !fzName(spec.name) || !strings.HasSuffix(spec.name, suffix) {
			t.Fatalf("accepted table name %q", spec.name)
		}
		if seen[spec.name] {
			t.Fatalf("accepted table name %q twice", spec.name)
		}
		seen[spec.name] = true
	}
}

// fzTagText is AWS's documented tag pattern for DynamoDB and SSM.
var fzTagText = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

func fzCheckTags(t *testing.T, s *config) {
	t.Helper()
	if len(s.tags) > 50 {
		t.Fatalf("accepted %d tags", len(s.tags))
	}
	for k, v := range s.tags {
		switch {
		case !utf8.ValidString(k) || !utf8.ValidString(v):
			t.Fatalf("accepted tag %q=%q: not UTF-8", k, v)
		case utf8.RuneCountInString(k) < 1 || utf8.RuneCountInString(k) > 128:
			t.Fatalf("accepted tag key %q", k)
		case utf8.RuneCountInString(v) > 256:
			t.Fatalf("accepted tag value of %d characters", utf8.RuneCountInString(v))
		case len(k) >= 4 && strings.EqualFold(k[:4], "aws:"):
			t.Fatalf("accepted reserved tag key %q", k)
		case !fzTagText.MatchString(k) || !fzTagText.MatchString(v):
			t.Fatalf("accepted tag %q=%q with characters AWS refuses", k, v)
		}
	}
}

func fzCheckKMSKey(t *testing.T, key string) {
	t.Helper()
	hex := func(s string, n int) bool {
		if len(s) != n {
			return false
		}
		for _, c := range []byte(s) {
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
		return true
	}
	keyID := func(s string) bool {
		if rest, ok := strings.CutPrefix(s, "mrk-"); ok {
			return hex(rest, 32)
		}
		p := strings.Split(s, "-")
		return len(p) == 5 && hex(p[0], 8) && hex(p[1], 4) && hex(p[2], 4) && hex(p[3], 4) && hex(p[4], 12)
	}
	alias := func(s string) bool {
		name, ok := strings.CutPrefix(s, "alias/")
		if !ok || len(name) < 1 || len(name) > 250 {
			return false
		}
		for _, c := range []byte(name) {
			if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '/' || c == '_' || c == '-') {
				return false
			}
		}
		return true
	}
	arn := func(s string) bool {
		p := strings.SplitN(s, ":", 6)
		// Of the run's partition and region only (fzValidate: us-east-1).
		if len(p) != 6 || p[0] != "arn" || p[1] != "aws" || p[2] != "kms" || p[3] != "us-east-1" || len(p[4]) != 12 {
			return false
		}
		for _, c := range []byte(p[4]) {
			if c < '0' || c > '9' {
				return false
			}
		}
		if id, ok := strings.CutPrefix(p[5], "key/"); ok {
			return keyID(id)
		}
		return alias(p[5])
	}
	if !keyID(key) && !alias(key) && !arn(key) {
		t.Fatalf("accepted KMS key %q", key)
	}
}

func fzCheckDescription(t *testing.T, desc string) {
	t.Helper()
	if !utf8.ValidString(desc) || utf8.RuneCountInString(desc) > 1024 {
		t.Fatalf("accepted description %q", desc)
	}
	for _, r := range desc {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			t.Fatalf("accepted description with %U: %q", r, desc)
		}
	}
}

// fzCheckStarter checks the starter policy of an accepted configuration: it
// reads back as exactly the documented policy.
func fzCheckStarter(t *testing.T, s *config, profile, desc string) {
	t.Helper()
	doc := s.policyFor(&paramSpec{profile: profile})
	if err := checkPolicy([]byte(doc)); err != nil {
		t.Fatalf("the starter policy of an accepted configuration is invalid: %v\n%s", err, doc)
	}
	var m map[string]any
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatalf("the starter policy does not decode: %v\n%s", err, doc)
	}
	want := map[string]any{
		"version": "1",
		"rules": []any{map[string]any{
			"name": "default-deny", "effect": "deny",
			"conditions": map[string]any{"profiles": []any{profile}},
			"reason":     "Default deny - customize this policy",
		}},
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("the starter policy reads as %#v\n%s", m, doc)
	}
	if desc != "" && !strings.Contains(doc, "\n# Description: "+desc+"\n") {
		t.Fatalf("the starter policy lacks the description line:\n%s", doc)
	}
}
