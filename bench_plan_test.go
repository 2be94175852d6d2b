package bootstrap_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"go.uber.org/mock/gomock"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/internal/baseline"
	"github.com/sentinel-tools/bootstrap/internal/emulator"
	"github.com/sentinel-tools/bootstrap/mocks"
)

// BenchmarkPlanMemory is scenario 4: plan (WithPlanOnly) over 1,000, 5,000
// and 10,000 profiles (100, 500 and 1,000 with -short), to show what memory
// a profile costs and that the cost is linear. Each size runs
//
//   - via moto: the real SDK over HTTP to moto directly (the shim would run
//     in this process and its allocations would count), side by side with
//     the baseline's plan (one GetParameter per profile);
//   - via mock: a go.uber.org/mock SSM client that returns canned
//     GetParameters answers, which isolates the library. gomock's own cost
//     is measured apart, by making the same calls on a fresh mock
//     (mock-B/profile), and subtracted (net-B/profile);
//
// on fresh names (nothing exists: every action create) and on existing
// parameters (every action none; GetParameters returns the policy text,
// which the library checks, so the figures include reading it).
//
// Reported per profile: lib-B/profile (bytes allocated, MemStats.TotalAlloc),
// lib-allocs/profile, lib-peak-B/profile (the highest HeapInuse sampled every
// 2 ms during Run, above the heap before it), lib-live-B/profile (what the
// Report keeps alive after a GC), policy-B/profile (the length of the policy
// text of an existing parameter), and on the largest size lib-marginal-B/profile:
// (bytes at the largest size − bytes at the smallest) / (difference in
// profiles), the slope of a linear cost. Aim: linear, under 2 KB per profile
// beyond the policy text.
//
// Asserted: every profile gets the right action and no warning, and the
// library makes ⌈profiles/10⌉ GetParameters calls.
func BenchmarkPlanMemory(b *testing.B) {
	sizes := benchScale([]int{1000, 5000, 10000}, []int{100, 500, 1000})
	for _, via := range []string{"moto", "mock"} {
		for _, existing := range []bool{false, true} {
			state := map[bool]string{false: "fresh", true: "existing"}[existing]
			var smallest *benchMem
			for _, n := range sizes {
				b.Run(fmt.Sprintf("%s/%s/profiles=%d", via, state, n), func(b *testing.B) {
					m := benchPlan(b, via, existing, n, sizes[len(sizes)-1])
					switch {
					case n == sizes[0]:
						smallest = &m
					case n == sizes[len(sizes)-1] && smallest != nil:
						dn := float64(n - sizes[0])
						b.ReportMetric((float64(m.bytes)-float64(smallest.bytes))/dn, "lib-marginal-B/profile")
					}
				})
			}
		}
	}
}

// benchPlan runs one sub-benchmark of BenchmarkPlanMemory and returns the
// library's memory figures of its last iteration.
func benchPlan(b *testing.B, via string, existing bool, n, largest int) benchMem {
	profiles := benchProfiles(n)
	ctx := context.Background()
	var (
		m                    benchMem
		lib, base, baseBytes float64
		mockBytes            float64
	)
	b.ReportAllocs()
	b.StopTimer()
	for range b.N {
		suffix := benchSuffix()
		if existing && via == "moto" { // the mock answers from its script
			suffix = benchExistingParameters(b, largest)
		}
		opts := []bootstrap.Option{bootstrap.WithNameSuffix(suffix), bootstrap.WithProfiles(profiles...), bootstrap.WithPlanOnly()}
		var cfg aws.Config
		var calls func() int
		switch via {
		case "moto":
			cfg = benchMoto(b)
		case "mock":
			mock, answers, batches := benchMockSSM(b, benchRoot(suffix), profiles, existing)
			cfg = emulator.Config("http://127.0.0.1:9") // never called
			opts = append(opts, bootstrap.WithSSMClient(mock))
			calls = func() int { return int(answers.Load()) }
			// gomock's own cost for the same calls, measured apart.
			other, _, _ := benchMockSSM(b, benchRoot(suffix), profiles, existing)
			mockBytes += float64(benchMeasure(func() any {
				for _, names := range batches {
					_, _ = other.GetParameters(ctx, &ssm.GetParametersInput{Names: names})
				}
				return nil
			}).bytes)
		}

		var rep *bootstrap.Report
		var err error
		b.StartTimer()
		began := time.Now()
		m = benchMeasure(func() any {
			rep, err = bootstrap.Run(ctx, cfg, opts...)
			return rep
		})
		wall := time.Since(began)
		b.StopTimer()
		if err != nil {
			b.Fatalf("bootstrap.Run: %v", err)
		}
		want := bootstrap.Summary{Create: n}
		if existing {
			want = bootstrap.Summary{None: n}
		}
		benchWant(b, rep, want)
		for _, p := range rep.Parameters {
			if len(p.Warnings) > 0 {
				b.Fatalf("parameter %s: %v", p.Name, p.Warnings)
			}
		}
		if calls != nil && calls() != (n+9)/10 {
			b.Fatalf("library made %d GetParameters calls, want %d", calls(), (n+9)/10)
		}
		lib += wall.Seconds()

		if via == "moto" {
			var res *baseline.Result
			began = time.Now()
			bm := benchMeasure(func() any {
				res, err = baseline.Run(ctx, cfg, profiles, benchRoot(suffix), nil, baseline.Options{PlanOnly: true})
				return res
			})
			base += time.Since(began).Seconds()
			baseBytes += float64(bm.bytes)
			if err != nil {
				b.Fatalf("baseline.Run: %v", err)
			}
			if got := map[bool]int{false: res.ParametersCreated, true: res.ParametersExisting}[existing]; got != n {
				b.Fatalf("baseline plan: %+v, want all %d %s", res, n, map[bool]string{false: "to create", true: "existing"}[existing])
			}
		}
	}
	k, per := float64(b.N), float64(b.N)*float64(n)
	b.ReportMetric(lib/k, "lib-s/op")
	b.ReportMetric(float64(m.bytes)/float64(n), "lib-B/profile")
	b.ReportMetric(float64(m.allocs)/float64(n), "lib-allocs/profile")
	b.ReportMetric(float64(m.peak)/float64(n), "lib-peak-B/profile")
	b.ReportMetric(float64(m.live)/float64(n), "lib-live-B/profile")
	if existing {
		b.ReportMetric(benchPolicyBytes(), "policy-B/profile")
	}
	switch via {
	case "moto":
		b.ReportMetric(base/k, "base-s/op")
		b.ReportMetric(base/lib, "base/lib")
		b.ReportMetric(baseBytes/per, "base-B/profile")
	case "mock":
		b.ReportMetric(mockBytes/per, "mock-B/profile")
		b.ReportMetric((float64(m.bytes)-mockBytes/k)/float64(n), "net-B/profile")
	}
	return m
}

