package bootstrap_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"go.uber.org/mock/gomock"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/mocks"
)

// invalidConfig is one configuration that validation must refuse.
type invalidConfig struct {
	name   string
	cfg    *aws.Config // nil: a config with region us-east-1
	opts   []bootstrap.Option
	option string // the ConfigError.Option expected
	value  string // the ConfigError.Value expected (the offending value)
}

const (
	vtKeyID         = "1234abcd-12ab-34cd-56ef-1234567890ab"
	vtKeyARN        = "arn:aws:kms:us-east-1:123456789012:key/" + vtKeyID
	vtKeyARNWest    = "arn:aws:kms:us-west-2:123456789012:key/" + vtKeyID
	vtKeyARNChina   = "arn:aws-cn:kms:cn-north-1:123456789012:key/" + vtKeyID
	vtKeyARNNowhere = "arn:aws-mars:kms:us-east-1:123456789012:key/" + vtKeyID
	vtSignKeyARN    = "arn:aws:kms:us-east-1:123456789012:key/99999999-2222-3333-4444-555555555555"
	// vtARN is the length of arn:aws:ssm:us-east-1:123456789012:parameter,
	// which SSM counts in a parameter name's 1011 characters.
	vtARN = len("arn:aws:ssm:us-east-1:123456789012:parameter")
)

func vtRepeat(s string, n int) string { return strings.Repeat(s, n) }

// vtTags returns n distinct, valid tags, keys prefixed with prefix.
func vtTags(prefix string, n int) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		m[fmt.Sprintf("%s%02d", prefix, i)] = "v"
	}
	return m
}

// vtLevels builds a root with n levels, such as /l1/l2/…/ln.
func vtLevels(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "/l%d", i+1)
	}
	return b.String()
}

const vtPolicy = `version: "1"
rules:
  - name: allow-dev
    effect: allow
    conditions:
      profiles: [dev]
`

