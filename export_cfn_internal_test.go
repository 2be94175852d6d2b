package bootstrap

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The typed resources are checked against the CloudFormation resource
// specification: the provider schemas that cfn-lint ships (the registry
// schemas of us-east-1). Every property the structs can write exists there
// with the same JSON type, nested properties included, and every property
// the schema requires is always written.
func TestCloudFormationTypesMatchTheSpecification(t *testing.T) {
	dir := cfnLintSchemas(t)
	for _, c := range []struct {
		typeName string
		props    any
	}{
		{"AWS::DynamoDB::Table", cfnTableProperties{}},
		{"AWS::SSM::Parameter", cfnSSMParameterProperties{}},
		{"AWS::IAM::ManagedPolicy", cfnManagedPolicyProperties{}},
	} {
		t.Run(c.typeName, func(t *testing.T) {
			s := loadResourceSchema(t, dir, c.typeName)
			if err := s.fits(reflect.TypeOf(c.props), s.root, c.typeName); err != nil {
				t.Error(err)
			}
		})
	}
}

// cfnLintSchemas is the folder of cfn-lint's schemas, found through the
// Python that runs cfn-lint; missing outside CI, the test is skipped loudly.
func cfnLintSchemas(t *testing.T) string {
	t.Helper()
	missing := func(why string) {
		msg := "cfn-lint's schemas are not available (" + why + "); install cfn-lint with pip install cfn-lint"
		if os.Getenv("CI") != "" {
			t.Fatalf("missing in CI: %s", msg)
		}
		t.Skipf("\n*****\n***** SKIPPING: %s\n*****", msg)
	}
	out, err := exec.Command("python3", "-c", "import cfnlint, os; print(os.path.dirname(cfnlint.__file__))").Output()
	if err != nil {
		missing(err.Error())
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "data", "schemas")
	if _, err := os.Stat(filepath.Join(dir, "providers", "us_east_1.py")); err != nil {
		missing(err.Error())
	}
	return dir
}

type resourceSchema struct {
	root        map[string]any
	definitions map[string]any
}

