package integration_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/bootstraptest"
	"github.com/sentinel-tools/bootstrap/internal/awsshim"
	"github.com/sentinel-tools/bootstrap/internal/emulator"
)

// env is one integration test's view of the shared moto through its own
// AWS-timing shim: cfg for Run, ddb and ssm for the test's own setup and
// checks. Names carry a suffix unique to the test.
type env struct {
	t      *testing.T
	shim   *awsshim.Shim
	cfg    aws.Config
	ddb    *dynamodb.Client
	ssm    *ssm.Client
	suffix string
}

func newEnv(t *testing.T, o awsshim.Options) *env {
	t.Helper()
	endpoint := emulator.Moto(t)
	o.Upstream = endpoint
	shim := awsshim.StartT(t, o)
	cfg := emulator.Config(shim.URL)
	return &env{
		t:      t,
		shim:   shim,
		cfg:    cfg,
		ddb:    dynamodb.NewFromConfig(cfg),
		ssm:    ssm.NewFromConfig(cfg),
		suffix: bootstraptest.Suffix(t),
	}
}

// opts prefixes the test's name suffix to extra.
func (e *env) opts(extra ...bootstrap.Option) []bootstrap.Option {
	return append([]bootstrap.Option{bootstrap.WithNameSuffix(e.suffix)}, extra...)
}

func (e *env) run(extra ...bootstrap.Option) (*bootstrap.Report, error) {
	e.t.Helper()
	return bootstrap.Run(context.Background(), e.cfg, e.opts(extra...)...)
}

// mustRun runs and fails the test on any error.
func (e *env) mustRun(extra ...bootstrap.Option) *bootstrap.Report {
	e.t.Helper()
	rep, err := e.run(extra...)
	if err != nil {
		e.t.Fatalf("Run: %v\n%s", err, reportJSON(rep))
	}
	return rep
}

func (e *env) root() string { return bootstrap.DefaultPolicyRoot + e.suffix }

func (e *env) table(name string) *types.TableDescription {
	e.t.Helper()
	out, err := e.ddb.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return nil
		}
		e.t.Fatalf("DescribeTable %s: %v", name, err)
	}
	return out.Table
}

// tablesWithSuffix lists the moto tables that belong to this test.
func (e *env) tablesWithSuffix() []string {
	e.t.Helper()
	var names []string
	p := dynamodb.NewListTablesPaginator(e.ddb, &dynamodb.ListTablesInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			e.t.Fatalf("ListTables: %v", err)
		}
		for _, n := range out.TableNames {
			if strings.HasSuffix(n, e.suffix) {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	return names
}

// parameters returns the parameters under the test's root, by name.
func (e *env) parameters() map[string]ssmParam {
	e.t.Helper()
	found := map[string]ssmParam{}
	p := ssm.NewGetParametersByPathPaginator(e.ssm, &ssm.GetParametersByPathInput{Path: aws.String(e.root()), Recursive: aws.Bool(true)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			e.t.Fatalf("GetParametersByPath: %v", err)
		}
		for _, prm := range out.Parameters {
			found[aws.ToString(prm.Name)] = ssmParam{value: aws.ToString(prm.Value), version: prm.Version}
		}
	}
	return found
}

type ssmParam struct {
	value   string
	version int64
}

func (e *env) putParameter(name, value string) {
	e.t.Helper()
	_, err := e.ssm.PutParameter(context.Background(), &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value), Type: "String"})
	if err != nil {
		e.t.Fatalf("PutParameter %s: %v", name, err)
	}
}

// concurrently runs fn n times at once and waits.
func concurrently(n int, fn func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { fn(i) })
	}
	wg.Wait()
}

// assertAll fails unless every result has the action and status.
func assertAll(t *testing.T, rep *bootstrap.Report, action, status string) {
	t.Helper()
	for _, p := range rep.Parameters {
		if p.Action != action || p.Status != status {
			t.Errorf("parameter %s: %s/%s, want %s/%s (%s)", p.Name, p.Action, p.Status, action, status, p.Error)
		}
	}
	for _, tb := range rep.Tables {
		if tb.Action != action || tb.Status != status {
			t.Errorf("table %s: %s/%s, want %s/%s (%s) changes %v", tb.Name, tb.Action, tb.Status, action, status, tb.Error, tb.Changes)
		}
	}
}

func reportJSON(rep *bootstrap.Report) string {
	b, _ := json.MarshalIndent(rep, "", "  ")
	return string(b)
}
