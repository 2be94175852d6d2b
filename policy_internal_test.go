package bootstrap

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/aws/aws-sdk-go-v2/aws"
	"go.yaml.in/yaml/v3"
)

// polRule is a policy of one rule named a, effect allow, with the given
// extra lines (indented as keys of the rule) and conditions lines (indented
// as keys of conditions).
func polRule(rule, conditions string) string {
	var b strings.Builder
	b.WriteString("version: \"1\"\nrules:\n  - name: a\n    effect: allow\n")
	for line := range strings.Lines(rule) {
		b.WriteString("    " + line)
	}
	if rule != "" && !strings.HasSuffix(rule, "\n") {
		b.WriteString("\n")
	}
	if conditions != "" {
		b.WriteString("    conditions:\n")
		for line := range strings.Lines(conditions) {
			b.WriteString("      " + line)
		}
		if !strings.HasSuffix(conditions, "\n") {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// polCond is a one-rule policy with the given conditions.
func polCond(conditions string) string { return polRule("", conditions) }

// padTo pads a policy with a comment to exactly n bytes.
func padTo(doc string, n int) string {
	doc += "# "
	return doc + strings.Repeat("x", n-len(doc)-1) + "\n"
}

// utf16LE encodes s as UTF-16 with a byte-order mark, which yaml.v3 (and so
// Sentinel) reads.
func utf16LE(s string) string {
	out := []byte{0xff, 0xfe}
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u), byte(u>>8))
	}
	return string(out)
}

// aliasBomb is a policy whose rules are aliases of one rule with a long
// users list: Sentinel's decoder expands every alias into its schema and
// gives up (excessive aliasing).
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("version: \"1\"\nrules:\n  - &r {name: a, effect: deny, conditions: {users: [" + strings.Repeat("u,", 200) + "u]}}\n")
	for range 250 {
		b.WriteString("  - *r\n")
	}
	return b.String()
}

type policyCase struct {
	name string
	doc  string
	kind policyKind // 0: accepted
	path string
	want string // a part of the reason, when given
}

