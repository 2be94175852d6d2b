package bootstrap

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// A policy is judged in three steps, each by its own authority (contract
// §2): what Sentinel's loader accepts (every mode runs it at run time), what
// Sentinel's validator accepts (`sentinel policy validate` and `push`), and
// the few rules by which this library is stricter, where Sentinel silently
// does something other than what the text says.

// maxPolicyBytes is the size limit of a Standard-tier SSM parameter, and what
// KMS signs as a raw message.
const maxPolicyBytes = 4096

// maxDecodedPolicy is the size beyond which a policy is refused without being
// decoded: no SSM parameter holds that much (the Advanced tier holds 8 KB).
const maxDecodedPolicy = 16 << 10

// policyEffects are the rule effects Sentinel's validator knows.
var policyEffects = []string{"allow", "deny", "require_approval", "require_server", "require_server_session"}

// policyModes are the credential modes Sentinel knows (its validator does
// not check them).
var policyModes = []string{"server", "cli", "credential_process"}

// policyWeekdays are the day names Sentinel's validator accepts.
var policyWeekdays = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

// policyHourForm is Sentinel's HH:MM: 24-hour, two digits each, 00:00 to 23:59.
var policyHourForm = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// The types below mirror Sentinel's policy types (its policy package) field
// for field: the same yaml keys and the same Go kinds (lists, pointers,
// time.Duration, bools), so that yaml.v3 decodes a value into them exactly as
// Sentinel's loader does, wrong kinds, dropped null entries and all. Named
// string types in Sentinel (effect, weekday, mode) decode as strings.
type (
	sentinelPolicy struct {
		Version string         `yaml:"version"`
		Rules   []sentinelRule `yaml:"rules"`
	}
	sentinelRule struct {
		Name              string            `yaml:"name"`
		Effect            string            `yaml:"effect"`
		Conditions        sentinelCondition `yaml:"conditions"`
		Reason            string            `yaml:"reason,omitempty"`
		MaxServerDuration time.Duration     `yaml:"max_server_duration,omitempty"`
		SessionTable      string            `yaml:"session_table,omitempty"`
	}
	sentinelCondition struct {
		Profiles []string        `yaml:"profiles,omitempty"`
		Users    []string        `yaml:"users,omitempty"`
		Time     *sentinelTime   `yaml:"time,omitempty"`
		Mode     []string        `yaml:"mode,omitempty"`
		Device   *sentinelDevice `yaml:"device,omitempty"`
	}
	sentinelTime struct {
		Days     []string       `yaml:"days,omitempty"`
		Hours    *sentinelHours `yaml:"hours,omitempty"`
		Timezone string         `yaml:"timezone,omitempty"`
	}
	sentinelHours struct {
		Start string `yaml:"start"`
		End   string `yaml:"end"`
	}
	sentinelDevice struct {
		RequireEncryption   bool     `yaml:"require_encryption,omitempty"`
		RequireMDM          bool     `yaml:"require_mdm,omitempty"`
		RequireMDMCompliant bool     `yaml:"require_mdm_compliant,omitempty"`
		RequireFirewall     bool     `yaml:"require_firewall,omitempty"`
		MinOSVersion        string   `yaml:"min_os_version,omitempty"`
		AllowedOSTypes      []string `yaml:"allowed_os_types,omitempty"`
	}
)

// policyKind says which authority refuses a policy.
type policyKind int

const (
	// policyUnloadable: Sentinel's loader cannot load it, so Sentinel cannot
	// use the policy at all.
	policyUnloadable policyKind = iota + 1
	// policyInvalid: Sentinel loads it (without validating) but its
	// validator refuses it.
	policyInvalid
	// policyStricter: Sentinel loads and validates it; only this library's
	// stricter checks refuse it.
	policyStricter
)

func (k policyKind) String() string {
	switch k {
	case policyUnloadable:
		return "Sentinel cannot load it"
	case policyInvalid:
		return "Sentinel's validator refuses it"
	case policyStricter:
		return "only this library's stricter checks refuse it"
	}
	return "unknown"
}

