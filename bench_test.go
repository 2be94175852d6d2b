package bootstrap_test

// The benchmarks of BENCHMARKS.md (issue 5). Each one runs the library and
// internal/baseline (which works like the original `sentinel init
// bootstrap`) in the same run, on fresh names, against moto through the
// AWS-timing shim, and reports with b.ReportMetric:
//
//	lib-s/op, base-s/op   wall time of bootstrap.Run and of baseline.Run
//	base/lib              the ratio of the two
//	lib-calls/op, ...     AWS calls per run, as the shim counted them
//
// plus the figures of each scenario. The timer (ns/op, B/op, allocs/op)
// covers the library's Run only. They never fail on time, only on
// correctness: a failed resource, a wrong end state, or more calls than the
// stated bound. Run them with `make bench` (full) or `make bench-short`
// (scaled down with -short, for CI).
//
//	BenchmarkFreshWithAll       scenario 1: 3 profiles + WithAll, tables CREATING for T
//	BenchmarkNewProfilesPaced   scenario 2: 1,000 new profiles, PutParameter limited to 100/s
//	BenchmarkAllExisting        scenario 3: 1,000 profiles + WithAll, everything exists
//	BenchmarkPlanMemory         scenario 4: plan over 1,000 / 5,000 / 10,000 profiles

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/internal/awsshim"
	"github.com/sentinel-tools/bootstrap/internal/baseline"
	"github.com/sentinel-tools/bootstrap/internal/emulator"
)

// benchDelay is the shim's per-request delay in scenarios 1 to 3.
const benchDelay = 20 * time.Millisecond

// benchScale is full, or short under -short.
func benchScale[T any](full, short T) T {
	if testing.Short() {
		return short
	}
	return full
}

// benchSuffix is a name suffix no other iteration uses: tables are
// sentinel-*<suffix>, parameters live under /sentinel/policies<suffix>.
func benchSuffix() string { return fmt.Sprintf("-bench%08x", rand.Uint32()) }

func benchRoot(suffix string) string { return bootstrap.DefaultPolicyRoot + suffix }

// benchProfiles is n profile names: p00000, p00001, …
func benchProfiles(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("p%05d", i)
	}
	return out
}

// benchShim starts a shim with o in front of the shared moto and returns it
// with a config that talks to it. It is closed when the benchmark ends.
func benchShim(b *testing.B, o awsshim.Options) (*awsshim.Shim, aws.Config) {
	b.Helper()
	o.Upstream = aws.ToString(benchMoto(b).BaseEndpoint)
	s := awsshim.StartT(b, o)
	return s, emulator.Config(s.URL)
}

// benchMoto is a config that talks to the shared moto directly: for setup,
// for checking end states, and where the shim's own allocations (it runs in
// this process) would spoil a memory figure. The first call warms moto up.
func benchMoto(b *testing.B) aws.Config {
	b.Helper()
	cfg := emulator.Config(emulator.Moto(b))
	benchWarm.Do(func() {
		// moto loads each service's code on its first request, which takes
		// it up to a second: not something either contestant should pay.
		suffix := benchSuffix()
		_, benchWarmErr = bootstrap.Run(context.Background(), cfg, bootstrap.WithNameSuffix(suffix),
			bootstrap.WithProfiles(benchProfiles(3)...), bootstrap.WithAll(), bootstrap.WithoutDeletionProtection())
		if benchWarmErr == nil {
			_, benchWarmErr = baseline.Run(context.Background(), cfg, benchProfiles(3), benchRoot(suffix), baseline.AllTables(suffix), baseline.Options{})
		}
	})
	if benchWarmErr != nil {
		b.Fatalf("warming moto up: %v", benchWarmErr)
	}
	return cfg
}

var (
	benchWarm    sync.Once
	benchWarmErr error
)

// benchRun runs the library and fails the benchmark if anything failed.
func benchRun(b *testing.B, cfg aws.Config, opts ...bootstrap.Option) *bootstrap.Report {
	b.Helper()
	rep, err := bootstrap.Run(context.Background(), cfg, opts...)
	if err != nil {
		b.Fatalf("bootstrap.Run: %v", err)
	}
	return rep
}

