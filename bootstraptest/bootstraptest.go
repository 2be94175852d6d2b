// Package bootstraptest sets up Sentinel's resources for the integration
// tests of other projects: Moto starts an emulator for the test (or uses
// the one BOOTSTRAP_TEST_ENDPOINT names), and Run provisions with names
// unique to the test, so parallel tests never collide, and a teardown that
// removes exactly what the test created.
//
//	cfg := bootstraptest.Moto(t)
//	rep := bootstraptest.Run(t, cfg, bootstrap.WithProfiles("dev"), bootstrap.WithAll())
//	table := bootstraptest.TableName(rep, bootstrap.PurposeSessions)
package bootstraptest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sentinel-tools/bootstrap"
)

// TeardownTimeout bounds the Destroy that each test's cleanup runs.
var TeardownTimeout = 2 * time.Minute

// Run applies opts with names unique to the test (a suffix on every table
// name and on the policy root), without deletion protection and without
// point-in-time recovery, and registers a t.Cleanup that deletes what this
// Run created, with the same options (so the same clients and region). When
// anything fails, it fails the test with the Report. It returns the Report,
// whose names the test can use.
//
// The cleanup is quiet when there is nothing to say: when Run created
// nothing (it failed before creating anything) it makes no call at all,
// and a teardown that deletes what was created prints nothing. It never
// deletes what it did not create: should the options select a resource
// that existed before this Run (names are unique, so only a resource made
// after Run, by someone else, can be one), it deletes nothing and fails
// the test naming what it left.
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
	t.Cleanup(func() { teardown(t, cfg, opts, rep) })
	if err != nil {
		t.Fatalf("bootstraptest: %v\n%s", err, reportJSON(rep))
	}
	return rep
}

// teardown deletes what rep says Run created.
func teardown(t testing.TB, cfg aws.Config, opts []bootstrap.Option, rep *bootstrap.Report) {
	created := createdBy(rep)
	if len(created) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), TeardownTimeout)
	defer cancel()
	opts = append(slices.Clone(opts), bootstrap.WithWaitTimeout(TeardownTimeout))
	plan, err := bootstrap.Destroy(ctx, cfg, append(slices.Clone(opts), bootstrap.WithPlanOnly())...)
	if err != nil {
		t.Errorf("bootstraptest: teardown: %v; left in place: %s\n%s", err, strings.Join(slices.Sorted(maps.Keys(created)), ", "), reportJSON(plan))
		return
	}
	var foreign []string
	for _, name := range deletions(plan) {
		if !created[name] {
			foreign = append(foreign, name)
		}
	}
	if len(foreign) > 0 {
		t.Errorf("bootstraptest: teardown: deleted nothing: the options also select %s, which this Run did not create; "+
			"left in place: %s", strings.Join(foreign, ", "), strings.Join(slices.Sorted(maps.Keys(created)), ", "))
		return
	}
	if drep, err := bootstrap.Destroy(ctx, cfg, opts...); err != nil {
		t.Errorf("bootstraptest: teardown: %v\n%s", err, reportJSON(drep))
	}
}

// createdBy names ("table NAME", "parameter NAME", "signature NAME") what a Run created: the
// parameters it created, and the tables it created, even when a later step
// failed (Done then still says "create table").
func createdBy(rep *bootstrap.Report) map[string]bool {
	out := map[string]bool{}
	if rep == nil {
		return out
	}
	for _, p := range rep.Parameters {
		if p.Action == bootstrap.ActionCreate && p.Status == bootstrap.StatusOK {
			out["parameter "+p.Name] = true
		}
		if s := p.Signature; s != nil && s.Action == bootstrap.ActionCreate && s.Status == bootstrap.StatusOK {
			out["signature "+s.Name] = true
		}
	}
	for _, tb := range rep.Tables {
		if tb.Action == bootstrap.ActionCreate && slices.Contains(tb.Done, "create table") {
			out["table "+tb.Name] = true
		}
	}
	return out
}

// deletions names what a Destroy plan would delete.
func deletions(plan *bootstrap.Report) []string {
	var out []string
	for _, p := range plan.Parameters {
		if p.Action == bootstrap.ActionDelete {
			out = append(out, "parameter "+p.Name)
		}
		if s := p.Signature; s != nil && s.Action == bootstrap.ActionDelete {
			out = append(out, "signature "+s.Name)
		}
	}
	for _, tb := range plan.Tables {
		if tb.Action == bootstrap.ActionDelete {
			out = append(out, "table "+tb.Name)
		}
	}
	return out
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