// policyProblem is the first reason a policy may not be written.
type policyProblem struct {
	Kind   policyKind
	Path   string // where, as in rules[0].conditions.profiles; "" for the document
	Reason string // what is wrong and what to write instead, one line
}

// Error is one line: path: reason.
func (p *policyProblem) Error() string {
	if p.Path == "" {
		return p.Reason
	}
	return p.Path + ": " + p.Reason
}

// under puts a problem found in the value at step (a key, or [i] for a list
// entry) into that step's path, and returns it. The walks build paths this
// way, only for the problem they return.
func (p *policyProblem) under(step string) *policyProblem {
	switch {
	case p.Path == "":
		p.Path = step
	case strings.HasPrefix(p.Path, "["):
		p.Path = step + p.Path
	default:
		p.Path = step + "." + p.Path
	}
	return p
}

func policyProblemf(kind policyKind, path, format string, args ...any) *policyProblem {
	return &policyProblem{Kind: kind, Path: path, Reason: fmt.Sprintf(format, args...)}
}

// checkPolicy returns nil when the library may write doc: Sentinel loads it,
// its validator accepts it and so do the library's stricter rules. Otherwise
// it returns the first problem of the most severe kind found.
func checkPolicy(doc []byte) *policyProblem {
	if len(doc) > maxDecodedPolicy {
		return policyProblemf(policyStricter, "", "the policy is %d bytes; SSM's Standard tier holds at most %d", len(doc), maxPolicyBytes)
	}
	lp, prob := loadPolicy(doc)
	if prob != nil {
		return prob
	}
	if prob := lp.validate(); prob != nil {
		return prob
	}
	return lp.strict(doc)
}

// loadedPolicy is a policy as Sentinel's loader reads it, with the YAML
// nodes it came from (for paths and the stricter checks).
type loadedPolicy struct {
	root *yaml.Node // the document node
	p    sentinelPolicy
}

// loadPolicy does what Sentinel's loader does: not empty after trimming
// white space, decoded by yaml.v3 into Sentinel's schema, a version.
func loadPolicy(doc []byte) (*loadedPolicy, *policyProblem) {
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil, policyProblemf(policyUnloadable, "", "the policy is empty")
	}
	// One parse; decoding the document node is what yaml.Unmarshal does
	// after its own parse.
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return nil, policyProblemf(policyUnloadable, "", "the policy is not valid YAML: %s", yamlMessage(err))
	}
	// Find a value of the wrong kind, or a key written twice, first: that
	// gives its path, and yaml.v3 would build one message for every pair of
	// equal keys, which takes long for a mapping of many.
	var w policyKindWalker
	if p := w.value(yamlContent(&root), policyShape); p != nil {
		return nil, p
	}
	lp := &loadedPolicy{root: &root}
	if err := root.Decode(&lp.p); err != nil {
		return nil, policyDecodeProblem(err)
	}
	if lp.p.Version == "" {
		return nil, policyProblemf(policyUnloadable, "version", `the policy has no version; write version: "1"`)
	}
	return lp, nil
}

// yamlMessage is a yaml.v3 syntax error in plain words, without its prefix.
func yamlMessage(err error) string {
	return oneLine(strings.TrimPrefix(err.Error(), "yaml: "))
}

var yamlTypeErrorLine = regexp.MustCompile(`^line (\d+): `)

