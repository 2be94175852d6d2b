package awsshim

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// isConnectionError reports whether err is the SDK's view of an answer that
// never came.
func isConnectionError(err error) bool {
	var send *smithyhttp.RequestSendError
	return errors.As(err, &send) && send.ConnectionError()
}

func TestDropFirstCreateAnswer(t *testing.T) {
	t.Parallel()
	s := newShim(t, Options{DropFirstCreateAnswer: true})
	ctx := context.Background()
	once := ddbClient(s.URL, 1)
	name := uniqueName(t)

	_, err := once.CreateTable(ctx, createTableInput(name, false))
	if !isConnectionError(err) {
		t.Fatalf("first CreateTable: %v; want a connection error (answer dropped)", err)
	}
	if !tableExists(t, name) {
		t.Fatal("moto did not carry the dropped CreateTable out")
	}
	if got := s.FaultLog(); len(got) != 1 || got[0] != (FaultEvent{Index: 0, Call: "dynamodb:CreateTable", Kind: FaultDropAfter}) {
		t.Errorf("FaultLog() = %v, want the drop of call 0", got)
	}
	// Only the first: the next CreateTable of that name is answered.
	_, err = once.CreateTable(ctx, createTableInput(name, false))
	var inUse *types.ResourceInUseException
	if !errors.As(err, &inUse) {
		t.Errorf("second CreateTable: %v; want *types.ResourceInUseException answered", err)
	}

	// With the SDK's retries, the caller sees the retry's answer.
	other := uniqueName(t) + "-retried"
	_, err = ddbClient(s.URL, 0).CreateTable(ctx, createTableInput(other, false))
	if !errors.As(err, &inUse) {
		t.Fatalf("CreateTable with SDK retries: %v; want *types.ResourceInUseException from the retry", err)
	}
	if got := s.Counts()["dynamodb:CreateTable"]; got != 4 {
		t.Errorf("%d CreateTable calls, want 4 (2, then 1 and its retry)", got)
	}
	if !tableExists(t, other) {
		t.Error("moto did not create the second table")
	}
}

func TestDropCreateAnswerArmsOneTable(t *testing.T) {
	t.Parallel()
	s := newShim(t, Options{})
	db := ddbClient(s.URL, 1)
	ctx := context.Background()
	armed, plain, existing := uniqueName(t)+"-armed", uniqueName(t)+"-plain", uniqueName(t)+"-existing"
	if _, err := db.CreateTable(ctx, createTableInput(existing, false)); err != nil {
		t.Fatal(err)
	}
	s.DropCreateAnswer(armed)
	s.DropCreateAnswer(existing)

	if _, err := db.CreateTable(ctx, createTableInput(plain, false)); err != nil {
		t.Errorf("CreateTable of a table not armed: %v", err)
	}
	// A CreateTable moto refuses is answered and does not use the arming up.
	_, err := db.CreateTable(ctx, createTableInput(existing, false))
	if errorCode(err) != "ResourceInUseException" {
		t.Errorf("CreateTable of an existing table: %v; want ResourceInUseException", err)
	}
	if _, err := db.CreateTable(ctx, createTableInput(armed, false)); !isConnectionError(err) {
		t.Errorf("CreateTable of the armed table: %v; want a connection error", err)
	}
	if !tableExists(t, armed) {
		t.Error("the armed table was not created")
	}
	if got := s.Faulted()[FaultDropAfter]; got != 1 {
		t.Errorf("Faulted()[drop-after] = %d, want 1", got)
	}
	// Armed once, dropped once.
	if _, err := db.CreateTable(ctx, createTableInput(armed, false)); errorCode(err) != "ResourceInUseException" {
		t.Errorf("CreateTable of the armed table again: %v; want ResourceInUseException", err)
	}
}