// invalidConfigs is the bad-input corpus of issue 4.
func invalidConfigs() []invalidConfig {
	dev := bootstrap.WithProfiles("dev")
	all := bootstrap.WithAll()
	noRegion := aws.Config{}
	badRegion := aws.Config{Region: "Not A Region"}
	bigPolicy := vtPolicy + "# " + vtRepeat("x", 4096) + "\n"
	longRoot := "/" + vtRepeat("r", 1007) // + "/dev" = 1012 characters
	// SSM counts the name's whole ARN: arn:aws:ssm:us-east-1:123456789012:parameter
	// is 44 characters, so in us-east-1 a name has at most 967.
	arnRoot := "/" + vtRepeat("r", 1011-vtARN-len("/dev")) // ARN of /rrr…/dev = 1012
	// Fits in us-east-1 (ARN 1011), not in ap-southeast-2 (5 characters longer).
	regionRoot := "/" + vtRepeat("r", 1011-vtARN-len("/dev")-1)
	// The policy fits (ARN 1011 - 20), but not its signature, 20 characters
	// longer: /sentinel/signatures + the root.
	sigRoot := "/" + vtRepeat("r", 1011-vtARN-len("/dev")-1-19)
	sig := bootstrap.WithPolicySigning(vtSignKeyARN)
	return []invalidConfig{
		// Profile names.
		{name: "profile empty", opts: vtOpts(bootstrap.WithProfiles("")), option: "WithProfiles", value: ""},
		{name: "profile 65 chars", opts: vtOpts(bootstrap.WithProfiles(vtRepeat("p", 65))), option: "WithProfiles", value: vtRepeat("p", 65)},
		{name: "profile with space", opts: vtOpts(bootstrap.WithProfiles("dev ops")), option: "WithProfiles", value: "dev ops"},
		{name: "profile with slash", opts: vtOpts(bootstrap.WithProfiles("dev/ops")), option: "WithProfiles", value: "dev/ops"},
		{name: "profile unicode", opts: vtOpts(bootstrap.WithProfiles("dév")), option: "WithProfiles", value: "dév"},
		{name: "profile emoji", opts: vtOpts(bootstrap.WithProfiles("dev🚀")), option: "WithProfiles", value: "dev🚀"},
		{name: "profile colon", opts: vtOpts(bootstrap.WithProfiles("dev:ops")), option: "WithProfiles", value: "dev:ops"},
		{name: "profile newline", opts: vtOpts(bootstrap.WithProfiles("dev\nops")), option: "WithProfiles", value: "dev\nops"},
		{name: "profile duplicate in one call", opts: vtOpts(bootstrap.WithProfiles("dev", "prod", "dev")), option: "WithProfiles", value: "dev"},
		{name: "profile duplicate across calls", opts: vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithProfiles("prod", "dev")), option: "WithProfiles", value: "dev"},
		{name: "WithProfiles without names", opts: vtOpts(bootstrap.WithProfiles(), all), option: "WithProfiles", value: ""},
		{name: "profile empty among valid", opts: vtOpts(bootstrap.WithProfiles("dev", "", "prod")), option: "WithProfiles", value: ""},

		// Policy roots.
		{name: "root without leading slash", opts: vtOpts(dev, bootstrap.WithPolicyRoot("sentinel/policies")), option: "WithPolicyRoot", value: "sentinel/policies"},
		{name: "root empty", opts: vtOpts(dev, bootstrap.WithPolicyRoot("")), option: "WithPolicyRoot", value: ""},
		{name: "root with //", opts: vtOpts(dev, bootstrap.WithPolicyRoot("/sentinel//policies")), option: "WithPolicyRoot", value: "/sentinel//policies"},
		{name: "root //", opts: vtOpts(dev, bootstrap.WithPolicyRoot("//")), option: "WithPolicyRoot", value: "//"},
		{name: "root / alone", opts: vtOpts(dev, bootstrap.WithPolicyRoot("/")), option: "WithPolicyRoot", value: "/"},
		{name: "root reserved aws", opts: vtOpts(dev, bootstrap.WithPolicyRoot("/aws/policies")), option: "WithPolicyRoot", value: "/aws/policies"},
		{name: "root reserved AWS", opts: vtOpts(dev, bootstrap.WithPolicyRoot("/AWS/policies")), option: "WithPolicyRoot", value: "/AWS/policies"},
		{name: "root reserved ssm", opts: vtOpts(dev, bootstrap.WithPolicyRoot("/ssm")), option: "WithPolicyRoot", value: "/ssm"},
		{name: "root reserved SsM prefix", opts: vtOpts(dev, bootstrap.WithPolicyRoot("/SsMpolicies/x")), option: "WithPolicyRoot", value: "/SsMpolicies/x"},
		{name: "root reserved awsome", opts: vtOpts(dev, bootstrap.WithPolicyRoot("/awsome/")), option: "WithPolicyRoot", value: "/awsome/"},
		{name: "root reserved through suffix", opts: vtOpts(dev, bootstrap.WithPolicyRoot("/a"), bootstrap.WithNameSuffix("ws")), option: "WithPolicyRoot", value: "/a"},
		{name: "root with space", opts: vtOpts(dev, bootstrap.WithPolicyRoot("/sentinel/my policies")), option: "WithPolicyRoot", value: "/sentinel/my policies"},
		{name: "root with star", opts: vtOpts(dev, bootstrap.WithPolicyRoot("/sentinel/*")), option: "WithPolicyRoot", value: "/sentinel/*"},
		{name: "root unicode", opts: vtOpts(dev, bootstrap.WithPolicyRoot("/sentinel/pölicies")), option: "WithPolicyRoot", value: "/sentinel/pölicies"},
		{name: "root newline", opts: vtOpts(dev, bootstrap.WithPolicyRoot("/sentinel\n/x")), option: "WithPolicyRoot", value: "/sentinel\n/x"},
		{name: "root name over 1011 chars", opts: vtOpts(dev, bootstrap.WithPolicyRoot(longRoot)), option: "WithPolicyRoot", value: longRoot},
		{name: "root over 15 levels", opts: vtOpts(dev, bootstrap.WithPolicyRoot(vtLevels(15))), option: "WithPolicyRoot", value: vtLevels(15)},
		{name: "root name over 1011 chars with its ARN", opts: vtOpts(dev, bootstrap.WithPolicyRoot(arnRoot)), option: "WithPolicyRoot", value: arnRoot},
		{name: "root name over 1011 chars with the ARN of a longer region", opts: vtOpts(dev, bootstrap.WithPolicyRoot(regionRoot), bootstrap.WithRegion("ap-southeast-2")), option: "WithPolicyRoot", value: regionRoot},
		{name: "signature name over 1011 chars with its ARN", opts: vtOpts(dev, bootstrap.WithPolicyRoot(sigRoot), sig), option: "WithPolicyRoot", value: sigRoot},
		{name: "signature name over 15 levels", opts: vtOpts(dev, bootstrap.WithPolicyRoot(vtLevels(13)), sig), option: "WithPolicyRoot", value: vtLevels(13)},

		// Table names.
		{name: "table too short", opts: vtOpts(bootstrap.WithApprovals(), bootstrap.WithApprovalTable("ab")), option: "WithApprovalTable", value: "ab"},
		{name: "table empty", opts: vtOpts(bootstrap.WithSessions(), bootstrap.WithSessionTable("")), option: "WithSessionTable", value: ""},
		{name: "table 256 chars", opts: vtOpts(bootstrap.WithBreakGlass(), bootstrap.WithBreakGlassTable(vtRepeat("t", 256))), option: "WithBreakGlassTable", value: vtRepeat("t", 256)},
		{name: "table too long with suffix", opts: vtOpts(all, bootstrap.WithApprovalTable(vtRepeat("t", 250)), bootstrap.WithNameSuffix("-abcdef")), option: "WithApprovalTable", value: vtRepeat("t", 250)},
		{name: "table with space", opts: vtOpts(all, bootstrap.WithApprovalTable("sentinel requests")), option: "WithApprovalTable", value: "sentinel requests"},
		{name: "table with slash", opts: vtOpts(all, bootstrap.WithSessionTable("sentinel/sessions")), option: "WithSessionTable", value: "sentinel/sessions"},
		{name: "table unicode", opts: vtOpts(all, bootstrap.WithBreakGlassTable("tâble")), option: "WithBreakGlassTable", value: "tâble"},
		{name: "two tables same name", opts: vtOpts(all, bootstrap.WithApprovalTable("sentinel-x"), bootstrap.WithSessionTable("sentinel-x")), option: "WithSessionTable", value: "sentinel-x"},
		{name: "table named like another default", opts: vtOpts(all, bootstrap.WithBreakGlassTable(bootstrap.DefaultApprovalTable)), option: "WithBreakGlassTable", value: bootstrap.DefaultApprovalTable},
		{name: "name option for unselected table", opts: vtOpts(dev, bootstrap.WithSessionTable("my-sessions")), option: "WithSessionTable", value: "my-sessions"},
		{name: "name option for other table", opts: vtOpts(bootstrap.WithApprovals(), bootstrap.WithBreakGlassTable("my-bg")), option: "WithBreakGlassTable", value: "my-bg"},

		// KMS keys.
		{name: "kms garbage", opts: vtOpts(all, bootstrap.WithKMSKey("not-a-key")), option: "WithKMSKey", value: "not-a-key"},
		{name: "kms empty", opts: vtOpts(all, bootstrap.WithKMSKey("")), option: "WithKMSKey", value: ""},
		{name: "kms ARN of another service", opts: vtOpts(all, bootstrap.WithKMSKey("arn:aws:s3:us-east-1:123456789012:key/"+vtKeyID)), option: "WithKMSKey", value: "arn:aws:s3:us-east-1:123456789012:key/" + vtKeyID},
		{name: "kms ARN short account", opts: vtOpts(all, bootstrap.WithKMSKey("arn:aws:kms:us-east-1:12345:key/"+vtKeyID)), option: "WithKMSKey", value: "arn:aws:kms:us-east-1:12345:key/" + vtKeyID},
		{name: "kms empty alias", opts: vtOpts(all, bootstrap.WithKMSKey("alias/")), option: "WithKMSKey", value: "alias/"},
		{name: "kms key ID truncated", opts: vtOpts(all, bootstrap.WithKMSKey(vtKeyID[:30])), option: "WithKMSKey", value: vtKeyID[:30]},
		{name: "kms without tables", opts: vtOpts(dev, bootstrap.WithKMSKey(vtKeyARN)), option: "WithKMSKey", value: vtKeyARN},
		{name: "kms key ARN of another region", opts: vtOpts(all, bootstrap.WithKMSKey(vtKeyARNWest)), option: "WithKMSKey", value: vtKeyARNWest},
		{name: "kms alias ARN of another region", opts: vtOpts(all, bootstrap.WithKMSKey("arn:aws:kms:eu-west-1:123456789012:alias/x")), option: "WithKMSKey", value: "arn:aws:kms:eu-west-1:123456789012:alias/x"},
		{name: "kms the AWS-managed key by alias", opts: vtOpts(all, bootstrap.WithKMSKey("alias/aws/dynamodb")), option: "WithKMSKey", value: "alias/aws/dynamodb"},
		{name: "kms the AWS-managed key by alias ARN", opts: vtOpts(all, bootstrap.WithKMSKey("arn:aws:kms:us-east-1:123456789012:alias/aws/dynamodb")), option: "WithKMSKey", value: "arn:aws:kms:us-east-1:123456789012:alias/aws/dynamodb"},
		{name: "kms another service's managed key", opts: vtOpts(all, bootstrap.WithKMSKey("alias/aws/s3")), option: "WithKMSKey", value: "alias/aws/s3"},
		{name: "kms key ARN of another partition", opts: vtOpts(all, bootstrap.WithKMSKey(vtKeyARNChina)), option: "WithKMSKey", value: vtKeyARNChina},
		{name: "kms key ARN of a partition that does not exist", opts: vtOpts(all, bootstrap.WithKMSKey(vtKeyARNNowhere)), option: "WithKMSKey", value: vtKeyARNNowhere},
		{name: "kms key ARN of aws in a China region", opts: vtOpts(all, bootstrap.WithKMSKey("arn:aws:kms:cn-north-1:123456789012:key/"+vtKeyID), bootstrap.WithRegion("cn-north-1")), option: "WithKMSKey", value: "arn:aws:kms:cn-north-1:123456789012:key/" + vtKeyID},

		// Policy signing.
		{name: "signing key garbage", opts: vtOpts(dev, bootstrap.WithPolicySigning("not-a-key")), option: "WithPolicySigning", value: "not-a-key"},
		{name: "signing key empty", opts: vtOpts(dev, bootstrap.WithPolicySigning("")), option: "WithPolicySigning", value: ""},
		{name: "signing key ARN of another region", opts: vtOpts(dev, bootstrap.WithPolicySigning(vtKeyARNWest)), option: "WithPolicySigning", value: vtKeyARNWest},
		{name: "signing key ARN of another partition", opts: vtOpts(dev, bootstrap.WithPolicySigning(vtKeyARNChina)), option: "WithPolicySigning", value: vtKeyARNChina},
		{name: "signing key ARN of a partition that does not exist", opts: vtOpts(dev, bootstrap.WithPolicySigning(vtKeyARNNowhere)), option: "WithPolicySigning", value: vtKeyARNNowhere},
		{name: "signing alias ARN of another region", opts: vtOpts(dev, bootstrap.WithPolicySigning("arn:aws:kms:us-west-2:123456789012:alias/sentinel-signing")), option: "WithPolicySigning", value: "arn:aws:kms:us-west-2:123456789012:alias/sentinel-signing"},
		{name: "signing without profiles", opts: vtOpts(all, sig), option: "WithPolicySigning", value: vtSignKeyARN},
		{name: "signing with the root inside the signatures path", opts: vtOpts(dev, bootstrap.WithPolicyRoot("/sentinel/signatures/team"), sig), option: "WithPolicySigning", value: vtSignKeyARN},
		{name: "signing with the signatures path as root", opts: vtOpts(dev, bootstrap.WithPolicyRoot("/sentinel/signatures"), sig), option: "WithPolicySigning", value: vtSignKeyARN},
		{name: "nil KMS client", opts: vtOpts(dev, sig, bootstrap.WithKMSClient(nil)), option: "WithKMSClient", value: "nil"},
		{name: "typed nil KMS client", opts: vtOpts(dev, sig, bootstrap.WithKMSClient((*mocks.MockKMSAPI)(nil))), option: "WithKMSClient", value: "nil"},

		// Tags.
		{name: "51 tags", opts: vtOpts(all, bootstrap.WithTags(vtTags("k", 51))), option: "WithTags", value: "51 tags"},
		{name: "51 tags over two calls", opts: vtOpts(all, bootstrap.WithTags(vtTags("a", 30)), bootstrap.WithTags(vtTags("b", 21))), option: "WithTags", value: "51 tags"},
		{name: "tag empty key", opts: vtOpts(all, bootstrap.WithTags(map[string]string{"": "v"})), option: "WithTags", value: ""},
		{name: "tag key 129 chars", opts: vtOpts(all, bootstrap.WithTags(map[string]string{vtRepeat("k", 129): "v"})), option: "WithTags", value: vtRepeat("k", 129)},
		{name: "tag value 257 chars", opts: vtOpts(all, bootstrap.WithTags(map[string]string{"team": vtRepeat("v", 257)})), option: "WithTags", value: "team=" + vtRepeat("v", 257)},
		{name: "tag key aws:", opts: vtOpts(all, bootstrap.WithTags(map[string]string{"aws:cost": "v"})), option: "WithTags", value: "aws:cost"},
		{name: "tag key AWS:", opts: vtOpts(dev, bootstrap.WithTags(map[string]string{"AWS:cost": "v"})), option: "WithTags", value: "AWS:cost"},
		{name: "tag key Aws:", opts: vtOpts(all, bootstrap.WithTags(map[string]string{"Aws:x": "v"})), option: "WithTags", value: "Aws:x"},
		{name: "tag key bad character", opts: vtOpts(all, bootstrap.WithTags(map[string]string{"team#1": "v"})), option: "WithTags", value: "team#1"},
		{name: "tag value bad character", opts: vtOpts(all, bootstrap.WithTags(map[string]string{"team": "a*b"})), option: "WithTags", value: "team=a*b"},
		{name: "tag value newline", opts: vtOpts(all, bootstrap.WithTags(map[string]string{"team": "a\nb"})), option: "WithTags", value: "team=a\nb"},

		// Policies.
		{name: "policy for unselected profile", opts: vtOpts(dev, bootstrap.WithPolicy("prod", vtPolicy)), option: "WithPolicy", value: "prod"},
		{name: "policy invalid YAML", opts: vtOpts(dev, bootstrap.WithPolicy("dev", "version: [\n")), option: "WithPolicy", value: "dev"},
		{name: "policy wrong version", opts: vtOpts(dev, bootstrap.WithPolicy("dev", "version: \"2\"\nrules:\n  - name: a\n    effect: allow\n")), option: "WithPolicy", value: "dev"},
		{name: "policy without version", opts: vtOpts(dev, bootstrap.WithPolicy("dev", "rules:\n  - name: a\n    effect: allow\n")), option: "WithPolicy", value: "dev"},
		{name: "policy no rules", opts: vtOpts(dev, bootstrap.WithPolicy("dev", "version: \"1\"\n")), option: "WithPolicy", value: "dev"},
		{name: "policy empty rules", opts: vtOpts(dev, bootstrap.WithPolicy("dev", "version: \"1\"\nrules: []\n")), option: "WithPolicy", value: "dev"},
		{name: "policy rule without name", opts: vtOpts(dev, bootstrap.WithPolicy("dev", "version: \"1\"\nrules:\n  - effect: deny\n")), option: "WithPolicy", value: "dev"},
		{name: "policy unknown effect", opts: vtOpts(dev, bootstrap.WithPolicy("dev", "version: \"1\"\nrules:\n  - name: a\n    effect: permit\n")), option: "WithPolicy", value: "dev"},
		{name: "policy over 4096 bytes", opts: vtOpts(dev, bootstrap.WithPolicy("dev", bigPolicy)), option: "WithPolicy", value: "dev"},
		{name: "policy empty", opts: vtOpts(dev, bootstrap.WithPolicy("dev", "")), option: "WithPolicy", value: "dev"},
		{name: "policy rules not a list", opts: vtOpts(dev, bootstrap.WithPolicy("dev", "version: \"1\"\nrules: deny\n")), option: "WithPolicy", value: "dev"},
		{name: "policy given twice, different", opts: vtOpts(dev, bootstrap.WithPolicy("dev", vtPolicy), bootstrap.WithPolicy("dev", vtPolicy+"# changed\n")), option: "WithPolicy", value: "dev"},
		{name: "policy multi-line rule name", opts: vtOpts(dev, bootstrap.WithPolicy("dev", "version: \"1\"\nrules:\n  - name: \"a\\nb\"\n    effect: permit\n")), option: "WithPolicy", value: "dev"},

		// Descriptions.
		{name: "description 1025 chars", opts: vtOpts(dev, bootstrap.WithDescription(vtRepeat("d", 1025))), option: "WithDescription", value: vtRepeat("d", 80) + "…"},
		{name: "description newline", opts: vtOpts(dev, bootstrap.WithDescription("line one\nline two")), option: "WithDescription", value: "line one\nline two"},
		{name: "description carriage return", opts: vtOpts(dev, bootstrap.WithDescription("a\rb")), option: "WithDescription", value: "a\rb"},
		{name: "description control char", opts: vtOpts(dev, bootstrap.WithDescription("bell\x07")), option: "WithDescription", value: "bell\x07"},
		{name: "description line separator", opts: vtOpts(dev, bootstrap.WithDescription("a\u2028version: \"2\"")), option: "WithDescription", value: "a\u2028version: \"2\""},
		{name: "description invalid UTF-8", opts: vtOpts(dev, bootstrap.WithDescription("caf\xe9")), option: "WithDescription", value: "caf\xe9"},
		{name: "description without profiles", opts: vtOpts(all, bootstrap.WithDescription("team policies")), option: "WithDescription", value: "team policies"},
		{name: "description makes starter policy too big", opts: vtOpts(dev, bootstrap.WithDescription(vtRepeat("😀", 1024))), option: "WithDescription", value: vtRepeat("😀", 80) + "…"},

		// Regions.
		{name: "no region", cfg: &noRegion, opts: vtOpts(dev), option: "WithRegion", value: ""},
		{name: "WithRegion empty", opts: vtOpts(dev, bootstrap.WithRegion("")), option: "WithRegion", value: ""},
		{name: "WithRegion upper case", opts: vtOpts(dev, bootstrap.WithRegion("US-EAST-1")), option: "WithRegion", value: "US-EAST-1"},
		{name: "WithRegion underscores", opts: vtOpts(dev, bootstrap.WithRegion("us_east_1")), option: "WithRegion", value: "us_east_1"},
		{name: "WithRegion trailing dash", opts: vtOpts(dev, bootstrap.WithRegion("us-east-")), option: "WithRegion", value: "us-east-"},
		{name: "cfg region bad form", cfg: &badRegion, opts: vtOpts(dev), option: "WithRegion", value: "Not A Region"},

		// Nothing selected.
		{name: "nothing selected", opts: nil, option: "WithProfiles", value: ""},
		{name: "only how-options", opts: vtOpts(bootstrap.WithPlanOnly(), bootstrap.WithIAMPolicies(), bootstrap.WithTags(map[string]string{"a": "b"})), option: "WithProfiles", value: ""},

		// Wait timeouts.
		{name: "wait timeout 0", opts: vtOpts(all, bootstrap.WithWaitTimeout(0)), option: "WithWaitTimeout", value: "0s"},
		{name: "wait timeout negative", opts: vtOpts(all, bootstrap.WithWaitTimeout(-time.Second)), option: "WithWaitTimeout", value: "-1s"},
		{name: "wait timeout over 24h", opts: vtOpts(all, bootstrap.WithWaitTimeout(25*time.Hour)), option: "WithWaitTimeout", value: "25h0m0s"},
		{name: "wait timeout 24h+1ns", opts: vtOpts(dev, bootstrap.WithWaitTimeout(24*time.Hour+1)), option: "WithWaitTimeout", value: (24*time.Hour + 1).String()},

		// Concurrency.
		{name: "concurrency 0", opts: vtOpts(dev, bootstrap.WithConcurrency(0)), option: "WithConcurrency", value: "0"},
		{name: "concurrency -1", opts: vtOpts(dev, bootstrap.WithConcurrency(-1)), option: "WithConcurrency", value: "-1"},
		{name: "concurrency 65", opts: vtOpts(dev, bootstrap.WithConcurrency(65)), option: "WithConcurrency", value: "65"},

		// Name suffixes.
		{name: "suffix with slash", opts: vtOpts(all, bootstrap.WithNameSuffix("-a/b")), option: "WithNameSuffix", value: "-a/b"},
		{name: "suffix with space", opts: vtOpts(dev, bootstrap.WithNameSuffix(" x")), option: "WithNameSuffix", value: " x"},
		{name: "suffix unicode", opts: vtOpts(dev, bootstrap.WithNameSuffix("-ü")), option: "WithNameSuffix", value: "-ü"},
		{name: "suffix 65 chars", opts: vtOpts(all, bootstrap.WithNameSuffix(vtRepeat("s", 65))), option: "WithNameSuffix", value: vtRepeat("s", 65)},

		// Nil clients.
		{name: "nil SSM client", opts: vtOpts(dev, bootstrap.WithSSMClient(nil)), option: "WithSSMClient", value: "nil"},
		{name: "nil DynamoDB client", opts: vtOpts(all, bootstrap.WithDynamoDBClient(nil)), option: "WithDynamoDBClient", value: "nil"},
		{name: "nil SSM client, tables only", opts: vtOpts(all, bootstrap.WithSSMClient(nil)), option: "WithSSMClient", value: "nil"},
		{name: "typed nil SSM client", opts: vtOpts(dev, bootstrap.WithSSMClient((*ssm.Client)(nil))), option: "WithSSMClient", value: "nil"},
		{name: "typed nil DynamoDB client", opts: vtOpts(all, bootstrap.WithDynamoDBClient((*mocks.MockDynamoDBAPI)(nil))), option: "WithDynamoDBClient", value: "nil"},
	}
}

