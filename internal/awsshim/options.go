package awsshim

import "time"

// Options configures a Shim. The zero value (apart from Upstream) forwards
// everything unchanged.
type Options struct {
	// Upstream is the base URL of moto, e.g. http://127.0.0.1:5000.
	Upstream string
	// Delay is added to every request before it is forwarded.
	Delay time.Duration
	// CreatingFor is how long a table stays CREATING after a successful
	// CreateTable: the CreateTable answer and DescribeTable show TableStatus
	// CREATING and every global secondary index CREATING.
	CreatingFor time.Duration
	// IndexCreatingFor is how long a global secondary index added by
	// UpdateTable (GlobalSecondaryIndexUpdates[].Create) stays CREATING with
	// Backfilling true, the table showing TableStatus UPDATING meanwhile.
	IndexCreatingFor time.Duration
	// PITRUnavailableFor is how long, after a table created through the
	// shim becomes ACTIVE, UpdateContinuousBackups answers
	// ContinuousBackupsUnavailableException.
	PITRUnavailableFor time.Duration
	// InvisibleFor is how long, after a successful CreateTable, the table
	// is not found: DescribeTable, DescribeTimeToLive,
	// DescribeContinuousBackups, ListTagsOfResource and every change to
	// the table (UpdateTable, UpdateTimeToLive, UpdateContinuousBackups,
	// TagResource, UntagResource) answer ResourceNotFoundException, as AWS
	// may do for a moment after creation (the SDK's TableExists waiter
	// retries that). ListTables, DeleteTable and a second CreateTable are
	// forwarded as usual. The window runs alongside CreatingFor.
	InvisibleFor time.Duration
	// DropFirstCreateAnswer drops the answer of the first CreateTable of
	// each table name that moto carries out during the shim's life: the
	// table is created, then the connection is closed without an answer
	// (the client's retry then gets moto's ResourceInUseException). Each
	// drop is logged as a FaultDropAfter fault. See also DropCreateAnswer.
	DropFirstCreateAnswer bool
	// PutParameterLimit is the number of SSM PutParameter calls accepted per
	// second; calls beyond it answer ThrottlingException (and are not
	// forwarded). 0 means unlimited. The quota is a token bucket of
	// PutParameterBurst tokens, refilled continuously at PutParameterLimit
	// tokens a second; a call takes a token as it arrives (before Delay),
	// and a throttled call takes none. Two models of AWS's quota:
	//
	//   - Strict spacing: PutParameterBurst 1 (or less). A call arriving less
	//     than 1/PutParameterLimit after the last accepted one is throttled,
	//     however slow the average; two calls that arrive together, one is.
	//   - Token bucket: PutParameterBurst N > 1. After a quiet spell N calls
	//     arriving together are accepted; sustained, the limit holds.
	PutParameterLimit float64
	// PutParameterBurst is the token bucket's capacity; see PutParameterLimit.
	PutParameterBurst int
	// Faults are injected into requests; see Faults.
	Faults Faults
}

// FaultKind is a kind of injected fault.
type FaultKind string

// The kinds of fault a Shim can inject.
const (
	// FaultServerError answers HTTP 500 InternalServerError without forwarding.
	FaultServerError FaultKind = "5xx"
	// FaultThrottle answers HTTP 400 without forwarding: ThrottlingException
	// for SSM, ProvisionedThroughputExceededException for DynamoDB.
	FaultThrottle FaultKind = "throttle"
	// FaultDropBefore closes the connection without forwarding or answering.
	FaultDropBefore FaultKind = "drop-before"
	// FaultDropAfter forwards the request, then closes the connection
	// without answering: the change happened but the client cannot know.
	FaultDropAfter FaultKind = "drop-after"
	// FaultDelay waits Faults.Delay, then forwards normally.
	FaultDelay FaultKind = "delay"
)

// AllFaultKinds lists every FaultKind, in the order used when Faults.Kinds
// is empty.
var AllFaultKinds = []FaultKind{FaultServerError, FaultThrottle, FaultDropBefore, FaultDropAfter, FaultDelay}

// DefaultFaultDelay is the delay of FaultDelay when Faults.Delay is zero.
const DefaultFaultDelay = 200 * time.Millisecond

// Faults configures fault injection. Whether a request is faulted, and
// with which kind, is drawn from a math/rand/v2 PCG seeded with Seed, so a
// client making the same calls in the same order sees the same faults.
type Faults struct {
	// Rate is the share of requests faulted, from 0 (none) to 1 (all).
	Rate float64
	// Seed seeds the random sequence.
	Seed int64
	// Kinds are the fault kinds to choose from; empty means AllFaultKinds.
	Kinds []FaultKind
	// Delay is the wait of FaultDelay; DefaultFaultDelay when zero.
	Delay time.Duration
}