// policyCorpus is every rule of contract §2 on both sides of its boundary,
// the library's stricter rules, and the loader's refusals.
func policyCorpus() []policyCase {
	const (
		ok       = 0
		load     = policyUnloadable
		validate = policyInvalid
		strict   = policyStricter
	)
	good := polCond("profiles: [dev]")
	return []policyCase{
		// Accepted: each condition, each effect, each boundary's good side.
		{"profiles", good, ok, "", ""},
		{"users", polCond("users: [alice, bob]"), ok, "", ""},
		{"time days only", polCond("time:\n  days: [monday, tuesday, wednesday, thursday, friday, saturday, sunday]"), ok, "", ""},
		{"effect allow", good, ok, "", ""},
		{"effect deny", strings.Replace(good, "allow", "deny", 1), ok, "", ""},
		{"effect require_approval", strings.Replace(good, "allow", "require_approval", 1), ok, "", ""},
		{"effect require_server", strings.Replace(good, "allow", "require_server", 1), ok, "", ""},
		{"effect require_server_session", strings.Replace(polRule("session_table: sentinel-sessions", "profiles: [dev]"), "allow", "require_server_session", 1), ok, "", ""},
		{"hours 09:00-17:00", polCond("time:\n  hours: {start: \"09:00\", end: \"17:00\"}"), ok, "", ""},
		{"hours 00:00-23:59", polCond("time:\n  hours: {start: \"00:00\", end: \"23:59\"}"), ok, "", ""},
		{"timezone UTC", polCond("time:\n  timezone: UTC"), ok, "", ""},
		{"timezone Europe/Berlin", polCond("time:\n  days: [monday]\n  timezone: Europe/Berlin"), ok, "", ""},
		{"max_server_duration 1h30m", polRule("max_server_duration: 1h30m", "profiles: [dev]"), ok, "", ""},
		{"every field", polRule("reason: needs a server\nmax_server_duration: 45m\nsession_table: sentinel-sessions",
			"profiles: [dev]\nusers: [alice]\nmode: [server, cli, credential_process]\ntime: {days: [monday], hours: {start: \"08:00\", end: \"18:00\"}, timezone: Europe/Berlin}\ndevice: {require_encryption: true, require_mdm: yes, require_mdm_compliant: false, require_firewall: true, min_os_version: \"14.0\", allowed_os_types: [darwin, linux]}"), ok, "", ""},
		{"version 1 unquoted", strings.Replace(good, `"1"`, "1", 1), ok, "", ""},
		{"flow style", `{version: "1", rules: [{name: a, effect: deny, conditions: {users: [x]}}]}`, ok, "", ""},
		{"CRLF line ends", strings.ReplaceAll(good, "\n", "\r\n"), ok, "", ""},
		{"comments and one explicit document", "# header\n---\n" + good + "# --- not a document ...\n", ok, "", ""},
		{"exactly 4096 bytes", padTo(good, maxPolicyBytes), ok, "", ""},
		{"name with spaces inside", strings.Replace(good, "name: a", "name: on call", 1), ok, "", ""},

		// Sentinel's loader cannot load it.
		{"empty", "", load, "", "empty"},
		{"white space only", " \n\t\r\n", load, "", "empty"},
		{"comments only", "# nothing\n", load, "version", "no version"},
		{"version missing", "rules:\n  - name: a\n    effect: allow\n    conditions: {users: [x]}\n", load, "version", "no version"},
		{"version null", strings.Replace(good, `"1"`, "~", 1), load, "version", "no version"},
		{"not YAML", "version: [\n", load, "", "not valid YAML"},
		{"tab indentation", "version: \"1\"\nrules:\n\t- name: a\n", load, "", "not valid YAML"},
		{"profiles: dev (a scalar, not a list)", polCond("profiles: dev"), load, "rules[0].conditions.profiles", `must be a list, as in [a, b], not "dev"`},
		{"users: alice", polCond("users: alice"), load, "rules[0].conditions.users", "must be a list"},
		{"days: monday", polCond("time: {days: monday}"), load, "rules[0].conditions.time.days", "must be a list"},
		{"max_server_duration forever", polRule("max_server_duration: forever", "profiles: [dev]"), load, "rules[0].max_server_duration", `not "forever"`},
		{"max_server_duration 3600 (no unit)", polRule("max_server_duration: 3600", "profiles: [dev]"), load, "rules[0].max_server_duration", "3600s"},
		{"device bool maybe", polCond("users: [x]\ndevice: {require_mdm: maybe}"), load, "rules[0].conditions.device.require_mdm", "true or false"},
		{"rules not a list", "version: \"1\"\nrules: deny\n", load, "rules", "a list of rules"},
		{"rule not a mapping", "version: \"1\"\nrules: [deny]\n", load, "rules[0]", "must be a mapping"},
		{"conditions a list", polRule("conditions: [profiles]", ""), load, "rules[0].conditions", "must be a mapping"},
		{"time a scalar", polCond("time: monday"), load, "rules[0].conditions.time", "must be a mapping"},
		{"version a list", "version: [1]\nrules: []\n", load, "version", "single value"},
		{"a list, not a mapping", "- version: \"1\"\n", load, "", "must be a mapping with version and rules"},
		{"a scalar, not a mapping", "hello\n", load, "", `not "hello"`},
		{"duplicate key", "version: \"1\"\n" + good, load, "version", "twice"},
		{"duplicate unknown key", good + "x: 1\nx: 2\n", load, "x", "twice"},
		{"complex key", "? [a]\n: b\n" + good, load, "", "a key must be a single value"},
		{"excessive aliases", aliasBomb(), load, "", "excessive aliasing"},
		{"invalid UTF-8 in a comment", good + "# caf\xe9\n", load, "", "not valid YAML"},
		{"control character", good + "# bell \x07\n", load, "", "not valid YAML"},

		// Sentinel's validator refuses it.
		{"version 2", strings.Replace(good, `"1"`, `"2"`, 1), validate, "version", `"2"`},
		{"version 1.0", strings.Replace(good, `"1"`, `"1.0"`, 1), validate, "version", `"1.0"`},
		{"rules missing", "version: \"1\"\n", validate, "rules", "no rules"},
		{"rules empty", "version: \"1\"\nrules: []\n", validate, "rules", "no rules"},
		{"rule without name", strings.Replace(good, "name: a", "name: \"\"", 1), validate, "rules[0].name", "no name"},
		{"unknown effect", strings.Replace(good, "allow", "permit", 1), validate, "rules[0].effect", `"permit"`},
		{"effect in capitals", strings.Replace(good, "allow", "Allow", 1), validate, "rules[0].effect", `"Allow"`},
		{"rule with no conditions", polCond(""), validate, "rules[0].conditions", "no conditions"},
		{"mode is not a condition", polCond("mode: [server]"), validate, "rules[0].conditions", "no conditions"},
		{"profile: alone (misspelt, so no conditions)", polCond("profile: [dev]"), validate, "rules[0].conditions", "rules[0].conditions.profile: unknown key; did you mean profiles?"},
		{"day monday ok, mon refused", polCond("time: {days: [monday, mon]}"), validate, "rules[0].conditions.time.days[1]", `"mon" is not a weekday`},
		{"day Monday refused", polCond("time: {days: [Monday]}"), validate, "rules[0].conditions.time.days[0]", "lowercase"},
		{"hour 9:00 refused", polCond("time:\n  hours: {start: \"9:00\", end: \"17:00\"}"), validate, "rules[0].conditions.time.hours.start", `"9:00"`},
		{"hour 24:00 refused", polCond("time:\n  hours: {start: \"09:00\", end: \"24:00\"}"), validate, "rules[0].conditions.time.hours.end", `"24:00"`},
		{"hour 09:60 refused", polCond("time:\n  hours: {start: \"09:60\", end: \"10:00\"}"), validate, "rules[0].conditions.time.hours.start", "HH:MM"},
		{"hours without end", polCond("time:\n  hours: {start: \"09:00\"}"), validate, "rules[0].conditions.time.hours.end", `""`},
		{"timezone Mars/Olympus", polCond("time:\n  timezone: Mars/Olympus"), validate, "rules[0].conditions.time.timezone", "Mars/Olympus"},
		{"second rule's effect", good + "  - name: b\n    effect: maybe\n    conditions: {users: [x]}\n", validate, "rules[1].effect", `rule "b"`},
		{"null entries are dropped, paths still right", "version: \"1\"\nrules:\n  - ~\n  - name: b\n    effect: allow\n    conditions: {time: {days: [~, monday, Sunday]}}\n", validate, "rules[1].conditions.time.days[2]", `"Sunday"`},

		// Only the library's stricter checks refuse it.
		{"profile: misspelt next to users", polCond("users: [alice]\nprofile: [dev]"), strict, "rules[0].conditions.profile", "unknown key; did you mean profiles?"},
		{"profiles under the rule", polRule("profiles: [dev]", "users: [x]"), strict, "rules[0].profiles", "did you mean conditions.profiles?"},
		{"maxServerDuration", polRule("maxServerDuration: 1h", "users: [x]"), strict, "rules[0].maxServerDuration", "did you mean max_server_duration?"},
		{"time_zone", polCond("time: {days: [monday], time_zone: UTC}"), strict, "rules[0].conditions.time.time_zone", "did you mean timezone?"},
		{"unknown top-level key", good + "approval:\n  approvers: [carol]\n", strict, "approval", "Sentinel ignores it"},
		{"time: {} is not a condition", polCond("time: {}"), strict, "rules[0].conditions.time", "empty time"},
		{"time: {} next to profiles", polCond("profiles: [dev]\ntime: {}"), strict, "rules[0].conditions.time", "empty time"},
		{"mode server ok, web refused", polCond("users: [x]\nmode: [server, web]"), strict, "rules[0].conditions.mode[1]", `"web"`},
		{"mode [web]", polCond("users: [x]\nmode: [web]"), strict, "rules[0].conditions.mode[0]", "server, cli or credential_process"},
		{"blank name", strings.Replace(good, "name: a", `name: " "`, 1), strict, "rules[0].name", "blank"},
		{"anchor and alias", "version: \"1\"\nrules:\n  - &r {name: a, effect: deny, conditions: {users: [x]}}\n  - *r\n", strict, "rules[0]", "anchors (&r)"},
		{"alias of a list", "version: \"1\"\nrules:\n  - name: a\n    effect: deny\n    conditions:\n      users: &u [x]\n      profiles: *u\n", strict, "rules[0].conditions.users", "anchors (&u)"},
		{"merge key", "version: \"1\"\nrules:\n  - {name: a, effect: deny, <<: {conditions: {users: [x]}}}\n", strict, "rules[0].<<", "merge keys"},
		{"4097 bytes", padTo(good, maxPolicyBytes+1), strict, "", "4097 bytes"},
		{"70 KiB", padTo(good, 70<<10), strict, "", "71680 bytes"},
		{"UTF-16 (Sentinel reads it)", utf16LE(good), strict, "", "not valid UTF-8"},
		{"two documents", good + "---\nversion: \"2\"\n", strict, "", "more than one YAML document"},
	}
}