func vtOpts(opts ...bootstrap.Option) []bootstrap.Option { return opts }

// vtStrictClients returns mocks that expect nothing: any AWS call fails the test.
func vtStrictClients(t *testing.T) []bootstrap.Option {
	ctrl := gomock.NewController(t)
	return []bootstrap.Option{
		bootstrap.WithSSMClient(mocks.NewMockSSMAPI(ctrl)),
		bootstrap.WithDynamoDBClient(mocks.NewMockDynamoDBAPI(ctrl)),
		bootstrap.WithKMSClient(mocks.NewMockKMSAPI(ctrl)),
	}
}

func TestInvalidConfigurations(t *testing.T) {
	cases := invalidConfigs()
	if len(cases) < 60 {
		t.Fatalf("the corpus has %d invalid configurations; want at least 60", len(cases))
	}
	names := map[string]bool{}
	for _, c := range cases {
		if names[c.name] {
			t.Fatalf("two cases are named %q", c.name)
		}
		names[c.name] = true
	}
	t.Logf("%d invalid configurations", len(cases))

	entries := []struct {
		name string
		fn   func(context.Context, aws.Config, ...bootstrap.Option) (*bootstrap.Report, error)
	}{{"Run", bootstrap.Run}, {"Destroy", bootstrap.Destroy}, {"Validate", func(_ context.Context, cfg aws.Config, opts ...bootstrap.Option) (*bootstrap.Report, error) {
		return nil, bootstrap.Validate(cfg, opts...)
	}}}
	for _, c := range cases {
		for _, e := range entries {
			t.Run(e.name+"/"+c.name, func(t *testing.T) {
				cfg := aws.Config{Region: "us-east-1"}
				if c.cfg != nil {
					cfg = *c.cfg
				}
				// The mocks come first so that a case's own client option wins.
				opts := append(vtStrictClients(t), c.opts...)
				rep, err := e.fn(context.Background(), cfg, opts...)
				checkConfigError(t, rep, err, c.option, c.value)
			})
		}
	}
}

