// Package subtests fails on purpose: TestEnv_FailureStaysInItsSubtest in
// internal/testenv runs it in a child go test and reads where the failure
// landed. It lives under testdata so ./... never runs it.
package subtests

import (
	"net/http"
	"os"
	"testing"

	"github.com/tally-dev/tally/internal/testenv"
)

// TestSubtests shares one Env between two subtests; the first one's
// helper fails when TESTENV_SUBTESTS_CHILD=1.
func TestSubtests(t *testing.T) {
	want := http.StatusOK
	if os.Getenv("TESTENV_SUBTESTS_CHILD") == "1" {
		want = http.StatusTeapot
	}
	e := testenv.New(t)
	t.Run("first", func(t *testing.T) {
		e.Must(t, want, e.Do(t, "GET", "/healthz", "", nil)) // the failing line
	})
	t.Run("second", func(t *testing.T) {
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/healthz", "", nil))
	})
}
