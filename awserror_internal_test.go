package bootstrap

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/smithy-go"
)

func TestIsThrottle(t *testing.T) {
	answer := func(code string) error {
		// As the SDK returns it: an operation error wrapping the API error.
		return &smithy.OperationError{ServiceID: "SSM", OperationName: "PutParameter",
			Err: fmt.Errorf("https response error StatusCode: 400: %w", &smithy.GenericAPIError{Code: code, Message: "m"})}
	}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{answer("ThrottlingException"), true},
		{answer("TooManyUpdates"), true}, // concurrent changes of one parameter: wait and retry
		{answer("ProvisionedThroughputExceededException"), true},
		{answer("RequestLimitExceeded"), true},
		{ratelimit.QuotaExceededError{}, true},
		{fmt.Errorf("put: %w", ratelimit.QuotaExceededError{}), true},
		{answer("LimitExceededException"), false}, // transient, not a throttle
		{answer("ParameterAlreadyExists"), false},
		{answer("TooManyUpdatesException"), false}, // not a code SSM sends
		{errors.New("TooManyUpdates"), false},      // a message is not a code
		{nil, false},
	} {
		if got := isThrottle(tc.err); got != tc.want {
			t.Errorf("isThrottle(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