// policyDecodeProblem explains why yaml.v3 could not decode the document
// into Sentinel's schema, when policyKindWalker found nothing (a merge key,
// an alias that refers to itself, too many aliases). yaml.v3's own messages
// name Go types, so they are not passed on.
func policyDecodeProblem(err error) *policyProblem {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		where := ""
		if len(te.Errors) > 0 {
			if m := yamlTypeErrorLine.FindStringSubmatch(te.Errors[0]); m != nil {
				where = "line " + m[1] + ": "
			}
		}
		return policyProblemf(policyUnloadable, "", "%sa value does not fit Sentinel's policy schema", where)
	}
	msg := yamlMessage(err)
	switch {
	case strings.Contains(msg, "excessive aliasing"):
		return policyProblemf(policyUnloadable, "", "the document expands its YAML aliases too much (excessive aliasing), so Sentinel's YAML decoder refuses it")
	case strings.Contains(msg, "contains itself"):
		return policyProblemf(policyUnloadable, "", "a YAML alias refers to the value that contains it, so Sentinel's YAML decoder refuses it")
	}
	return policyProblemf(policyUnloadable, "", "Sentinel's YAML decoder refuses the document: %s", msg)
}

// yamlContent returns the content of a document node (nil when empty).
func yamlContent(root *yaml.Node) *yaml.Node {
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 1 {
			return root.Content[0]
		}
		return nil
	}
	return root
}

// validate applies Sentinel's validator, in its order.
func (lp *loadedPolicy) validate() *policyProblem {
	p := &lp.p
	if p.Version != "1" {
		return policyProblemf(policyInvalid, "version", `the version is %q; Sentinel supports only version: "1"`, p.Version)
	}
	if len(p.Rules) == 0 {
		return policyProblemf(policyInvalid, "rules", "the policy has no rules; it needs at least one")
	}
	for i, r := range p.Rules {
		if r.Name == "" {
			return lp.ruleProblem(policyInvalid, i, "name", "the rule has no name")
		}
		if !slices.Contains(policyEffects, r.Effect) {
			return lp.ruleProblem(policyInvalid, i, "effect", "rule %q has effect %q; use one of %s", r.Name, r.Effect, strings.Join(policyEffects, ", "))
		}
		c := r.Conditions
		if len(c.Profiles) == 0 && len(c.Users) == 0 && c.Time == nil {
			// A misspelt key is the likely cause: say which.
			hint := ""
			ri := keptIndex(lp.list("rules"), i)
			if p := strictPolicyNode(lp.node("rules", ri), policyShape.fields["rules"].elem); p != nil && strings.HasPrefix(p.Reason, "unknown key") {
				hint = " (" + p.under(fmt.Sprintf("rules[%d]", ri)).Error() + ")"
			}
			return lp.ruleProblem(policyInvalid, i, "conditions", "rule %q has no conditions (profiles, users or time); Sentinel's loader would make it match every request%s", r.Name, hint)
		}
		if c.Time == nil {
			continue
		}
		for j, d := range c.Time.Days {
			if !slices.Contains(policyWeekdays, d) {
				return lp.listProblem(policyInvalid, i, "time", "days", j, "rule %q: %q is not a weekday; write monday … sunday, in lowercase", r.Name, d)
			}
		}
		if tz := c.Time.Timezone; tz != "" {
			if _, err := time.LoadLocation(tz); err != nil {
				return lp.ruleProblem(policyInvalid, i, "conditions.time.timezone", "rule %q: %q is not a time zone Go knows; use a name such as UTC or Europe/Berlin", r.Name, tz)
			}
		}
		if h := c.Time.Hours; h != nil {
			if !policyHourForm.MatchString(h.Start) {
				return lp.ruleProblem(policyInvalid, i, "conditions.time.hours.start", "rule %q: %q is not a time of day as HH:MM, 24-hour, two digits each (00:00 to 23:59)", r.Name, h.Start)
			}
			if !policyHourForm.MatchString(h.End) {
				return lp.ruleProblem(policyInvalid, i, "conditions.time.hours.end", "rule %q: %q is not a time of day as HH:MM, 24-hour, two digits each (00:00 to 23:59)", r.Name, h.End)
			}
		}
	}
	return nil
}

// ruleProblem is a problem at a field of the i-th rule Sentinel decoded
// (yaml.v3 drops null entries of a list, so the path counts them back in).
func (lp *loadedPolicy) ruleProblem(kind policyKind, i int, field, format string, args ...any) *policyProblem {
	return policyProblemf(kind, fmt.Sprintf("rules[%d].%s", keptIndex(lp.list("rules"), i), field), format, args...)
}

