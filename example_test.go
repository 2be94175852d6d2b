package bootstrap_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/sentinel-tools/bootstrap"
)

// The first example of the README: it calls AWS, so it is compiled but not
// run. The others run against an account served by the mocks
// (example_account_test.go), and their output is checked.

// Provision a policy parameter for each profile and Sentinel's three tables,
// then print what was done. Bad options return no report; a partial failure
// returns the full report and says which resources failed.
func Example() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx) // AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL… all apply
	if err != nil {
		log.Fatalf("loading the AWS configuration: %v", err)
	}
	rep, err := bootstrap.Run(ctx, cfg,
		bootstrap.WithProfiles("dev", "prod"),
		bootstrap.WithAll(),
	)
	var incomplete *bootstrap.IncompleteError
	switch {
	case errors.Is(err, bootstrap.ErrInvalidConfig):
		log.Fatal(err) // bad options (no region, say): nothing was called, and there is no report
	case errors.As(err, &incomplete):
		fmt.Fprintln(os.Stderr, "failed:", incomplete.Failed) // the rest is done; rep says why each failed
	case err != nil:
		log.Fatal(err)
	}
	fmt.Printf("%+v\n", rep.Summary) // {Create:5 Update:0 None:0 Unknown:0 Delete:0 Failed:0}
}

// Run creates what is missing, and a second Run finds nothing to do.
func ExampleRun() {
	ctx := context.Background()
	account := newExampleAccount() // an empty account, served by the mocks
	cfg := aws.Config{Region: "us-east-1"}
	opts := append(account.opts, bootstrap.WithProfiles("dev", "prod"), bootstrap.WithSessions())

	rep, err := bootstrap.Run(ctx, cfg, opts...)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range rep.Parameters {
		fmt.Println(p.Name, p.Action, p.Status)
	}
	for _, t := range rep.Tables {
		fmt.Println(t.Name, t.Action, t.Status, t.Done)
	}

	again, err := bootstrap.Run(ctx, cfg, opts...)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("again: %+v\n", again.Summary)
	// Output:
	// /sentinel/policies/dev create ok
	// /sentinel/policies/prod create ok
	// sentinel-sessions create ok [create table enable TTL on ttl enable point-in-time recovery]
	// again: {Create:0 Update:0 None:3 Unknown:0 Delete:0 Failed:0}
}

// WithPlanOnly reads and reports what an apply would do, changing nothing.
func ExampleWithPlanOnly() {
	account := newExampleAccount()
	rep, err := bootstrap.Run(context.Background(), aws.Config{Region: "eu-west-1"}, append(account.opts,
		bootstrap.WithPlanOnly(),
		bootstrap.WithProfiles("dev"),
		bootstrap.WithRateLimits(),
	)...)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rep.Mode, rep.Region)
	for _, p := range rep.Parameters {
		fmt.Println(p.Name, p.Action, p.Status)
	}
	for _, t := range rep.Tables {
		fmt.Println(t.Name, t.Action, t.Status, t.Changes)
	}
	fmt.Println("tables in the account:", len(account.tables))
	// Output:
	// plan eu-west-1
	// /sentinel/policies/dev create planned
	// sentinel-rate-limits create planned [create table enable TTL on TTL enable point-in-time recovery]
	// tables in the account: 0
}

// WithProgress reports each resource as it starts, each wait (once when it
// begins and after each poll) and the end. Calls are serialised.
func ExampleWithProgress() {
	account := newExampleAccount()
	_, err := bootstrap.Run(context.Background(), aws.Config{Region: "us-east-1"}, append(account.opts,
		bootstrap.WithApprovals(),
		bootstrap.WithProgress(func(e bootstrap.Event) {
			switch e.Phase {
			case bootstrap.PhaseWait:
				fmt.Printf("%s %s: %s\n", e.Kind, e.Resource, e.Detail)
			case bootstrap.PhaseDone:
				fmt.Printf("%s %s: %s %s\n", e.Kind, e.Resource, e.Action, e.Status)
			default:
				fmt.Printf("%s %s: %s\n", e.Kind, e.Resource, e.Phase)
			}
		}),
	)...)
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// table sentinel-requests: start
	// table sentinel-requests: creating
	// table sentinel-requests: enabling TTL
	// table sentinel-requests: enabling point-in-time recovery
	// table sentinel-requests: create ok
}

// Destroy tears down a test installation: exactly the tables and parameters
// that the same options select. It refuses tables with deletion protection,
// so test setups create them without it. (It calls AWS: compiled, not run.)
func ExampleDestroy() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}
	setup := []bootstrap.Option{
		bootstrap.WithProfiles("ci"),
		bootstrap.WithAll(),
		bootstrap.WithNameSuffix("-ci-1234"), // tables and policy root of this run only
		bootstrap.WithoutDeletionProtection(),
		bootstrap.WithoutPointInTimeRecovery(),
	}
	if _, err := bootstrap.Run(ctx, cfg, setup...); err != nil {
		log.Fatal(err)
	}
	// … tests against the new tables …

	rep, err := bootstrap.Destroy(ctx, cfg, setup...)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("deleted %d resources\n", rep.Summary.Delete)
}
