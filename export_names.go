package bootstrap

import (
	"errors"
	"fmt"
	"strings"
)

// Names of exported resources: CloudFormation logical IDs (letters and
// digits only) and Terraform resource names (letters, digits, '_' and '-',
// not starting with a digit). A profile name may hold '-', '_' and '.', so
// it is encoded reversibly into letters and digits: a letter or digit other
// than 'Z' stands for itself, and
//
//	Z → ZZ    - → Zh    _ → Zu    . → Zd    any other byte b → Zx and b in two hex digits
//
// The codewords form a prefix code, so the encoding is one-to-one:
// profiles dev-1, dev_1, dev.1 and dev1 become devZh1, devZu1, devZd1 and
// dev1. Every name starts with a fixed prefix naming the kind of resource
// (Policy, Signature, IAM; policy_, signature_, iam_), so no two kinds can
// share a name and no name starts with a digit.

const nameEscape = 'Z'

// exportName encodes s into letters and digits, reversibly.
func exportName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == nameEscape:
			b.WriteString("ZZ")
		case c == '-':
			b.WriteString("Zh")
		case c == '_':
			b.WriteString("Zu")
		case c == '.':
			b.WriteString("Zd")
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "Zx%02X", c)
		}
	}
	return b.String()
}

var errExportName = errors.New("not an encoded name")

// parseExportName decodes what exportName encoded. It accepts exactly the
// strings exportName returns, so exportName(parseExportName(s)) is s too.
func parseExportName(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != nameEscape {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
				return "", fmt.Errorf("%w: %q has %q at %d", errExportName, s, c, i)
			}
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return "", fmt.Errorf("%w: %q ends in an escape", errExportName, s)
		}
		i++
		switch s[i] {
		case 'Z':
			b.WriteByte('Z')
		case 'h':
			b.WriteByte('-')
		case 'u':
			b.WriteByte('_')
		case 'd':
			b.WriteByte('.')
		case 'x':
			hi, lo := -1, -1
			if i+2 < len(s) {
				hi, lo = upperHex(s[i+1]), upperHex(s[i+2])
			}
			if hi < 0 || lo < 0 {
				return "", fmt.Errorf("%w: %q has a bad byte escape at %d", errExportName, s, i-1)
			}
			v := byte(hi<<4 | lo)
			if enc := exportName(string(v)); !strings.HasPrefix(enc, "Zx") {
				return "", fmt.Errorf("%w: %q escapes %q, which is written %s", errExportName, s, v, enc)
			}
			b.WriteByte(v)
			i += 2
		default:
			return "", fmt.Errorf("%w: %q has an unknown escape Z%c", errExportName, s, s[i])
		}
	}
	return b.String(), nil
}

// upperHex is the value of an upper-case hex digit, or -1.
func upperHex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// Fixed names of the tables, by purpose: CloudFormation logical IDs and
// Terraform resource names.
var tableExportNames = [numPurposes]struct{ cfn, tf string }{
	approvals:  {"ApprovalsTable", "approvals"},
	breakglass: {"BreakGlassTable", "breakglass"},
	sessions:   {"SessionsTable", "sessions"},
	ratelimits: {"RateLimitsTable", "ratelimits"},
}

// Prefixes of the encoded names, by kind of resource.
const (
	cfnPolicyPrefix    = "Policy"
	cfnSignaturePrefix = "Signature"
	cfnIAMPrefix       = "IAM"
	tfPolicyPrefix     = "policy_"
	tfSignaturePrefix  = "signature_"
	tfIAMPrefix        = "iam_"
)