func TestCheckPolicyCorpus(t *testing.T) {
	cases := policyCorpus()
	if len(cases) < 40 {
		t.Fatalf("the corpus has %d cases; want at least 40", len(cases))
	}
	seen := map[string]bool{}
	kinds := map[policyKind]int{}
	for _, c := range cases {
		if seen[c.name] {
			t.Fatalf("case %q twice", c.name)
		}
		seen[c.name] = true
		kinds[c.kind]++
		t.Run(c.name, func(t *testing.T) {
			p := checkPolicy([]byte(c.doc))
			if c.kind == 0 {
				if p != nil {
					t.Fatalf("refused (%s): %v\n%s", p.Kind, p, c.doc)
				}
				return
			}
			if p == nil {
				t.Fatalf("accepted; want %s at %q\n%s", c.kind, c.path, c.doc)
			}
			if p.Kind != c.kind || p.Path != c.path {
				t.Errorf("kind %d (%s) at %q; want %d (%s) at %q: %v", p.Kind, p.Kind, p.Path, c.kind, c.kind, c.path, p)
			}
			checkProblemText(t, p)
			if !strings.Contains(p.Reason, c.want) {
				t.Errorf("reason %q does not contain %q", p.Reason, c.want)
			}
			wantErr := p.Reason
			if p.Path != "" {
				wantErr = p.Path + ": " + p.Reason
			}
			if p.Error() != wantErr {
				t.Errorf("Error() = %q; want %q", p.Error(), wantErr)
			}
		})
	}
	for _, k := range []policyKind{0, policyUnloadable, policyInvalid, policyStricter} {
		if kinds[k] < 8 {
			t.Errorf("only %d cases of kind %d", kinds[k], k)
		}
	}
}

