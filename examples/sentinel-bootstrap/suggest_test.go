package main

import "testing"

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"json", "json", 0},
		{"jsn", "json", 1},
		{"josn", "json", 1}, // a swap
		{"plna", "plan", 1},
		{"profile", "pofile", 1},
		{"kitten", "sitting", 3},
		{"", "abc", 3},
	} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestClosest(t *testing.T) {
	names := []string{"json", "plan", "profile", "policy-root", "endpoint-url", "with-approvals", "with-breakglass", "yes"}
	for in, want := range map[string]string{
		"jsn":           "json",
		"JSON":          "", // case matters for flags
		"plann":         "plan",
		"endpoint":      "endpoint-url", // the only one it starts
		"with":          "",             // starts two
		"polcy-root":    "policy-root",
		"with-aprovals": "with-approvals",
		"xyz":           "",
		"":              "",
		"ye":            "yes",
	} {
		if got := closest(in, names); got != want {
			t.Errorf("closest(%q) = %q, want %q", in, got, want)
		}
	}
}
