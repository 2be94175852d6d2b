package awsshim

import (
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/logging"

	"github.com/sentinel-tools/bootstrap/internal/emulator"
)

// logSink collects what the SDK logs. With SDK v1.74.0 a CRC32 mismatch
// does not fail the call: the checksum is checked when the body is closed
// and the failure is only logged as a warning (also when the header is
// missing: the SDK then expects 0). So the warnings are the SDK-level
// evidence of a bad X-Amz-Crc32.
type logSink struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logSink) Logf(_ logging.Classification, format string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, fmt.Sprintf(format, v...))
}

// checksumWarnings returns the logged messages that mention the checksum.
func (l *logSink) checksumWarnings() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, m := range l.msgs {
		if strings.Contains(m, "checksum") {
			out = append(out, m)
		}
	}
	return out
}

// loggedDDB returns a DynamoDB client without retries that logs to a sink.
func loggedDDB(endpoint string) (*dynamodb.Client, *logSink) {
	sink := &logSink{}
	cfg := emulator.Config(endpoint)
	cfg.Logger = sink
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 }), sink
}

// TestSDKReportsBadCRC32 is the control for TestRewrittenAnswersHaveValidCRC32:
// the DynamoDB client notices a wrong X-Amz-Crc32 (it logs a warning).
func TestSDKReportsBadCRC32(t *testing.T) {
	t.Parallel()
	const body = `{"Table":{"TableName":"crc","TableStatus":"ACTIVE"}}`
	for _, tc := range []struct {
		name   string
		header string
		bad    bool
	}{
		{"right", strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(body))), 10), false},
		{"wrong", "12345", true},
		{"missing", "", true}, // the SDK then expects CRC 0
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.Header().Set("X-Amz-Crc32", tc.header)
			_, _ = w.Write([]byte(body))
		}))
		db, sink := loggedDDB(srv.URL)
		_, err := db.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String("crc")})
		srv.Close()
		if err != nil {
			t.Errorf("%s checksum: %v", tc.name, err)
		}
		if got := len(sink.checksumWarnings()) > 0; got != tc.bad {
			t.Errorf("%s checksum: checksum warnings %q, want some: %v", tc.name, sink.checksumWarnings(), tc.bad)
		}
	}
}

// TestRewrittenAnswersHaveValidCRC32 checks that rewritten and synthesised
// DynamoDB answers carry a matching X-Amz-Crc32 and Content-Length.
func TestRewrittenAnswersHaveValidCRC32(t *testing.T) {
	t.Parallel()
	s := newShim(t, Options{CreatingFor: 2 * time.Second})
	db, sink := loggedDDB(s.URL)
	name := uniqueName(t)
	if _, err := db.CreateTable(context.Background(), createTableInput(name, true)); err != nil {
		t.Fatal(err)
	}
	if st := describe(t, db, name).TableStatus; st != "CREATING" {
		t.Fatalf("status %s, want CREATING", st)
	}
	if w := sink.checksumWarnings(); len(w) > 0 {
		t.Errorf("SDK saw bad checksums: %q", w)
	}
	for _, tc := range []struct{ op, body, want string }{
		{"DescribeTable", `{"TableName":"` + name + `"}`, `"CREATING"`},
		{"UpdateTimeToLive", `{"TableName":"` + name + `","TimeToLiveSpecification":{"Enabled":true,"AttributeName":"x"}}`, "ResourceInUseException"},
	} {
		status, h, body := rawDDB(t, s.URL, tc.op, tc.body)
		if !bytes.Contains(body, []byte(tc.want)) {
			t.Errorf("%s: status %d body %s, want %s", tc.op, status, body, tc.want)
		}
		if got, want := h.Get("X-Amz-Crc32"), strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10); got != want {
			t.Errorf("%s: X-Amz-Crc32 %q, body CRC32 %s", tc.op, got, want)
		}
		if got := h.Get("Content-Length"); got != strconv.Itoa(len(body)) {
			t.Errorf("%s: Content-Length %q, body %d bytes", tc.op, got, len(body))
		}
	}
}

// rawDDB posts a DynamoDB JSON 1.0 request without the SDK.
func rawDDB(t *testing.T, endpoint, op, body string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", endpoint+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
	// moto reads the region from the credential scope; the signature is not checked.
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}
