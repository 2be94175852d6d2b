package bootstrap

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// destroyParameters deletes the selected parameters, ten a call. With
// WithPlanOnly it reads them to say which would be deleted.
func (r *runner) destroyParameters(ctx context.Context, results []ParameterResult) {
	r.initParameters(results)
	if r.s.planOnly {
		r.readParameters(ctx, results)
		for i := range results {
			if results[i].Action == ActionNone {
				results[i].Action = ActionDelete
			} else if results[i].Action == ActionCreate {
				results[i].Action = ActionNone // nothing there to delete
			}
		}
		r.finishParameters(results)
		return
	}
	forEach(r.s.concurrency, batches(len(results)), func(batch []int) {
		names := make([]string, len(batch))
		for j, i := range batch {
			names[j] = results[i].Name
		}
		var out *ssm.DeleteParametersOutput
		err := r.call(ctx, nil, func(ctx context.Context) (err error) {
			out, err = r.ssm.DeleteParameters(ctx, &ssm.DeleteParametersInput{Names: names})
			return err
		})
		deleted := map[string]bool{}
		if err == nil {
			for _, n := range out.DeletedParameters {
				deleted[n] = true
			}
		}
		for _, i := range batch {
			res := &results[i]
			switch {
			case err != nil:
				res.Action, res.Status, res.Error = ActionDelete, StatusFailed, "deleting the parameter: "+describe(err)
			case deleted[res.Name]:
				res.Action = ActionDelete
			default: // listed in InvalidParameters: it was not there
				res.Action = ActionNone
			}
		}
	})
	r.finishParameters(results)
}

// destroyTable deletes one table and waits until it is gone. A table with
// deletion protection is a failure: Destroy never turns the protection off.
func (r *runner) destroyTable(ctx context.Context, spec tableSpec) TableResult {
	return r.onTable(ctx, spec, (*tableRun).destroy)
}

func (t *tableRun) destroy(ctx context.Context) error {
	d, err := t.describe(ctx)
	if err != nil {
		t.res.Action = ActionUnknown
		return err
	}
	if d == nil {
		t.res.Action = ActionNone
		return nil
	}
	t.res.Action = ActionDelete
	t.res.ARN, t.res.TableStatus = aws.ToString(d.TableArn), string(d.TableStatus)
	if aws.ToBool(d.DeletionProtectionEnabled) {
		return fmt.Errorf("deletion protection is on, and Destroy never turns it off: if you really mean to delete this table, turn it off yourself (aws dynamodb update-table --table-name %s --no-deletion-protection-enabled) and run again", t.spec.name)
	}
	if t.s.planOnly {
		return nil
	}
	if d.TableStatus != "DELETING" {
		err = t.call(ctx, isResourceInUse, func(ctx context.Context) error {
			_, err := t.ddb.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(t.spec.name)})
			return err
		})
		switch {
		case isNotFound(err):
			return nil
		case err != nil:
			return fmt.Errorf("deleting the table: %w", err)
		}
	}
	return t.waitGone(ctx)
}
