package bootstrap

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// observed is what is known of one table: what the reads found, kept up to
// date with what this run's own changes are known to have done (the answer
// of UpdateTimeToLive, say, so that TTL need not be read again). It is the
// planner's input.
type observed struct {
	desc *types.TableDescription             // nil: the table was not found
	ttl  *types.TimeToLiveDescription        // nil: not known yet
	pitr *types.ContinuousBackupsDescription // nil: not known yet; never read without point-in-time recovery
	tags map[string]string                   // nil: not known yet; read only when tags are wanted

	// created: this run's CreateTable was carried out, so a table that is
	// not found is one that AWS does not show yet. exists: CreateTable
	// answered that a table of this name exists (someone else made it),
	// which a describe may not show yet either.
	created, exists bool
	// done lists the changes this run made, in order.
	done []change
}

// detailsKnown reports whether everything the planner compares beyond the
// description is known.
func (o *observed) detailsKnown(t *tableSpec) bool {
	return o.ttl != nil && (!t.pitr || o.pitr != nil) && (len(t.tags) == 0 || o.tags != nil)
}

// newTable is what is known of a table that this run's CreateTable has just
// made: its answer, TTL and point-in-time recovery off, the tags it sent.
func newTable(t *tableSpec, desc *types.TableDescription) *observed {
	o := &observed{desc: desc, created: true, ttl: &types.TimeToLiveDescription{TimeToLiveStatus: types.TimeToLiveStatusDisabled}}
	if t.pitr {
		o.pitr = &types.ContinuousBackupsDescription{PointInTimeRecoveryDescription: &types.PointInTimeRecoveryDescription{
			PointInTimeRecoveryStatus: types.PointInTimeRecoveryStatusDisabled}}
	}
	if len(t.tags) > 0 {
		o.tags = t.tags
	}
	return o
}

// describe returns the table's description, or nil when it does not exist.
func (t *tableRun) describe(ctx context.Context) (*types.TableDescription, error) {
	out, err := call(ctx, t.runner, retryRule{}, func(ctx context.Context) (*dynamodb.DescribeTableOutput, error) {
		return t.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(t.spec.name)})
	})
	switch {
	case isNotFound(err):
		return nil, nil
	case isAccessDenied(err):
		return nil, fmt.Errorf("cannot read the table: access denied: %w", err)
	case err != nil:
		return nil, fmt.Errorf("describing the table: %w", err)
	}
	return out.Table, nil
}

// readDetails reads, concurrently, what o does not know yet of an existing
// table: TTL; point-in-time recovery unless WithoutPointInTimeRecovery; tags
// only with WithTags (so endpoints lacking an operation still work). On a
// table this run created, "not found" means "not yet" and is retried.
func (t *tableRun) readDetails(ctx context.Context, o *observed) error {
	how := retryRule{}
	if o.created {
		how.notYet = isNotFound
	}
	name := aws.String(t.spec.name)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	fail := func(what string, err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = t.readError(what, err)
		}
	}
	if o.ttl == nil {
		wg.Go(func() {
			out, err := call(ctx, t.runner, how, func(ctx context.Context) (*dynamodb.DescribeTimeToLiveOutput, error) {
				return t.ddb.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: name})
			})
			if err != nil {
				fail("TTL", err)
				return
			}
			o.ttl = out.TimeToLiveDescription
			if o.ttl == nil {
				o.ttl = &types.TimeToLiveDescription{}
			}
		})
	}
	if t.spec.pitr && o.pitr == nil {
		wg.Go(func() {
			out, err := call(ctx, t.runner, how, func(ctx context.Context) (*dynamodb.DescribeContinuousBackupsOutput, error) {
				return t.ddb.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: name})
			})
			if err != nil {
				fail("point-in-time recovery", err)
				return
			}
			o.pitr = out.ContinuousBackupsDescription
			if o.pitr == nil {
				o.pitr = &types.ContinuousBackupsDescription{}
			}
		})
	}
	if len(t.spec.tags) > 0 && o.tags == nil {
		wg.Go(func() {
			tags, err := t.listTags(ctx, how, aws.ToString(o.desc.TableArn))
			if err != nil {
				fail("tags", err)
				return
			}
			o.tags = tags
		})
	}
	wg.Wait()
	return first
}

// readError explains a failed read of one setting.
func (t *tableRun) readError(what string, err error) error {
	switch {
	case isUnknownOperation(err) && what == "TTL":
		return fmt.Errorf("cannot read TTL: the endpoint does not support TTL (%s); Sentinel needs TTL on %q to expire records: %w", errorCode(err), t.spec.ttlAttribute, err)
	case isUnknownOperation(err):
		return fmt.Errorf("cannot read %s: the endpoint does not support it (%s); pass WithoutPointInTimeRecovery if it is not wanted: %w", what, errorCode(err), err)
	case isAccessDenied(err):
		return fmt.Errorf("cannot read %s: access denied: %w", what, err)
	case isNotFound(err):
		return fmt.Errorf("reading %s: the table disappeared (%s); run again", what, errorCode(err))
	}
	return fmt.Errorf("reading %s: %w", what, err)
}

// listTags reads every tag of the table, page by page. An endpoint that
// hands out the same NextToken twice would loop for ever: that is an error.
func (t *tableRun) listTags(ctx context.Context, how retryRule, arn string) (map[string]string, error) {
	tags := map[string]string{}
	seen := map[string]bool{}
	var next *string
	for {
		out, err := call(ctx, t.runner, how, func(ctx context.Context) (*dynamodb.ListTagsOfResourceOutput, error) {
			return t.ddb.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: aws.String(arn), NextToken: next})
		})
		if err != nil {
			return nil, err
		}
		for _, tag := range out.Tags {
			tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
		if out.NextToken == nil {
			return tags, nil
		}
		token := aws.ToString(out.NextToken)
		if seen[token] {
			return nil, fmt.Errorf("the endpoint answered the NextToken %q a second time, so the tag list never ends; bootstrap stopped reading it", shorten(token))
		}
		seen[token] = true
		next = out.NextToken
	}
}
