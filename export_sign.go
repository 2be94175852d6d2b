package bootstrap

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// exportSignatures is Export's signatureFunc: the signature parameters of
// the policies, one per policy parameter and in the same order, or nil when
// the options do not sign. This library version has no policy signing, so
// there are none.
//
// With signing, each is the PutParameter request Run sends for the
// signature of that policy (name under /sentinel/signatures/, type String,
// tier Standard, description, the options' tags, and the signed envelope of
// exactly the policy's Value as its value). The formats then write them
// like the policies: kept on stack deletion, their values ignored by
// Terraform after creation, named Signature<profile> / signature_<profile>.
func exportSignatures(_ context.Context, _ *config, _ aws.Config, _ []*ssm.PutParameterInput) ([]*ssm.PutParameterInput, error) {
	return nil, nil
}
