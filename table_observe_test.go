package bootstrap_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"go.uber.org/mock/gomock"

	"github.com/sentinel-tools/bootstrap"
)

// The reads of a table (table_observe.go).

// ListTagsOfResource handing out the same NextToken twice would never end:
// it is an error, not a loop.
func TestTagPaginationStopsOnRepeatedToken(t *testing.T) {
	s, d := newMocks(t)
	const name = "sentinel-requests"
	expectDescribe(d, name, activeTable(bootstrap.PurposeApprovals, "")).Times(1)
	expectTTL(d, name, types.TimeToLiveStatusEnabled, "ttl").Times(1)
	expectPITR(d, name, types.PointInTimeRecoveryStatusEnabled).Times(1)
	d.EXPECT().ListTagsOfResource(gomock.Any(), gomock.Any(), gomock.Any()).Times(2).Return(&dynamodb.ListTagsOfResourceOutput{
		Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}, NextToken: aws.String("same-again"),
	}, nil)
	rep, err := bootstrap.Run(t.Context(), testConfig(), opts(clients(s, d), bootstrap.WithApprovals(), bootstrap.WithTags(map[string]string{"team": "x"}))...)
	checkIncomplete(t, err, []string{"table " + name})
	checkContains(t, "Error", rep.Tables[0].Error, "NextToken", "same-again")
}
