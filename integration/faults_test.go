package integration_test

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/internal/awsshim"
)

// faultSeeds are the fault sequences tried: 1..3, or 1..N with
// BOOTSTRAP_FAULT_SEEDS=N (the README's reliability table quotes such a run).
func faultSeeds(t *testing.T) []int64 {
	n := 3
	if v := os.Getenv("BOOTSTRAP_FAULT_SEEDS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("BOOTSTRAP_FAULT_SEEDS=%q: want a positive number", v)
		}
	}
	seeds := make([]int64, n)
	for i := range seeds {
		seeds[i] = int64(i + 1)
	}
	return seeds
}

// With a fifth of all requests faulted (5xx, throttling, connections dropped
// before or after the server acted, delays), Run with every table and 50
// profiles either succeeds or names exactly the resources that failed; a
// rerun without faults converges, and parameters that existed before are
// byte-identical.
func TestIntegrationFaults(t *testing.T) {
	var total faultTotals
	for _, seed := range faultSeeds(t) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			e := newEnv(t, awsshim.Options{CreatingFor: 300 * time.Millisecond, PITRUnavailableFor: 300 * time.Millisecond})
			var profiles []string
			for i := range 50 {
				profiles = append(profiles, fmt.Sprintf("p%02d", i))
			}
			existing := map[string]string{}
			for _, p := range profiles[:10] {
				name := e.root() + "/" + p
				existing[name] = fmt.Sprintf("# hand-written for %s\nversion: \"1\"\nrules:\n  - name: r\n    effect: allow\n", p)
				e.putParameter(name, existing[name])
			}
			e.shim.Reset()
			e.shim.SetFaults(awsshim.Faults{Rate: 0.2, Seed: seed})

			opts := []bootstrap.Option{bootstrap.WithProfiles(profiles...), bootstrap.WithAll(), bootstrap.WithWaitTimeout(30 * time.Second)}
			rep, err := e.run(opts...)
			var failed []string
			for _, p := range rep.Parameters {
				if p.Status == bootstrap.StatusFailed {
					failed = append(failed, "parameter "+p.Name)
				}
			}
			for _, tb := range rep.Tables {
				if tb.Status == bootstrap.StatusFailed {
					failed = append(failed, "table "+tb.Name)
				}
			}
			var inc *bootstrap.IncompleteError
			switch {
			case err == nil && len(failed) > 0:
				t.Fatalf("nil error but failed results %v", failed)
			case err != nil && !errors.As(err, &inc):
				t.Fatalf("err = %v, want nil or *IncompleteError", err)
			case err != nil && !slices.Equal(inc.Failed, failed):
				t.Fatalf("error names %v, report has failed %v", inc.Failed, failed)
			}
			faults, calls := e.shim.Faulted(), len(e.shim.Calls())
			t.Logf("seed %d: %d calls, faults injected %v, %d resources failed %v", seed, calls, faults, len(failed), failed)
			injected := 0
			for _, n := range faults {
				injected += n
			}
			if injected == 0 {
				t.Fatal("no fault was injected")
			}
			total.add(calls, injected, len(failed))

			e.shim.SetFaults(awsshim.Faults{})
			e.mustRun(opts...)
			e.shim.Reset()
			assertAll(t, e.mustRun(opts...), bootstrap.ActionNone, bootstrap.StatusOK)
			if w := e.shim.Writes(); w != 0 {
				t.Errorf("converged run wrote %d times", w)
			}
			params := e.parameters()
			for name, value := range existing {
				total.checkExisting(1)
				if got := params[name]; got.value != value || got.version != 1 {
					total.overwritten(1)
					t.Errorf("%s was changed: version %d %q", name, got.version, got.value)
				}
			}
			for _, p := range profiles[10:] {
				if got := params[e.root()+"/"+p]; got.version != 1 {
					t.Errorf("%s/%s has version %d, want 1 (written once)", e.root(), p, got.version)
				}
			}
		})
	}
	t.Logf("all seeds: %d runs, %d calls, %d faults injected, %d resources failed; %d existing parameters checked, %d overwritten",
		total.runs, total.calls, total.injected, total.failures, total.existing, total.changed)
}

// faultTotals sums the figures of all seeds for the log.
type faultTotals struct {
	mu                              sync.Mutex
	runs, calls, injected, failures int
	existing, changed               int
}

func (f *faultTotals) checkExisting(n int) { f.mu.Lock(); f.existing += n; f.mu.Unlock() }
func (f *faultTotals) overwritten(n int)   { f.mu.Lock(); f.changed += n; f.mu.Unlock() }

func (f *faultTotals) add(calls, injected, failures int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runs++
	f.calls += calls
	f.injected += injected
	f.failures += failures
}
