package bootstrap

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"go.yaml.in/yaml/v3"
)

func TestValidatePolicyAccepts(t *testing.T) {
	cases := map[string]string{
		"allow":                  "version: \"1\"\nrules:\n  - name: a\n    effect: allow\n",
		"deny":                   "version: \"1\"\nrules:\n  - name: a\n    effect: deny\n",
		"require_approval":       "version: \"1\"\nrules:\n  - name: a\n    effect: require_approval\n",
		"require_server":         "version: \"1\"\nrules:\n  - name: a\n    effect: require_server\n",
		"require_server_session": "version: \"1\"\nrules:\n  - name: a\n    effect: require_server_session\n",
		"single-quoted version":  "version: '1'\nrules:\n  - name: a\n    effect: deny\n",
		"flow style":             `{version: "1", rules: [{name: a, effect: allow}, {name: b, effect: deny}]}`,
		"every effect": `version: "1"
rules:
  - {name: a, effect: allow}
  - {name: b, effect: deny}
  - {name: c, effect: require_approval}
  - {name: d, effect: require_server}
  - {name: e, effect: require_server_session}
`,
		"Sentinel fields pass through": `# a comment
version: "1"
rules:
  - name: prod-needs-approval
    effect: require_approval
    conditions:
      profiles: [prod]
      users: [alice, bob]
      time:
        days: [monday, friday]
    reason: Production access needs approval
approval:
  approvers: [carol]
`,
		"exactly 4096 bytes": pad4096("version: \"1\"\nrules:\n  - name: a\n    effect: allow\n"),
		"CRLF line ends":     "version: \"1\"\r\nrules:\r\n  - name: a\r\n    effect: deny\r\n",
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			if err := validatePolicy([]byte(doc)); err != nil {
				t.Errorf("validatePolicy: %v\n%s", err, doc)
			}
		})
	}
}

// pad4096 pads a policy with a comment to exactly 4096 bytes.
func pad4096(doc string) string {
	doc += "# "
	return doc + strings.Repeat("x", maxPolicyBytes-len(doc)-1) + "\n"
}

func TestValidatePolicyRejects(t *testing.T) {
	good := "version: \"1\"\nrules:\n  - name: a\n    effect: allow\n"
	cases := []struct {
		name, doc, want string // want: a part of the message
	}{
		{"4097 bytes", pad4096(good) + "\n", "4097 bytes"},
		{"64 KiB", strings.Repeat("#", 64<<10), "65536 bytes"},
		{"empty", "", "empty"},
		{"whitespace only", " \n\t\n", "empty"},
		{"comments only", "# nothing\n", `version is ""`},
		{"invalid YAML", "version: [\n", "not valid YAML"},
		{"tab indentation", "version: \"1\"\nrules:\n\t- name: a\n", "not valid YAML"},
		{"duplicate key", "version: \"1\"\nversion: \"1\"\nrules:\n  - name: a\n    effect: allow\n", "not valid YAML"},
		{"a list, not a mapping", "- version: \"1\"\n", "not valid YAML"},
		{"a scalar, not a mapping", "hello\n", "not valid YAML"},
		{"rules not a list", "version: \"1\"\nrules: deny\n", "not valid YAML"},
		{"rule not a mapping", "version: \"1\"\nrules: [deny]\n", "not valid YAML"},
		{"version 2", "version: \"2\"\nrules:\n  - name: a\n    effect: allow\n", `version is "2"`},
		{"version 1.0", "version: \"1.0\"\nrules:\n  - name: a\n    effect: allow\n", `version is "1.0"`},
		{"version missing", "rules:\n  - name: a\n    effect: allow\n", `version is ""`},
		{"version null", "version: ~\nrules:\n  - name: a\n    effect: allow\n", `version is ""`},
		{"rules missing", "version: \"1\"\n", "rules is empty"},
		{"rules empty", "version: \"1\"\nrules: []\n", "rules is empty"},
		{"rules null", "version: \"1\"\nrules:\n", "rules is empty"},
		{"rule without name", "version: \"1\"\nrules:\n  - effect: deny\n", "rule 1 has no name"},
		{"rule with blank name", "version: \"1\"\nrules:\n  - name: \"  \"\n    effect: deny\n", "rule 1 has no name"},
		{"second rule without name", good + "  - effect: deny\n", "rule 2 has no name"},
		{"unknown effect", "version: \"1\"\nrules:\n  - name: a\n    effect: permit\n", `effect "permit"`},
		{"effect in capitals", "version: \"1\"\nrules:\n  - name: a\n    effect: Allow\n", `effect "Allow"`},
		{"effect missing", "version: \"1\"\nrules:\n  - name: a\n", `effect ""`},
		{"second rule bad effect", good + "  - name: b\n    effect: maybe\n", `rule 2 ("b") has effect "maybe"`},
		{"multi-line rule name", "version: \"1\"\nrules:\n  - name: \"x\\ny\"\n    effect: nope\n", `rule 1 ("x\ny")`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := validatePolicy([]byte(c.doc))
			if err == nil {
				t.Fatalf("validatePolicy accepted\n%s", c.doc)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.want) {
				t.Errorf("message %q does not contain %q", msg, c.want)
			}
			if strings.ContainsAny(msg, "\r\n") {
				t.Errorf("message is not one line: %q", msg)
			}
		})
	}
}

