package bootstrap

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"go.yaml.in/yaml/v3"
)

// The policy fuzz targets re-check checkPolicy with simple code written
// independently from contract §2: Sentinel's loader and validator, typed
// again here, must agree with the kind checkPolicy reports, and whatever it
// accepts must pass every stricter rule too. Seeds are in f.Add calls below
// and in testdata/fuzz/<target>/.
//
//	go test -run='^$' -fuzz='^FuzzValidatePolicy$' -fuzztime=20s .
//	go test -run='^$' -fuzz='^FuzzDescription$' -fuzztime=20s .

// fzpSentinel is Sentinel's policy schema, typed again from the contract.
type fzpSentinel struct {
	Version string `yaml:"version"`
	Rules   []struct {
		Name              string        `yaml:"name"`
		Effect            string        `yaml:"effect"`
		Reason            string        `yaml:"reason"`
		MaxServerDuration time.Duration `yaml:"max_server_duration"`
		SessionTable      string        `yaml:"session_table"`
		Conditions        struct {
			Profiles []string `yaml:"profiles"`
			Users    []string `yaml:"users"`
			Mode     []string `yaml:"mode"`
			Time     *struct {
				Days  []string `yaml:"days"`
				Hours *struct {
					Start string `yaml:"start"`
					End   string `yaml:"end"`
				} `yaml:"hours"`
				Timezone string `yaml:"timezone"`
			} `yaml:"time"`
			Device *struct {
				RequireEncryption   bool     `yaml:"require_encryption"`
				RequireMDM          bool     `yaml:"require_mdm"`
				RequireMDMCompliant bool     `yaml:"require_mdm_compliant"`
				RequireFirewall     bool     `yaml:"require_firewall"`
				MinOSVersion        string   `yaml:"min_os_version"`
				AllowedOSTypes      []string `yaml:"allowed_os_types"`
			} `yaml:"device"`
		} `yaml:"conditions"`
	} `yaml:"rules"`
}

// fzpLoad is Sentinel's loader.
func fzpLoad(doc []byte) (*fzpSentinel, error) {
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil, errors.New("empty")
	}
	var p fzpSentinel
	if err := yaml.Unmarshal(doc, &p); err != nil {
		return nil, err
	}
	if p.Version == "" {
		return nil, errors.New("no version")
	}
	return &p, nil
}

var fzpHHMM = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// fzpValidate is Sentinel's validator.
func fzpValidate(p *fzpSentinel) error {
	if p.Version != "1" || len(p.Rules) == 0 {
		return errors.New("version or rules")
	}
	for _, r := range p.Rules {
		if r.Name == "" || !slices.Contains([]string{"allow", "deny", "require_approval", "require_server", "require_server_session"}, r.Effect) {
			return errors.New("name or effect")
		}
		c := r.Conditions
		if len(c.Profiles) == 0 && len(c.Users) == 0 && c.Time == nil {
			return errors.New("no conditions")
		}
		if c.Time == nil {
			continue
		}
		for _, d := range c.Time.Days {
			if !slices.Contains([]string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}, d) {
				return errors.New("day")
			}
		}
		if c.Time.Timezone != "" {
			if _, err := time.LoadLocation(c.Time.Timezone); err != nil {
				return err
			}
		}
		if h := c.Time.Hours; h != nil && (!fzpHHMM.MatchString(h.Start) || !fzpHHMM.MatchString(h.End)) {
			return errors.New("hours")
		}
	}
	return nil
}

// fzpPath is the form of a problem's path.
var fzpPath = regexp.MustCompile(`^$|^([A-Za-z0-9_-]+|"(\\.|[^"\\])*"|<<)(\[\d+\])*(\.([A-Za-z0-9_-]+|"(\\.|[^"\\])*"|<<)(\[\d+\])*)*$`)