// checkProblemText: one line, and no Go type or package name.
func checkProblemText(t *testing.T, p *policyProblem) {
	t.Helper()
	msg := p.Error()
	if msg == "" || strings.ContainsAny(msg, "\r\n") {
		t.Errorf("message is empty or not one line: %q", msg)
	}
	for _, leak := range []string{"bootstrap.", "sentinelPolicy", "sentinelRule", "[]string", "time.Duration", "unmarshal", "!!"} {
		if strings.Contains(msg, leak) {
			t.Errorf("message %q names %q", msg, leak)
		}
	}
}

// The brief's own example message, exactly.
func TestCheckPolicyMisspeltKeyMessage(t *testing.T) {
	p := checkPolicy([]byte(polCond("users: [alice]\nprofile: [dev]")))
	if p == nil || p.Error() != "rules[0].conditions.profile: unknown key; did you mean profiles?" {
		t.Errorf("got %v", p)
	}
}

// A 4096-byte policy is checked in full: the size rule does not hide the
// others, and a policy over the limit that Sentinel cannot load is reported
// as unloadable (the most severe kind wins).
func TestCheckPolicyKindPrecedence(t *testing.T) {
	big := padTo(polCond("profiles: dev"), 5000)
	if p := checkPolicy([]byte(big)); p == nil || p.Kind != policyUnloadable {
		t.Errorf("5000 bytes, profiles a scalar: %v; want unloadable", p)
	}
	bigInvalid := padTo(polCond(""), 5000)
	if p := checkPolicy([]byte(bigInvalid)); p == nil || p.Kind != policyInvalid {
		t.Errorf("5000 bytes, no conditions: %v; want invalid", p)
	}
}

