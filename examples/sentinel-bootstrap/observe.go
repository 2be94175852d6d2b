package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// observer sees every attempt of every AWS call, through SDK middleware on
// the aws.Config: with --debug it prints one line per attempt, and it
// remembers which endpoints never answered, so that an unreachable endpoint
// is said once instead of once per resource. It never looks at a body or a
// header other than the request ID.
type observer struct {
	// debug, when set, receives one line per attempt.
	debug func(line string)

	mu        sync.Mutex
	endpoints []string         // in the order first called
	reach     map[string]reach // by endpoint
}

// reach is what one endpoint did: how many answers it gave, and why it
// could not be reached, if it could not.
type reach struct {
	answers int
	failure string // e.g. "connection refused"; "" when none
}

// attemptsKey keys the attempt counter of one call in its context.
type attemptsKey struct{}

// addTo adds the observer to an SDK client's middleware stack: a counter
// at the start of each call, and the observation itself at the end of the
// deserialize step, right around the HTTP round trip, which runs once per
// attempt (the retries are in the finalize step, outside it).
func (o *observer) addTo(stack *middleware.Stack) error {
	count := middleware.InitializeMiddlewareFunc("SentinelBootstrapAttempts",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(middleware.WithStackValue(ctx, attemptsKey{}, new(int)), in)
		})
	if err := stack.Initialize.Add(count, middleware.Before); err != nil {
		return err
	}
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("SentinelBootstrapObserve", o.attempt), middleware.After)
}

func (o *observer) attempt(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	attempt := 0
	if n, ok := middleware.GetStackValue(ctx, attemptsKey{}).(*int); ok {
		*n++
		attempt = *n
	}
	endpoint := ""
	if req, ok := in.Request.(*smithyhttp.Request); ok && req.URL != nil {
		endpoint = req.URL.Scheme + "://" + req.URL.Host
	}
	began := time.Now()
	out, md, err := next.HandleDeserialize(ctx, in)
	took := time.Since(began)

	// Here, next to the transport, an error means no answer: an HTTP error
	// status becomes an error only in the deserializers outside.
	status, requestID := "none", ""
	resp, answered := out.RawResponse.(*smithyhttp.Response)
	answered = answered && err == nil && resp != nil && resp.Response != nil
	if answered {
		status = fmt.Sprint(resp.StatusCode)
		requestID = resp.Header.Get("X-Amzn-Requestid")
		if requestID == "" {
			requestID = resp.Header.Get("X-Amz-Request-Id")
		}
	}
	failure := ""
	if !answered && err != nil && ctx.Err() == nil {
		failure = unreachableReason(err)
	}
	o.record(endpoint, answered, failure)
	if o.debug != nil {
		line := fmt.Sprintf("debug: %s %s status=%s", middleware.GetServiceID(ctx), middleware.GetOperationName(ctx), status)
		if requestID != "" {
			line += " request-id=" + requestID
		}
		line += fmt.Sprintf(" attempt=%d duration=%s", attempt, took.Round(time.Millisecond))
		switch {
		case failure != "":
			line += fmt.Sprintf(" error=%q", failure)
		case !answered && ctx.Err() != nil:
			line += " error=\"interrupted\""
		}
		o.debug(line)
	}
	return out, md, err
}

// unreachableReason says why a request got no answer at all, when that is
// because the endpoint could not be reached; "" otherwise.
func unreachableReason(err error) string {
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return "no such host " + dns.Name
		}
		return "cannot look up " + dns.Name
	case errors.As(err, &op) && op.Op == "dial":
		if op.Timeout() {
			return "connection timed out"
		}
		return "cannot connect"
	}
	return ""
}

func (o *observer) record(endpoint string, answered bool, failure string) {
	if endpoint == "" {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.reach == nil {
		o.reach = map[string]reach{}
	}
	r, seen := o.reach[endpoint]
	if !seen {
		o.endpoints = append(o.endpoints, endpoint)
	}
	if answered {
		r.answers++
	}
	if failure != "" && r.failure == "" {
		r.failure = failure
	}
	o.reach[endpoint] = r
}

// answeredAny reports whether any endpoint answered any call.
func (o *observer) answeredAny() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, r := range o.reach {
		if r.answers > 0 {
			return true
		}
	}
	return false
}

// unreachable returns one line naming the endpoints that were called and
// never answered, and why; "" when every endpoint called answered.
func (o *observer) unreachable() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var parts []string
	for _, ep := range o.endpoints {
		if r := o.reach[ep]; r.answers == 0 && r.failure != "" {
			parts = append(parts, fmt.Sprintf("%s (%s)", ep, r.failure))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "cannot connect to " + strings.Join(slices.Compact(parts), " or ")
}
