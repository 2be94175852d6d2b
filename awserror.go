package bootstrap

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// AWS error codes the library acts on. Errors are classified with errors.As
// on the SDK's types or by smithy.APIError's ErrorCode, never by message.
const (
	codeResourceNotFound     = "ResourceNotFoundException"
	codeResourceNotFoundMoto = "ResourceNotFound" // moto's DescribeTimeToLive
	codeTableNotFound        = "TableNotFoundException"
	codeResourceInUse        = "ResourceInUseException"
	codePITRUnavailable      = "ContinuousBackupsUnavailableException"
	codeValidation           = "ValidationException"
	codeLimitExceeded        = "LimitExceededException"
	codeUnknownOperation     = "UnknownOperationException"
	codeParameterExists      = "ParameterAlreadyExists"
	codeParameterNotFound    = "ParameterNotFound"
	codeTooManyUpdates       = "TooManyUpdates" // SSM: concurrent changes of one parameter
)

// accessDeniedCodes are the answers of a read that the caller may not make.
var accessDeniedCodes = map[string]bool{
	"AccessDeniedException":    true,
	"AccessDenied":             true,
	"UnauthorizedOperation":    true,
	"UnauthorizedException":    true,
	"NotAuthorized":            true,
	"AuthorizationError":       true,
	"ForbiddenException":       true,
	"KMSAccessDeniedException": true,
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func hasCode(err error, codes ...string) bool {
	c := errorCode(err)
	for _, want := range codes {
		if c == want {
			return true
		}
	}
	return false
}

func isNotFound(err error) bool {
	var nf *types.ResourceNotFoundException
	var tnf *types.TableNotFoundException
	return errors.As(err, &nf) || errors.As(err, &tnf) ||
		hasCode(err, codeResourceNotFound, codeResourceNotFoundMoto, codeTableNotFound)
}

func isResourceInUse(err error) bool {
	var e *types.ResourceInUseException
	return errors.As(err, &e) || hasCode(err, codeResourceInUse)
}

func isAccessDenied(err error) bool { return accessDeniedCodes[errorCode(err)] }

func isUnknownOperation(err error) bool { return hasCode(err, codeUnknownOperation) }

// isThrottle reports an answer that means "slow down": the SDK's throttle
// codes, SSM's TooManyUpdates (its answer to concurrent changes of one
// parameter, which waiting fixes), and the SDK's own client-side retry quota
// running out. LimitExceededException is not one here: DynamoDB also
// answers it for a quota that waiting does not fix, so it counts as
// transient (a few retries).
func isThrottle(err error) bool {
	var q ratelimit.QuotaExceededError
	if errors.As(err, &q) {
		return true
	}
	code := errorCode(err)
	_, ok := retry.DefaultThrottleErrorCodes[code]
	return ok && code != codeLimitExceeded || code == codeTooManyUpdates
}

// isTransient reports a failure worth a few more attempts: a 5xx answer,
// LimitExceededException, or a connection that broke after it was made. A refused connection is not
// transient here: the SDK has already retried it, and an endpoint that is not
// there will not appear.
func isTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() >= 500 || hasCode(err, codeLimitExceeded) {
		return true
	}
	var se *smithyhttp.RequestSendError
	if errors.As(err, &se) {
		var op *net.OpError
		return !(errors.As(err, &op) && op.Op == "dial")
	}
	return false
}

// describe turns an AWS error into a one-line message for a result.
func describe(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		msg := oneLine(ae.ErrorMessage())
		if msg == "" {
			return ae.ErrorCode()
		}
		return ae.ErrorCode() + ": " + msg
	}
	return oneLine(strings.TrimSpace(err.Error()))
}
