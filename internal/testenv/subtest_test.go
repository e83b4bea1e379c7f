package testenv_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"
)

// testEvent is one line of go test -json.
type testEvent struct {
	Action string
	Test   string
	Output string
}

// TestEnv_FailureStaysInItsSubtest runs testdata/subtests in a child go test
// where the first of two subtests sharing one Env fails through e.Must. The
// failure must be reported in that subtest, at the test's own line, and the
// second subtest must still run and pass. When Env kept the parent's test,
// the message landed on the parent and the second subtest never ran.
func TestEnv_FailureStaysInItsSubtest(t *testing.T) {
	t.Parallel()
	args := []string{"test", "-json", "-count=1", "-run", "^TestSubtests$"}
	if builtWithRace() {
		args = append(args, "-race") // same build as ours: the packages are cached
	}
	cmd := exec.CommandContext(t.Context(), "go", append(args, "./testdata/subtests")...)
	cmd.Env = append(os.Environ(), "TESTENV_SUBTESTS_CHILD=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("child go test: want a failing run, got %v\n%s%s", err, stderr.Bytes(), out)
	}

	result := map[string]string{}   // test name -> pass or fail
	output := map[string][]string{} // test name -> its output lines
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var ev testEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("child output is not go test -json: %q: %v\n%s", sc.Bytes(), err, stderr.Bytes())
		}
		switch ev.Action {
		case "pass", "fail":
			result[ev.Test] = ev.Action
		case "output":
			output[ev.Test] = append(output[ev.Test], ev.Output)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if result["TestSubtests/first"] != "fail" {
		t.Errorf("TestSubtests/first: %q, want fail", result["TestSubtests/first"])
	}
	if result["TestSubtests/second"] != "pass" {
		t.Errorf("TestSubtests/second: %q, want pass (it must run after its sibling failed)", result["TestSubtests/second"])
	}
	if result["TestSubtests"] != "fail" {
		t.Errorf("TestSubtests: %q, want fail (a failed subtest fails its parent)", result["TestSubtests"])
	}
	first := strings.Join(output["TestSubtests/first"], "")
	if !strings.Contains(first, "subtests_test.go:") || !strings.Contains(first, "GET /healthz: status 200, want 418") {
		t.Errorf("TestSubtests/first does not report Must's failure at the test's line:\n%s", first)
	}
	if parent := strings.Join(output["TestSubtests"], ""); strings.Contains(parent, "want 418") {
		t.Errorf("the failure was reported on the parent test:\n%s", parent)
	}
	if bytes.Contains(out, []byte("FailNow on a parent test")) {
		t.Errorf("a helper called FailNow on the parent test")
	}
	if t.Failed() {
		t.Logf("child go test:\n%s%s", out, stderr.Bytes())
	}
}

// builtWithRace reports whether this test binary has the race detector.
func builtWithRace() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}