// benchMockSSM is an SSM mock that answers GetParameters for the profiles'
// parameters with canned answers: nothing found, or each parameter with
// the starter policy. It returns the mock, a counter of its answers, and the
// name batches.
func benchMockSSM(b *testing.B, root string, profiles []string, existing bool) (*mocks.MockSSMAPI, *atomic.Int64, [][]string) {
	answers := map[string]*ssm.GetParametersOutput{}
	var batches [][]string
	for lo := 0; lo < len(profiles); lo += 10 {
		var names []string
		out := &ssm.GetParametersOutput{}
		for _, p := range profiles[lo:min(lo+10, len(profiles))] {
			name := root + "/" + p
			names = append(names, name)
			if existing {
				out.Parameters = append(out.Parameters, ssmtypes.Parameter{
					Name: aws.String(name), Type: ssmtypes.ParameterTypeString, DataType: aws.String("text"),
					Value: aws.String(baseline.StarterPolicy(p, "", benchGenerated)), Version: 1,
				})
			} else {
				out.InvalidParameters = append(out.InvalidParameters, name)
			}
		}
		answers[names[0]] = out
		batches = append(batches, names)
	}
	mock := mocks.NewMockSSMAPI(gomock.NewController(b))
	calls := new(atomic.Int64)
	mock.EXPECT().GetParameters(gomock.Any(), gomock.Any()).Times(len(batches)).DoAndReturn(
		func(_ context.Context, in *ssm.GetParametersInput, _ ...func(*ssm.Options)) (*ssm.GetParametersOutput, error) {
			out, ok := answers[in.Names[0]]
			if !ok {
				return nil, fmt.Errorf("unexpected batch %v", in.Names)
			}
			calls.Add(1) // the library reads concurrently
			return out, nil
		})
	return mock, calls, batches
}

var benchGenerated = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// benchPolicyBytes is the length of the policy text of an existing
// parameter (the starter policy of a profile named like benchProfiles').
func benchPolicyBytes() float64 {
	return float64(len(baseline.StarterPolicy("p00000", "", benchGenerated)))
}

// benchExistingParameters creates, once per test binary, the parameters of
// benchProfiles(n) on moto, and returns their name suffix.
func benchExistingParameters(b *testing.B, n int) string {
	b.Helper()
	benchExisting.Lock()
	defer benchExisting.Unlock()
	if benchExisting.n < n {
		suffix := benchSuffix()
		benchWant(b, benchRun(b, benchMoto(b), bootstrap.WithNameSuffix(suffix), bootstrap.WithProfiles(benchProfiles(n)...),
			bootstrap.WithConcurrency(bootstrap.MaxConcurrency)), bootstrap.Summary{Create: n})
		benchExisting.n, benchExisting.suffix = n, suffix
	}
	return benchExisting.suffix
}

var benchExisting struct {
	sync.Mutex
	n      int
	suffix string
}
