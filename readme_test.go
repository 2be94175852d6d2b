package bootstrap_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sentinel-tools/bootstrap"
)

// The README's "Infrastructure as code" section shows both exports for
// these options (`--profile dev --profile prod --with-sessions --tag
// team=security --generate-iam-policies`, region eu-west-1): the first
// ```yaml block under "### CloudFormation" and the first ```hcl block under
// "### Terraform" are excerpts of what Export writes: each run of lines
// between lines "…" is a run of lines of the export, in the same order.
func TestREADMEShowsTheExports(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	for _, tc := range []struct {
		heading, fence string
		format         bootstrap.Format
	}{
		{"### CloudFormation", "```yaml", bootstrap.FormatCloudFormation},
		{"### Terraform", "```hcl", bootstrap.FormatTerraform},
	} {
		got, err := bootstrap.Export(t.Context(), testConfig(), tc.format,
			bootstrap.WithProfiles("dev", "prod"), bootstrap.WithSessions(),
			bootstrap.WithTags(map[string]string{"team": "security"}), bootstrap.WithIAMPolicies())
		if err != nil {
			t.Fatalf("%s: %v", tc.format, err)
		}
		start, end := readmeBlock(t, text, tc.heading, tc.fence)
		if msg := excerptOf(text[start:end], string(got)); msg != "" {
			t.Errorf("README: the %s block under %q is not an excerpt of what Export writes: %s\n--- Export writes:\n%s", tc.fence, tc.heading, msg, got)
		}
	}
}

// readmeBlock returns where the body of the first fence block after
// heading begins and ends (the closing fence excluded, the last line's
// newline included).
func readmeBlock(t *testing.T, text, heading, fence string) (int, int) {
	t.Helper()
	h := strings.Index(text, "\n"+heading+"\n")
	if h < 0 {
		t.Fatalf("README: no heading %q", heading)
	}
	f := strings.Index(text[h:], "\n"+fence+"\n")
	if f < 0 {
		t.Fatalf("README: no %s block under %q", fence, heading)
	}
	start := h + f + len("\n"+fence+"\n")
	n := strings.Index(text[start:], "\n```\n")
	if n < 0 {
		t.Fatalf("README: the %s block under %q does not end", fence, heading)
	}
	return start, start + n + 1
}

// excerptOf reports how excerpt is not an excerpt of full ("" if it is):
// its runs of lines between lines that are "…" (indented or not) must be
// runs of full's lines, in order; the first run begins full, and the last
// ends it unless "…" follows it.
func excerptOf(excerpt, full string) string {
	lines := strings.Split(strings.TrimSuffix(full, "\n"), "\n")
	var runs [][]string
	run := []string{}
	for l := range strings.SplitSeq(strings.TrimSuffix(excerpt, "\n"), "\n") {
		if strings.TrimSpace(l) == "…" {
			runs, run = append(runs, run), []string{}
			continue
		}
		run = append(run, l)
	}
	runs = append(runs, run)
	at := 0
	for i, r := range runs {
		if len(r) == 0 {
			continue // the block begins or ends with "…"
		}
		found := -1
		for j := at; j+len(r) <= len(lines); j++ {
			if slices.Equal(lines[j:j+len(r)], r) {
				found = j
				break
			}
			if i == 0 {
				break // the first run begins the export
			}
		}
		switch {
		case found < 0:
			return fmt.Sprintf("these lines are not in it (in this order, after its line %d):\n%s", at, strings.Join(r, "\n"))
		case i == len(runs)-1 && found+len(r) != len(lines):
			return fmt.Sprintf("the export goes on after the block's last line %q; end the block with a line \"…\"", r[len(r)-1])
		}
		at = found + len(r)
	}
	return ""
}

// The README's sample of the JSON report ("The report and errors") is a
// Report: every field it shows is one of the Report's, under its JSON name,
// and read into a Report and written back it is the same JSON (so it shows
// no field the Report would leave out, nor leaves out one it would write).
func TestREADMEShowsTheReportJSON(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	start, end := readmeBlock(t, string(readme), "## The report and errors", "```json")
	sample := readme[start:end]
	dec := json.NewDecoder(bytes.NewReader(sample))
	dec.DisallowUnknownFields()
	var rep bootstrap.Report
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("README: the JSON report is not a Report: %v", err)
	}
	back, err := json.Marshal(&rep)
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	if err := json.Unmarshal(sample, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(back, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(want, got) {
		t.Errorf("README: the JSON report, read into a Report and written back, is\n%s\nwant the README's\n%s", back, sample)
	}
}
