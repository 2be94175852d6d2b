package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/sentinel-tools/bootstrap"
)

// cli holds the parsed flags.
type cli struct {
	// What to provision.
	profiles       stringList
	policyRoot     string
	description    string
	policyFiles    keyValueList
	withApprovals  bool
	withBreakGlass bool
	withSessions   bool
	all            bool
	iam            bool

	// Tables.
	approvalTable   string
	breakGlassTable string
	sessionTable    string
	kmsKey          string
	tags            keyValueList
	noDP            bool
	noPITR          bool

	// How.
	region      string
	awsProfile  string
	endpointURL string
	timeout     time.Duration
	plan        bool
	yes         bool

	// Output.
	json        bool
	showVersion bool

	// set records the flags given on the command line, by name.
	set map[string]bool
}

// newFlagSet defines every flag on c. Go's flag package accepts both -name
// and --name.
func newFlagSet(c *cli) *flag.FlagSet {
	c.policyFiles = keyValueList{key: "profile", value: "path"}
	c.tags = keyValueList{key: "key", value: "value", emptyValue: true}

	fs := flag.NewFlagSet(progName, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by run, help by usageText
	fs.Usage = func() {}

	fs.Var(&c.profiles, "profile", "")
	fs.StringVar(&c.policyRoot, "policy-root", bootstrap.DefaultPolicyRoot, "")
	fs.StringVar(&c.description, "description", "", "")
	fs.Var(&c.policyFiles, "policy-file", "")
	fs.BoolVar(&c.withApprovals, "with-approvals", false, "")
	fs.BoolVar(&c.withBreakGlass, "with-breakglass", false, "")
	fs.BoolVar(&c.withSessions, "with-sessions", false, "")
	fs.BoolVar(&c.all, "all", false, "")
	fs.BoolVar(&c.iam, "generate-iam-policies", false, "")

	fs.StringVar(&c.approvalTable, "approval-table", bootstrap.DefaultApprovalTable, "")
	fs.StringVar(&c.breakGlassTable, "breakglass-table", bootstrap.DefaultBreakGlassTable, "")
	fs.StringVar(&c.sessionTable, "session-table", bootstrap.DefaultSessionTable, "")
	fs.StringVar(&c.kmsKey, "kms-key", "", "")
	fs.Var(&c.tags, "tag", "")
	fs.BoolVar(&c.noDP, "no-deletion-protection", false, "")
	fs.BoolVar(&c.noPITR, "no-pitr", false, "")

	fs.StringVar(&c.region, "region", "", "")
	fs.StringVar(&c.awsProfile, "aws-profile", "", "")
	fs.StringVar(&c.endpointURL, "endpoint-url", "", "")
	c.timeout = bootstrap.DefaultWaitTimeout
	fs.Var((*durationValue)(&c.timeout), "timeout", "")
	fs.BoolVar(&c.plan, "plan", false, "")
	fs.BoolVar(&c.yes, "yes", false, "")
	fs.BoolVar(&c.yes, "y", false, "")

	fs.BoolVar(&c.json, "json", false, "")
	fs.BoolVar(&c.showVersion, "version", false, "")
	return fs
}

// parseArgs parses the command line. It returns flag.ErrHelp for -h/--help.
func parseArgs(args []string) (*cli, error) {
	c := &cli{set: map[string]bool{}}
	fs := newFlagSet(c)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, usagef("%s; see %s --help", flagErrorText(err.Error()), progName)
	}
	if fs.NArg() > 0 {
		return c, usagef("unexpected argument %q: every value belongs to a flag, such as --profile %s", fs.Arg(0), fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) { c.set[f.Name] = true })
	if c.set["y"] {
		c.set["yes"] = true
	}
	return c, nil
}

// maxPolicyFile bounds how much of a --policy-file is read; the library
// rejects anything over 4096 bytes with a clear message anyway.
const maxPolicyFile = 64 << 10

