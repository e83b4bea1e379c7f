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

// Env is a running Tally for one test.
type Env struct {
	T      testing.TB
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
	e := &Env{T: tb, App: a, Server: srv, Clock: clock, logs: logs, client: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	tb.Cleanup(func() {
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
func (e *Env) Do(method, path, token string, body any, headers ...string) *Response {
	e.T.Helper()
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
			e.T.Fatalf("encode body: %v", err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.Server.URL+path, r)
	if err != nil {
		e.T.Fatalf("new request: %v", err)
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
		e.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return &Response{Response: resp, Body: data}
}

// Must fails the test unless the answer has the wanted status.
func (e *Env) Must(want int, r *Response) *Response {
	e.T.Helper()
	if r.StatusCode != want {
		e.T.Fatalf("%s %s: status %d, want %d: %s", r.Request.Method, r.Request.URL.Path, r.StatusCode, want, r.Body)
	}
	return r
}

// LogText returns everything the server logged so far.
func (e *Env) LogText() string { return e.logs.String() }
