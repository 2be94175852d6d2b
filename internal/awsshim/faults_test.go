package awsshim

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/sentinel-tools/bootstrap/internal/emulator"
)

// tableExists asks moto directly, bypassing the shim.
func tableExists(t *testing.T, name string) bool {
	t.Helper()
	_, err := ddbClient(emulator.Moto(t), 1).DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return false
	}
	if err != nil {
		t.Fatalf("DescribeTable on moto: %v", err)
	}
	return true
}

func TestFaultKinds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	only := func(k FaultKind) Options { return Options{Faults: Faults{Rate: 1, Kinds: []FaultKind{k}}} }

	t.Run("5xx", func(t *testing.T) {
		s := newShim(t, only(FaultServerError))
		_, err := ddbClient(s.URL, 1).ListTables(ctx, &dynamodb.ListTablesInput{})
		var re *smithyhttp.ResponseError
		if !errors.As(err, &re) || re.HTTPStatusCode() != 500 {
			t.Fatalf("DynamoDB: %v; want a ResponseError with status 500", err)
		}
		_, err = ssmClient(s.URL, 1).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/x")})
		if !errors.As(err, &re) || re.HTTPStatusCode() != 500 {
			t.Fatalf("SSM: %v; want a ResponseError with status 500", err)
		}
		if got := s.Faulted()[FaultServerError]; got != 2 {
			t.Errorf("Faulted()[5xx] = %d, want 2", got)
		}
	})

	t.Run("throttle", func(t *testing.T) {
		s := newShim(t, only(FaultThrottle))
		_, err := ssmClient(s.URL, 1).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/x")})
		if got := errorCode(err); got != "ThrottlingException" {
			t.Fatalf("SSM: %v; want ThrottlingException", err)
		}
		_, err = ddbClient(s.URL, 1).ListTables(ctx, &dynamodb.ListTablesInput{})
		var pte *types.ProvisionedThroughputExceededException
		if !errors.As(err, &pte) {
			t.Fatalf("DynamoDB: %v; want *types.ProvisionedThroughputExceededException", err)
		}
	})

	for _, k := range []FaultKind{FaultDropBefore, FaultDropAfter} {
		t.Run(string(k), func(t *testing.T) {
			s := newShim(t, only(k))
			name := uniqueName(t)
			_, err := ddbClient(s.URL, 1).CreateTable(ctx, createTableInput(name, false))
			var send *smithyhttp.RequestSendError
			if !errors.As(err, &send) || !send.ConnectionError() {
				t.Fatalf("CreateTable: %v; want a connection error", err)
			}
			t.Logf("client saw: %v", err)
			if got, want := tableExists(t, name), k == FaultDropAfter; got != want {
				t.Errorf("table exists in moto: %v, want %v", got, want)
			}
		})
	}

	t.Run("delay", func(t *testing.T) {
		o := only(FaultDelay)
		o.Faults.Delay = 300 * time.Millisecond
		s := newShim(t, o)
		start := time.Now()
		if _, err := ddbClient(s.URL, 1).ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
			t.Fatalf("ListTables: %v", err)
		}
		if d := time.Since(start); d < 300*time.Millisecond {
			t.Errorf("call took %s, want at least the 300ms fault delay", d)
		}
		if got := s.Faulted()[FaultDelay]; got != 1 {
			t.Errorf("Faulted()[delay] = %d, want 1", got)
		}
	})
}

// TestDropIsRetriedBySDK checks that the SDK treats a dropped connection as
// a retryable connection error.
func TestDropIsRetriedBySDK(t *testing.T) {
	t.Parallel()
	s := newShim(t, Options{Faults: Faults{Rate: 1, Kinds: []FaultKind{FaultDropBefore}}})
	db := dynamodb.NewFromConfig(emulator.Config(s.URL), func(o *dynamodb.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 3
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	})
	if _, err := db.ListTables(context.Background(), &dynamodb.ListTablesInput{}); err == nil {
		t.Fatal("ListTables succeeded through an always-dropping shim")
	}
	if got := s.Counts()["dynamodb:ListTables"]; got != 3 {
		t.Errorf("shim saw %d attempts, want 3 (SDK retries connection errors)", got)
	}
}

// faultRun makes n sequential ListTables calls and returns the fault log.
func faultRun(t *testing.T, s *Shim, n int) []FaultEvent {
	t.Helper()
	db := ddbClient(s.URL, 1)
	for range n {
		_, _ = db.ListTables(context.Background(), &dynamodb.ListTablesInput{})
	}
	return s.FaultLog()
}

func TestFaultsDeterministic(t *testing.T) {
	t.Parallel()
	f := Faults{Rate: 0.5, Seed: 42, Kinds: []FaultKind{FaultServerError, FaultThrottle, FaultDelay}, Delay: time.Millisecond}
	a := newShim(t, Options{Faults: f})
	b := newShim(t, Options{Faults: f})
	const n = 30
	logA, logB := faultRun(t, a, n), faultRun(t, b, n)
	if len(logA) == 0 || len(logA) == n {
		t.Fatalf("rate 0.5 faulted %d of %d calls", len(logA), n)
	}
	if !slices.Equal(logA, logB) {
		t.Fatalf("same seed, different faults:\n%v\n%v", logA, logB)
	}
	kinds := map[FaultKind]bool{}
	for _, e := range logA {
		kinds[e.Kind] = true
	}
	if len(kinds) < 2 {
		t.Errorf("only kinds %v drawn in %d faults", kinds, len(logA))
	}

	// SetFaults restarts the sequence; Reset clears the log.
	a.SetFaults(f)
	a.Reset()
	if again := faultRun(t, a, n); !slices.Equal(again, logA) {
		t.Errorf("after SetFaults with the same seed:\n%v\nwant\n%v", again, logA)
	}

	f.Seed = 7
	c := newShim(t, Options{Faults: f})
	if slices.Equal(faultRun(t, c, n), logA) {
		t.Error("different seeds gave the same faults")
	}

	// Turning faults off for a rerun.
	a.SetFaults(Faults{})
	a.Reset()
	if log := faultRun(t, a, 5); len(log) != 0 {
		t.Errorf("faults after SetFaults(Faults{}): %v", log)
	}
}

func TestFaultCallsCounted(t *testing.T) {
	t.Parallel()
	s := newShim(t, Options{Faults: Faults{Rate: 1, Kinds: []FaultKind{FaultServerError}}})
	_, _ = ssmClient(s.URL, 1).PutParameter(context.Background(), &ssm.PutParameterInput{
		Name: aws.String("/" + uniqueName(t)), Value: aws.String("v"), Type: "String",
	})
	if got := s.Calls(); !slices.Equal(got, []string{"ssm:PutParameter"}) {
		t.Errorf("Calls() = %v", got)
	}
	if s.Writes() != 1 {
		t.Errorf("Writes() = %d, want 1", s.Writes())
	}
	if got := s.FaultLog(); len(got) != 1 || got[0] != (FaultEvent{Index: 0, Call: "ssm:PutParameter", Kind: FaultServerError}) {
		t.Errorf("FaultLog() = %v", got)
	}
}
