// Command embed shows the smallest use of the bootstrap library: provision
// Sentinel's policy parameters and tables for two profiles, and print what
// was done. The SDK's own settings apply, so AWS_REGION, AWS_PROFILE and
// AWS_ENDPOINT_URL (for an emulator) work as usual.
//
//	AWS_ENDPOINT_URL=http://127.0.0.1:5000 go run ./examples/embed
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sentinel-tools/bootstrap"
)

func main() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}
	rep, err := bootstrap.Run(ctx, cfg,
		bootstrap.WithProfiles("dev", "prod"),
		bootstrap.WithAll(),
	)
	if errors.Is(err, bootstrap.ErrInvalidConfig) {
		log.Fatal(err) // bad options: nothing was done
	}
	if rep != nil {
		for _, p := range rep.Parameters {
			fmt.Printf("parameter %-40s %-7s %s %s\n", p.Name, p.Action, p.Status, p.Error)
		}
		for _, t := range rep.Tables {
			fmt.Printf("table     %-40s %-7s %s %s\n", t.Name, t.Action, t.Status, t.Error)
		}
		fmt.Printf("%+v in %d ms\n", rep.Summary, rep.DurationMS)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err) // some resources failed; the others are done
		os.Exit(1)
	}
}