// listProblem is a problem at the j-th entry Sentinel decoded of the list
// conditions.<under>.<list> (or conditions.<list> when under is "") of the
// i-th rule.
func (lp *loadedPolicy) listProblem(kind policyKind, i int, under, list string, j int, format string, args ...any) *policyProblem {
	ri := keptIndex(lp.list("rules"), i)
	var seq *yaml.Node
	field := "conditions." + list
	if under == "" {
		seq = lp.list("rules", ri, "conditions", list)
	} else {
		seq = lp.list("rules", ri, "conditions", under, list)
		field = "conditions." + under + "." + list
	}
	return policyProblemf(kind, fmt.Sprintf("rules[%d].%s[%d]", ri, field, keptIndex(seq, j)), format, args...)
}

// strict applies the library's stricter rules to a policy Sentinel accepts.
func (lp *loadedPolicy) strict(doc []byte) *policyProblem {
	if len(doc) > maxPolicyBytes {
		return policyProblemf(policyStricter, "", "the policy is %d bytes; SSM's Standard tier holds at most %d (and the library signs at most that)", len(doc), maxPolicyBytes)
	}
	if prob := policyTextProblem(doc); prob != nil {
		return prob
	}
	if prob := strictPolicyNode(yamlContent(lp.root), policyShape); prob != nil {
		return prob
	}
	for i, r := range lp.p.Rules {
		if strings.TrimSpace(r.Name) == "" {
			return lp.ruleProblem(policyStricter, i, "name", "the rule's name %q is blank; give it a name that is not only white space", r.Name)
		}
		c := r.Conditions
		for j, m := range c.Mode {
			if !slices.Contains(policyModes, m) {
				return lp.listProblem(policyStricter, i, "", "mode", j, "rule %q: %q is not a credential mode; use server, cli or credential_process (Sentinel does not check modes, and one it does not know never matches)", r.Name, m)
			}
		}
		if t := c.Time; t != nil && len(t.Days) == 0 && t.Hours == nil && t.Timezone == "" {
			return lp.ruleProblem(policyStricter, i, "conditions.time", "rule %q: an empty time (no days, hours or timezone) is not a condition, though Sentinel counts it as one; give days or hours, or remove it", r.Name)
		}
	}
	if bytes.Contains(doc, []byte("---")) || bytes.Contains(doc, []byte("...")) {
		dec := yaml.NewDecoder(bytes.NewReader(doc))
		var first, second yaml.Node
		if dec.Decode(&first) == nil && !errors.Is(dec.Decode(&second), io.EOF) {
			return policyProblemf(policyStricter, "", "the policy holds more than one YAML document; Sentinel reads only the first: remove the others")
		}
	}
	return nil
}

// policyTextProblem checks that doc is UTF-8 with only the characters YAML allows
// (yaml.v3 also reads UTF-16, and stops reading after the first document).
func policyTextProblem(doc []byte) *policyProblem {
	line := 1
	for i := 0; i < len(doc); {
		r, n := utf8.DecodeRune(doc[i:])
		if r == utf8.RuneError && n <= 1 {
			return policyProblemf(policyStricter, "", "line %d: the policy is not valid UTF-8 (byte %d)", line, i+1)
		}
		if !yamlChar(r) {
			return policyProblemf(policyStricter, "", "line %d: the policy holds %U, a character YAML does not allow", line, r)
		}
		if r == '\n' {
			line++
		}
		i += n
	}
	return nil
}

