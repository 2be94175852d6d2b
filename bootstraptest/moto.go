package bootstraptest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/sentinel-tools/bootstrap/internal/emulator"
)

const (
	// EndpointEnv names the variable that, when set, makes Moto return a
	// configuration for that endpoint (LocalStack, a moto_server started
	// by the pipeline, …) instead of starting moto_server.
	EndpointEnv = "BOOTSTRAP_TEST_ENDPOINT"
	// RequireEmulatorEnv names the variable that, when set, makes Moto fail
	// the test instead of skipping it when moto_server is not installed.
	// (CI is not enough: other projects' pipelines set it without having
	// moto.)
	RequireEmulatorEnv = "BOOTSTRAP_REQUIRE_EMULATOR"
	// Region is the region of the configurations Moto returns.
	Region = "us-east-1"
)

// motoStartTimeout bounds how long moto_server may take to answer.
const motoStartTimeout = time.Minute

// Moto returns an aws.Config for an emulator that serves SSM, DynamoDB and
// KMS: the endpoint in BOOTSTRAP_TEST_ENDPOINT when it is set; otherwise a
// moto_server of the test's own, started on a free loopback port, waited
// for until it answers, and stopped when the test ends (each call starts
// one, in a second or two). The configuration has region us-east-1 and the
// static credentials test/test, and reads nothing from the environment or
// the AWS config files, so AWS_ENDPOINT_URL and the like do not divert it.
//
// When moto_server is not on PATH, the test is skipped with a message
// saying how to install it (pip install 'moto[server]'), or failed when
// BOOTSTRAP_REQUIRE_EMULATOR is set.
func Moto(t testing.TB) aws.Config {
	t.Helper()
	if ep := os.Getenv(EndpointEnv); ep != "" {
		return config(ep)
	}
	if _, err := exec.LookPath(emulator.MotoCommand); err != nil {
		msg := fmt.Sprintf("%s is not installed (not on PATH): install it with pip install 'moto[server]', or set %s to a running emulator",
			emulator.MotoCommand, EndpointEnv)
		if os.Getenv(RequireEmulatorEnv) != "" {
			t.Fatalf("bootstraptest: %s (%s is set, so this fails instead of skipping)", msg, RequireEmulatorEnv)
		}
		t.Skipf("bootstraptest: SKIPPING: %s", msg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), motoStartTimeout)
	defer cancel()
	srv, err := emulator.StartMoto(ctx)
	if err != nil {
		t.Fatalf("bootstraptest: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("bootstraptest: %v", err)
		}
	})
	return config(srv.Endpoint)
}

func config(endpoint string) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
	}
}
