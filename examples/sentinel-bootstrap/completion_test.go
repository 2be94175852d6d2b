package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// writeScript writes the command's completion script for shell into dir.
func writeScript(t *testing.T, shell string) string {
	t.Helper()
	r := runBinary(t, nil, "completion", shell)
	r.wantCode(t, 0)
	path := filepath.Join(t.TempDir(), "completion."+shell)
	if err := os.WriteFile(path, []byte(r.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// awsConfigWithProfiles is an AWS config file with the profiles default
// and team.
func awsConfigWithProfiles(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte("[default]\nregion = us-east-1\n\n[profile team]\nregion = eu-west-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBashCompletion runs the bash script's completion function on
// partial command lines.
func TestBashCompletion(t *testing.T) {
	t.Parallel()
	script := writeScript(t, "bash")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dev.yaml"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	conf := awsConfigWithProfiles(t)
	for _, tc := range []struct {
		words []string // the last one is being completed
		want  []string
	}{
		{[]string{"--js"}, []string{"--json"}},
		{[]string{"--with-"}, []string{"--with-approvals", "--with-breakglass", "--with-sessions", "--with-rate-limits", "--with-device-index"}},
		{[]string{"--profile", "dev", "--detailed"}, []string{"--detailed-exitcode"}},
		{[]string{"comp"}, []string{"completion"}},
		{[]string{""}, []string{"help", "version", "completion"}},
		{[]string{"completion", ""}, []string{"bash", "zsh", "fish"}},
		{[]string{"--aws-profile", ""}, []string{"default", "team"}},
		{[]string{"--policy-file", "dev=" + dir + "/d"}, []string{"dev=" + dir + "/dev.yaml"}},
		{[]string{"--region", ""}, nil},
	} {
		words := append([]string{progName}, tc.words...)
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = shellQuote(w)
		}
		prog := "source " + shellQuote(script) + "\nCOMP_WORDS=(" + strings.Join(quoted, " ") + ")\nCOMP_CWORD=" +
			strconv.Itoa(len(words)-1) + "\n_sentinel_bootstrap\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
		cmd := exec.Command("bash", "-c", prog)
		cmd.Env = append(os.Environ(), "AWS_CONFIG_FILE="+conf)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%q: %v\n%s", tc.words, err, out)
		}
		got := strings.Fields(string(out))
		if !slices.Equal(got, tc.want) {
			t.Errorf("completing %q: %q, want %q", tc.words, got, tc.want)
		}
	}
}

// TestZshAndFishCompletion: both scripts offer every flag with its help,
// the command words and the shells; where the shells are installed, they
// parse the scripts, and fish completes with them.
func TestZshAndFishCompletion(t *testing.T) {
	t.Parallel()
	defs := (&cli{}).flags()
	zsh := completionScript("zsh", defs)
	fish := completionScript("fish", defs)
	for _, d := range defs {
		wantContains(t, zsh, "--"+d.name)
		wantContains(t, fish, " -l "+d.name+" ")
	}
	wantContains(t, zsh, "#compdef sentinel-bootstrap", "compdef _sentinel_bootstrap sentinel-bootstrap", "_values command help version completion", "_values shell bash zsh fish",
		"'*--profile=[", "'(-y --yes)'{-y,--yes}'[apply without asking]'", `encrypt with this KMS key\: key ID`)
	wantContains(t, fish, "complete -c sentinel-bootstrap -l yes -s y -d 'apply without asking'", "-a 'help version completion'", "-a 'bash zsh fish'")

	if _, err := exec.LookPath("zsh"); err == nil {
		path := writeScript(t, "zsh")
		if out, err := exec.Command("zsh", "-n", path).CombinedOutput(); err != nil {
			t.Errorf("zsh -n: %v\n%s", err, out)
		}
	} else {
		t.Log("zsh is not installed: its script is checked as text only")
	}
	if _, err := exec.LookPath("fish"); err == nil {
		path := writeScript(t, "fish")
		cmd := exec.Command("fish", "--no-config", "-c", "source "+shellQuote(path)+
			"; complete -C 'sentinel-bootstrap --js'; complete -C 'sentinel-bootstrap completion '; complete -C 'sentinel-bootstrap --aws-profile '")
		cmd.Env = append(os.Environ(), "AWS_CONFIG_FILE="+awsConfigWithProfiles(t))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("fish: %v\n%s", err, out)
		}
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			got = append(got, strings.SplitN(l, "\t", 2)[0])
		}
		if want := []string{"--json", "bash", "fish", "zsh", "default", "team"}; !slices.Equal(got, want) {
			t.Errorf("fish completes %q, want %q", got, want)
		}
	} else {
		t.Log("fish is not installed: its script is checked as text only")
	}
}