// starterProfiles are valid profile names, including those YAML would read
// as something other than a string if written plainly.
var starterProfiles = []string{
	"dev", "prod", "Team_A.prod-1", strings.Repeat("p", 64), "p", "a.b", "x_y",
	"-", "--", "-dev", ".", "..", "...", "---", "_",
	"1", "007", "1.5", "1e3", "1_000", "0x1F", "0o17", ".5", "-.5", ".inf", "-.Inf", ".NaN",
	"true", "false", "True", "yes", "no", "on", "off", "null", "Null", "NULL", "~",
}

var starterDescriptions = []string{
	"",
	"Policies for the platform team",
	"Équipe plateforme — 本番 🚀",
	"version: \"2\" # rules: []",
	"a: b: c - [x] {y} & * ! | > ' \" % @ `",
	"--- ... &a *a <<: {}",
	"\uFEFF zero width no-break space",
	strings.Repeat("d", maxDescription),
	strings.Repeat("é", maxDescription),
}

func TestStarterPolicyIsValidForOddProfiles(t *testing.T) {
	for _, profile := range starterProfiles {
		for _, desc := range starterDescriptions {
			t.Run(fmt.Sprintf("%s/%.20s", profile, desc), func(t *testing.T) {
				if profile == "~" {
					return // not a valid profile name (WithProfiles refuses it); below only as a YAML word
				}
				c, err := resolve([]Option{WithProfiles(profile), WithDescription(desc), WithRegion("us-east-1")}, aws.Config{})
				if err != nil {
					t.Fatalf("resolve: %v", err)
				}
				doc := starterPolicy(profile, desc)
				checkStarterPolicy(t, doc, profile, desc)
				if policyOf(t, c, profile) != doc {
					t.Errorf("policyFor without WithPolicy is not the starter policy")
				}
			})
		}
	}
}

// checkStarterPolicy checks a starter policy: checkPolicy accepts it, and
// independently it reads back as exactly the documented policy, naming the
// profile as a string.
func checkStarterPolicy(t *testing.T, doc, profile, desc string) {
	t.Helper()
	if p := checkPolicy([]byte(doc)); p != nil {
		t.Fatalf("the starter policy is refused (%s): %v\n%s", p.Kind, p, doc)
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
	if strings.Contains(doc, "Generated") {
		t.Errorf("the starter policy has a Generated line:\n%s", doc)
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "version:") {
			break
		}
		if !strings.HasPrefix(l, "# ") {
			t.Errorf("header line %q is not a comment", l)
		}
	}
}

// The starter policy is exactly the README's sample, and the same inputs
// always give the same bytes (signing relies on it).
func TestStarterPolicyIsDeterministic(t *testing.T) {
	const want = `# Sentinel policy for profile: dev
# Description: Team policies
# This starter policy denies every request. Customize it: see Sentinel's policy reference.
version: "1"
rules:
  - name: default-deny
    effect: deny
    conditions:
      profiles:
        - dev
    reason: Default deny - customize this policy
`
	if got := starterPolicy("dev", "Team policies"); got != want {
		t.Errorf("starterPolicy(dev, Team policies) =\n%s\nwant\n%s", got, want)
	}
	for _, p := range starterProfiles {
		for _, d := range starterDescriptions {
			if a, b := starterPolicy(p, d), starterPolicy(p, d); a != b {
				t.Fatalf("%q %q: two calls differ:\n%s\n%s", p, d, a, b)
			}
		}
	}
	// Settings do not matter beyond the description: no clock, no state.
	c1, err1 := resolve([]Option{WithRegion("us-east-1"), WithProfiles("dev"), WithDescription("Team policies")}, aws.Config{})
	c2, err2 := resolve([]Option{WithRegion("us-east-1"), WithProfiles("dev"), WithDescription("Team policies"), WithAll()}, aws.Config{})
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if policyOf(t, c1, "dev") != want || policyOf(t, c2, "dev") != want {
		t.Errorf("policyFor differs from starterPolicy")
	}
}

