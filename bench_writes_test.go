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

// benchQuota is a PutParameter quota of the shim: limit calls a second from
// a token bucket of burst tokens. Burst 1 is strict spacing (any call less
// than 1/limit after the last accepted one is throttled); a larger burst is
// a token bucket. AWS publishes neither its burst nor its model, so the
// library must do well under both.
type benchQuota struct {
	limit float64
	burst int
}

func (q benchQuota) String() string {
	model := "bucket"
	if q.burst <= 1 {
		model = "strict"
	}
	return fmt.Sprintf("limit=%g/burst=%d-%s", q.limit, q.burst, model)
}

// BenchmarkNewProfilesPaced is scenario 2: new profiles through a
// PutParameter quota, 20 ms per request, under both quota models: 1,000
// profiles (100 with -short) at 100 calls a second, and 60 (15 with -short)
// at 3 a second, AWS's default for PutParameter.
//
// Targets (reported): lib-rate-% ≥ 90 at 100/s under both models (the share
// of the quota the accepted calls used: (accepted − burst) / (limit × the
// time from the first accepted call to the last)); least-s is the least
// time the quota allows ((profiles − burst) / limit).
//
// Asserted: zero failures (lib-failed), every parameter created exactly once
// with the starter policy, one accepted PutParameter per profile, and the
// library's reads are ⌈profiles/10⌉ GetParameters. The baseline, which
// leaves retries to the SDK's default retryer, may fail under the 3/s
// quota: base-failed is 1 when it stopped on an error (as the original
// command does), and base-created how many it had created by then.
func BenchmarkNewProfilesPaced(b *testing.B) {
	for _, c := range []struct {
		profiles int
		quotas   []benchQuota
	}{
		{benchScale(1000, 100), []benchQuota{{benchPutLimit, 1}, {benchPutLimit, 10}}},
		{benchScale(60, 15), []benchQuota{{3, 1}, {3, 10}}},
	} {
		for _, q := range c.quotas {
			b.Run(fmt.Sprintf("profiles=%d/%s", c.profiles, q), func(b *testing.B) {
				benchNewProfiles(b, c.profiles, q)
			})
		}
	}
}

// benchPutLimit is the PutParameter quota of the 1,000-profile runs.
const benchPutLimit = 100

func benchNewProfiles(b *testing.B, n int, q benchQuota) {
	profiles := benchProfiles(n)
	opts := awsshim.Options{Delay: benchDelay, PutParameterLimit: q.limit, PutParameterBurst: q.burst}
	var lib, base, libCalls, baseCalls, libShare, baseShare, libThrottled, baseThrottled, baseFailed, baseCreated float64
	b.StopTimer()
	for range b.N {
		shim, cfg := benchShim(b, opts)
		suffix := benchSuffix()
		b.StartTimer()
		began := time.Now()
		rep := benchRun(b, cfg, bootstrap.WithNameSuffix(suffix), bootstrap.WithProfiles(profiles...))
		wall := time.Since(began)
		b.StopTimer()
		if rep.Summary.Failed > 0 {
			b.Fatalf("library: %d of %d parameters failed: %+v", rep.Summary.Failed, n, rep.Summary)
		}
		benchWant(b, rep, bootstrap.Summary{Create: n})
		if got, want := shim.Counts()["ssm:GetParameters"], (n+9)/10; got != want {
			b.Fatalf("library: %d GetParameters calls, want %d", got, want)
		}
		lib += wall.Seconds()
		libCalls += benchCalls(shim)
		libShare += benchWriteShare(b, shim, n, q)
		libThrottled += float64(shim.Throttled())
		benchVerify(b, "library", benchRoot(suffix), profiles, nil)

		shim, cfg = benchShim(b, opts)
		suffix = benchSuffix()
		began = time.Now()
		res, err := baseline.Run(context.Background(), cfg, profiles, benchRoot(suffix), nil, baseline.Options{})
		wall = time.Since(began)
		base += wall.Seconds()
		baseCalls += benchCalls(shim)
		baseThrottled += float64(shim.Throttled())
		baseCreated += float64(res.ParametersCreated)
		switch {
		case err != nil:
			b.Logf("baseline stopped after %d of %d parameters: %v", res.ParametersCreated, n, err)
			baseFailed++
		case res.ParametersCreated != n:
			b.Fatalf("baseline created %d parameters, want %d", res.ParametersCreated, n)
		default:
			baseShare += benchWriteShare(b, shim, n, q)
			benchVerify(b, "baseline", benchRoot(suffix), profiles, nil)
		}
	}
	k := float64(b.N)
	b.ReportMetric(lib/k, "lib-s/op")
	b.ReportMetric(base/k, "base-s/op") // until it stopped, if it failed
	if baseFailed == 0 {
		b.ReportMetric(base/lib, "base/lib")
	}
	b.ReportMetric((float64(n)-float64(q.burst))/q.limit, "least-s")
	b.ReportMetric(libCalls/k, "lib-calls/op")
	b.ReportMetric(baseCalls/k, "base-calls/op")
	b.ReportMetric(libShare/k, "lib-rate-%")
	if baseFailed == 0 {
		b.ReportMetric(baseShare/k, "base-rate-%")
	}
	b.ReportMetric(libThrottled/k, "lib-throttled/op")
	b.ReportMetric(baseThrottled/k, "base-throttled/op")
	b.ReportMetric(0, "lib-failed/op") // any failure has failed the benchmark
	b.ReportMetric(baseFailed/k, "base-failed/op")
	b.ReportMetric(baseCreated/k, "base-created/op")
}

// benchWriteShare is the share of the quota that the accepted PutParameter
// calls used, in percent: the calls beyond the bucket's initial burst, over
// what the quota refills from the first accepted call to the last. Anything
// but exactly one accepted call per parameter fails the benchmark.
func benchWriteShare(b *testing.B, shim *awsshim.Shim, n int, q benchQuota) float64 {
	b.Helper()
	puts := shim.AcceptedPuts()
	if len(puts) != n {
		b.Fatalf("%d PutParameter calls accepted, want one per parameter (%d)", len(puts), n)
	}
	burst := max(q.burst, 1)
	if n <= burst {
		return 0
	}
	span := puts[n-1].Sub(puts[0]).Seconds()
	return 100 * float64(n-burst) / span / q.limit
}
