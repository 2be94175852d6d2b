package bootstrap_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"go.uber.org/mock/gomock"

	"github.com/sentinel-tools/bootstrap"
)

// A second run over resources that all exist and are correct makes no write
// call: the mocks expect reads only, and gomock fails on any other call.
func TestRerunOverCorrectResourcesWritesNothing(t *testing.T) {
	profiles := []string{"dev", "staging", "prod"}
	tags := map[string]string{"team": "security", "env": "prod"}

	tests := []struct {
		name string
		opts []bootstrap.Option
		pitr bool
		tags map[string]string
	}{
		{name: "defaults", pitr: true},
		{name: "WithTags", opts: []bootstrap.Option{bootstrap.WithTags(tags)}, pitr: true, tags: tags},
		{name: "WithoutPointInTimeRecovery", opts: []bootstrap.Option{bootstrap.WithoutPointInTimeRecovery()}},
		{name: "WithKMSKey matching", opts: []bootstrap.Option{bootstrap.WithKMSKey(testKMSARN)}, pitr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, d := newMocks(t)
			for _, l := range layouts {
				expectCorrectTable(d, l.purpose, tc.pitr, tc.tags)
			}
			var existing []ssmtypes.Parameter
			for i, p := range profiles {
				existing = append(existing, existingParam(paramName(p), validPolicy(p), int64(i+3)))
			}
			s.EXPECT().GetParameters(gomock.Any(), paramNames(paramName("dev"), paramName("staging"), paramName("prod")), gomock.Any()).
				Return(&ssm.GetParametersOutput{Parameters: existing}, nil).Times(1)

			rep := mustRun(t, opts(clients(s, d), append([]bootstrap.Option{bootstrap.WithAll(), bootstrap.WithProfiles(profiles...)}, tc.opts...)...)...)

			for _, r := range rep.Tables {
				checkTable(t, r, bootstrap.ActionNone, bootstrap.StatusOK)
				if r.ARN != tableARN(r.Name) || r.TableStatus != "ACTIVE" || len(r.Warnings) != 0 {
					t.Errorf("table %s: ARN %q, TableStatus %q, Warnings %q", r.Name, r.ARN, r.TableStatus, r.Warnings)
				}
			}
			for i, p := range profiles {
				r := paramResult(t, rep, p)
				if r.Action != bootstrap.ActionNone || r.Status != bootstrap.StatusOK || r.Version != int64(i+3) || r.Error != "" || len(r.Warnings) != 0 {
					t.Errorf("parameter %s = %+v, want action none, status ok, version %d", p, r, i+3)
				}
			}
			if want := (bootstrap.Summary{None: 6}); rep.Summary != want {
				t.Errorf("Summary = %+v, want %+v", rep.Summary, want)
			}
		})
	}
}

// Tags read over several pages all count: a wanted tag on the second page is
// not "missing", so nothing is written.
func TestRerunReadsEveryPageOfTags(t *testing.T) {
	s, d := newMocks(t)
	const name = "sentinel-requests"
	arn := tableARN(name)
	expectDescribe(d, name, activeTable(bootstrap.PurposeApprovals, "")).Times(1)
	expectTTL(d, name, types.TimeToLiveStatusEnabled, "ttl").Times(1)
	expectPITR(d, name, types.PointInTimeRecoveryStatusEnabled).Times(1)
	gomock.InOrder(
		d.EXPECT().ListTagsOfResource(gomock.Any(), gomock.Cond(func(in *dynamodb.ListTagsOfResourceInput) bool {
			return aws.ToString(in.ResourceArn) == arn && in.NextToken == nil
		}), gomock.Any()).Return(&dynamodb.ListTagsOfResourceOutput{
			Tags:      []types.Tag{{Key: aws.String("team"), Value: aws.String("security")}},
			NextToken: aws.String("page-2"),
		}, nil),
		d.EXPECT().ListTagsOfResource(gomock.Any(), gomock.Cond(func(in *dynamodb.ListTagsOfResourceInput) bool {
			return aws.ToString(in.ResourceArn) == arn && aws.ToString(in.NextToken) == "page-2"
		}), gomock.Any()).Return(&dynamodb.ListTagsOfResourceOutput{
			Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}},
		}, nil),
	)
	rep := mustRun(t, opts(clients(s, d), bootstrap.WithApprovals(), bootstrap.WithTags(map[string]string{"team": "security", "env": "prod"}))...)
	checkTable(t, rep.Tables[0], bootstrap.ActionNone, bootstrap.StatusOK)
}

// A provisioned table is left as it is, with a warning, and still no write.
func TestRerunOverProvisionedTableWarnsAndWritesNothing(t *testing.T) {
	s, d := newMocks(t)
	const name = "sentinel-breakglass"
	desc := activeTable(bootstrap.PurposeBreakGlass, "")
	desc.BillingModeSummary = &types.BillingModeSummary{BillingMode: types.BillingModeProvisioned}
	expectDescribe(d, name, desc).Times(1)
	expectTTL(d, name, types.TimeToLiveStatusEnabled, "ttl").Times(1)
	expectPITR(d, name, types.PointInTimeRecoveryStatusEnabled).Times(1)

	rep := mustRun(t, opts(clients(s, d), bootstrap.WithBreakGlass())...)
	got := rep.Tables[0]
	checkTable(t, got, bootstrap.ActionNone, bootstrap.StatusOK)
	if len(got.Warnings) != 1 {
		t.Fatalf("Warnings = %q, want one about the billing mode", got.Warnings)
	}
	checkContains(t, "warning", got.Warnings[0], "PROVISIONED")
}