// benchWant fails the benchmark unless the summary is exactly want.
func benchWant(b *testing.B, rep *bootstrap.Report, want bootstrap.Summary) {
	b.Helper()
	if rep.Summary != want {
		b.Fatalf("bootstrap.Run summary %+v, want %+v", rep.Summary, want)
	}
}

// benchCalls is the number of AWS calls the shim saw.
func benchCalls(s *awsshim.Shim) float64 { return float64(len(s.Calls())) }

// benchVerify checks on moto itself the state that both the library and
// the baseline must leave behind: every parameter holds the starter policy
// of its profile, and every table is ACTIVE with key id (S), its indexes
// (keys as specified, projection ALL, ACTIVE), PAY_PER_REQUEST, KMS
// encryption, deletion protection, TTL on ttl and point-in-time recovery.
// It fails the benchmark at the first difference.
func benchVerify(b *testing.B, who, root string, profiles []string, tables []baseline.TableSpec) {
	b.Helper()
	cfg := benchMoto(b)
	ctx := context.Background()
	ps := ssm.NewFromConfig(cfg)
	for lo := 0; lo < len(profiles); lo += 10 {
		batch := profiles[lo:min(lo+10, len(profiles))]
		names := make([]string, len(batch))
		for i, p := range batch {
			names[i] = root + "/" + p
		}
		out, err := ps.GetParameters(ctx, &ssm.GetParametersInput{Names: names})
		if err != nil {
			b.Fatalf("%s: checking parameters: %v", who, err)
		}
		if len(out.InvalidParameters) > 0 {
			b.Fatalf("%s: parameters missing after the run: %v", who, out.InvalidParameters)
		}
		for _, p := range out.Parameters {
			profile := strings.TrimPrefix(aws.ToString(p.Name), root+"/")
			v := aws.ToString(p.Value)
			if p.Type != ssmtypes.ParameterTypeString || !strings.Contains(v, "effect: deny") || !strings.Contains(v, "\n        - "+profile+"\n") {
				b.Fatalf("%s: parameter %s is %s %q, want the starter policy of %s", who, aws.ToString(p.Name), p.Type, v, profile)
			}
		}
	}

	db := dynamodb.NewFromConfig(cfg)
	for _, spec := range tables {
		name := aws.String(spec.Name)
		out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: name})
		if err != nil {
			b.Fatalf("%s: table %s: %v", who, spec.Name, err)
		}
		d := out.Table
		var problems []string
		if d.TableStatus != types.TableStatusActive {
			problems = append(problems, "status "+string(d.TableStatus))
		}
		if len(d.KeySchema) != 1 || aws.ToString(d.KeySchema[0].AttributeName) != "id" || d.KeySchema[0].KeyType != types.KeyTypeHash {
			problems = append(problems, fmt.Sprintf("key schema %+v", d.KeySchema))
		}
		for _, a := range d.AttributeDefinitions {
			if a.AttributeType != types.ScalarAttributeTypeS {
				problems = append(problems, fmt.Sprintf("attribute %s is %s", aws.ToString(a.AttributeName), a.AttributeType))
			}
		}
		if d.BillingModeSummary == nil || d.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
			problems = append(problems, "billing not PAY_PER_REQUEST")
		}
		if d.SSEDescription == nil || d.SSEDescription.SSEType != types.SSETypeKms || d.SSEDescription.Status != types.SSEStatusEnabled {
			problems = append(problems, fmt.Sprintf("encryption %+v", d.SSEDescription))
		}
		if !aws.ToBool(d.DeletionProtectionEnabled) {
			problems = append(problems, "no deletion protection")
		}
		var have []string
		for _, g := range d.GlobalSecondaryIndexes {
			have = append(have, aws.ToString(g.IndexName))
			i := slices.IndexFunc(spec.Indexes, func(x baseline.Index) bool { return x.Name == aws.ToString(g.IndexName) })
			switch {
			case i < 0:
			case len(g.KeySchema) != 2 || aws.ToString(g.KeySchema[0].AttributeName) != spec.Indexes[i].Hash || aws.ToString(g.KeySchema[1].AttributeName) != spec.Indexes[i].Sort:
				problems = append(problems, fmt.Sprintf("index %s keys %+v", spec.Indexes[i].Name, g.KeySchema))
			case g.Projection == nil || g.Projection.ProjectionType != types.ProjectionTypeAll:
				problems = append(problems, "index "+spec.Indexes[i].Name+" projection not ALL")
			case g.IndexStatus != types.IndexStatusActive:
				problems = append(problems, "index "+spec.Indexes[i].Name+" "+string(g.IndexStatus))
			}
		}
		var want []string
		for _, x := range spec.Indexes {
			want = append(want, x.Name)
		}
		slices.Sort(have)
		slices.Sort(want)
		if !slices.Equal(have, want) {
			problems = append(problems, fmt.Sprintf("indexes %v, want %v", have, want))
		}
		ttl, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: name})
		if err != nil {
			b.Fatalf("%s: table %s TTL: %v", who, spec.Name, err)
		}
		if t := ttl.TimeToLiveDescription; t == nil || t.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(t.AttributeName) != "ttl" {
			problems = append(problems, fmt.Sprintf("TTL %+v", t))
		}
		cb, err := db.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: name})
		if err != nil {
			b.Fatalf("%s: table %s PITR: %v", who, spec.Name, err)
		}
		if c := cb.ContinuousBackupsDescription; c == nil || c.PointInTimeRecoveryDescription == nil ||
			c.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != types.PointInTimeRecoveryStatusEnabled {
			problems = append(problems, "point-in-time recovery off")
		}
		if len(problems) > 0 {
			b.Fatalf("%s: table %s: %s", who, spec.Name, strings.Join(problems, "; "))
		}
	}
}

