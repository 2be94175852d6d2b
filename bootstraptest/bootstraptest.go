// Package bootstraptest sets up Sentinel's resources for integration tests
// of other projects, against LocalStack, moto or any other endpoint: names
// unique to each test, so parallel tests never collide, and a teardown that
// removes exactly what the test created.
//
//	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: ...}
//	rep := bootstraptest.Run(t, cfg, bootstrap.WithProfiles("dev"), bootstrap.WithAll())
//	table := bootstraptest.TableName(rep, bootstrap.PurposeSessions)
package bootstraptest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/sentinel-tools/bootstrap"
)

// TeardownTimeout bounds the Destroy that each test's cleanup runs.
var TeardownTimeout = 2 * time.Minute

// Run applies opts with names unique to the test (a suffix on every table
// name and on the policy root), without deletion protection and without
// point-in-time recovery, and registers a t.Cleanup that destroys exactly
// what the same options select. When anything fails, it fails the test with
// the Report. It returns the Report, whose names the test can use.
func Run(t testing.TB, cfg aws.Config, opts ...bootstrap.Option) *bootstrap.Report {
	t.Helper()
	opts = append(slices.Clone(opts),
		bootstrap.WithNameSuffix(Suffix(t)),
		bootstrap.WithoutDeletionProtection(),
		bootstrap.WithoutPointInTimeRecovery(),
	)
	rep, err := bootstrap.Run(context.Background(), cfg, opts...)
	if errors.Is(err, bootstrap.ErrInvalidConfig) {
		t.Fatalf("bootstraptest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), TeardownTimeout)
		defer cancel()
		if drep, err := bootstrap.Destroy(ctx, cfg, opts...); err != nil {
			t.Errorf("bootstraptest: teardown: %v\n%s", err, reportJSON(drep))
		}
	})
	if err != nil {
		t.Fatalf("bootstraptest: %v\n%s", err, reportJSON(rep))
	}
	return rep
}

// TableName returns the name of the table with the given purpose
// (bootstrap.PurposeApprovals, …) in rep, or "" if it was not selected.
func TableName(rep *bootstrap.Report, purpose string) string {
	for _, t := range rep.Tables {
		if t.Purpose == purpose {
			return t.Name
		}
	}
	return ""
}

var unsafe = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// Suffix returns a name suffix unique to this test: "-", up to 32 characters
// of the test's name, "-" and 8 random hex digits.
func Suffix(t testing.TB) string {
	name := unsafe.ReplaceAllString(t.Name(), "-")
	if len(name) > 32 {
		name = name[len(name)-32:]
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "-" + name + "-" + hex.EncodeToString(b[:])
}

func reportJSON(rep *bootstrap.Report) string {
	if rep == nil {
		return ""
	}
	b, _ := json.MarshalIndent(rep, "", "  ")
	return string(b)
}
