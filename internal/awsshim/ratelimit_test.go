package awsshim

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/sentinel-tools/bootstrap/internal/emulator"
)

func TestTokenBucket(t *testing.T) {
	t.Parallel()
	b := newTokenBucket(10, 2)
	t0 := time.Unix(1000, 0)
	steps := []struct {
		at   time.Duration
		want bool
	}{
		{0, true}, {0, true}, {0, false}, // burst of 2, then empty
		{50 * time.Millisecond, false},                                                // half a token
		{100 * time.Millisecond, true},                                                // one token after 100ms at 10/s
		{10 * time.Second, true}, {10 * time.Second, true}, {10 * time.Second, false}, // capped at burst
	}
	for i, s := range steps {
		if got := b.take(t0.Add(s.at)); got != s.want {
			t.Errorf("step %d at %s: take = %v, want %v", i, s.at, got, s.want)
		}
	}
	unlimited := newTokenBucket(0, 0)
	for range 100 {
		if !unlimited.take(t0) {
			t.Fatal("limit 0 must be unlimited")
		}
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