// yamlChar reports whether YAML allows r in a document.
func yamlChar(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\r', r == 0x85:
		return true
	case r >= 0x20 && r <= 0x7E, r >= 0xA0 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

// node finds the node at a path of keys (strings) and list indexes (ints),
// following aliases; nil when there is none.
func (lp *loadedPolicy) node(path ...any) *yaml.Node {
	n := yamlContent(lp.root)
	for _, step := range path {
		n = yamlFollow(n)
		if n == nil {
			return nil
		}
		switch s := step.(type) {
		case string:
			var next *yaml.Node
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if k := yamlFollow(n.Content[i]); k != nil && k.Value == s {
						next = n.Content[i+1]
					}
				}
			}
			n = next
		case int:
			if n.Kind != yaml.SequenceNode || s >= len(n.Content) {
				return nil
			}
			n = n.Content[s]
		}
	}
	return yamlFollow(n)
}

// list is node, for a sequence; nil when there is none.
func (lp *loadedPolicy) list(path ...any) *yaml.Node {
	if n := lp.node(path...); n != nil && n.Kind == yaml.SequenceNode {
		return n
	}
	return nil
}

// keptIndex is the position in seq of the i-th entry yaml.v3 kept: it drops
// null entries from a list.
func keptIndex(seq *yaml.Node, i int) int {
	if seq == nil {
		return i
	}
	kept := 0
	for j, e := range seq.Content {
		if yamlNull(e) {
			continue
		}
		if kept == i {
			return j
		}
		kept++
	}
	return i
}

// yamlFollow resolves aliases (nil for nil or a broken alias).
func yamlFollow(n *yaml.Node) *yaml.Node {
	for depth := 0; n != nil && n.Kind == yaml.AliasNode; depth++ {
		if depth > 100 {
			return nil
		}
		n = n.Alias
	}
	return n
}

func yamlNull(n *yaml.Node) bool {
	n = yamlFollow(n)
	return n == nil || n.Kind == 0 || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func yamlMergeKey(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Value == "<<" && (n.Tag == "" || n.Tag == "!" || n.ShortTag() == "!!merge")
}

// The shape below is derived from the mirror types, so that the checks on
// YAML nodes know exactly the keys and kinds yaml.v3 decodes.

type shapeKind int

const (
	shapeText shapeKind = iota
	shapeDuration
	shapeFlag
	shapeList
	shapeObject
)

type yamlShape struct {
	kind   shapeKind
	goType reflect.Type          // leaves: what yaml.v3 decodes into
	elem   *yamlShape            // lists
	fields map[string]*yamlShape // objects, by yaml key
	keys   []string              // objects, in declaration order
}

var policyShape = shapeOf(reflect.TypeFor[sentinelPolicy]())

func shapeOf(t reflect.Type) *yamlShape {
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return &yamlShape{kind: shapeDuration, goType: t}
	case t.Kind() == reflect.Bool:
		return &yamlShape{kind: shapeFlag, goType: t}
	case t.Kind() == reflect.String:
		return &yamlShape{kind: shapeText, goType: t}
	case t.Kind() == reflect.Slice:
		return &yamlShape{kind: shapeList, goType: t, elem: shapeOf(t.Elem())}
	case t.Kind() == reflect.Pointer:
		return shapeOf(t.Elem())
	case t.Kind() == reflect.Struct:
		s := &yamlShape{kind: shapeObject, goType: t, fields: map[string]*yamlShape{}}
		for i := range t.NumField() {
			f := t.Field(i)
			key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			s.fields[key] = shapeOf(f.Type)
			s.keys = append(s.keys, key)
		}
		return s
	}
	panic("bootstrap: no policy shape for " + t.String())
}

// expected says, in plain words, what a value of this shape looks like.
func (s *yamlShape) expected() string {
	switch s.kind {
	case shapeDuration:
		return "a duration such as 1h30m, 90m or 3600s"
	case shapeFlag:
		return "true or false"
	case shapeText:
		return "a single value"
	case shapeList:
		if s.elem.kind == shapeObject {
			return "a list of rules"
		}
		return "a list, as in [a, b]"
	}
	if s == policyShape {
		return "a mapping with version and rules"
	}
	return "a mapping of " + strings.Join(s.keys, ", ")
}

// yamlFound describes a node as a user wrote it.
func yamlFound(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!int", "!!float":
			return "the number " + shorten(n.Value)
		}
		return strconv.Quote(shorten(n.Value))
	}
	return "an empty value"
}