// options turns the flags into library options. Only flags that were given
// become options, so that the library's defaults and validation apply.
func (c *cli) options() ([]bootstrap.Option, error) {
	var opts []bootstrap.Option
	add := func(flag string, o bootstrap.Option) {
		if c.set[flag] {
			opts = append(opts, o)
		}
	}
	addIf := func(on bool, o bootstrap.Option) {
		if on {
			opts = append(opts, o)
		}
	}
	add("profile", bootstrap.WithProfiles(c.profiles...))
	add("policy-root", bootstrap.WithPolicyRoot(c.policyRoot))
	add("description", bootstrap.WithDescription(c.description))
	addIf(c.withApprovals, bootstrap.WithApprovals())
	addIf(c.withBreakGlass, bootstrap.WithBreakGlass())
	addIf(c.withSessions, bootstrap.WithSessions())
	addIf(c.all, bootstrap.WithAll())
	addIf(c.iam, bootstrap.WithIAMPolicies())
	add("approval-table", bootstrap.WithApprovalTable(c.approvalTable))
	add("breakglass-table", bootstrap.WithBreakGlassTable(c.breakGlassTable))
	add("session-table", bootstrap.WithSessionTable(c.sessionTable))
	add("kms-key", bootstrap.WithKMSKey(c.kmsKey))
	addIf(c.noDP, bootstrap.WithoutDeletionProtection())
	addIf(c.noPITR, bootstrap.WithoutPointInTimeRecovery())
	add("region", bootstrap.WithRegion(c.region))
	add("timeout", bootstrap.WithWaitTimeout(c.timeout))
	if len(c.tags.list) > 0 {
		tags := map[string]string{}
		for _, kv := range c.tags.list {
			tags[kv.key] = kv.value
		}
		opts = append(opts, bootstrap.WithTags(tags))
	}
	for _, kv := range c.policyFiles.list {
		doc, err := readPolicyFile(kv.value)
		if err != nil {
			return nil, usagef("cannot read --policy-file %s=%s: %v", kv.key, kv.value, err)
		}
		opts = append(opts, bootstrap.WithPolicy(kv.key, doc))
	}
	return opts, nil
}

func readPolicyFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", pathErr(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPolicyFile+1))
	if err != nil {
		return "", pathErr(err)
	}
	if len(b) > maxPolicyFile {
		return "", fmt.Errorf("the file is larger than %d KiB; a policy holds at most 4096 bytes", maxPolicyFile>>10)
	}
	return string(b), nil
}

// pathErr drops the path from a *fs.PathError: the message names it already.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// loadConfig loads the AWS configuration the way the AWS CLI does, with
// --region, --aws-profile and --endpoint-url applied.
func (c *cli) loadConfig(ctx context.Context) (aws.Config, error) {
	var lo []func(*config.LoadOptions) error
	if c.set["region"] {
		lo = append(lo, config.WithRegion(c.region))
	}
	if c.set["aws-profile"] {
		lo = append(lo, config.WithSharedConfigProfile(c.awsProfile))
	}
	if c.set["endpoint-url"] {
		u, err := url.Parse(c.endpointURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return aws.Config{}, usagef("invalid --endpoint-url %q: give a URL such as http://127.0.0.1:5000", c.endpointURL)
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		return aws.Config{}, usagef("cannot load the AWS configuration: %s; check --aws-profile (or AWS_PROFILE) and your AWS config files", oneLine(err.Error()))
	}
	if c.set["endpoint-url"] {
		cfg.BaseEndpoint = aws.String(c.endpointURL)
	}
	return cfg, nil
}

// flagErrorText shows the flag package's errors with the --name spelling.
var flagErrorText = strings.NewReplacer(
	"defined: -", "defined: --",
	"argument: -", "argument: --",
	"for flag -", "for flag --",
	"for -", "for --",
).Replace

// durationValue is a time.Duration flag whose errors say what is expected
// (the flag package's own says only "parse error").
type durationValue time.Duration

func (d *durationValue) String() string { return time.Duration(*d).String() }

func (d *durationValue) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("want a duration such as 90s, 15m or 1h")
	}
	*d = durationValue(v)
	return nil
}