// benchMem is what a measured function cost in memory.
type benchMem struct {
	allocs uint64 // heap objects allocated
	bytes  uint64 // heap bytes allocated (MemStats.TotalAlloc)
	peak   uint64 // highest HeapInuse seen (sampled every 2 ms, and at the end) above HeapInuse before
	live   int64  // HeapAlloc after a GC, above HeapAlloc before: what the result keeps alive
}

// benchMeasure runs fn after a GC and measures its memory, keeping what fn
// returns alive until the live heap has been measured.
func benchMeasure(fn func() any) benchMem {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	done, peak := make(chan struct{}), make(chan uint64)
	go func() {
		var ms runtime.MemStats
		top := uint64(0)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				peak <- top
				return
			case <-tick.C:
				runtime.ReadMemStats(&ms)
				top = max(top, ms.HeapInuse)
			}
		}
	}()
	keep := fn()
	close(done)
	top := <-peak
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	top = max(top, after.HeapInuse)
	runtime.GC()
	var live runtime.MemStats
	runtime.ReadMemStats(&live)
	runtime.KeepAlive(keep)
	m := benchMem{
		allocs: after.Mallocs - before.Mallocs,
		bytes:  after.TotalAlloc - before.TotalAlloc,
		live:   int64(live.HeapAlloc) - int64(before.HeapAlloc),
	}
	if top > before.HeapInuse {
		m.peak = top - before.HeapInuse
	}
	return m
}

// benchLagBound is the noticing bound of issue 5 for a wait of w:
// max(250 ms, 10 % of w).
func benchLagBound(w time.Duration) time.Duration { return max(250*time.Millisecond, w/10) }

// benchMaxPolls is the most DescribeTable polls the library's schedule makes
// in a wait of w: the first at once, each next one PollInterval later (round
// trips only make them fewer), plus one for the poll in flight at the end.
func benchMaxPolls(w time.Duration) int {
	n := 1
	for t := time.Duration(0); t < w; t += bootstrap.PollInterval(t) {
		n++
	}
	return n
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