func FuzzValidatePolicy(f *testing.F) {
	for _, seed := range []string{
		"version: \"1\"\nrules:\n  - name: a\n    effect: allow\n    conditions: {profiles: [dev]}\n",
		"version: \"1\"\nrules:\n  - name: a\n    effect: deny\n    conditions:\n      users: [x]\n      profile: [dev]\n",
		"version: \"1\"\nrules:\n  - {name: a, effect: deny, conditions: {profiles: dev}}\n",
		"version: \"1\"\nrules:\n  - {name: a, effect: deny, max_server_duration: forever, conditions: {users: [x]}}\n",
		"version: \"1\"\nrules:\n  - {name: a, effect: deny, conditions: {time: {days: [mon], hours: {start: \"9:00\", end: \"24:00\"}, timezone: Mars/Olympus}}}\n",
		"version: \"1\"\nrules:\n  - {name: \" \", effect: deny, conditions: {time: {}, mode: [web]}}\n",
		"{version: '1', rules: [{name: x, effect: require_approval, conditions: {users: [a]}}]}",
		"version: 1\nrules:\n  - name: 7\n    effect: require_server\n    conditions: {users: [1]}\n",
		"version: \"2\"\nrules:\n  - name: a\n    effect: allow\n",
		"version: \"1\"\nrules: []\n",
		"version: \"1\"\nrules:\n  - effect: deny\n",
		"version: \"1\"\nrules:\n  - name: \"a\\nb\"\n    effect: nope\n",
		"version: [\n",
		"a: &a [*a]\n",
		"x: &x {version: \"1\"}\n<<: *x\nrules: [{name: a, effect: deny, conditions: {users: [x]}}]\n",
		"---\nversion: \"1\"\nrules: [{name: a, effect: deny, conditions: {users: [x]}}]\n---\nversion: \"2\"\n",
		"? [complex]\n: key\nversion: \"1\"\nrules: [{name: a, effect: deny}]\n",
		"version: \"1\"\nversion: \"1\"\n",
		"",
		"\xff\xfe",
		"\xff\xfev\x00e\x00r\x00s\x00i\x00o\x00n\x00:\x00 \x001\x00",
		strings.Repeat("#", maxPolicyBytes+1),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		p := checkPolicy(doc)
		sp, loadErr := fzpLoad(doc)
		var validErr error
		if loadErr == nil {
			validErr = fzpValidate(sp)
		}
		if p == nil {
			if loadErr != nil || validErr != nil {
				t.Fatalf("accepted, but Sentinel's loader (%v) or validator (%v) refuses it\n%q", loadErr, validErr, doc)
			}
			fzpCheckStricter(t, doc, sp)
			return
		}
		msg := p.Error()
		if p.Reason == "" || strings.ContainsAny(msg, "\r\n") {
			t.Fatalf("message is empty or not one line: %q", msg)
		}
		for _, leak := range []string{"bootstrap.", "sentinelPolicy", "sentinelRule", "sentinelCondition", "[]string", "time.Duration", "unmarshal", "!!seq", "!!map", "!!str"} {
			if strings.Contains(msg, leak) {
				t.Fatalf("message names %q: %q", leak, msg)
			}
		}
		if !fzpPath.MatchString(p.Path) {
			t.Fatalf("path %q is not of the form rules[0].conditions.profiles", p.Path)
		}
		if len(doc) > maxDecodedPolicy {
			if p.Kind != policyStricter {
				t.Fatalf("%d bytes: kind %s; want the size", len(doc), p.Kind)
			}
			return
		}
		switch p.Kind {
		case policyUnloadable:
			if loadErr == nil {
				t.Fatalf("reported unloadable (%v), but Sentinel's loader loads it\n%q", p, doc)
			}
		case policyInvalid:
			if loadErr != nil || validErr == nil {
				t.Fatalf("reported as refused by the validator (%v); loader %v, validator %v\n%q", p, loadErr, validErr, doc)
			}
		case policyStricter:
			if loadErr != nil || validErr != nil {
				t.Fatalf("reported as stricter only (%v); loader %v, validator %v\n%q", p, loadErr, validErr, doc)
			}
		default:
			t.Fatalf("kind %d", p.Kind)
		}
	})
}

// fzpKeys are the keys of each mapping of the schema, by its place.
var fzpKeys = map[string][]string{
	"policy":     {"version", "rules"},
	"rule":       {"name", "effect", "reason", "max_server_duration", "session_table", "conditions"},
	"conditions": {"profiles", "users", "mode", "time", "device"},
	"time":       {"days", "hours", "timezone"},
	"hours":      {"start", "end"},
	"device":     {"require_encryption", "require_mdm", "require_mdm_compliant", "require_firewall", "min_os_version", "allowed_os_types"},
}

