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

// BenchmarkAllExisting is scenario 3: 1,000 profiles (100 with -short) and
// all three tables, everything already there, 20 ms per request.
//
// Target (reported): base/lib ≥ 8.
//
// Asserted: every result is none, neither makes a write, and the library
// makes exactly ⌈profiles/10⌉ GetParameters plus, per table, one
// DescribeTable, one DescribeTimeToLive and one DescribeContinuousBackups
// (with WithTags also one ListTagsOfResource; without point-in-time
// recovery no DescribeContinuousBackups): at most lib-calls-bound calls.
func BenchmarkAllExisting(b *testing.B) {
	n := benchScale(1000, 100)
	b.Run(fmt.Sprintf("profiles=%d/tables=3", n), func(b *testing.B) { benchAllExisting(b, n) })
}

func benchAllExisting(b *testing.B, n int) {
	profiles := benchProfiles(n)
	const perTable = 3 // DescribeTable, DescribeTimeToLive, DescribeContinuousBackups
	bound := (n+9)/10 + perTable*3
	var lib, base, libCalls, baseCalls float64
	b.StopTimer()
	for range b.N {
		// Set up on moto directly (tables are ACTIVE at once there); both
		// then read the same resources.
		suffix := benchSuffix()
		tables := baseline.AllTables(suffix)
		opts := []bootstrap.Option{bootstrap.WithNameSuffix(suffix), bootstrap.WithProfiles(profiles...), bootstrap.WithAll()}
		benchWant(b, benchRun(b, benchMoto(b), append(opts, bootstrap.WithConcurrency(bootstrap.MaxConcurrency))...), bootstrap.Summary{Create: n + 3})
		benchVerify(b, "setup", benchRoot(suffix), profiles, tables)

		shim, cfg := benchShim(b, awsshim.Options{Delay: benchDelay})
		b.StartTimer()
		began := time.Now()
		rep := benchRun(b, cfg, opts...)
		wall := time.Since(began)
		b.StopTimer()
		benchWant(b, rep, bootstrap.Summary{None: n + 3})
		counts := shim.Counts()
		want := map[string]int{"ssm:GetParameters": (n + 9) / 10, "dynamodb:DescribeTable": 3, "dynamodb:DescribeTimeToLive": 3, "dynamodb:DescribeContinuousBackups": 3}
		if calls := len(shim.Calls()); calls > bound || shim.Writes() != 0 || fmt.Sprint(counts) != fmt.Sprint(want) {
			b.Fatalf("library made %d calls (%d writes), bound %d: %v, want %v", calls, shim.Writes(), bound, counts, want)
		}
		lib += wall.Seconds()
		libCalls += benchCalls(shim)

		shim, cfg = benchShim(b, awsshim.Options{Delay: benchDelay})
		began = time.Now()
		res, err := baseline.Run(context.Background(), cfg, profiles, benchRoot(suffix), tables, baseline.Options{})
		wall = time.Since(began)
		if err != nil {
			b.Fatalf("baseline.Run: %v", err)
		}
		if res.ParametersExisting != n || res.TablesExisting != 3 || res.ParametersCreated+res.TablesCreated+res.TablesRepaired != 0 || shim.Writes() != 0 {
			b.Fatalf("baseline over existing resources: %+v, %d writes; want everything existing, no write", res, shim.Writes())
		}
		base += wall.Seconds()
		baseCalls += benchCalls(shim)
	}
	k := float64(b.N)
	b.ReportMetric(lib/k, "lib-s/op")
	b.ReportMetric(base/k, "base-s/op")
	b.ReportMetric(base/lib, "base/lib")
	b.ReportMetric(libCalls/k, "lib-calls/op")
	b.ReportMetric(float64(bound), "lib-calls-bound")
	b.ReportMetric(baseCalls/k, "base-calls/op")
}
