package emulator

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestMain(m *testing.M) {
	code := m.Run()
	StopAll()
	os.Exit(code)
}

// gone reports whether no live process has the given pid; zombies (whose
// reaping is up to their parent) count as gone.
func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	_, after, _ := strings.Cut(string(stat), ") ")
	return strings.HasPrefix(after, "Z")
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !gone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still alive after Stop", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestStartMotoStop(t *testing.T) {
	if _, err := exec.LookPath(MotoCommand); err != nil {
		skipOrFatal(t, MotoCommand+" not found on PATH; install with pip install 'moto[server]'")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	s, err := StartMoto(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Endpoint, "http://127.0.0.1:") {
		t.Errorf("Endpoint = %q", s.Endpoint)
	}
	resp, err := http.Get(s.Endpoint + "/moto-api/")
	if err != nil {
		t.Fatalf("moto does not answer: %v", err)
	}
	resp.Body.Close()
	pid := s.Pid()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	waitGone(t, pid)
	if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process group %d still has members (kill -0: %v)", pid, err)
	}
}

func TestStartFailureIncludesOutput(t *testing.T) {
	_, err := startOnFreePort(context.Background(), "sh",
		func(int) []string { return []string{"sh", "-c", "echo boom-marker >&2; exit 3"} },
		httpAnswers("GET", "/", ""))
	if err == nil || !strings.Contains(err.Error(), "boom-marker") {
		t.Fatalf("error %v does not include the output tail", err)
	}
}

func TestDynaliteListTables(t *testing.T) {
	ep := Dynalite(t, DynaliteOptions{CreateTableMs: 300})
	db := dynamodb.NewFromConfig(Config(ep))
	ctx := context.Background()
	out, err := db.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatalf("ListTables: %v", err)
	}
	if len(out.TableNames) != 0 {
		t.Errorf("fresh dynalite has tables %v", out.TableNames)
	}
	ct, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("tbl"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	if got := ct.TableDescription.TableStatus; got != types.TableStatusCreating {
		t.Errorf("CreateTable status = %s, want CREATING (CreateTableMs passed through)", got)
	}
}

func TestMotoEndpointOverride(t *testing.T) {
	shared.mu.Lock()
	before := shared.srv
	shared.mu.Unlock()
	t.Setenv(EndpointEnv, "http://127.0.0.1:1")
	if got := Moto(t); got != "http://127.0.0.1:1" {
		t.Fatalf("Moto = %q, want the %s value", got, EndpointEnv)
	}
	shared.mu.Lock()
	after := shared.srv
	shared.mu.Unlock()
	if after != before {
		t.Error("Moto started a server despite the override")
	}
}

func TestMotoShared(t *testing.T) {
	a, b := Moto(t), Moto(t)
	if a != b {
		t.Fatalf("Moto returned %q then %q, want one shared server", a, b)
	}
	db := dynamodb.NewFromConfig(Config(a))
	if _, err := db.ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("ListTables on shared moto: %v", err)
	}
}

func TestTailBuffer(t *testing.T) {
	b := newTailBuffer(4)
	for _, s := range []string{"ab", "cdef", "ghijklmn", "o"} {
		b.Write([]byte(s))
	}
	if got := b.String(); got != "lmno" {
		t.Fatalf("tail = %q, want lmno", got)
	}
}
