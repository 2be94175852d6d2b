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
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/internal/awsshim"
)

// Least privilege, proved on the wire: every AWS operation Run calls across
// plan, fresh apply, rerun, drift repair and the rerun after it (as moto
// sees them through the shim), and every action AWS checks on its behalf, is
// allowed by the SentinelBootstrap document for those options, on that
// resource and under that statement's conditions (the KMS key's ARN, its
// aliases, kms:ViaService for what DynamoDB does with the table key); the
// document allows no action Run never needed, and every statement allows
// at least one call that was made.
func TestIntegrationLeastPrivilege(t *testing.T) {
	tags := map[string]string{"team": "platform", "env": "prod"}
	fakeKey := "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	sets := []struct {
		name     string
		opts     func(k lpKeys) []bootstrap.Option
		profiles bool
		signing  bool
		tables   bool
	}{
		{"profiles only", func(lpKeys) []bootstrap.Option { return []bootstrap.Option{bootstrap.WithProfiles("dev", "prod")} }, true, false, false},
		{"profiles and tags", func(lpKeys) []bootstrap.Option {
			return []bootstrap.Option{bootstrap.WithProfiles("dev"), bootstrap.WithTags(tags)}
		}, true, false, false},
		{"all", func(lpKeys) []bootstrap.Option {
			return []bootstrap.Option{bootstrap.WithProfiles("dev"), bootstrap.WithAll()}
		}, true, false, true},
		{"all, tags, KMS key ARN", func(lpKeys) []bootstrap.Option {
			return []bootstrap.Option{bootstrap.WithProfiles("dev"), bootstrap.WithAll(), bootstrap.WithTags(tags), bootstrap.WithKMSKey(fakeKey)}
		}, true, false, true},
		{"sessions, no PITR, tags", func(lpKeys) []bootstrap.Option {
			return []bootstrap.Option{bootstrap.WithSessions(), bootstrap.WithoutPointInTimeRecovery(), bootstrap.WithTags(tags)}
		}, false, false, true},
		{"rate limits, KMS alias", func(k lpKeys) []bootstrap.Option {
			return []bootstrap.Option{bootstrap.WithRateLimits(), bootstrap.WithSessions(), bootstrap.WithKMSKey(k.tableAlias)}
		}, false, false, true},
		{"signing by alias, tags", func(k lpKeys) []bootstrap.Option {
			return []bootstrap.Option{bootstrap.WithProfiles("dev", "prod"), bootstrap.WithTags(tags), bootstrap.WithPolicySigning(k.signAlias)}
		}, true, true, false},
		{"signing by key ARN, other root, tables", func(k lpKeys) []bootstrap.Option {
			return []bootstrap.Option{bootstrap.WithProfiles("dev"), bootstrap.WithPolicyRoot("/team/policies"), bootstrap.WithSessions(), bootstrap.WithPolicySigning(k.signARN)}
		}, true, true, true},
	}
	for _, set := range sets {
		t.Run(set.name, func(t *testing.T) {
			e := newEnv(t, awsshim.Options{})
			keys := e.lpKeys()
			opts := append(set.opts(keys), bootstrap.WithIAMPolicies())
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
				lost := []string{rep.Parameters[0].Name}
				if set.signing {
					lost = append(lost, rep.Parameters[0].Signature.Name)
				}
				if _, err := e.ssm.DeleteParameters(context.Background(), &ssm.DeleteParametersInput{Names: lost}); err != nil {
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
			usedStatement := map[string]bool{}
			for _, c := range keys.withImplied(calls) {
				used[c.action] = true
				sid, ok := doc.allows(c)
				if !ok {
					t.Errorf("%s on %s (context %v) is not allowed by %s", c.action, c.resource, c.context, bootstrap.IAMPolicyBootstrap)
				}
				usedStatement[sid] = true
			}
			var allowed []string
			for _, st := range doc.Statement {
				allowed = append(allowed, st.Action...)
				if !usedStatement[st.Sid] {
					t.Errorf("%s statement %s allowed no call Run made", bootstrap.IAMPolicyBootstrap, st.Sid)
				}
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

// lpKeys are the KMS keys of one least-privilege run, made in moto: a
// symmetric table key behind an alias, and an RSA signing key behind an
// alias; aliases maps each key ARN to its aliases, as IAM sees them in
// kms:ResourceAliases.
type lpKeys struct {
	tableAlias, tableARN string
	signAlias, signARN   string
	aliases              map[string][]string
}

func (e *env) lpKeys() lpKeys {
	e.t.Helper()
	ctx := context.Background()
	c := kms.NewFromConfig(e.cfg)
	newKey := func(spec kmstypes.KeySpec, usage kmstypes.KeyUsageType, alias string) string {
		out, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: spec, KeyUsage: usage})
		if err != nil {
			e.t.Fatalf("CreateKey: %v", err)
		}
		if _, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: out.KeyMetadata.KeyId}); err != nil {
			e.t.Fatalf("CreateAlias: %v", err)
		}
		return aws.ToString(out.KeyMetadata.Arn)
	}
	k := lpKeys{tableAlias: "alias/tables" + e.suffix, signAlias: "alias/signing" + e.suffix}
	k.tableARN = newKey(kmstypes.KeySpecSymmetricDefault, kmstypes.KeyUsageTypeEncryptDecrypt, k.tableAlias)
	k.signARN = newKey(kmstypes.KeySpecRsa2048, kmstypes.KeyUsageTypeSignVerify, k.signAlias)
	k.aliases = map[string][]string{k.tableARN: {k.tableAlias}, k.signARN: {k.signAlias}}
	return k
}

// keyARN is the ARN IAM authorizes a KMS request against: the key's,
// whatever the request names (an alias, an alias ARN, a key ID).
func (k lpKeys) keyARN(id string) string {
	name := id
	if i := strings.Index(id, ":alias/"); i >= 0 {
		name = id[i+1:]
	}
	switch {
	case name == k.tableAlias:
		return k.tableARN
	case name == k.signAlias:
		return k.signARN
	case strings.HasPrefix(id, "arn:"):
		return id
	}
	return "arn:aws:kms:us-east-1:123456789012:key/" + id
}

// driftTables replaces Run's tables by ones as the original bootstrap left
// them: two indexes only (none for the rate-limit table), no KMS,
// protection, TTL, PITR or tags.
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
		if tb.Purpose == bootstrap.PurposeRateLimits {
			e.oldTable(tb.Name, []ddbtypes.KeySchemaElement{{AttributeName: aws.String("PK"), KeyType: ddbtypes.KeyTypeHash}})
			continue
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

// lpCall is one authorization IAM makes: the action, the resource's ARN,
// and the request context its conditions read.
type lpCall struct {
	action, resource string
	context          map[string][]string
}

// withImplied turns the shim's log into authorizations and adds what AWS
// authorises on the caller's behalf: AddTagsToResource for PutParameter with
// tags, TagResource for CreateTable with tags, and the table key's use by
// DynamoDB (kms:DescribeKey and kms:CreateGrant via dynamodb) when a table is
// encrypted with a customer-managed key. KMS calls are authorized against
// the key's ARN with its aliases in kms:ResourceAliases.
func (k lpKeys) withImplied(log []awsshim.Call) []lpCall {
	kmsCall := func(action, id string, via bool) lpCall {
		arn := k.keyARN(id)
		ctx := map[string][]string{"kms:ResourceAliases": k.aliases[arn]}
		if via {
			ctx["kms:ViaService"] = []string{"dynamodb.us-east-1.amazonaws.com"}
		}
		return lpCall{action, arn, ctx}
	}
	var out []lpCall
	for _, c := range log {
		var body struct {
			Tags             []any
			SSESpecification *struct{ KMSMasterKeyId string }
		}
		_ = json.Unmarshal(c.Body, &body)
		service, op, _ := strings.Cut(c.Action, ":")
		for _, r := range c.Resources {
			switch service {
			case "kms":
				out = append(out, kmsCall(c.Action, r, false))
				continue
			case "ssm":
				arn := "arn:aws:ssm:us-east-1:123456789012:parameter" + r
				out = append(out, lpCall{c.Action, arn, nil})
				if op == "PutParameter" && len(body.Tags) > 0 {
					out = append(out, lpCall{"ssm:AddTagsToResource", arn, nil})
				}
				continue
			}
			arn := "arn:aws:dynamodb:us-east-1:123456789012:table/" + r
			out = append(out, lpCall{c.Action, arn, nil})
			if op == "CreateTable" && len(body.Tags) > 0 {
				out = append(out, lpCall{"dynamodb:TagResource", arn, nil})
			}
			if body.SSESpecification != nil && body.SSESpecification.KMSMasterKeyId != "" {
				out = append(out, kmsCall("kms:DescribeKey", body.SSESpecification.KMSMasterKeyId, true), kmsCall("kms:CreateGrant", body.SSESpecification.KMSMasterKeyId, true))
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

// allows reports whether a statement of d allows c, and which: the action
// listed, a resource pattern matching, and every condition met.
func (d iamDoc) allows(c lpCall) (string, bool) {
	for _, st := range d.Statement {
		if st.Effect == "Allow" && slices.Contains(st.Action, c.action) &&
			slices.ContainsFunc(st.Resource, func(p string) bool { return iamGlob(p, c.resource) }) && conditionsMet(st.Condition, c.context) {
			return st.Sid, true
		}
	}
	return "", false
}

// conditionsMet evaluates the condition operators the documents use, as IAM
// does: StringEquals needs the key's single value to equal; ForAnyValue:
// StringEquals needs one of the key's values to. An operator it does not
// know is not met.
func conditionsMet(cond map[string]map[string]string, ctx map[string][]string) bool {
	for op, keys := range cond {
		for key, want := range keys {
			got := ctx[key]
			switch op {
			case "StringEquals":
				if len(got) != 1 || got[0] != want {
					return false
				}
			case "ForAnyValue:StringEquals":
				if !slices.Contains(got, want) {
					return false
				}
			default:
				return false
			}
		}
	}
	return true
}

// iamGlob matches an IAM resource pattern: * matches any run of characters,
// ? any one.
func iamGlob(pattern, s string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	return regexp.MustCompile(re).MatchString(s)
}