// fzpCheckStricter checks an accepted policy against the library's stricter
// rules, with a generic decode.
func fzpCheckStricter(t *testing.T, doc []byte, sp *fzpSentinel) {
	t.Helper()
	if len(doc) > maxPolicyBytes {
		t.Fatalf("accepted %d bytes", len(doc))
	}
	if !utf8.Valid(doc) {
		t.Fatalf("accepted invalid UTF-8 %q", doc)
	}
	for _, r := range string(doc) {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7F || r >= 0x80 && r <= 0x9F && r != 0x85 || r == 0xFFFE || r == 0xFFFF {
			t.Fatalf("accepted %U\n%q", r, doc)
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(doc))
	var first, second yaml.Node
	if err := dec.Decode(&first); err != nil {
		t.Fatalf("accepted, but it does not parse: %v", err)
	}
	if err := dec.Decode(&second); !errors.Is(err, io.EOF) {
		t.Fatalf("accepted a second document (%v)\n%q", err, doc)
	}
	var anchors func(n *yaml.Node)
	anchors = func(n *yaml.Node) {
		if n.Anchor != "" || n.Kind == yaml.AliasNode || n.Kind == yaml.ScalarNode && n.Value == "<<" && n.ShortTag() == "!!merge" {
			t.Fatalf("accepted an anchor, alias or merge key\n%q", doc)
		}
		for _, c := range n.Content {
			anchors(c)
		}
	}
	anchors(&first)
	var v any
	if err := yaml.Unmarshal(doc, &v); err != nil {
		t.Fatalf("accepted, but a plain decode fails: %v\n%q", err, doc)
	}
	fzpKnown(t, doc, v, "policy")
	for _, r := range sp.Rules {
		if strings.TrimSpace(r.Name) == "" {
			t.Fatalf("accepted a blank rule name %q", r.Name)
		}
		for _, m := range r.Conditions.Mode {
			if m != "server" && m != "cli" && m != "credential_process" {
				t.Fatalf("accepted mode %q", m)
			}
		}
		if tw := r.Conditions.Time; tw != nil && len(tw.Days) == 0 && tw.Hours == nil && tw.Timezone == "" {
			t.Fatalf("accepted an empty time\n%q", doc)
		}
	}
}

// fzpKnown checks that every key of a decoded value is in the schema.
func fzpKnown(t *testing.T, doc []byte, v any, place string) {
	t.Helper()
	if v == nil {
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		if _, isMap := v.(map[any]any); isMap {
			t.Fatalf("accepted a mapping with keys that are not text at %s\n%q", place, doc)
		}
		return
	}
	for k, sub := range m {
		if !slices.Contains(fzpKeys[place], k) {
			t.Fatalf("accepted key %q in %s\n%q", k, place, doc)
		}
		switch {
		case k == "rules":
			list, _ := sub.([]any)
			for _, r := range list {
				fzpKnown(t, doc, r, "rule")
			}
		case fzpKeys[k] != nil:
			fzpKnown(t, doc, sub, k)
		}
	}
}

// FuzzDescription: no description that validation accepts yields a starter
// policy that checkPolicy refuses, for odd profile names too.
func FuzzDescription(f *testing.F) {
	for _, s := range [][2]string{
		{"dev", ""},
		{"dev", "Team policies"},
		{"1", "Équipe plateforme — 本番 🚀"},
		{"true", "version: \"2\" # rules: []"},
		{"null", "a: b: c - [x] {y} & * ! | > ' \" % @ `"},
		{"-", "--- ... &a *a <<: {}"},
		{"a.b", "\uFEFF"},
		{"x_y", "\u2028 line separator"},
		{strings.Repeat("p", 64), strings.Repeat("😀", 1024)},
		{"...", "\u0085"},
		{".inf", "\uFFFE"},
		{"0x1F", "tab\there"},
		{"~", "caf\xe9"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, profile, desc string) {
		for _, p := range []string{profile, fzpProfile(profile)} {
			_, err := resolve([]Option{WithProfiles(p), WithDescription(desc), WithRegion("us-east-1")}, aws.Config{})
			doc := starterPolicy(p, desc)
			if err != nil {
				var ce *ConfigError
				if !errors.As(err, &ce) || ce.Option != "WithProfiles" && ce.Option != "WithDescription" {
					t.Fatalf("refused with %v", err)
				}
				// A valid profile and description are refused only for the
				// size of the starter policy.
				if fzpProfile(p) == p && checkDescriptionText(desc) == nil && len(doc) <= maxPolicyBytes {
					t.Fatalf("profile %q and description %q refused: %v", p, desc, err)
				}
				continue
			}
			if prob := checkPolicy([]byte(doc)); prob != nil {
				t.Fatalf("accepted description %q gives a starter policy for %q that is refused (%s): %v\n%s", desc, p, prob.Kind, prob, doc)
			}
			if again := starterPolicy(p, desc); again != doc {
				t.Fatalf("two starter policies differ:\n%s\n%s", doc, again)
			}
			var m map[string]any
			if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
				t.Fatalf("the starter policy does not decode: %v\n%s", err, doc)
			}
			want := map[string]any{
				"version": "1",
				"rules": []any{map[string]any{
					"name": "default-deny", "effect": "deny",
					"conditions": map[string]any{"profiles": []any{p}},
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
	})
}

// fzpProfile turns any text into a valid profile name (1-64 of A-Z a-z 0-9 _
// . -), keeping the odd ones YAML might misread.
func fzpProfile(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < 64; i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-' {
			b.WriteByte(c)
		}
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String() // s itself when s is a valid name
}
