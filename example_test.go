package bootstrap_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/sentinel-tools/bootstrap"
)

// These examples call AWS, so they are compiled but not run (they have no
// Output comment). The unit tests run the same calls against mocks.

// Provision a policy parameter for each profile and the three tables, then
// print what was done.
func ExampleRun() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx) // AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, …
	if err != nil {
		log.Fatal(err)
	}

	rep, err := bootstrap.Run(ctx, cfg,
		bootstrap.WithProfiles("dev", "staging", "prod"),
		bootstrap.WithAll(),
		bootstrap.WithTags(map[string]string{"team": "security"}),
	)
	switch {
	case errors.Is(err, bootstrap.ErrInvalidConfig):
		log.Fatal(err) // bad options: nothing was called, rep is nil
	case errors.Is(err, bootstrap.ErrIncomplete):
		var ie *bootstrap.IncompleteError
		if errors.As(err, &ie) {
			fmt.Println("failed:", ie.Failed) // the rest of the report is complete
		}
	case err != nil:
		log.Fatal(err)
	}

	for _, t := range rep.Tables {
		fmt.Printf("table %-20s %-7s %-6s %v\n", t.Name, t.Action, t.Status, t.Changes)
	}
	for _, p := range rep.Parameters {
		fmt.Printf("parameter %-30s %-7s %-6s v%d\n", p.Name, p.Action, p.Status, p.Version)
	}
	s := rep.Summary
	fmt.Printf("create %d, update %d, none %d, unknown %d, failed %d\n", s.Create, s.Update, s.None, s.Unknown, s.Failed)
}

// Plan: read only. Every selected resource gets the action an apply would
// take; the JSON form of the Report is a stable contract for tools.
func ExampleRun_plan() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}

	rep, err := bootstrap.Run(ctx, cfg,
		bootstrap.WithPlanOnly(),
		bootstrap.WithRegion("eu-west-1"),
		bootstrap.WithProfiles("dev", "prod"),
		bootstrap.WithSessions(),
		bootstrap.WithIAMPolicies(), // the least-privilege SentinelBootstrap document, among others
	)
	if err != nil && !errors.Is(err, bootstrap.ErrIncomplete) {
		log.Fatal(err)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		log.Fatal(err)
	}
}

// Destroy tears down a test installation: exactly the tables and parameters
// that the same options select. It refuses tables with deletion protection,
// so test setups create them without it.
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