func loadResourceSchema(t *testing.T, dir, typeName string) *resourceSchema {
	t.Helper()
	index, err := os.ReadFile(filepath.Join(dir, "providers", "us_east_1.py"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`"` + regexp.QuoteMeta(typeName) + `": "([0-9a-f]+)"`).FindSubmatch(index)
	if m == nil {
		t.Fatalf("%s is not in cfn-lint's us-east-1 schemas", typeName)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "resources", string(m[1])+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(raw, &root); err != nil {
		t.Fatal(err)
	}
	if root["typeName"] != typeName {
		t.Fatalf("schema %s is for %v", m[1], root["typeName"])
	}
	defs, _ := root["definitions"].(map[string]any)
	return &resourceSchema{root: root, definitions: defs}
}

// alternatives resolves $ref and expands oneOf/anyOf.
func (s *resourceSchema) alternatives(node map[string]any) []map[string]any {
	if ref, ok := node["$ref"].(string); ok {
		def, _ := s.definitions[strings.TrimPrefix(ref, "#/definitions/")].(map[string]any)
		return s.alternatives(def)
	}
	for _, k := range []string{"oneOf", "anyOf"} {
		if alts, ok := node[k].([]any); ok {
			// Each alternative holds the node's other keywords too.
			base := maps.Clone(node)
			delete(base, k)
			var out []map[string]any
			for _, a := range alts {
				merged := maps.Clone(base)
				maps.Copy(merged, a.(map[string]any))
				out = append(out, s.alternatives(merged)...)
			}
			return out
		}
	}
	return []map[string]any{node}
}

func hasType(node map[string]any, want string) bool {
	switch ty := node["type"].(type) {
	case string:
		return ty == want
	case []any:
		return slices.Contains(ty, any(want))
	}
	return false
}

var cfnStringType = reflect.TypeFor[cfnString]()

// fits checks that values of Go type ty are valid for the schema node.
func (s *resourceSchema) fits(ty reflect.Type, node map[string]any, path string) error {
	var errs []error
	for _, alt := range s.alternatives(node) {
		err := s.fitsOne(ty, alt, path)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (s *resourceSchema) fitsOne(ty reflect.Type, node map[string]any, path string) error {
	if ty.Kind() == reflect.Pointer {
		ty = ty.Elem()
	}
	if node["format"] == "json" && node["type"] == nil {
		return nil // a JSON document (PolicyDocument): any object
	}
	switch {
	case ty == cfnStringType || ty.Kind() == reflect.String:
		if !hasType(node, "string") {
			return fmt.Errorf("%s: the specification has %v, not a string", path, node["type"])
		}
	case ty.Kind() == reflect.Bool:
		if !hasType(node, "boolean") {
			return fmt.Errorf("%s: the specification has %v, not a boolean", path, node["type"])
		}
	case ty.Kind() == reflect.Slice:
		items, ok := node["items"].(map[string]any)
		if !hasType(node, "array") && !ok {
			return fmt.Errorf("%s: the specification has %v, not an array", path, node["type"])
		}
		return s.fits(ty.Elem(), items, path+"[]")
	case ty.Kind() == reflect.Map:
		if !hasType(node, "object") {
			return fmt.Errorf("%s: the specification has %v, not an object", path, node["type"])
		}
		pattern, _ := node["patternProperties"].(map[string]any)
		for _, v := range pattern {
			return s.fits(ty.Elem(), v.(map[string]any), path+"{}")
		}
		return fmt.Errorf("%s: the specification has no pattern for the keys of an object", path)
	case ty.Kind() == reflect.Struct:
		props, ok := node["properties"].(map[string]any)
		if !ok {
			return fmt.Errorf("%s: the specification has no properties here", path)
		}
		always := map[string]bool{}
		for i := range ty.NumField() {
			f := ty.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" {
				return fmt.Errorf("%s.%s: no yaml name", path, f.Name)
			}
			p, ok := props[name].(map[string]any)
			if !ok {
				return fmt.Errorf("%s.%s: no such property in the specification", path, name)
			}
			if err := s.fits(f.Type, p, path+"."+name); err != nil {
				return err
			}
			always[name] = !strings.Contains(opts, "omitempty")
		}
		required, _ := node["required"].([]any)
		for _, r := range required {
			if !always[r.(string)] {
				return fmt.Errorf("%s.%v: required by the specification, and not always written", path, r)
			}
		}
	default:
		return fmt.Errorf("%s: no check for %s", path, ty)
	}
	return nil
}

// ARNs of the account the documents leave open are rewritten with pseudo
// parameters; an ARN naming an account stays as it is; a literal ${ is
// escaped for Fn::Sub.
func TestCloudFormationPortableStrings(t *testing.T) {
	m := &exportModel{region: "eu-west-1", partition: "aws", dnsSuffix: "amazonaws.com"}
	for in, want := range map[string]cfnString{
		"arn:aws:ssm:eu-west-1:*:parameter/sentinel/policies/*": cfnSub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/sentinel/policies/*"),
		"arn:aws:dynamodb:eu-west-1:*:table/t/index/*":          cfnSub("arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/t/index/*"),
		"arn:aws:iam::*:policy/x":                               cfnSub("arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/x"),
		"arn:aws:kms:eu-west-1:123456789012:key/1":              cfnLiteral("arn:aws:kms:eu-west-1:123456789012:key/1"),
		"arn:aws-cn:ssm:cn-north-1:*:parameter/x":               cfnLiteral("arn:aws-cn:ssm:cn-north-1:*:parameter/x"),
		"dynamodb.eu-west-1.amazonaws.com":                      cfnSub("dynamodb.${AWS::Region}.${AWS::URLSuffix}"),
		"arn:aws:ssm:eu-west-1:*:parameter/${x}":                cfnSub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${!x}"),
		"*":                                                     cfnLiteral("*"),
	} {
		if got := m.cfnPortable(in); !reflect.DeepEqual(got, want) {
			t.Errorf("cfnPortable(%q) = %#v, want %#v", in, got, want)
		}
	}
}
