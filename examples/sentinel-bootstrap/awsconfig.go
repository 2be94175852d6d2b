package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/smithy-go/logging"
)

// awsSetup is the AWS configuration of one invocation, and what the plan's
// header says about it.
type awsSetup struct {
	cfg aws.Config
	// profile is the AWS profile in use; credsFromEnv is set when the
	// credentials came from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
	profile      string
	credsFromEnv bool
	// endpoints are the endpoints set instead of AWS's own: --endpoint-url,
	// or what AWS_ENDPOINT_URL and its per-service variants (or the AWS
	// config file) say.
	endpoints []string
}

// services are the SDK service IDs of the clients the library builds.
var services = []string{"SSM", "DynamoDB", "KMS"}

// loadAWS loads the AWS configuration the way the AWS CLI does, with
// --region, --aws-profile and --endpoint-url applied. --endpoint-url wins
// over every endpoint variable and the config file's endpoint settings, as
// in the AWS CLI. The SDK's own log output is silenced unless --debug.
func (c *cli) loadAWS(ctx context.Context) (*awsSetup, error) {
	var lo []func(*config.LoadOptions) error
	if !c.debug {
		lo = append(lo, config.WithLogger(logging.Nop{}))
	}
	if c.set["region"] {
		lo = append(lo, config.WithRegion(c.region))
	}
	if c.set["aws-profile"] {
		lo = append(lo, config.WithSharedConfigProfile(c.awsProfile))
	}
	if c.set["endpoint-url"] {
		u, err := url.Parse(c.endpointURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, usagef("invalid --endpoint-url %q: give a URL such as http://127.0.0.1:5000", c.endpointURL)
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var pe config.SharedConfigProfileNotExistError
		if errors.As(err, &pe) {
			return nil, usagef("the AWS profile %q is not in %s: check --aws-profile (or AWS_PROFILE)", pe.Profile, strings.Join(configFiles(), " or "))
		}
		return nil, usagef("cannot load the AWS configuration: %s; check --aws-profile (or AWS_PROFILE) and your AWS config files", oneLine(err.Error()))
	}
	if !c.debug {
		cfg.Logger = logging.Nop{}
		cfg.ClientLogMode = 0
	}
	s := &awsSetup{profile: c.profileName()}
	if c.set["endpoint-url"] {
		cfg.BaseEndpoint = aws.String(c.endpointURL)
		// The service clients let AWS_ENDPOINT_URL_<SERVICE> and the config
		// file's endpoint settings win over BaseEndpoint, unless the
		// configuration says to ignore configured endpoints. Say so first.
		cfg.ConfigSources = append([]any{ignoreConfiguredEndpoints{}}, cfg.ConfigSources...)
		s.endpoints = []string{c.endpointURL}
	} else {
		s.endpoints = configuredEndpoints(ctx, cfg)
	}
	s.cfg = cfg
	return s, nil
}

// ignoreConfiguredEndpoints is a configuration source that tells the SDK's
// service clients to ignore the endpoints configured by environment
// variables and config files; cfg.BaseEndpoint still applies.
type ignoreConfiguredEndpoints struct{}

func (ignoreConfiguredEndpoints) GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error) {
	return true, true, nil
}

// configuredEndpoints lists the distinct endpoints that the configuration
// sets for the services the command uses, as the service clients will
// resolve them: a service's own setting wins over BaseEndpoint.
func configuredEndpoints(ctx context.Context, cfg aws.Config) []string {
	type serviceEndpoints interface {
		GetServiceBaseEndpoint(ctx context.Context, sdkID string) (string, bool, error)
	}
	type ignorer interface {
		GetIgnoreConfiguredEndpoints(ctx context.Context) (bool, bool, error)
	}
	for _, src := range cfg.ConfigSources {
		if ig, ok := src.(ignorer); ok {
			if v, found, err := ig.GetIgnoreConfiguredEndpoints(ctx); err == nil && found {
				if v {
					return nil
				}
				break
			}
		}
	}
	var out []string
	add := func(ep string) {
		if ep != "" && !slices.Contains(out, ep) {
			out = append(out, ep)
		}
	}
	_, global := os.LookupEnv("AWS_ENDPOINT_URL")
	for _, svc := range services {
		ep := aws.ToString(cfg.BaseEndpoint)
		if _, own := os.LookupEnv("AWS_ENDPOINT_URL_" + strings.ToUpper(svc)); global && !own {
			add(ep) // as the clients do: AWS_ENDPOINT_URL alone wins over the config file
			continue
		}
		for _, src := range cfg.ConfigSources {
			if se, ok := src.(serviceEndpoints); ok {
				if v, found, err := se.GetServiceBaseEndpoint(ctx, svc); err == nil && found {
					ep = v
					break
				}
			}
		}
		add(ep)
	}
	return out
}

// profileName is the AWS profile the SDK uses: --aws-profile, AWS_PROFILE,
// AWS_DEFAULT_PROFILE, or "default".
func (c *cli) profileName() string {
	if c.set["aws-profile"] {
		return c.awsProfile
	}
	for _, v := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE"} {
		if p := os.Getenv(v); p != "" {
			return p
		}
	}
	return "default"
}

// configFiles are the shared credentials and config files the SDK reads.
func configFiles() []string {
	creds := os.Getenv("AWS_SHARED_CREDENTIALS_FILE")
	if creds == "" {
		creds = config.DefaultSharedCredentialsFilename()
	}
	conf := os.Getenv("AWS_CONFIG_FILE")
	if conf == "" {
		conf = config.DefaultSharedConfigFilename()
	}
	return []string{creds, conf}
}

// errNoCredentials marks the error for a credential chain that found
// nothing (exit status 1).
var errNoCredentials = errors.New("no AWS credentials")

// checkCredentials gets the credentials once, before anything else is
// called, so that missing credentials are one clear line instead of one
// error per resource. The SDK caches them for the calls that follow.
func (s *awsSetup) checkCredentials(ctx context.Context) error {
	if s.cfg.Credentials == nil {
		return noCredentials(s.profile)
	}
	creds, err := s.cfg.Credentials.Retrieve(ctx)
	switch {
	case err == nil:
		s.credsFromEnv = creds.Source == config.CredentialsSourceName
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case aws.IsCredentialsProvider(s.cfg.Credentials, (*ec2rolecreds.Provider)(nil)):
		// Nothing in the environment or the files: the chain ended at the
		// instance metadata service, which had nothing either.
		return noCredentials(s.profile)
	}
	return fmt.Errorf("%w: cannot get credentials for the AWS profile %q: %s", errNoCredentials, s.profile, oneLine(err.Error()))
}

func noCredentials(profile string) error {
	files := configFiles()
	imds := "the EC2 instance metadata service"
	if v := os.Getenv("AWS_EC2_METADATA_DISABLED"); strings.EqualFold(v, "true") {
		imds += " (disabled by AWS_EC2_METADATA_DISABLED)"
	}
	return fmt.Errorf("%w found: looked in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, in %s and %s for the AWS profile %q, and at %s; "+
		"set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass --aws-profile (or set AWS_PROFILE) to a profile with credentials",
		errNoCredentials, files[0], files[1], profile, imds)
}
