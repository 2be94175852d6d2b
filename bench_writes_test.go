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

// Scenario 2's write limit: the shim accepts at most benchPutLimit
// PutParameter calls a second from a token bucket, and answers
// ThrottlingException beyond that. The bucket holds 5 tokens (50 ms of the
// limit); a second run with 1 token, which throttles any two calls that
// arrive less than 10 ms apart, shows how the pacing copes with jitter.
const benchPutLimit = 100

// BenchmarkNewProfilesPaced is scenario 2: 1,000 new profiles (100 with
// -short), 20 ms per request, PutParameter limited to 100 a second with a
// burst of 5 (and, for comparison, 1).
//
// Targets (reported): lib-rate-% (the achieved write rate, accepted
// PutParameter calls from the first to the last, as a share of the limit)
// ≥ 85 at burst 5; throttled answers and base/lib reported.
//
// Asserted: zero failures, every parameter created exactly once with the
// starter policy, one accepted PutParameter per profile, and the library's
// reads are ⌈profiles/10⌉ GetParameters.
func BenchmarkNewProfilesPaced(b *testing.B) {
	n := benchScale(1000, 100)
	for _, burst := range []int{5, 1} {
		b.Run(fmt.Sprintf("profiles=%d/limit=%d/burst=%d", n, benchPutLimit, burst), func(b *testing.B) {
			benchNewProfiles(b, n, burst)
		})
	}
}

func benchNewProfiles(b *testing.B, n, burst int) {
	profiles := benchProfiles(n)
	opts := awsshim.Options{Delay: benchDelay, PutParameterLimit: benchPutLimit, PutParameterBurst: burst}
	var lib, base, libCalls, baseCalls, libShare, baseShare, libThrottled, baseThrottled float64
	b.StopTimer()
	for range b.N {
		shim, cfg := benchShim(b, opts)
		suffix := benchSuffix()
		b.StartTimer()
		began := time.Now()
		rep := benchRun(b, cfg, bootstrap.WithNameSuffix(suffix), bootstrap.WithProfiles(profiles...))
		wall := time.Since(began)
		b.StopTimer()
		benchWant(b, rep, bootstrap.Summary{Create: n})
		if got, want := shim.Counts()["ssm:GetParameters"], (n+9)/10; got != want {
			b.Fatalf("library: %d GetParameters calls, want %d", got, want)
		}
		lib += wall.Seconds()
		libCalls += benchCalls(shim)
		libShare += benchWriteShare(b, shim, n)
		libThrottled += float64(shim.Throttled())
		benchVerify(b, "library", benchRoot(suffix), profiles, nil)

		shim, cfg = benchShim(b, opts)
		suffix = benchSuffix()
		began = time.Now()
		res, err := baseline.Run(context.Background(), cfg, profiles, benchRoot(suffix), nil, baseline.Options{})
		wall = time.Since(began)
		if err != nil {
			b.Fatalf("baseline.Run: %v", err)
		}
		if res.ParametersCreated != n {
			b.Fatalf("baseline created %d parameters, want %d", res.ParametersCreated, n)
		}
		base += wall.Seconds()
		baseCalls += benchCalls(shim)
		baseShare += benchWriteShare(b, shim, n)
		baseThrottled += float64(shim.Throttled())
		benchVerify(b, "baseline", benchRoot(suffix), profiles, nil)
	}
	k := float64(b.N)
	b.ReportMetric(lib/k, "lib-s/op")
	b.ReportMetric(base/k, "base-s/op")
	b.ReportMetric(base/lib, "base/lib")
	b.ReportMetric(libCalls/k, "lib-calls/op")
	b.ReportMetric(baseCalls/k, "base-calls/op")
	b.ReportMetric(libShare/k, "lib-rate-%")
	b.ReportMetric(baseShare/k, "base-rate-%")
	b.ReportMetric(libThrottled/k, "lib-throttled/op")
	b.ReportMetric(baseThrottled/k, "base-throttled/op")
}

// benchWriteShare is the rate of the accepted PutParameter calls, from the
// first to the last, in percent of benchPutLimit. Anything but exactly one
// accepted call per parameter fails the benchmark.
func benchWriteShare(b *testing.B, shim *awsshim.Shim, n int) float64 {
	b.Helper()
	puts := shim.AcceptedPuts()
	if len(puts) != n {
		b.Fatalf("%d PutParameter calls accepted, want one per parameter (%d)", len(puts), n)
	}
	if n < 2 {
		return 0
	}
	span := puts[n-1].Sub(puts[0]).Seconds()
	return 100 * float64(n-1) / span / benchPutLimit
}
