package bootstrap_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/sentinel-tools/bootstrap/internal/canonjson"
)

// update rewrites the golden files in testdata/ instead of comparing:
//
//	go test -run 'TestFreshRunCreateTableInput|TestIAMGolden' -update .
var update = flag.Bool("update", false, "rewrite golden files")

// canonicalJSON renders v as indented JSON with null and empty-string fields
// left out (unset pointers and enums in the SDK's types), so a golden file
// shows only what a request sets, and stays the same when the SDK adds an
// optional field.
func canonicalJSON(t *testing.T, v any) []byte {
	t.Helper()
	out, err := canonical(v)
	if err != nil {
		t.Fatalf("canonical JSON of %T: %v", v, err)
	}
	return out
}

func canonical(v any) ([]byte, error) { return canonjson.Marshal(v) }

// assertGolden compares v, as canonical JSON, with testdata/<file>, or
// rewrites the file with -update.
func assertGolden(t *testing.T, file string, v any) {
	t.Helper()
	assertGoldenBytes(t, file, canonicalJSON(t, v))
}

// assertGoldenBytes compares got with testdata/<file>, or rewrites the file
// with -update.
func assertGoldenBytes(t *testing.T, file string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", file)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run '%s' -update . to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (rerun with -update if the change is intended):\n%s", path, firstDifference(string(want), string(got)))
	}
}

// sameJSON matches a value whose canonical JSON is that of want: an exact
// request, compared field by field, with readable output when it differs.
func sameJSON(want any) gomock.Matcher { return jsonMatcher{want} }

type jsonMatcher struct{ want any }

func (m jsonMatcher) Matches(x any) bool {
	g, gerr := canonical(x)
	w, werr := canonical(m.want)
	return gerr == nil && werr == nil && bytes.Equal(g, w)
}

func (m jsonMatcher) String() string { return jsonText(m.want) }

// Got makes gomock show the unexpected value as JSON too.
func (m jsonMatcher) Got(got any) string { return jsonText(got) }

func jsonText(v any) string {
	b, err := canonical(v)
	if err != nil {
		return fmt.Sprintf("%+v", v)
	}
	return fmt.Sprintf("%T %s", v, strings.TrimSpace(string(b)))
}

// assertSameJSON compares two values by their canonical JSON.
func assertSameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, w := canonicalJSON(t, got), canonicalJSON(t, want)
	if !bytes.Equal(g, w) {
		t.Errorf("%s differs:\n%s", what, firstDifference(string(w), string(g)))
	}
}

// firstDifference shows the first differing line, with its line number.
func firstDifference(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + w + "\n  got:  " + g + "\n--- got in full:\n" + got
		}
	}
	return "(no line differs)"
}
