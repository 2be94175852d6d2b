package bootstrap

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxPolicyBytes is the size limit of a Standard-tier SSM parameter.
const maxPolicyBytes = 4096

// policyEffects are the rule effects Sentinel understands.
var policyEffects = []string{"allow", "deny", "require_approval", "require_server", "require_server_session"}

// policy is the part of a Sentinel policy that validatePolicy checks; other
// fields are Sentinel's business and pass through untouched.
type policy struct {
	Version string       `yaml:"version"`
	Rules   []policyRule `yaml:"rules"`
}

type policyRule struct {
	Name   string `yaml:"name"`
	Effect string `yaml:"effect"`
}

// validatePolicy checks that doc is a Sentinel policy that Sentinel will load:
// YAML of at most 4096 bytes, version "1", and at least one rule, each with a
// name and a known effect.
func validatePolicy(doc []byte) error {
	if len(doc) > maxPolicyBytes {
		return fmt.Errorf("the policy is %d bytes; SSM's Standard tier holds at most %d", len(doc), maxPolicyBytes)
	}
	if len(bytes.TrimSpace(doc)) == 0 {
		return errors.New("the policy is empty")
	}
	var p policy
	if err := yaml.Unmarshal(doc, &p); err != nil {
		return fmt.Errorf("the policy is not valid YAML: %s", oneLine(err.Error()))
	}
	if p.Version != "1" {
		return fmt.Errorf(`version is %q; Sentinel policies have version: "1"`, p.Version)
	}
	if len(p.Rules) == 0 {
		return errors.New("rules is empty; a policy needs at least one rule")
	}
	for i, r := range p.Rules {
		if strings.TrimSpace(r.Name) == "" {
			return fmt.Errorf("rule %d has no name", i+1)
		}
		if !slices.Contains(policyEffects, r.Effect) {
			return fmt.Errorf("rule %d (%q) has effect %q; use one of %s", i+1, r.Name, r.Effect, strings.Join(policyEffects, ", "))
		}
	}
	return nil
}

// starterPolicy is the policy a new parameter gets without WithPolicy: deny
// everything for the profile, with a header saying how to customise it.
func starterPolicy(profile, description string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Sentinel policy for profile: %s\n", profile)
	if description != "" {
		fmt.Fprintf(&b, "# Description: %s\n", description)
	}
	b.WriteString("# This starter policy denies every request. Customize it: see Sentinel's policy reference.\n")
	fmt.Fprintf(&b, `version: "1"
rules:
  - name: default-deny
    effect: deny
    conditions:
      profiles:
        - %s
    reason: Default deny - customize this policy
`, yamlString(profile))
	return b.String()
}

// yamlString writes s as a YAML scalar that reads back as the string s: as it
// is when YAML would read it so, double-quoted otherwise (a profile named
// "1", "true", "null" or "-" would read as a number, a bool, null or a list).
func yamlString(s string) string {
	if plainWord.MatchString(s) && !yamlWords[strings.ToLower(s)] {
		return s // the common case, without a YAML parse
	}
	var v any
	if yaml.Unmarshal([]byte(s), &v) == nil && v == s {
		return s
	}
	return strconv.Quote(s) // profile names are ASCII, so this is YAML too
}

// plainWord is a name that YAML reads as a string unless it is one of
// yamlWords: a letter, then letters, digits, '_' and '-'.
var plainWord = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

// yamlWords are the plain words that YAML 1.1 or 1.2 may read as a bool or
// null; yamlString leaves them to the parser.
var yamlWords = map[string]bool{
	"true": true, "false": true, "yes": true, "no": true, "on": true, "off": true,
	"y": true, "n": true, "null": true,
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
