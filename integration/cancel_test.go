package integration_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/internal/awsshim"
)

// Cancelling ctx in the middle of a wait returns within a second with the
// ctx error; TestMain's goleak check proves no goroutine is left behind.
func TestIntegrationCancelDuringWait(t *testing.T) {
	e := newEnv(t, awsshim.Options{CreatingFor: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	waiting := make(chan struct{}, 16)
	progress := func(ev bootstrap.Event) {
		if ev.Phase == bootstrap.PhaseWait {
			select {
			case waiting <- struct{}{}:
			default:
			}
		}
	}
	done := make(chan struct{})
	var (
		rep *bootstrap.Report
		err error
	)
	go func() {
		defer close(done)
		rep, err = bootstrap.Run(ctx, e.cfg, e.opts(bootstrap.WithProfiles("dev"), bootstrap.WithAll(), bootstrap.WithProgress(progress))...)
	}()
	<-waiting
	time.Sleep(200 * time.Millisecond) // well inside the wait
	cancelled := time.Now()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5 s of the cancel")
	}
	if took := time.Since(cancelled); took > time.Second {
		t.Errorf("Run returned %s after the cancel, want within 1 s", took)
	}
	if !errors.Is(err, context.Canceled) || !errors.Is(err, bootstrap.ErrIncomplete) {
		t.Fatalf("err = %v, want context.Canceled and ErrIncomplete", err)
	}
	for _, tb := range rep.Tables {
		if tb.Status != bootstrap.StatusFailed || !strings.Contains(tb.Error, context.Canceled.Error()) {
			t.Errorf("table %s: %s %q, want failed with the ctx error", tb.Name, tb.Status, tb.Error)
		}
	}
}
