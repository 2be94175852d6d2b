package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sentinel-tools/bootstrap/internal/awsshim"
	"github.com/sentinel-tools/bootstrap/internal/emulator"
)

// TestInvalidInputCorpus: every invalid input the CLI can express is answered
// with exit 2 and one line naming the flag and the value, before any AWS
// call: the endpoint is a shim in front of moto that records every call, and
// it records none.
func TestInvalidInputCorpus(t *testing.T) {
	shim := awsshim.StartT(t, awsshim.Options{Upstream: emulator.Moto(t)})
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := file("good.yaml", "version: \"1\"\nrules:\n  - name: r\n    effect: deny\n")
	var manyTags []string
	for i := range 51 {
		manyTags = append(manyTags, "--tag", fmt.Sprintf("k%d=v", i))
	}
	long := func(n int) string { return strings.Repeat("a", n) }
	deep := strings.Repeat("/l", 15)

	cases := []struct {
		name string
		args []string
		want []string // in the one error line
	}{
		{"empty profile", []string{"--profile", ""}, []string{`--profile ""`}},
		{"long profile", []string{"--profile", long(65)}, []string{"--profile", "64"}},
		{"profile with space", []string{"--profile", "a b"}, []string{`--profile "a b"`}},
		{"profile with slash", []string{"--profile", "a/b"}, []string{`--profile "a/b"`}},
		{"profile not ASCII", []string{"--profile", "dév"}, []string{`--profile "dév"`}},
		{"profile with bang", []string{"--profile", "dev!"}, []string{`--profile "dev!"`}},
		{"profile twice", []string{"--profile", "dev", "--profile", "dev"}, []string{`--profile "dev"`, "twice"}},
		{"root without slash", []string{"--profile", "dev", "--policy-root", "sentinel"}, []string{`--policy-root "sentinel"`}},
		{"root with //", []string{"--profile", "dev", "--policy-root", "/x//y"}, []string{`--policy-root "/x//y"`}},
		{"root aws", []string{"--profile", "dev", "--policy-root", "/aws/x"}, []string{`--policy-root "/aws/x"`, "reserves"}},
		{"root SSM", []string{"--profile", "dev", "--policy-root", "/SSM"}, []string{`--policy-root "/SSM"`}},
		{"root with space", []string{"--profile", "dev", "--policy-root", "/a b"}, []string{`--policy-root "/a b"`}},
		{"root slash only", []string{"--profile", "dev", "--policy-root", "/"}, []string{`--policy-root "/"`}},
		{"root too deep", []string{"--profile", "dev", "--policy-root", deep}, []string{"--policy-root", "levels"}},
		{"root too long", []string{"--profile", "dev", "--policy-root", "/" + long(1010)}, []string{"--policy-root", "1011"}},
		{"root empty", []string{"--profile", "dev", "--policy-root", ""}, []string{`--policy-root ""`}},
		{"table too short", []string{"--with-approvals", "--approval-table", "ab"}, []string{`--approval-table "ab"`}},
		{"table too long", []string{"--with-approvals", "--approval-table", long(256)}, []string{"--approval-table", "255"}},
		{"table with space", []string{"--with-approvals", "--approval-table", "a b"}, []string{`--approval-table "a b"`}},
		{"table with colon", []string{"--with-sessions", "--session-table", "a:b"}, []string{`--session-table "a:b"`}},
		{"tables share a name", []string{"--all", "--approval-table", "same", "--session-table", "same"}, []string{`"same"`, "own name"}},
		{"session table unselected", []string{"--profile", "dev", "--session-table", "s-t"}, []string{`--session-table "s-t"`, "--with-sessions"}},
		{"breakglass table unselected", []string{"--with-approvals", "--breakglass-table", "b-t"}, []string{`--breakglass-table "b-t"`}},
		{"kms garbage", []string{"--all", "--kms-key", "nokey"}, []string{`--kms-key "nokey"`}},
		{"kms wrong service", []string{"--all", "--kms-key", "arn:aws:s3:::bucket"}, []string{`--kms-key "arn:aws:s3:::bucket"`}},
		{"kms empty alias", []string{"--all", "--kms-key", "alias/"}, []string{`--kms-key "alias/"`}},
		{"kms empty", []string{"--all", "--kms-key", ""}, []string{`--kms-key ""`}},
		{"kms without tables", []string{"--profile", "dev", "--kms-key", "alias/x"}, []string{`--kms-key "alias/x"`}},
		{"tag aws:", []string{"--profile", "dev", "--tag", "aws:x=1"}, []string{`--tag "aws:x"`}},
		{"tag AWS:", []string{"--profile", "dev", "--tag", "AWS:x=1"}, []string{`--tag "AWS:x"`}},
		{"tag key too long", []string{"--profile", "dev", "--tag", long(129) + "=v"}, []string{"--tag", "128"}},
		{"tag value too long", []string{"--profile", "dev", "--tag", "k=" + long(257)}, []string{"--tag", "256"}},
		{"tag bad character", []string{"--profile", "dev", "--tag", "a#b=1"}, []string{`--tag "a#b"`}},
		{"51 tags", append([]string{"--profile", "dev"}, manyTags...), []string{`--tag "51 tags"`}},
		{"description without profile", []string{"--all", "--description", "hi"}, []string{`--description "hi"`}},
		{"description too long", []string{"--profile", "dev", "--description", long(1025)}, []string{"--description", "1024"}},
		{"policy for unselected profile", []string{"--profile", "dev", "--policy-file", "prod=" + good}, []string{"--policy-file", "prod"}},
		{"policy not YAML", []string{"--profile", "dev", "--policy-file", "dev=" + file("bad.yaml", "rules: [\n")}, []string{"--policy-file", "YAML"}},
		{"policy version 2", []string{"--profile", "dev", "--policy-file", "dev=" + file("v2.yaml", "version: \"2\"\nrules:\n  - name: r\n    effect: deny\n")}, []string{"--policy-file", `version: "1"`}},
		{"policy without rules", []string{"--profile", "dev", "--policy-file", "dev=" + file("norules.yaml", "version: \"1\"\nrules: []\n")}, []string{"--policy-file", "rules"}},
		{"policy unknown effect", []string{"--profile", "dev", "--policy-file", "dev=" + file("effect.yaml", "version: \"1\"\nrules:\n  - name: r\n    effect: permit\n")}, []string{"--policy-file", `"permit"`}},
		{"policy rule without name", []string{"--profile", "dev", "--policy-file", "dev=" + file("noname.yaml", "version: \"1\"\nrules:\n  - effect: deny\n")}, []string{"--policy-file", "no name"}},
		{"region capitalised", []string{"--profile", "dev", "--region", "Mars"}, []string{`--region (or AWS_REGION) "Mars"`}},
		{"region with spaces", []string{"--profile", "dev", "--region", "us east 1"}, []string{`"us east 1"`}},
		{"region empty", []string{"--profile", "dev", "--region", ""}, []string{"--region"}},
		{"timeout zero", []string{"--profile", "dev", "--timeout", "0s"}, []string{`--timeout "0s"`}},
		{"timeout negative", []string{"--profile", "dev", "--timeout=-1s"}, []string{`--timeout "-1s"`}},
		{"timeout absurd", []string{"--profile", "dev", "--timeout", "25h"}, []string{`--timeout "25h0m0s"`}},
		{"nothing selected", nil, []string{"nothing selected", "--profile"}},
		{"json needs plan or yes", []string{"--profile", "dev", "--json"}, []string{"--plan", "--yes"}},
	}
	if len(cases) < 50 {
		t.Fatalf("%d cases, want at least 50", len(cases))
	}
	t.Run("cases", func(t *testing.T) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				r := runBinary(t, nil, append([]string{"--endpoint-url", shim.URL}, tc.args...)...)
				r.wantCode(t, 2)
				line := r.oneErrorLine(t)
				wantContains(t, line, tc.want...)
				// No Go type or package name reaches the user.
				wantNotContains(t, line, "bootstrap.", "main.", "kingpin", "*errors", "%!")
				if r.stdout != "" {
					t.Errorf("stdout %q, want nothing", r.stdout)
				}
			})
		}
	})
	if calls := shim.Calls(); len(calls) != 0 {
		t.Errorf("invalid input made %d AWS calls: %v", len(calls), calls)
	}
	t.Logf("%d invalid inputs, each exit 2 with one line; 0 AWS calls", len(cases))
}
