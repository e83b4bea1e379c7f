// Package testenv gives each test a fresh database and a running Tally
// behind the real router. TALLY_TEST_DB selects the database: "sqlite"
// (default) or a PostgreSQL URL whose user may create databases; each test
// then gets its own database, dropped when the test ends.
//
// Every helper that can fail takes the running test as its first argument,
// and reports there:
//
//	e := testenv.New(t)
//	v := e.NewVendor(t, "Acme")
//	t.Run("Refused", func(t *testing.T) {
//		e.Must(t, http.StatusNotFound, e.Do(t, "GET", "/v1/links/x", v.SecretKey, nil))
//	})
//
// Inside t.Run pass the subtest's t, so a failure marks that subtest
// failed and its siblings still run. Env keeps no testing.TB: the test
// given to New only owns the server's and database's cleanup. Test helpers
// that call these follow the same rule: the test comes first.
package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/app"
)

// AdminToken is the admin token of every test server.
const AdminToken = "test-admin-token"

// Env is a running Tally for one test. It keeps no testing.TB: every
// helper that can fail takes the running test as its first argument.
type Env struct {
	App    *app.App
	Server *httptest.Server
	Clock  *Clock
	logs   *lockedWriter
	client *http.Client
}

// Option adjusts the configuration before start.
type Option func(*app.Config)

// New starts Tally on a fresh database behind an httptest server. The clock
// starts at 2026-01-15 12:00:00 UTC.
func New(tb testing.TB, opts ...Option) *Env {
	tb.Helper()
	clock := NewClock(time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC))
	cfg := app.Config{
		DatabaseURL: DatabaseURL(tb),
		AdminToken:  AdminToken,
		Clock:       clock.Now,
		ClickWait:   5 * time.Second,
		LogLevel:    "debug",
	}
	srv := httptest.NewUnstartedServer(nil)
	cfg.PublicURL = "http://" + srv.Listener.Addr().String()
	for _, o := range opts {
		o(&cfg)
	}
	logs := &lockedWriter{w: &bytes.Buffer{}}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := app.New(context.Background(), cfg, logger)
	if err != nil {
		tb.Fatalf("start tally: %v", err)
	}
	srv.Config.Handler = a.Handler()
	srv.Start()
	e := &Env{App: a, Server: srv, Clock: clock, logs: logs, client: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	tb.Cleanup(func() {
		a.EndStreams() // a browser's open live feed must not hold srv.Close
		srv.Close()
		a.Close(context.Background())
	})
	return e
}

// URL returns the server's base URL.
func (e *Env) URL() string { return e.Server.URL }

// Response is an answer with its body read.
type Response struct {
	*http.Response
	Body []byte
}

// JSON decodes the body into v, failing the test on error.
func (r *Response) JSON(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r *Response) Map(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	r.JSON(tb, &m)
	return m
}

// ErrorCode returns error.code of an error answer.
func (r *Response) ErrorCode() string {
	var b struct {
		Error struct{ Code string } `json:"error"`
	}
	json.Unmarshal(r.Body, &b)
	return b.Error.Code
}

// Do sends a request. body may be nil, a string or []byte (sent as is), or
// any value (sent as JSON). token, when set, goes in Authorization: Bearer.
func (e *Env) Do(tb testing.TB, method, path, token string, body any, headers ...string) *Response {
	tb.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			tb.Fatalf("encode body: %v", err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.Server.URL+path, r)
	if err != nil {
		tb.Fatalf("new request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return &Response{Response: resp, Body: data}
}

// Must fails the test unless the answer has the wanted status.
func (e *Env) Must(tb testing.TB, want int, r *Response) *Response {
	tb.Helper()
	if r.StatusCode != want {
		tb.Fatalf("%s %s: status %d, want %d: %s", r.Request.Method, r.Request.URL.Path, r.StatusCode, want, r.Body)
	}
	return r
}

// LogText returns everything the server logged so far.
func (e *Env) LogText() string { return e.logs.String() }
