package bootstrap_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"go.uber.org/mock/gomock"

	"github.com/sentinel-tools/bootstrap"
)

// The run's shared machinery (runner.go): the progress callback, whose
// panic is the run's, not the caller's process's.

// A panic in the last event, when every resource is done, still reaches
// the caller as an error: ErrIncomplete with the *PanicError, no result
// failed.
func TestProgressPanicInLastEventIsReported(t *testing.T) {
	s, d := newMocks(t)
	expectCorrectTable(d, bootstrap.PurposeApprovals, true, nil)
	boom := errors.New("progress bar broke at the end")
	progress := func(e bootstrap.Event) {
		if e.Phase == bootstrap.PhaseDone {
			panic(boom)
		}
	}
	rep, err := bootstrap.Run(t.Context(), testConfig(), opts(clients(s, d), bootstrap.WithApprovals(), bootstrap.WithProgress(progress))...)
	var pe *bootstrap.PanicError
	if !errors.Is(err, bootstrap.ErrIncomplete) || !errors.As(err, &pe) || pe.Value != boom {
		t.Fatalf("err = %v; want ErrIncomplete with the *PanicError", err)
	}
	checkContains(t, "error", err.Error(), "every resource is done", "WithProgress", "progress bar broke at the end")
	if got := rep.Tables[0]; got.Status != bootstrap.StatusOK || got.Action != bootstrap.ActionNone {
		t.Errorf("result %+v; want none, ok", got)
	}
}

// A panic in the WithProgress callback is recovered: Run stops at once and
// returns the Report, every unfinished result failed naming WithProgress,
// and an error matching ErrIncomplete that unwraps to a *PanicError with
// the value and the stack. The test's own recover() catches nothing.
func TestProgressPanicIsRecovered(t *testing.T) {
	s, d := newMocks(t)
	const name = "sentinel-requests"
	gomock.InOrder(
		expectNotFound(d, name),
		expectCreate(t, d, name, &dynamodb.CreateTableOutput{TableDescription: creatingTable(name)}, nil),
	)
	d.EXPECT().DescribeTable(gomock.Any(), named(name), gomock.Any()).AnyTimes().DoAndReturn(
		func(ctx context.Context, _ *dynamodb.DescribeTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			return &dynamodb.DescribeTableOutput{Table: creatingTable(name)}, nil
		})
	boom := errors.New("progress bar broke")
	progress := func(e bootstrap.Event) {
		if e.Phase == bootstrap.PhaseWait {
			panic(boom)
		}
	}

	var (
		rep       *bootstrap.Report
		err       error
		recovered any
	)
	began := time.Now()
	func() {
		defer func() { recovered = recover() }()
		rep, err = bootstrap.Run(t.Context(), testConfig(), opts(clients(s, d), bootstrap.WithApprovals(),
			bootstrap.WithWaitTimeout(time.Minute), bootstrap.WithProgress(progress))...)
	}()
	if recovered != nil {
		t.Fatalf("the panic reached the caller: %v", recovered)
	}
	if time.Since(began) > 5*time.Second {
		t.Errorf("Run took %s after the panic; want it to stop at once", time.Since(began))
	}
	if rep == nil {
		t.Fatalf("no Report; err = %v", err)
	}
	var pe *bootstrap.PanicError
	if !errors.Is(err, bootstrap.ErrIncomplete) || !errors.As(err, &pe) {
		t.Fatalf("err = %v; want ErrIncomplete with a *PanicError", err)
	}
	if pe.Value != boom || !strings.Contains(string(pe.Stack), "TestProgressPanicIsRecovered") {
		t.Errorf("PanicError value %v, stack:\n%s", pe.Value, pe.Stack)
	}
	got := rep.Tables[0]
	if got.Status != bootstrap.StatusFailed || got.Action != bootstrap.ActionCreate || !slices.Equal(got.Done, []string{"create table"}) {
		t.Errorf("result %+v; want create, failed, done [create table]", got)
	}
	checkContains(t, "Error", got.Error, "WithProgress", "panicked", "progress bar broke")
}