// checkConfigError asserts the contract of a validation failure.
func checkConfigError(t *testing.T, rep *bootstrap.Report, err error, option, value string) {
	t.Helper()
	if rep != nil {
		t.Errorf("Report = %+v; want nil", rep)
	}
	if !errors.Is(err, bootstrap.ErrInvalidConfig) {
		t.Fatalf("err = %v; want one matching ErrInvalidConfig", err)
	}
	if errors.Is(err, bootstrap.ErrIncomplete) {
		t.Errorf("err = %v also matches ErrIncomplete", err)
	}
	var ce *bootstrap.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %T; want a *bootstrap.ConfigError", err)
	}
	if ce.Option != option {
		t.Errorf("Option = %q; want %q (err: %v)", ce.Option, option, err)
	}
	if ce.Value != value {
		t.Errorf("Value = %q; want %q", ce.Value, value)
	}
	if ce.Reason == "" {
		t.Error("Reason is empty")
	}
	msg := err.Error()
	if !strings.Contains(msg, option) {
		t.Errorf("message %q does not name %s", msg, option)
	}
	if !strings.Contains(msg, fmt.Sprintf("%q", value)) {
		t.Errorf("message %q does not quote the value %q", msg, value)
	}
	if strings.ContainsAny(msg, "\n\r\u2028\u2029\u0085") {
		t.Errorf("message is not one line: %q", msg)
	}
}

