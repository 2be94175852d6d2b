package bootstraptest_test

import (
	"context"
	"flag"
	"fmt"
	"path"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"go.uber.org/mock/gomock"

	"github.com/sentinel-tools/bootstrap"
	"github.com/sentinel-tools/bootstrap/bootstraptest"
	"github.com/sentinel-tools/bootstrap/mocks"
)

// Run in a test of your own: the resources get names unique to the test,
// and its cleanup deletes them when the test ends. Here SSM is a mock that
// keeps parameters in a map; in your tests, cfg is usually
// bootstraptest.Moto(t) and no client option is needed.
func ExampleRun() {
	runTest(func(t *testing.T) {
		ctrl := gomock.NewController(t)
		params := fakeSSM(ctrl)
		cfg := aws.Config{Region: "us-east-1"}

		rep := bootstraptest.Run(t, cfg, bootstrap.WithProfiles("dev"), bootstrap.WithSSMClient(params))

		p := rep.Parameters[0]
		fmt.Println(p.Action, p.Status, path.Base(p.Name))
		fmt.Println("unique root:", rep.PolicyRoot != bootstrap.DefaultPolicyRoot)
	})
	// Output:
	// PutParameter dev
	// create ok dev
	// unique root: true
	// DeleteParameters dev
}

// Moto gives each test an emulator of its own (or the one named by
// BOOTSTRAP_TEST_ENDPOINT), stopped when the test ends. (This example has
// no output to check: where moto_server is missing, the test is skipped.
// TestMotoStartsAndStopsWithTheTest runs it.)
func ExampleMoto() {
	runTest(func(t *testing.T) {
		cfg := bootstraptest.Moto(t) // skipped, with an install hint, where moto_server is missing
		rep := bootstraptest.Run(t, cfg, bootstrap.WithProfiles("dev"), bootstrap.WithSessions())
		fmt.Println(rep.Summary.Create, "created in", cfg.Region)
	})
}

// runTest runs body as a test named TestMyService, as go test would, with
// its cleanups, so that the examples show a test's real life. The test's
// own === RUN lines (go test -v) are not part of the examples' output.
func runTest(body func(t *testing.T)) {
	if v := flag.Lookup("test.v"); v != nil {
		was := v.Value.String()
		_ = v.Value.Set("false")
		defer func() { _ = v.Value.Set(was) }()
	}
	all := func(string, string) (bool, error) { return true, nil }
	testing.RunTests(all, []testing.InternalTest{{Name: "TestMyService", F: body}})
}

// fakeSSM is an SSM mock that keeps parameters in a map and prints each
// write.
func fakeSSM(ctrl *gomock.Controller) *mocks.MockSSMAPI {
	var mu sync.Mutex
	store := map[string]string{}
	m := mocks.NewMockSSMAPI(ctrl)
	m.EXPECT().GetParameters(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, in *ssm.GetParametersInput, _ ...func(*ssm.Options)) (*ssm.GetParametersOutput, error) {
			mu.Lock()
			defer mu.Unlock()
			out := &ssm.GetParametersOutput{}
			for _, name := range in.Names {
				if v, ok := store[name]; ok {
					out.Parameters = append(out.Parameters, ssmtypes.Parameter{Name: aws.String(name), Value: aws.String(v), Version: 1, Type: ssmtypes.ParameterTypeString})
				} else {
					out.InvalidParameters = append(out.InvalidParameters, name)
				}
			}
			return out, nil
		})
	m.EXPECT().PutParameter(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, in *ssm.PutParameterInput, _ ...func(*ssm.Options)) (*ssm.PutParameterOutput, error) {
			mu.Lock()
			defer mu.Unlock()
			store[aws.ToString(in.Name)] = aws.ToString(in.Value)
			fmt.Println("PutParameter", path.Base(aws.ToString(in.Name)))
			return &ssm.PutParameterOutput{Version: 1}, nil
		})
	m.EXPECT().DeleteParameters(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(
		func(_ context.Context, in *ssm.DeleteParametersInput, _ ...func(*ssm.Options)) (*ssm.DeleteParametersOutput, error) {
			mu.Lock()
			defer mu.Unlock()
			out := &ssm.DeleteParametersOutput{}
			for _, name := range in.Names {
				if _, ok := store[name]; !ok {
					out.InvalidParameters = append(out.InvalidParameters, name)
					continue
				}
				delete(store, name)
				out.DeletedParameters = append(out.DeletedParameters, name)
				fmt.Println("DeleteParameters", path.Base(name))
			}
			return out, nil
		})
	return m
}