// The README's sample is the starter policy, byte for byte.
func TestStarterPolicyReadmeSample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if sample := "```yaml\n" + starterPolicy("dev", "Team policies") + "```\n"; !strings.Contains(string(readme), sample) {
		t.Errorf("README.md does not show the starter policy\n%s", sample)
	}
}

func TestStarterPolicyPlainProfile(t *testing.T) {
	// Ordinary names are written as they are, not quoted.
	if doc := starterPolicy("dev", ""); !strings.Contains(doc, "\n        - dev\n") {
		t.Errorf("profile dev not written plainly:\n%s", doc)
	}
	for _, p := range []string{"true", "1", "null", "-"} {
		if doc := starterPolicy(p, ""); !strings.Contains(doc, "\n        - \""+p+"\"\n") {
			t.Errorf("profile %s not quoted:\n%s", p, doc)
		}
	}
}

func TestCheckDescriptionText(t *testing.T) {
	for _, d := range append(starterDescriptions, "tab-free text", "😀") {
		if err := checkDescriptionText(d); err != nil {
			t.Errorf("%.40q refused: %v", d, err)
		}
	}
	for _, d := range []string{
		strings.Repeat("d", maxDescription+1), "a\nb", "a\rb", "a\tb", "bell\x07", "del\x7f",
		"nel\u0085", "ls\u2028", "ps\u2029", "nonchar\uFFFE", "nonchar\uFFFF", "caf\xe9",
	} {
		if err := checkDescriptionText(d); err == nil {
			t.Errorf("%.40q accepted", d)
		} else if strings.ContainsAny(err.Error(), "\r\n") {
			t.Errorf("message not one line: %q", err)
		}
	}
}

// Validation refuses a description that would break the starter policy, and
// checks the starter policy of odd profiles too.
func TestCheckPoliciesStarter(t *testing.T) {
	if _, err := resolve([]Option{WithProfiles(starterProfiles[:len(starterProfiles)-1]...), WithDescription("Team"), WithRegion("us-east-1")}, aws.Config{}); err != nil {
		t.Fatalf("resolve: %v", err)
	}
	_, err := resolve([]Option{WithProfiles("dev", strings.Repeat("p", 64)), WithDescription(strings.Repeat("😀", maxDescription)), WithRegion("us-east-1")}, aws.Config{})
	if ce, ok := err.(*ConfigError); !ok || ce.Option != "WithDescription" || !strings.Contains(ce.Reason, "4096-byte limit") {
		t.Errorf("a description too long for the starter policy: %v", err)
	}
}

// WithPolicy's problem is a ConfigError naming the option, the profile and
// the path.
func TestWithPolicyProblemIsConfigError(t *testing.T) {
	_, err := resolve([]Option{WithProfiles("dev"), WithPolicy("dev", polCond("users: [alice]\nprofile: [dev]")), WithRegion("us-east-1")}, aws.Config{})
	ce, ok := err.(*ConfigError)
	if !ok || ce.Option != "WithPolicy" || ce.Value != "dev" || ce.Reason != "rules[0].conditions.profile: unknown key; did you mean profiles?" {
		t.Errorf("got %#v", err)
	}
}