// policyKey is a key as a step of a path, quoted unless it is a plain word.
func policyKey(key string) string {
	if !plainPolicyKey.MatchString(key) {
		return strconv.Quote(shorten(key))
	}
	return key
}

func policyIndex(i int) string { return "[" + strconv.Itoa(i) + "]" }

var plainPolicyKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// yamlKeyText is the key as yaml.v3 decodes it into a string, and whether it
// decodes at all (a null key is skipped).
func yamlKeyText(k *yaml.Node) (string, bool) {
	k = yamlFollow(k)
	if k == nil || k.Kind != yaml.ScalarNode || yamlNull(k) {
		return "", false
	}
	if k.Style&yaml.TaggedStyle == 0 {
		return k.Value, true
	}
	var s string
	if k.Decode(&s) != nil {
		return "", false
	}
	return s, true
}

// policyKindWalker finds the first value that does not decode into Sentinel's
// schema, mirroring yaml.v3: only known keys are decoded, a null fits every
// kind, duplicate keys are refused in every mapping decoded. A node
// reached through an alias is walked once, so aliases cannot make it loop or
// blow up.
type policyKindWalker struct{ seen map[*yaml.Node]bool }

func (w *policyKindWalker) value(n *yaml.Node, s *yamlShape) *policyProblem {
	if n != nil && n.Kind == yaml.AliasNode {
		if n = yamlFollow(n); n == nil || w.seen[n] {
			return nil
		}
		if w.seen == nil {
			w.seen = map[*yaml.Node]bool{}
		}
		w.seen[n] = true
	}
	if n == nil || yamlNull(n) {
		return nil
	}
	switch s.kind {
	case shapeObject:
		if n.Kind != yaml.MappingNode {
			return wrongKind(n, s)
		}
		if p := yamlDuplicateKey(n); p != nil {
			return p
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if yamlMergeKey(k) {
				continue
			}
			if fk := yamlFollow(k); fk != nil && fk.Kind != yaml.ScalarNode {
				return policyProblemf(policyUnloadable, "", "a key must be a single value, not %s", yamlFound(fk))
			}
			key, ok := yamlKeyText(k)
			if !ok {
				continue
			}
			if f := s.fields[key]; f != nil {
				if p := w.value(n.Content[i+1], f); p != nil {
					return p.under(policyKey(key))
				}
			}
		}
	case shapeList:
		if n.Kind != yaml.SequenceNode {
			return wrongKind(n, s)
		}
		for i, e := range n.Content {
			if p := w.value(e, s.elem); p != nil {
				return p.under(policyIndex(i))
			}
		}
	default:
		if n.Kind != yaml.ScalarNode {
			return wrongKind(n, s)
		}
		if s.kind == shapeText && n.Style&yaml.TaggedStyle == 0 {
			return nil // any untagged scalar reads as text
		}
		if n.Decode(reflect.New(s.goType).Interface()) != nil {
			if s.kind == shapeDuration && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float") {
				return policyProblemf(policyUnloadable, "", "must be %s, not %s (a duration needs a unit, as in %ss)", s.expected(), yamlFound(n), shorten(n.Value))
			}
			return wrongKind(n, s)
		}
	}
	return nil
}

// wrongKind: n does not decode as s.
func wrongKind(n *yaml.Node, s *yamlShape) *policyProblem {
	if s == policyShape {
		return policyProblemf(policyUnloadable, "", "the policy must be %s, not %s", s.expected(), yamlFound(n))
	}
	return policyProblemf(policyUnloadable, "", "must be %s, not %s", s.expected(), yamlFound(n))
}

