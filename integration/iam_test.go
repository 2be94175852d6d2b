package integration_test

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/internal/awsshim"
)

// Least privilege, proved on the wire: every AWS operation Run calls across
// plan, fresh apply, rerun, drift repair and the rerun after it (as moto
// sees them through the shim), and every action AWS checks on its behalf, is
// allowed by the SentinelBootstrap document for those options, on that
// resource; and the document allows no action Run never needed.
func TestIntegrationLeastPrivilege(t *testing.T) {
	tags := map[string]string{"team": "platform", "env": "prod"}
	key := "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	sets := []struct {
		name     string
		opts     []bootstrap.Option
		profiles bool
		tables   bool
	}{
		{"profiles only", []bootstrap.Option{bootstrap.WithProfiles("dev", "prod")}, true, false},
		{"profiles and tags", []bootstrap.Option{bootstrap.WithProfiles("dev"), bootstrap.WithTags(tags)}, true, false},
		{"all", []bootstrap.Option{bootstrap.WithProfiles("dev"), bootstrap.WithAll()}, true, true},
		{"all, tags, KMS key", []bootstrap.Option{bootstrap.WithProfiles("dev"), bootstrap.WithAll(), bootstrap.WithTags(tags), bootstrap.WithKMSKey(key)}, true, true},
		{"sessions, no PITR, tags", []bootstrap.Option{bootstrap.WithSessions(), bootstrap.WithoutPointInTimeRecovery(), bootstrap.WithTags(tags)}, false, true},
	}
	for _, set := range sets {
		t.Run(set.name, func(t *testing.T) {
			e := newEnv(t, awsshim.Options{})
			opts := append(slices.Clone(set.opts), bootstrap.WithIAMPolicies())
			var calls []awsshim.Call
			step := func(name string, extra ...bootstrap.Option) *bootstrap.Report {
				t.Helper()
				e.shim.Reset()
				rep := e.mustRun(append(slices.Clone(opts), extra...)...)
				calls = append(calls, e.shim.CallLog()...)
				return rep
			}
			rep := step("plan", bootstrap.WithPlanOnly())
			step("fresh")
			step("rerun")
			if set.tables {
				e.driftTables(rep)
			}
			if set.profiles {
				if _, err := e.ssm.DeleteParameter(context.Background(), &ssm.DeleteParameterInput{Name: aws.String(rep.Parameters[0].Name)}); err != nil {
					t.Fatal(err)
				}
			}
			repair := step("drift repair")
			if repair.Summary.Create+repair.Summary.Update == 0 {
				t.Fatalf("the drift repair changed nothing: %+v", repair.Summary)
			}
			if after := step("rerun after repair"); after.Summary.Create+after.Summary.Update != 0 {
				t.Fatalf("rerun after repair changed something: %+v", after.Summary)
			}

			doc := bootstrapDocument(t, rep)
			used := map[string]bool{}
			for _, c := range withImplied(calls) {
				used[c.action] = true
				if !doc.allows(c) {
					t.Errorf("%s on %s is not allowed by %s", c.action, c.resource, bootstrap.IAMPolicyBootstrap)
				}
			}
			var allowed []string
			for _, st := range doc.Statement {
				allowed = append(allowed, st.Action...)
			}
			for _, a := range allowed {
				if !used[a] {
					t.Errorf("%s allows %s, which Run never needed for these options", bootstrap.IAMPolicyBootstrap, a)
				}
			}
			t.Logf("%d calls, %d distinct actions, all allowed; the document allows %d actions, all used", len(calls), len(used), len(allowed))
		})
	}
}

// driftTables replaces Run's tables by ones as the original bootstrap left
// them: two indexes only, no KMS, protection, TTL, PITR or tags.
func (e *env) driftTables(rep *bootstrap.Report) {
	ctx := context.Background()
	for _, tb := range rep.Tables {
		name := aws.String(tb.Name)
		if _, err := e.ddb.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: name, DeletionProtectionEnabled: aws.Bool(false)}); err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.ddb.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: name}); err != nil {
			e.t.Fatal(err)
		}
		want := wantIndexes[strings.TrimSuffix(tb.Name, e.suffix)]
		e.oldTable(tb.Name, idKey,
			oldIndex(tb.GSIs[0], want[tb.GSIs[0]][0], want[tb.GSIs[0]][1], "ALL"),
			oldIndex(tb.GSIs[1], want[tb.GSIs[1]][0], want[tb.GSIs[1]][1], "ALL"))
	}
}

// iamDoc is an IAM policy document as the tests read it (the unit tests at
// the module root have their own copy).
type iamDoc struct {
	Version   string
	Statement []struct {
		Sid       string
		Effect    string
		Action    []string
		Resource  []string
		Condition map[string]map[string]string
	}
}

type lpCall struct{ action, resource string }

// withImplied turns the shim's log into (action, resource ARN) pairs and adds
// what AWS authorises on the caller's behalf: AddTagsToResource for
// PutParameter with tags, TagResource for CreateTable with tags, and the KMS
// key's use when a table is encrypted with a customer-managed key.
func withImplied(log []awsshim.Call) []lpCall {
	var out []lpCall
	for _, c := range log {
		var body struct {
			Tags             []any
			SSESpecification *struct{ KMSMasterKeyId string }
		}
		_ = json.Unmarshal(c.Body, &body)
		service, op, _ := strings.Cut(c.Action, ":")
		for _, r := range c.Resources {
			arn := "arn:aws:dynamodb:us-east-1:123456789012:table/" + r
			if service == "ssm" {
				arn = "arn:aws:ssm:us-east-1:123456789012:parameter" + r
			}
			out = append(out, lpCall{c.Action, arn})
			switch {
			case op == "PutParameter" && len(body.Tags) > 0:
				out = append(out, lpCall{"ssm:AddTagsToResource", arn})
			case op == "CreateTable" && len(body.Tags) > 0:
				out = append(out, lpCall{"dynamodb:TagResource", arn})
			}
			if body.SSESpecification != nil && body.SSESpecification.KMSMasterKeyId != "" {
				out = append(out, lpCall{"kms:DescribeKey", body.SSESpecification.KMSMasterKeyId}, lpCall{"kms:CreateGrant", body.SSESpecification.KMSMasterKeyId})
			}
		}
	}
	return out
}

func bootstrapDocument(t *testing.T, rep *bootstrap.Report) iamDoc {
	t.Helper()
	for _, p := range rep.IAMPolicies {
		if p.Name == bootstrap.IAMPolicyBootstrap {
			var doc iamDoc
			if err := json.Unmarshal(p.Document, &doc); err != nil {
				t.Fatal(err)
			}
			return doc
		}
	}
	t.Fatalf("no %s document in the report", bootstrap.IAMPolicyBootstrap)
	return iamDoc{}
}

func (d iamDoc) allows(c lpCall) bool {
	for _, st := range d.Statement {
		if st.Effect == "Allow" && slices.Contains(st.Action, c.action) &&
			slices.ContainsFunc(st.Resource, func(p string) bool { return iamGlob(p, c.resource) }) {
			return true
		}
	}
	return false
}

// iamGlob matches an IAM resource pattern: * matches any run of characters,
// ? any one.
func iamGlob(pattern, s string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	return regexp.MustCompile(re).MatchString(s)
}