func TestExistingPolicyWarnings(t *testing.T) {
	cases := []struct {
		name, value string
		want        []string // parts of the one warning; nil: no warning
	}{
		{"valid", polCond("profiles: [dev]"), nil},
		{"starter policy", starterPolicy("dev", "Team"), nil},
		{"unloadable", polCond("profiles: dev"), []string{"Sentinel cannot load the current value", "rules[0].conditions.profiles", "unchanged", "sentinel policy push"}},
		{"refused by the validator", polCond(""), []string{"Sentinel's validator refuses the current value", "rules[0].conditions", "no conditions", "unchanged"}},
		{"refused by the stricter checks", polCond("users: [a]\nprofile: [dev]"), []string{"only this library's stricter checks refuse the current value", "did you mean profiles?", "unchanged"}},
		{"empty", "", []string{"Sentinel cannot load the current value", "empty"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := existingPolicyWarnings(c.value, "sentinel-sessions")
			if c.want == nil {
				if len(w) != 0 {
					t.Errorf("warnings %q; want none", w)
				}
				return
			}
			if len(w) != 1 {
				t.Fatalf("warnings %q; want one", w)
			}
			for _, part := range c.want {
				if !strings.Contains(w[0], part) {
					t.Errorf("warning %q lacks %q", w[0], part)
				}
			}
			if strings.ContainsAny(w[0], "\r\n") {
				t.Errorf("warning not one line: %q", w[0])
			}
		})
	}
}

func TestSessionTableWarnings(t *testing.T) {
	doc := "version: \"1\"\nrules:\n" +
		"  - {name: same, effect: require_server_session, session_table: sentinel-sessions, conditions: {profiles: [dev]}}\n" +
		"  - {name: other, effect: require_server_session, session_table: team-sessions, conditions: {profiles: [dev]}}\n" +
		"  - {name: none, effect: require_server_session, conditions: {profiles: [dev]}}\n"
	w := sessionTableWarnings([]byte(doc), "sentinel-sessions")
	if len(w) != 1 {
		t.Fatalf("warnings %q; want one, for rule other", w)
	}
	for _, part := range []string{`rule "other"`, "rules[1]", `"team-sessions"`, `"sentinel-sessions"`, "WithSessionTable"} {
		if !strings.Contains(w[0], part) {
			t.Errorf("warning %q lacks %q", w[0], part)
		}
	}
	if w := sessionTableWarnings([]byte(doc), ""); len(w) != 0 {
		t.Errorf("no sessions table selected: warnings %q; want none", w)
	}
	if w := sessionTableWarnings([]byte(doc), "team-sessions"); len(w) != 1 || !strings.Contains(w[0], `rule "same"`) {
		t.Errorf("team-sessions selected: warnings %q; want one, for rule same", w)
	}
	// On an existing value, after the policy's own warning (if any).
	if w := existingPolicyWarnings(doc, "sentinel-sessions"); len(w) != 1 || !strings.Contains(w[0], `rule "other"`) {
		t.Errorf("existing value: warnings %q; want the session_table one", w)
	}
	bad := doc + "  - {name: x, effect: nope, conditions: {users: [y]}}\n"
	if w := existingPolicyWarnings(bad, "sentinel-sessions"); len(w) != 2 || !strings.Contains(w[0], "validator") || !strings.Contains(w[1], `rule "other"`) {
		t.Errorf("invalid existing value: warnings %q; want the kind, then the session_table one", w)
	}
	// A value Sentinel cannot load has no rules to compare.
	if w := sessionTableWarnings([]byte(doc+"x: [\n"), "sentinel-sessions"); len(w) != 0 {
		t.Errorf("unloadable: warnings %q; want none", w)
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
	doc := polCond("profiles: [dev]")
	c, err := resolve([]Option{WithRegion("us-east-1"), WithProfiles("dev", "prod"), WithPolicy("dev", doc)}, aws.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if got := policyOf(t, c, "dev"); got != doc {
		t.Errorf("policyFor(dev) = %q; want the WithPolicy YAML", got)
	}
	if got := policyOf(t, c, "prod"); got != starterPolicy("prod", "") {
		t.Errorf("policyFor(prod) = %q; want the starter policy", got)
	}
}

// policyOf is the value Run writes for a profile of c.
func policyOf(t *testing.T, c *config, profile string) string {
	t.Helper()
	for i := range c.params {
		if c.params[i].profile == profile {
			return c.policyFor(&c.params[i])
		}
	}
	t.Fatalf("profile %s not selected", profile)
	return ""
}