// yamlDuplicateKey refuses a key written twice in one mapping, as yaml.v3 does
// (it compares the keys as written).
func yamlDuplicateKey(n *yaml.Node) *policyProblem {
	for i := 0; i < len(n.Content); i += 2 {
		for j := i + 2; j < len(n.Content); j += 2 {
			a, b := n.Content[i], n.Content[j]
			if a.Kind == b.Kind && a.Value == b.Value {
				return policyProblemf(policyUnloadable, policyKey(b.Value), "the key is written twice (lines %d and %d); Sentinel's YAML decoder refuses that", a.Line, b.Line)
			}
		}
	}
	return nil
}

// strictPolicyNode applies the node-level stricter rules to a document that
// decodes: no anchors, aliases or merge keys, and no key outside the schema.
func strictPolicyNode(n *yaml.Node, s *yamlShape) *policyProblem {
	if n == nil {
		return nil
	}
	if p := yamlAnchorOrAlias(n); p != nil {
		return p
	}
	switch {
	case s.kind == shapeObject && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if p := yamlAnchorOrAlias(k); p != nil {
				return p
			}
			if yamlMergeKey(k) {
				return policyProblemf(policyStricter, "<<", "YAML merge keys (<<) are refused; write the keys out")
			}
			key, ok := yamlKeyText(k)
			if !ok {
				key = k.Value
			}
			f := s.fields[key]
			if !ok || f == nil {
				return policyProblemf(policyStricter, policyKey(key), "unknown key; %s", unknownKeyHint(s, key))
			}
			if p := strictPolicyNode(v, f); p != nil {
				return p.under(policyKey(key))
			}
		}
	case s.kind == shapeList && n.Kind == yaml.SequenceNode:
		for i, e := range n.Content {
			if p := strictPolicyNode(e, s.elem); p != nil {
				return p.under(policyIndex(i))
			}
		}
	}
	return nil
}

func yamlAnchorOrAlias(n *yaml.Node) *policyProblem {
	switch {
	case n.Kind == yaml.AliasNode:
		return policyProblemf(policyStricter, "", "YAML aliases (*%s) are refused; write the value out in full", shorten(n.Value))
	case n.Anchor != "":
		return policyProblemf(policyStricter, "", "YAML anchors (&%s) are refused; write the value out in full", shorten(n.Anchor))
	}
	return nil
}

// unknownKeyHint suggests the key meant: a close one at this level, or one
// that belongs deeper (profiles written directly under a rule).
func unknownKeyHint(s *yamlShape, key string) string {
	if best := closestPolicyKey(s.keys, key); best != "" {
		return "did you mean " + best + "?"
	}
	if deeper := deeperPolicyKey(s, key, ""); deeper != "" {
		return "did you mean " + deeper + "?"
	}
	return fmt.Sprintf("Sentinel ignores it, so it has no effect (the keys here are %s)", strings.Join(s.keys, ", "))
}

// closestPolicyKey is the key of keys that key most likely misspells, or "".
func closestPolicyKey(keys []string, key string) string {
	norm := func(s string) string {
		return strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.ToLower(s))
	}
	best, bestD := "", 3
	for _, k := range keys {
		if norm(k) == norm(key) {
			return k
		}
		d := policyKeyDistance(strings.ToLower(key), k)
		if d < bestD && d <= max(1, len(k)/3) {
			best, bestD = k, d
		}
	}
	return best
}

// deeperPolicyKey is the relative path of the key that key most likely
// means in a mapping nested under s, or "".
func deeperPolicyKey(s *yamlShape, key, prefix string) string {
	for _, k := range s.keys {
		f := s.fields[k]
		step := prefix + k
		if f.kind == shapeList && f.elem.kind == shapeObject {
			f, step = f.elem, step+"[]"
		}
		if f.kind != shapeObject {
			continue
		}
		if best := closestPolicyKey(f.keys, key); best != "" {
			return step + "." + best
		}
		if d := deeperPolicyKey(f, key, step+"."); d != "" {
			return d
		}
	}
	return ""
}