// The region message must say how to set one.
func TestInvalidConfigNoRegionMessage(t *testing.T) {
	_, err := bootstrap.Run(context.Background(), aws.Config{}, append(vtStrictClients(t), bootstrap.WithProfiles("dev"))...)
	if err == nil || !strings.Contains(err.Error(), "WithRegion") || !strings.Contains(err.Error(), "AWS_REGION") {
		t.Fatalf("err = %v; want a message naming WithRegion and AWS_REGION", err)
	}
}

// ---- valid edge cases, observed through plan mode ----

// vtReads records the names a plan read.
type vtReads struct {
	params []string // every name passed to GetParameters, in call order per batch
	tables []string
	batch  []int // size of every GetParameters call
}

// vtPlanClients returns mocks that expect only the read calls of a plan over
// an empty account: GetParameters finds nothing, DescribeTable finds nothing.
// Any write fails the test.
func vtPlanClients(t *testing.T, reads *vtReads, region string) []bootstrap.Option {
	t.Helper()
	ctrl := gomock.NewController(t)
	sm := mocks.NewMockSSMAPI(ctrl)
	dm := mocks.NewMockDynamoDBAPI(ctrl)
	km := mocks.NewMockKMSAPI(ctrl)
	// With WithPolicySigning, the key is a good signing key of the region.
	km.EXPECT().DescribeKey(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, in *kms.DescribeKeyInput, _ ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
			return &kms.DescribeKeyOutput{KeyMetadata: signingKeyMetadata(aws.ToString(in.KeyId), region)}, nil
		})
	var mu sync.Mutex
	lock := func() func() { mu.Lock(); return mu.Unlock }
	sm.EXPECT().GetParameters(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, in *ssm.GetParametersInput, _ ...func(*ssm.Options)) (*ssm.GetParametersOutput, error) {
			defer lock()()
			reads.params = append(reads.params, in.Names...)
			reads.batch = append(reads.batch, len(in.Names))
			return &ssm.GetParametersOutput{InvalidParameters: slices.Clone(in.Names)}, nil
		})
	dm.EXPECT().DescribeTable(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, in *dynamodb.DescribeTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
			defer lock()()
			reads.tables = append(reads.tables, aws.ToString(in.TableName))
			return nil, &ddbtypes.ResourceNotFoundException{Message: aws.String("Requested resource not found")}
		})
	return []bootstrap.Option{bootstrap.WithSSMClient(sm), bootstrap.WithDynamoDBClient(dm), bootstrap.WithKMSClient(km), bootstrap.WithPlanOnly()}
}