// starterProfiles are valid profile names, including those YAML would read
// as something other than a string if written plainly.
var starterProfiles = []string{
	"dev", "prod", "Team_A.prod-1", strings.Repeat("p", 64), "p",
	"-", "--", "-dev", ".", "..", "...", "---", "_",
	"1", "007", "1.5", "1e3", "1_000", "0x1F", "0o17", ".5", "-.5", ".inf", "-.Inf", ".NaN",
	"true", "false", "True", "yes", "no", "on", "off", "null", "Null", "NULL",
}

var starterDescriptions = []string{
	"",
	"Policies for the platform team",
	"Équipe plateforme — 本番 🚀",
	"version: \"2\" # rules: []",
	"a: b: c - [x] {y} & * ! | > ' \" % @ `",
	strings.Repeat("d", maxDescription),
	strings.Repeat("é", maxDescription),
}

func TestStarterPolicy(t *testing.T) {
	for _, profile := range starterProfiles {
		for _, desc := range starterDescriptions {
			t.Run(fmt.Sprintf("%s/%.20s", profile, desc), func(t *testing.T) {
				c, err := resolve([]Option{WithProfiles(profile), WithDescription(desc), WithRegion("us-east-1")}, aws.Config{})
				if err != nil {
					t.Fatalf("resolve: %v", err)
				}
				doc := c.policyFor(&c.params[0])
				checkStarterPolicy(t, doc, profile, desc)
				if strings.Contains(doc, "Generated:") {
					t.Errorf("the starter policy has a Generated line; it must be deterministic:\n%s", doc)
				}
				if again := starterPolicy(profile, desc); again != doc {
					t.Errorf("the starter policy differs between two calls")
				}
			})
		}
	}
}

// checkStarterPolicy checks a starter policy independently of validatePolicy
// (which it must pass too).
func checkStarterPolicy(t *testing.T, doc, profile, desc string) {
	t.Helper()
	if err := validatePolicy([]byte(doc)); err != nil {
		t.Fatalf("the starter policy is not valid: %v\n%s", err, doc)
	}
	if len(doc) > maxPolicyBytes {
		t.Errorf("the starter policy is %d bytes", len(doc))
	}
	var m map[string]any
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatalf("yaml: %v\n%s", err, doc)
	}
	want := map[string]any{
		"version": "1",
		"rules": []any{map[string]any{
			"name":       "default-deny",
			"effect":     "deny",
			"conditions": map[string]any{"profiles": []any{profile}},
			"reason":     "Default deny - customize this policy",
		}},
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("the starter policy reads as\n%#v\nwant\n%#v\n%s", m, want, doc)
	}
	lines := strings.Split(doc, "\n")
	if lines[0] != "# Sentinel policy for profile: "+profile {
		t.Errorf("first line %q; want the profile", lines[0])
	}
	descLine := "# Description: " + desc
	switch has := strings.Contains(doc, "\n"+descLine+"\n"); {
	case desc != "" && !has:
		t.Errorf("no %q line in\n%s", descLine, doc)
	case desc == "" && strings.Contains(doc, "# Description:"):
		t.Errorf("a description line without a description:\n%s", doc)
	}
	for _, want := range []string{`version: "1"`, "name: default-deny", "effect: deny", "reason: Default deny - customize this policy", "Customize"} {
		if !strings.Contains(doc, want) {
			t.Errorf("the starter policy lacks %q:\n%s", want, doc)
		}
	}
	// Everything before version is comments.
	for _, l := range lines {
		if strings.HasPrefix(l, "version:") {
			break
		}
		if !strings.HasPrefix(l, "# ") {
			t.Errorf("header line %q is not a comment", l)
		}
	}
}

func TestStarterPolicyPlainProfile(t *testing.T) {
	// Ordinary names are written as they are, not quoted.
	if doc := starterPolicy("dev", ""); !strings.Contains(doc, "\n        - dev\n") {
		t.Errorf("profile dev not written plainly:\n%s", doc)
	}
	if doc := starterPolicy("true", ""); !strings.Contains(doc, "\n        - \"true\"\n") {
		t.Errorf("profile true not quoted:\n%s", doc)
	}
}

func TestParameterDescription(t *testing.T) {
	c := &config{}
	if got := c.parameterDescription(&paramSpec{profile: "dev"}); got != "Sentinel policy for profile dev" {
		t.Errorf("default Description %q", got)
	}
	c = &config{description: "Team policies"}
	if got := c.parameterDescription(&paramSpec{profile: "dev"}); got != "Team policies" {
		t.Errorf("Description %q; want WithDescription's", got)
	}
}

func TestPolicyForUsesWithPolicy(t *testing.T) {
	doc := "version: \"1\"\nrules:\n  - name: a\n    effect: allow\n"
	c, err := resolve([]Option{WithRegion("us-east-1"), WithProfiles("dev", "prod"), WithPolicy("dev", doc)}, aws.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.policyFor(&c.params[0]); got != doc {
		t.Errorf("policyFor(dev) = %q; want the WithPolicy YAML", got)
	}
	if got := c.policyFor(&c.params[1]); !strings.Contains(got, "default-deny") {
		t.Errorf("policyFor(prod) = %q; want the starter policy", got)
	}
}