// policyKeyDistance is the Levenshtein distance of two short strings.
func policyKeyDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// existingPolicyWarnings are the warnings of an existing policy parameter's
// value, which the library never changes: the first problem checkPolicy
// finds, saying which kind it is and what to do, and the session_table
// warnings.
func existingPolicyWarnings(value, sessionTable string) []string {
	var out []string
	if p := checkPolicy([]byte(value)); p != nil {
		var w string
		switch p.Kind {
		case policyUnloadable:
			w = "Sentinel cannot load the current value (%s), so it cannot decide requests for this profile; bootstrap leaves the value unchanged: fix the policy and push it (sentinel policy push)"
		case policyInvalid:
			w = "Sentinel's validator refuses the current value (%s): Sentinel loads it at run time without validating it, so it may not behave as written, and sentinel policy validate and push refuse it; bootstrap leaves the value unchanged: fix the policy and push it (sentinel policy push)"
		default:
			w = "only this library's stricter checks refuse the current value (%s); Sentinel loads and validates it, but it may not mean what it says; bootstrap leaves the value unchanged: check it, and fix it if so"
		}
		out = append(out, fmt.Sprintf(w, p))
	}
	return append(out, sessionTableWarnings([]byte(value), sessionTable)...)
}

// sessionTableWarnings warns about each rule whose session_table names a
// table other than the selected sessions table (sessionTable; "" when no
// sessions table is selected, and then there is nothing to compare). A value
// Sentinel cannot load has no rules to compare.
func sessionTableWarnings(doc []byte, sessionTable string) []string {
	if sessionTable == "" || !bytes.Contains(doc, []byte("session_table")) || len(doc) > maxDecodedPolicy {
		return nil
	}
	lp, prob := loadPolicy(doc)
	if prob != nil {
		return nil
	}
	var out []string
	rules := lp.list("rules")
	for i, r := range lp.p.Rules {
		if r.SessionTable != "" && r.SessionTable != sessionTable {
			out = append(out, fmt.Sprintf("rule %q (rules[%d]) has session_table %q, but the sessions table selected (WithSessionTable) is %q: Sentinel checks this rule's sessions in %q; make the two the same",
				shorten(r.Name), keptIndex(rules, i), shorten(r.SessionTable), sessionTable, shorten(r.SessionTable)))
		}
	}
	return out
}

// starterPolicy is the policy a new parameter gets without WithPolicy: deny
// everything for the profile, with a header saying how to customise it. It
// depends only on its arguments, so the same options always write the same
// bytes (which signing relies on).
func starterPolicy(profile, description string) string {
	var b strings.Builder
	b.Grow(300 + 2*len(profile) + len(description))
	b.WriteString("# Sentinel policy for profile: ")
	b.WriteString(profile)
	b.WriteString("\n")
	if description != "" {
		b.WriteString("# Description: ")
		b.WriteString(description)
		b.WriteString("\n")
	}
	b.WriteString(`# This starter policy denies every request. Customize it: see Sentinel's policy reference.
version: "1"
rules:
  - name: default-deny
    effect: deny
    conditions:
      profiles:
        - `)
	b.WriteString(yamlString(profile))
	b.WriteString(`
    reason: Default deny - customize this policy
`)
	return b.String()
}

// checkDescriptionText reports whether WithDescription's text keeps the
// starter policy valid: one line of at most maxDescription characters of
// UTF-8 that YAML allows in a comment.
func checkDescriptionText(desc string) error {
	if utf8.RuneCountInString(desc) > maxDescription {
		return fmt.Errorf("a description has at most %d characters", maxDescription)
	}
	// U+0085, U+2028 and U+2029 end a line in YAML too, so they would end
	// the starter policy's comment line; invalid UTF-8, control characters
	// and U+FFFE/U+FFFF would make it unreadable.
	if !utf8.ValidString(desc) || strings.ContainsFunc(desc, func(r rune) bool {
		return r < 0x20 || r == 0x7F || r >= 0x80 && r <= 0x9F || r == '\u2028' || r == '\u2029' || !yamlChar(r)
	}) {
		return errors.New("a description is one line of UTF-8 text without control characters or line separators")
	}
	return nil
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
