package awsshim

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestTableTimings(t *testing.T) {
	t.Parallel()
	const window = 600 * time.Millisecond
	s := newShim(t, Options{CreatingFor: window})
	db := ddbClient(s.URL, 1)
	name := uniqueName(t)

	before := time.Now()
	if _, err := db.CreateTable(context.Background(), createTableInput(name, true)); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	after := time.Now()
	tt, ok := s.TableTimings()[name]
	if !ok {
		t.Fatalf("TableTimings has no %s: %v", name, s.TableTimings())
	}
	if tt.Created.Before(before) || tt.Created.After(after) {
		t.Errorf("Created %v, not within the CreateTable call [%v, %v]", tt.Created, before, after)
	}
	if got := tt.Active.Sub(tt.Created); got != window {
		t.Errorf("Active − Created = %s, want CreatingFor %s", got, window)
	}
	if !tt.Noticed.IsZero() {
		t.Errorf("Noticed %v before any DescribeTable", tt.Noticed)
	}

	// Answers that still say CREATING are not noticing.
	if st := describe(t, db, name).TableStatus; st != types.TableStatusCreating {
		t.Fatalf("DescribeTable at once: %s, want CREATING", st)
	}
	if n := s.TableTimings()[name].Noticed; !n.IsZero() {
		t.Errorf("Noticed %v after a CREATING answer", n)
	}

	time.Sleep(time.Until(tt.Active) + 50*time.Millisecond)
	asked := time.Now()
	if st := describe(t, db, name).TableStatus; st != types.TableStatusActive {
		t.Fatalf("DescribeTable after the window: %s, want ACTIVE", st)
	}
	answered := time.Now()
	first := s.TableTimings()[name].Noticed
	if first.Before(asked) || first.After(answered) {
		t.Errorf("Noticed %v, not within the first ACTIVE DescribeTable [%v, %v]", first, asked, answered)
	}

	// Later answers keep the first; Reset keeps the timings.
	describe(t, db, name)
	s.Reset()
	if got := s.TableTimings()[name].Noticed; !got.Equal(first) {
		t.Errorf("Noticed moved from %v to %v", first, got)
	}

	// Tables not created through the shim have no timing.
	other := StartT(t, Options{Upstream: s.opts.Upstream})
	describe(t, ddbClient(other.URL, 1), name)
	if got := other.TableTimings(); len(got) != 0 {
		t.Errorf("TableTimings of a shim that created nothing: %v", got)
	}
}