func vtPlan(t *testing.T, cfg aws.Config, opts ...bootstrap.Option) (*bootstrap.Report, *vtReads) {
	t.Helper()
	reads := &vtReads{}
	rep, err := bootstrap.Run(context.Background(), cfg, append(vtPlanClients(t, reads, cfg.Region), opts...)...)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.Mode != bootstrap.ModePlan {
		t.Fatalf("Mode = %q; want plan", rep.Mode)
	}
	return rep, reads
}

func TestValidEdgeCases(t *testing.T) {
	p64 := vtRepeat("p", 64)
	t255 := vtRepeat("t", 255)
	root1011 := "/" + vtRepeat("r", 1011-vtARN-1-len("/dev")) // the ARN of "/rrr…/dev" is exactly 1011 in us-east-1
	cases := []struct {
		name string
		opts []bootstrap.Option
	}{
		{"64-char profile", vtOpts(bootstrap.WithProfiles(p64))},
		{"profile of every allowed character", vtOpts(bootstrap.WithProfiles("AZaz09_.-"))},
		{"one-char profile", vtOpts(bootstrap.WithProfiles("p"))},
		{"255-char table name", vtOpts(bootstrap.WithApprovals(), bootstrap.WithApprovalTable(t255))},
		{"3-char table name", vtOpts(bootstrap.WithSessions(), bootstrap.WithSessionTable("abc"))},
		{"table name with suffix making 255", vtOpts(bootstrap.WithSessions(), bootstrap.WithSessionTable(t255[:250]), bootstrap.WithNameSuffix("-abcd"))},
		{"50 tags", vtOpts(bootstrap.WithAll(), bootstrap.WithProfiles("dev"), bootstrap.WithTags(vtTags("k", 50)))},
		{"50 tags over two calls with overlap", vtOpts(bootstrap.WithAll(), bootstrap.WithTags(vtTags("k", 40)), bootstrap.WithTags(vtTags("k", 50)))},
		{"tag key 128, value 256", vtOpts(bootstrap.WithAll(), bootstrap.WithTags(map[string]string{vtRepeat("k", 128): vtRepeat("v", 256)}))},
		{"tag key 128 runes unicode", vtOpts(bootstrap.WithAll(), bootstrap.WithTags(map[string]string{vtRepeat("ü", 128): vtRepeat("é", 256)}))},
		{"tag empty value and symbols", vtOpts(bootstrap.WithAll(), bootstrap.WithTags(map[string]string{"a b_.:/=+-@": "", "awsx:k": "x"}))},
		{"kms key ID", vtOpts(bootstrap.WithAll(), bootstrap.WithKMSKey(vtKeyID))},
		{"kms key ARN", vtOpts(bootstrap.WithAll(), bootstrap.WithKMSKey(vtKeyARN))},
		{"kms multi-region key ID", vtOpts(bootstrap.WithAll(), bootstrap.WithKMSKey("mrk-"+vtRepeat("0123456789abcdef", 2)))},
		{"kms alias", vtOpts(bootstrap.WithAll(), bootstrap.WithKMSKey("alias/sentinel/tables_key-1"))},
		{"kms alias ARN", vtOpts(bootstrap.WithAll(), bootstrap.WithKMSKey("arn:aws:kms:us-east-1:123456789012:alias/sentinel"))},
		{"kms key ARN in China", vtOpts(bootstrap.WithAll(), bootstrap.WithKMSKey(vtKeyARNChina), bootstrap.WithRegion("cn-north-1"))},
		{"kms key ARN in GovCloud", vtOpts(bootstrap.WithAll(), bootstrap.WithKMSKey("arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/"+vtKeyID), bootstrap.WithRegion("us-gov-west-1"))},
		{"root with aws not first", vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithPolicyRoot("/sentinel/aws/ssm"))},
		{"root with allowed characters", vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithPolicyRoot("/Sentinel_1/p.o-l"))},
		{"root one level", vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithPolicyRoot("/x"))},
		{"root with full name exactly 1011", vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithPolicyRoot(root1011))},
		{"root with 14 levels (15 with profile)", vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithPolicyRoot(vtLevels(14)))},
		{"description 1024 ASCII chars", vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithDescription(vtRepeat("d", 1024)))},
		{"description unicode", vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithDescription("Équipe plateforme — 本番"))},
		{"policy of every effect", vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithPolicy("dev", "version: \"1\"\nrules:\n  - {name: a, effect: allow, conditions: {profiles: [dev]}}\n  - {name: b, effect: deny, conditions: {users: [x]}}\n  - {name: c, effect: require_approval, conditions: {profiles: [dev]}}\n  - {name: d, effect: require_server, conditions: {profiles: [dev]}}\n  - {name: e, effect: require_server_session, conditions: {profiles: [dev]}}\n"))},
		{"same policy given twice", vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithPolicy("dev", vtPolicy), bootstrap.WithPolicy("dev", vtPolicy))},
		{"wait timeout 24h", vtOpts(bootstrap.WithAll(), bootstrap.WithWaitTimeout(24*time.Hour))},
		{"wait timeout 1ns", vtOpts(bootstrap.WithAll(), bootstrap.WithWaitTimeout(1))},
		{"concurrency 1", vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithConcurrency(1))},
		{"concurrency 64", vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithConcurrency(64))},
		{"suffix 64 chars", vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithNameSuffix(vtRepeat("s", 64)))},
		{"region with WithRegion only", vtOpts(bootstrap.WithProfiles("dev"), bootstrap.WithRegion("eu-isoe-west-1"))},
		{"nil option ignored", vtOpts(nil, bootstrap.WithProfiles("dev"))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vtPlan(t, aws.Config{Region: "us-east-1"}, c.opts...)
		})
	}
}

