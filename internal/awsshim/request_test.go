package awsshim

import (
	"slices"
	"testing"
)

func TestParseTarget(t *testing.T) {
	t.Parallel()
	for target, want := range map[string]string{
		"DynamoDB_20120810.CreateTable":        "dynamodb:CreateTable",
		"DynamoDBStreams_20120810.ListStreams": "dynamodb:ListStreams",
		"AmazonSSM.PutParameter":               "ssm:PutParameter",
		"TrentService.Sign":                    "kms:Sign",
		"Logs_20140328.CreateLogGroup":         "logs_20140328:CreateLogGroup",
		"":                                     "unknown:Unknown",
	} {
		if got := parseTarget(target).action; got != want {
			t.Errorf("parseTarget(%q) = %q, want %q", target, got, want)
		}
	}
}

func TestIsRead(t *testing.T) {
	t.Parallel()
	for target, want := range map[string]bool{
		"DynamoDB_20120810.DescribeTable": true, "AmazonSSM.GetParameter": true, "DynamoDB_20120810.ListTagsOfResource": true,
		"DynamoDB_20120810.Query": true, "DynamoDB_20120810.Scan": true,
		"DynamoDB_20120810.BatchGetItem": true, "DynamoDB_20120810.TransactGetItems": true,
		"TrentService.DescribeKey": true, "TrentService.Sign": true, "TrentService.Verify": true,
		"TrentService.GenerateDataKey": true, "TrentService.GetPublicKey": true,
		"DynamoDB_20120810.CreateTable": false, "AmazonSSM.PutParameter": false, "DynamoDB_20120810.TagResource": false,
		"DynamoDB_20120810.BatchWriteItem": false, "DynamoDB_20120810.UpdateTimeToLive": false,
		"TrentService.CreateKey": false, "TrentService.ScheduleKeyDeletion": false,
		"AmazonSSM.Sign": false, // only KMS's Sign computes without changing state
	} {
		if got := isRead(parseTarget(target)); got != want {
			t.Errorf("isRead(%q) = %v, want %v", target, got, want)
		}
	}
}

func TestRequestTableName(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		`{"TableName":"plain"}`: "plain",
		`{"TableName":"arn:aws:dynamodb:us-east-1:123456789012:table/fromarn"}`:          "fromarn",
		`{"ResourceArn":"arn:aws:dynamodb:us-east-1:123456789012:table/tagged"}`:         "tagged",
		`{"ResourceArn":"arn:aws:dynamodb:us-east-1:123456789012:table/idx/index/by-g"}`: "idx",
		`not json`: "",
	} {
		r := parseDDB([]byte(body))
		if got := r.table(); got != want {
			t.Errorf("table of %s = %q, want %q", body, got, want)
		}
	}
	r := parseDDB([]byte(`{"TableName":"t","GlobalSecondaryIndexUpdates":[{"Create":{"IndexName":"a"}},{"Delete":{"IndexName":"b"}},{"Create":{"IndexName":"c"}}]}`))
	if got := r.createdIndexes(); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("createdIndexes = %v, want [a c]", got)
	}
}

func TestFaultPlanValidation(t *testing.T) {
	t.Parallel()
	if _, err := Start(Options{Upstream: "http://127.0.0.1:1", Faults: Faults{Kinds: []FaultKind{"bogus"}}}); err == nil {
		t.Error("Start accepted an unknown fault kind")
	}
	if _, err := Start(Options{Upstream: "http://127.0.0.1:1", Faults: Faults{Rate: 2}}); err == nil {
		t.Error("Start accepted rate 2")
	}
	if _, err := Start(Options{Upstream: "not a url"}); err == nil {
		t.Error("Start accepted a bad upstream")
	}
	p, err := newFaultPlan(Faults{Rate: 1, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	q, _ := newFaultPlan(Faults{Rate: 1, Seed: 3})
	for range 50 {
		a, _ := p.draw()
		b, _ := q.draw()
		if a != b {
			t.Fatal("same seed drew different kinds")
		}
	}
	if p.delay != DefaultFaultDelay {
		t.Errorf("default fault delay %s", p.delay)
	}
}
