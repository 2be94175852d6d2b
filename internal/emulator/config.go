package emulator

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Region is the AWS region every emulator config uses.
const Region = "us-east-1"

// Config returns an aws.Config that talks to endpoint in us-east-1 with the
// static credentials test/test. It reads no environment variables and no
// shared config or credentials files.
func Config(endpoint string) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
	}
}