func TestPolicyRootNormalised(t *testing.T) {
	cases := []struct {
		root, suffix, want string
	}{
		{"", "", bootstrap.DefaultPolicyRoot},
		{"/sentinel/policies/", "", "/sentinel/policies"},
		{"/team/", "", "/team"},
		{"/team", "-ci1", "/team-ci1"},
		{"/team/", "-ci1", "/team-ci1"},
	}
	for _, c := range cases {
		t.Run(c.root+"+"+c.suffix, func(t *testing.T) {
			opts := vtOpts(bootstrap.WithProfiles("dev", "prod"))
			if c.root != "" {
				opts = append(opts, bootstrap.WithPolicyRoot(c.root))
			}
			if c.suffix != "" {
				opts = append(opts, bootstrap.WithNameSuffix(c.suffix))
			}
			rep, reads := vtPlan(t, aws.Config{Region: "us-east-1"}, opts...)
			if rep.PolicyRoot != c.want {
				t.Errorf("PolicyRoot = %q; want %q", rep.PolicyRoot, c.want)
			}
			want := []string{c.want + "/dev", c.want + "/prod"}
			if got := []string{rep.Parameters[0].Name, rep.Parameters[1].Name}; !slices.Equal(got, want) {
				t.Errorf("parameter names = %q; want %q", got, want)
			}
			if !slices.Equal(reads.params, want) {
				t.Errorf("GetParameters read %q; want %q", reads.params, want)
			}
		})
	}
}

