package awsshim

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/sentinel-tools/bootstrap/internal/emulator"
)

func TestTokenBucket(t *testing.T) {
	t.Parallel()
	const ms = time.Millisecond
	type step struct {
		at   time.Duration
		want bool
	}
	for _, tc := range []struct {
		name  string
		rate  float64
		burst int
		steps []step
	}{
		{"strict spacing: burst 1 at 100/s", 100, 1, []step{
			{0, true}, {0, false}, // two together: one is throttled
			{5 * ms, false}, {9 * ms, false}, // under 10 ms after the last accepted
			{10*ms + ms/10, true},             // a token again (throttled calls took none)
			{19 * ms, false}, {21 * ms, true}, // …and again
			{time.Second, true}, {time.Second, false}, // a quiet second saves up one token only
		}},
		{"strict spacing: burst 0 means 1", 100, 0, []step{{0, true}, {0, false}, {11 * ms, true}}},
		{"token bucket: burst 10 at 100/s", 100, 10, []step{
			{0, true}, {0, true}, {0, true}, {0, true}, {0, true},
			{0, true}, {0, true}, {0, true}, {0, true}, {0, true}, // ten together
			{0, false}, {5 * ms, false}, // then empty
			{11 * ms, true}, {12 * ms, false}, // one token per 10 ms
			{time.Second, true}, {time.Second, true}, {time.Second, true}, {time.Second, true}, {time.Second, true},
			{time.Second, true}, {time.Second, true}, {time.Second, true}, {time.Second, true}, {time.Second, true},
			{time.Second, false}, // capped at the burst
		}},
		{"token bucket: burst 2 at 10/s", 10, 2, []step{
			{0, true}, {0, true}, {0, false},
			{50 * ms, false}, {100 * ms, true}, // half a token, then one after 100 ms
			{10 * time.Second, true}, {10 * time.Second, true}, {10 * time.Second, false},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newTokenBucket(tc.rate, tc.burst)
			t0 := time.Unix(1000, 0)
			for i, s := range tc.steps {
				if got := b.take(t0.Add(s.at)); got != s.want {
					t.Errorf("step %d at %s: take = %v, want %v", i, s.at, got, s.want)
				}
			}
		})
	}
	unlimited := newTokenBucket(0, 0)
	for range 100 {
		if !unlimited.take(time.Unix(1000, 0)) {
			t.Fatal("limit 0 must be unlimited")
		}
	}
}

// Both quota models through the shim: calls arriving together are all
// accepted up to the burst, and the rest are throttled.
func TestPutParameterQuotaModels(t *testing.T) {
	t.Parallel()
	for _, burst := range []int{1, 10} {
		t.Run(fmt.Sprintf("burst %d", burst), func(t *testing.T) {
			t.Parallel()
			// 1 call a second: no token comes back during the test.
			s := newShim(t, Options{PutParameterLimit: 1, PutParameterBurst: burst, Delay: 50 * time.Millisecond})
			client := ssmClient(s.URL, 1)
			prefix := "/" + uniqueName(t)
			const n = 12
			var wg sync.WaitGroup
			codes := make([]string, n)
			for i := range n {
				wg.Go(func() {
					_, err := client.PutParameter(context.Background(), &ssm.PutParameterInput{
						Name: aws.String(fmt.Sprintf("%s/p%d", prefix, i)), Value: aws.String("v"), Type: "String",
					})
					codes[i] = errorCode(err)
					if err != nil && codes[i] != "ThrottlingException" {
						t.Errorf("PutParameter: %v", err)
					}
				})
			}
			wg.Wait()
			ok := 0
			for _, c := range codes {
				if c == "" {
					ok++
				}
			}
			if ok != burst || s.Throttled() != n-burst || len(s.AcceptedPuts()) != burst {
				t.Errorf("%d calls together: %d accepted, Throttled() = %d, %d AcceptedPuts; want %d accepted, %d throttled",
					n, ok, s.Throttled(), len(s.AcceptedPuts()), burst, n-burst)
			}
		})
	}
}

// The quota is applied as a call arrives, not after Delay: the accepted
// call's time is its arrival, and the answer still takes Delay.
func TestPutParameterQuotaAtArrival(t *testing.T) {
	t.Parallel()
	const delay = time.Second
	s := newShim(t, Options{PutParameterLimit: 1, PutParameterBurst: 1, Delay: delay})
	client := ssmClient(s.URL, 1)
	sent := time.Now()
	if _, err := client.PutParameter(context.Background(), &ssm.PutParameterInput{
		Name: aws.String("/" + uniqueName(t)), Value: aws.String("v"), Type: "String",
	}); err != nil {
		t.Fatal(err)
	}
	answered := time.Since(sent)
	puts := s.AcceptedPuts()
	if len(puts) != 1 {
		t.Fatalf("AcceptedPuts() = %v, want one", puts)
	}
	if at := puts[0].Sub(sent); at >= delay/2 || answered < delay {
		t.Errorf("admitted %s after sending, answered after %s; want admitted on arrival (well under %s), answered after %s", at, answered, delay/2, delay)
	}
}

func TestPutParameterLimit(t *testing.T) {
	t.Parallel()
	const limit = 10.0
	s := newShim(t, Options{PutParameterLimit: limit})
	client := ssmClient(s.URL, 1)
	name := "/" + uniqueName(t)
	ctx := context.Background()
	// moto loads its SSM backend on first use, which can take most of a
	// second; warm it up directly so the timed loop measures the shim.
	if _, err := ssmClient(emulator.Moto(t), 1).PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String(name), Value: aws.String("warm"), Type: "String",
	}); err != nil {
		t.Fatal(err)
	}
	var ok, throttled int
	for start := time.Now(); time.Since(start) < time.Second; {
		_, err := client.PutParameter(ctx, &ssm.PutParameterInput{
			Name: aws.String(name), Value: aws.String("v"), Type: "String", Overwrite: aws.Bool(true),
		})
		switch code := errorCode(err); {
		case err == nil:
			ok++
		case code == "ThrottlingException":
			throttled++
		default:
			t.Fatalf("PutParameter: %v", err)
		}
	}
	if throttled == 0 || throttled != s.Throttled() {
		t.Errorf("client saw %d ThrottlingException, Throttled() = %d; want equal and > 0", throttled, s.Throttled())
	}
	puts := s.AcceptedPuts()
	if ok != len(puts) {
		t.Errorf("client saw %d successes, AcceptedPuts() has %d", ok, len(puts))
	}
	// Burst 1 at 10/s over one second: the first put plus about 10 more
	// (fewer when a loaded machine makes single calls slow).
	if ok < 5 || ok > 12 {
		t.Errorf("%d puts accepted in 1s at %v/s", ok, limit)
	}
	if n := len(puts); n > 1 {
		if rate := float64(n-1) / puts[n-1].Sub(puts[0]).Seconds(); rate > limit*1.02 {
			t.Errorf("achieved %.2f puts/s, limit %v", rate, limit)
		}
	}
	for i := 1; i < len(puts); i++ {
		if gap := puts[i].Sub(puts[i-1]); gap < time.Duration(float64(time.Second)/limit)-time.Millisecond {
			t.Errorf("accepted puts %d and %d only %s apart", i-1, i, gap)
		}
	}
	if got := s.Counts()["ssm:PutParameter"]; got != ok+throttled {
		t.Errorf("Counts()[ssm:PutParameter] = %d, want %d", got, ok+throttled)
	}
}
