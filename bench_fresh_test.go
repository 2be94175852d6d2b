package bootstrap_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/internal/awsshim"
	"github.com/sentinel-tools/bootstrap/internal/baseline"
)

// BenchmarkFreshWithAll is scenario 1: three new profiles and all three
// tables on a fresh endpoint whose new tables stay CREATING for T (5 s; 1 s
// with -short), once with 20 ms per request and once answering at once.
//
// Targets (reported, not asserted): library wall ≤ 1.2 × T (lib-s/T ≤ 1.2);
// base/lib ≥ 3.5; the noticing lag, from the shim making a table ACTIVE to
// the first DescribeTable answer that says so, at most
// max(250 ms, 10 % of the time waited) (lib-lag-ms ≤ lag-bound-ms).
//
// Asserted: everything is created and ends in the expected state, and the
// library makes at most 1 GetParameters + 3 PutParameter + per table
// DescribeTable, CreateTable, UpdateTimeToLive, UpdateContinuousBackups and
// the DescribeTable polls its schedule makes in the time it waited.
func BenchmarkFreshWithAll(b *testing.B) {
	creating := benchScale(5*time.Second, time.Second)
	for _, delay := range []time.Duration{benchDelay, 0} {
		b.Run(fmt.Sprintf("T=%s/delay=%s", creating, delay), func(b *testing.B) {
			benchFreshWithAll(b, creating, delay)
		})
	}
}

func benchFreshWithAll(b *testing.B, creating, delay time.Duration) {
	profiles := benchProfiles(3)
	opts := awsshim.Options{Delay: delay, CreatingFor: creating}
	var lib, base, libCalls, baseCalls, polls float64
	var libLag, baseLag, lagBound time.Duration
	b.StopTimer()
	for range b.N {
		// The library.
		shim, cfg := benchShim(b, opts)
		suffix := benchSuffix()
		b.StartTimer()
		began := time.Now()
		rep := benchRun(b, cfg, bootstrap.WithNameSuffix(suffix), bootstrap.WithProfiles(profiles...), bootstrap.WithAll())
		wall := time.Since(began)
		b.StopTimer()
		benchWant(b, rep, bootstrap.Summary{Create: 6})
		lib += wall.Seconds()
		libCalls += benchCalls(shim)
		tables := baseline.AllTables(suffix)
		lag, waited := benchLag(b, shim, tables)
		libLag, lagBound = max(libLag, lag), max(lagBound, benchLagBound(waited))
		counts := shim.Counts()
		polls += float64(counts["dynamodb:DescribeTable"] - len(tables))
		bound := 1 + len(profiles) + 4*len(tables)
		for _, tt := range shim.TableTimings() {
			bound += benchMaxPolls(tt.Noticed.Sub(tt.Created)) + 1
		}
		if n := len(shim.Calls()); n > bound {
			b.Fatalf("library made %d calls, more than the bound %d: %v", n, bound, counts)
		}
		for action, want := range map[string]int{
			"ssm:GetParameters": 1, "ssm:PutParameter": len(profiles), "dynamodb:CreateTable": len(tables),
			"dynamodb:UpdateTimeToLive": len(tables), "dynamodb:UpdateContinuousBackups": len(tables),
		} {
			if counts[action] != want {
				b.Fatalf("library: %s called %d times, want %d (all: %v)", action, counts[action], want, counts)
			}
		}
		benchVerify(b, "library", benchRoot(suffix), profiles, tables)

		// The baseline.
		shim, cfg = benchShim(b, opts)
		suffix = benchSuffix()
		tables = baseline.AllTables(suffix)
		began = time.Now()
		res, err := baseline.Run(context.Background(), cfg, profiles, benchRoot(suffix), tables, baseline.Options{})
		wall = time.Since(began)
		if err != nil {
			b.Fatalf("baseline.Run: %v", err)
		}
		if res.ParametersCreated != len(profiles) || res.TablesCreated != len(tables) {
			b.Fatalf("baseline created %+v, want %d parameters and %d tables", res, len(profiles), len(tables))
		}
		base += wall.Seconds()
		baseCalls += benchCalls(shim)
		lag, _ = benchLag(b, shim, tables)
		baseLag = max(baseLag, lag)
		benchVerify(b, "baseline", benchRoot(suffix), profiles, tables)
	}
	n := float64(b.N)
	b.ReportMetric(lib/n, "lib-s/op")
	b.ReportMetric(base/n, "base-s/op")
	b.ReportMetric(base/lib, "base/lib")
	b.ReportMetric(lib/n/creating.Seconds(), "lib-s/T")
	b.ReportMetric(libCalls/n, "lib-calls/op")
	b.ReportMetric(baseCalls/n, "base-calls/op")
	b.ReportMetric(polls/n/3, "lib-polls/table")
	b.ReportMetric(ms(libLag), "lib-lag-ms")
	b.ReportMetric(ms(baseLag), "base-lag-ms")
	b.ReportMetric(ms(lagBound), "lag-bound-ms")
}

// benchLag is the largest noticing lag over the tables (from the shim making
// the table ACTIVE to its first answer saying so) and the longest CREATING
// window. A table never seen ACTIVE fails the benchmark.
func benchLag(b *testing.B, shim *awsshim.Shim, tables []baseline.TableSpec) (lag, waited time.Duration) {
	b.Helper()
	timings := shim.TableTimings()
	for _, t := range tables {
		tt, ok := timings[t.Name]
		if !ok || tt.Noticed.IsZero() {
			b.Fatalf("the shim never answered that table %s was ACTIVE (%+v)", t.Name, tt)
		}
		lag = max(lag, tt.Noticed.Sub(tt.Active))
		waited = max(waited, tt.Active.Sub(tt.Created))
	}
	return lag, waited
}