func TestRegionResolution(t *testing.T) {
	rep, _ := vtPlan(t, aws.Config{Region: "eu-west-1"}, bootstrap.WithProfiles("dev"))
	if rep.Region != "eu-west-1" {
		t.Errorf("Region = %q; want cfg.Region eu-west-1", rep.Region)
	}
	rep, _ = vtPlan(t, aws.Config{Region: "eu-west-1"}, bootstrap.WithProfiles("dev"), bootstrap.WithRegion("ap-south-1"))
	if rep.Region != "ap-south-1" {
		t.Errorf("Region = %q; want WithRegion's ap-south-1", rep.Region)
	}
	rep, _ = vtPlan(t, aws.Config{}, bootstrap.WithProfiles("dev"), bootstrap.WithRegion("us-west-2"), bootstrap.WithRegion("us-gov-west-1"))
	if rep.Region != "us-gov-west-1" {
		t.Errorf("Region = %q; want the later WithRegion's us-gov-west-1", rep.Region)
	}
}

// ---- options accumulate or override as documented ----

func TestOptionsAccumulate(t *testing.T) {
	t.Run("WithProfiles accumulates in order", func(t *testing.T) {
		names := make([]string, 25)
		for i := range names {
			names[i] = fmt.Sprintf("p%02d", 24-i) // not sorted, to catch reordering
		}
		rep, reads := vtPlan(t, aws.Config{Region: "us-east-1"},
			bootstrap.WithProfiles(names[:3]...), bootstrap.WithProfiles(names[3:10]...), bootstrap.WithProfiles(names[10:]...))
		var got []string
		for _, p := range rep.Parameters {
			got = append(got, p.Profile)
			if p.Action != bootstrap.ActionCreate || p.Status != bootstrap.StatusPlanned {
				t.Errorf("%s: action %s status %s; want create planned", p.Profile, p.Action, p.Status)
			}
		}
		if !slices.Equal(got, names) {
			t.Errorf("profiles = %v; want %v", got, names)
		}
		if len(reads.params) != len(names) {
			t.Errorf("read %d names; want %d", len(reads.params), len(names))
		}
		for _, n := range reads.batch {
			if n > 10 {
				t.Errorf("a GetParameters call asked for %d names; the API takes at most 10", n)
			}
		}
		if len(reads.batch) != 3 {
			t.Errorf("%d GetParameters calls for 25 names; want 3", len(reads.batch))
		}
	})
	t.Run("later WithPolicyRoot wins", func(t *testing.T) {
		rep, reads := vtPlan(t, aws.Config{Region: "us-east-1"},
			bootstrap.WithPolicyRoot("/first"), bootstrap.WithProfiles("dev"), bootstrap.WithPolicyRoot("/second/"))
		if rep.PolicyRoot != "/second" || !slices.Equal(reads.params, []string{"/second/dev"}) {
			t.Errorf("PolicyRoot %q, reads %q; want /second and /second/dev", rep.PolicyRoot, reads.params)
		}
	})
	t.Run("later table name wins", func(t *testing.T) {
		rep, reads := vtPlan(t, aws.Config{Region: "us-east-1"},
			bootstrap.WithAll(), bootstrap.WithApprovalTable("first"), bootstrap.WithApprovalTable("second"))
		if rep.Tables[0].Name != "second" || !slices.Contains(reads.tables, "second") || slices.Contains(reads.tables, "first") {
			t.Errorf("table %q, reads %q; want second", rep.Tables[0].Name, reads.tables)
		}
		wantNames := []string{"second", bootstrap.DefaultBreakGlassTable, bootstrap.DefaultSessionTable}
		var got []string
		for _, tr := range rep.Tables {
			got = append(got, tr.Name)
		}
		if !slices.Equal(got, wantNames) {
			t.Errorf("tables = %q; want %q", got, wantNames)
		}
	})
	t.Run("table selection is a union", func(t *testing.T) {
		rep, _ := vtPlan(t, aws.Config{Region: "us-east-1"}, bootstrap.WithSessions(), bootstrap.WithApprovals(), bootstrap.WithSessions())
		var got []string
		for _, tr := range rep.Tables {
			got = append(got, tr.Purpose)
		}
		if want := []string{bootstrap.PurposeApprovals, bootstrap.PurposeSessions}; !slices.Equal(got, want) {
			t.Errorf("purposes = %q; want %q (report order, each once)", got, want)
		}
	})
	t.Run("WithTags merges, later value wins, input copied", func(t *testing.T) {
		first := map[string]string{"team": "a", "env": "dev"}
		second := map[string]string{"team": "b", "cost": "42"}
		var got []ssmtypes.Tag
		ctrl := gomock.NewController(t)
		sm := mocks.NewMockSSMAPI(ctrl)
		sm.EXPECT().GetParameters(gomock.Any(), gomock.Any(), gomock.Any()).Return(&ssm.GetParametersOutput{InvalidParameters: []string{"/sentinel/policies/dev"}}, nil)
		sm.EXPECT().PutParameter(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
			func(_ context.Context, in *ssm.PutParameterInput, _ ...func(*ssm.Options)) (*ssm.PutParameterOutput, error) {
				got = in.Tags
				return &ssm.PutParameterOutput{Version: 1}, nil
			})
		opts := vtOpts(bootstrap.WithSSMClient(sm), bootstrap.WithDynamoDBClient(mocks.NewMockDynamoDBAPI(ctrl)),
			bootstrap.WithProfiles("dev"), bootstrap.WithTags(first), bootstrap.WithTags(second))
		first["late"] = "x" // changing the caller's map after the option is made has no effect
		second["cost"] = "43"
		if _, err := bootstrap.Run(context.Background(), aws.Config{Region: "us-east-1"}, opts...); err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, tag := range got {
			m[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
		if want := map[string]string{"team": "b", "env": "dev", "cost": "42"}; !maps.Equal(m, want) {
			t.Errorf("tags = %v; want %v", m, want)
		}
	})
}
