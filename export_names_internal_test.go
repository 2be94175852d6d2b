package bootstrap

import (
	"errors"
	"regexp"
	"testing"
)

var (
	cfnLogicalID = regexp.MustCompile(`^[A-Za-z0-9]{1,255}$`)
	tfName       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)
	// lettersAndDigits is cfnLogicalID without its length bound.
	lettersAndDigits = regexp.MustCompile(`^[A-Za-z0-9]*$`)
)

// Profiles that differ only in '-', '_', '.' or the escape letter get
// different, stable names (the expected values are the stable part: a
// change breaks every existing stack and state).
func TestExportNameEncoding(t *testing.T) {
	for _, c := range []struct{ profile, want string }{
		{"dev-1", "devZh1"},
		{"dev_1", "devZu1"},
		{"dev.1", "devZd1"},
		{"dev1", "dev1"},
		{"Zed", "ZZed"},
		{"ZZ", "ZZZZ"},
		{"Zh", "ZZh"},
		{"-", "Zh"},
		{"a.b-c_d", "aZdbZhcZud"},
		{"prod", "prod"},
		{"1", "1"},
		{"é", "ZxC3ZxA9"},
		{"", ""},
	} {
		got := exportName(c.profile)
		if got != c.want {
			t.Errorf("exportName(%q) = %q, want %q", c.profile, got, c.want)
		}
		back, err := parseExportName(got)
		if err != nil || back != c.profile {
			t.Errorf("parseExportName(%q) = %q, %v; want %q", got, back, err, c.profile)
		}
		if c.profile != "" {
			for _, id := range []string{cfnPolicyPrefix + got, cfnSignaturePrefix + got} {
				if !cfnLogicalID.MatchString(id) {
					t.Errorf("logical ID %q is not letters and digits", id)
				}
			}
			for _, n := range []string{tfPolicyPrefix + got, tfSignaturePrefix + got} {
				if !tfName.MatchString(n) {
					t.Errorf("Terraform name %q is not an identifier", n)
				}
			}
		}
	}
}

// Every profile name of one character class pattern gets its own name: all
// strings of up to three characters over an alphabet that holds every
// special case collide nowhere.
func TestExportNamesNeverCollide(t *testing.T) {
	alphabet := []byte("Zzhud1-_.x")
	seen := map[string]string{}
	var walk func(prefix []byte, depth int)
	walk = func(prefix []byte, depth int) {
		s := string(prefix)
		enc := exportName(s)
		if other, dup := seen[enc]; dup {
			t.Fatalf("%q and %q are both named %q", other, s, enc)
		}
		seen[enc] = s
		if depth == 0 {
			return
		}
		for _, c := range alphabet {
			walk(append(prefix, c), depth-1)
		}
	}
	walk(nil, 3)
	if len(seen) != 1+10+100+1000 {
		t.Fatalf("checked %d names", len(seen))
	}
}

func TestParseExportNameRejectsWhatExportNameNeverWrites(t *testing.T) {
	for _, s := range []string{"Z", "devZ", "Zq", "Zx4", "Zx4g", "Zx41" /* 'A' is written A */, "Zx2D" /* '-' is Zh */, "Zxe9", "dev-1", "a_b", "a.b"} {
		if got, err := parseExportName(s); !errors.Is(err, errExportName) {
			t.Errorf("parseExportName(%q) = %q, %v; want an error", s, got, err)
		}
	}
}

// The encoding is a bijection between all strings and the names it writes:
// decoding inverts it, and a name that decodes re-encodes to itself.
func FuzzExportName(f *testing.F) {
	for _, s := range []string{"dev-1", "dev_1", "dev.1", "dev1", "Zx41", "ZZ", "é", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := exportName(s)
		if !lettersAndDigits.MatchString(enc) {
			t.Fatalf("exportName(%q) = %q: not letters and digits", s, enc)
		}
		back, err := parseExportName(enc)
		if err != nil || back != s {
			t.Fatalf("parseExportName(exportName(%q)) = %q, %v", s, back, err)
		}
		if dec, err := parseExportName(s); err == nil && exportName(dec) != s {
			t.Fatalf("exportName(parseExportName(%q)) = %q", s, exportName(dec))
		}
	})
}
