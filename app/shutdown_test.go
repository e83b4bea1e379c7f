package app_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/attribution/store"
	"github.com/tally-dev/tally/internal/testenv"
)

var binDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// tallyBinary builds cmd/tally once per test run.
func tallyBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "tally-bin-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "tally")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/tally")
		cmd.Dir = ".." // the module root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/tally: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// tallyEnv is the environment of a tally process: this one's without any
// TALLY_* variable, plus vars.
func tallyEnv(vars ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TALLY_") {
			env = append(env, kv)
		}
	}
	return append(env, vars...)
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// setup creates a vendor, a partner and a link directly in the store.
func setup(t *testing.T, st *store.Store) *attribution.Link {
	t.Helper()
	ctx := t.Context()
	nv, err := st.Vendors.CreateVendor(ctx, "Acme", "acme.example")
	if err != nil {
		t.Fatal(err)
	}
	np, err := st.Partners.CreatePartner(ctx, nv.Vendor.ID, "system", attribution.PartnerCreate{Name: "Ada", Email: "ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := st.Links.CreateLink(ctx, nv.Vendor.ID, "system", attribution.LinkCreate{PartnerID: np.Partner.ID, DestinationURL: "https://acme.example/"})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// fireClicks sends n concurrent clicks to base/r/key and calls halfway()
// (once) when `after` of them have been answered with a 302, while the
// others are still in flight. It returns the tally_ref of every 302.
func fireClicks(t *testing.T, base, key string, n, after int, halfway func()) []string {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: n}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport:     tr,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	var (
		mu     sync.Mutex
		tokens []string
		once   sync.Once
		wg     sync.WaitGroup
		start  = make(chan struct{})
		got    atomic.Int64
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req, _ := http.NewRequestWithContext(t.Context(), "GET", base+"/r/"+key, nil)
			req.Header.Set("User-Agent", testenv.BrowserUA)
			resp, err := client.Do(req)
			if err != nil {
				return // refused or cut off by the shutdown: not answered
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusFound {
				return
			}
			u, err := url.Parse(resp.Header.Get("Location"))
			if err != nil {
				t.Errorf("Location: %v", err)
				return
			}
			mu.Lock()
			tokens = append(tokens, u.Query().Get(attribution.RefParam))
			mu.Unlock()
			if got.Add(1) == int64(after) {
				once.Do(halfway)
			}
		}()
	}
	close(start)
	wg.Wait()
	once.Do(halfway) // in case fewer than `after` were answered
	return tokens
}

// checkClicks opens the database afresh and checks that the click of every
// answered token is there, and that there are no other rows.
func checkClicks(t *testing.T, dbURL string, codec *attribution.TokenCodec, tokens []string) {
	t.Helper()
	st, err := store.Open(dbURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ids []string
	if err := st.DB().NewSelect().Table("clicks").Column("id").Scan(t.Context(), &ids); err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, id := range ids {
		stored[id] = true
	}
	missing := 0
	for _, s := range tokens {
		tok, err := codec.Decode(s)
		if err != nil {
			t.Fatalf("answered token does not decode: %v", err)
		}
		if !stored[tok.ClickID] {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d answered clicks are not in the database", missing, len(tokens))
	}
	if len(ids) != len(tokens) {
		t.Errorf("clicks in the database = %d, 302s answered = %d", len(ids), len(tokens))
	}
	t.Logf("%d clicks answered and stored", len(tokens))
}

func TestServe_ShutdownKeepsEveryAnsweredClick(t *testing.T) {
	t.Parallel()
	dbURL := testenv.DatabaseURL(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg := app.Config{DatabaseURL: dbURL, PublicURL: base, ClickMode: "durable"}
	a, err := app.New(t.Context(), cfg, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	l := setup(t, a.Store)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()

	// Cancelling the Serve context is what SIGTERM does in cmd/tally.
	tokens := fireClicks(t, base, l.Key, 200, 50, cancel)
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	a.Close(context.Background())
	if len(tokens) < 50 {
		t.Fatalf("only %d clicks answered", len(tokens))
	}
	checkClicks(t, dbURL, a.Tokens, tokens)
}

func TestApp_KeysSurviveRestart(t *testing.T) {
	t.Parallel()
	dbURL := testenv.DatabaseURL(t)
	cfg := app.Config{DatabaseURL: dbURL}
	a, err := app.New(t.Context(), cfg, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	tok := attribution.ClickToken{ClickID: "clk_1", LinkID: "lnk_1", PartnerID: "par_1", VendorID: "ven_1", ClickedAt: 1768478400}
	s, err := a.Tokens.Encode(tok)
	if err != nil {
		t.Fatal(err)
	}
	a.Close(context.Background())

	b, err := app.New(t.Context(), cfg, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(context.Background())
	if got, err := b.Tokens.Decode(s); err != nil || got != tok {
		t.Fatalf("after a restart the token decodes to %+v, %v", got, err)
	}

	// Another database is another deployment with other keys.
	c, err := app.New(t.Context(), app.Config{DatabaseURL: testenv.DatabaseURL(t)}, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, err := c.Tokens.Decode(s); err == nil {
		t.Fatal("another deployment decodes the token")
	}
}

func TestCLI_VendorCreate(t *testing.T) {
	t.Parallel()
	bin := tallyBinary(t)
	dbURL := testenv.DatabaseURL(t)

	run := func(args ...string) (string, string, error) {
		cmd := exec.CommandContext(t.Context(), bin, args...)
		cmd.Env = tallyEnv("TALLY_DATABASE_URL=" + dbURL)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}

	out, errOut, err := run("vendor", "create", "--name", "Acme Inc", "--domain", "acme.example")
	if err != nil {
		t.Fatalf("vendor create: %v\n%s%s", err, out, errOut)
	}
	fields := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			fields[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	id, secret, public := fields["id"], fields["secret_key"], fields["public_key"]
	if !attribution.ValidID(attribution.PrefixVendor, id) || !strings.HasPrefix(secret, "sk_") || len(secret) < 35 || !strings.HasPrefix(public, "pk_") {
		t.Fatalf("output:\n%s", out)
	}
	if fields["name"] != "Acme Inc" {
		t.Errorf("name = %q", fields["name"])
	}

	st, err := store.Open(dbURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v, err := st.Vendors.VendorBySecretKey(t.Context(), secret)
	if err != nil {
		t.Fatalf("the printed secret key does not authenticate: %v", err)
	}
	if v.ID != id || v.PublicKey != public || v.Name != "Acme Inc" || v.Domain != "acme.example" {
		t.Errorf("stored vendor %+v", v)
	}

	t.Run("Version", func(t *testing.T) {
		out, _, err := run("version")
		if err != nil || !strings.HasPrefix(out, "tally ") || len(strings.TrimSpace(out)) <= len("tally") {
			t.Errorf("version: %q, %v", out, err)
		}
	})
	t.Run("MigrateUpToDate", func(t *testing.T) {
		out, errOut, err := run("migrate")
		if err != nil || !strings.Contains(out, "up to date") {
			t.Errorf("migrate: %q %q %v", out, errOut, err)
		}
	})
	t.Run("NameRequired", func(t *testing.T) {
		_, errOut, err := run("vendor", "create")
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() == 0 || !strings.Contains(errOut, "--name") {
			t.Errorf("vendor create without --name: %v %q", err, errOut)
		}
	})
	t.Run("UnknownCommand", func(t *testing.T) {
		_, errOut, err := run("frobnicate")
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() == 0 || !strings.Contains(errOut, "frobnicate") {
			t.Errorf("unknown command: %v %q", err, errOut)
		}
	})
}

// lockedBuffer collects a process's output safely.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestCLI_ServeSIGTERM(t *testing.T) {
	t.Parallel()
	bin := tallyBinary(t)
	dbURL := testenv.DatabaseURL(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	base := "http://" + addr
	hashKey, blockKey := make([]byte, 64), make([]byte, 32)
	for i := range hashKey {
		hashKey[i] = byte(i * 7)
	}
	for i := range blockKey {
		blockKey[i] = byte(i * 13)
	}
	codec, err := attribution.NewTokenCodec(hashKey, blockKey)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "serve")
	cmd.Env = tallyEnv(
		"TALLY_ADDR="+addr, "TALLY_DATABASE_URL="+dbURL, "TALLY_PUBLIC_URL="+base,
		"TALLY_ADMIN_TOKEN=sigterm-admin", "TALLY_HASH_KEY="+hex.EncodeToString(hashKey),
		"TALLY_BLOCK_KEY="+hex.EncodeToString(blockKey),
	)
	var logs lockedBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if t.Failed() {
			t.Logf("server output:\n%s", logs.String())
		}
	}()

	// Wait until it serves.
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("tally serve exited early: %v", err)
		case <-ctx.Done():
			t.Fatal("tally serve did not start")
		case <-time.After(20 * time.Millisecond):
		}
	}

	call := func(method, path, token, body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	v := call("POST", "/admin/v1/vendors", "sigterm-admin", `{"name": "Acme"}`)
	sk := v["secret_key"].(string)
	p := call("POST", "/v1/partners", sk, `{"name": "Ada", "email": "ada@example.com"}`)
	l := call("POST", "/v1/links", sk, `{"partner_id": "`+p["id"].(string)+`", "destination_url": "https://acme.example/"}`)

	tokens := fireClicks(t, base, l["key"].(string), 200, 50, func() {
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Errorf("SIGTERM: %v", err)
		}
	})
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("tally serve exited with %v after SIGTERM", err)
		}
	case <-ctx.Done():
		t.Fatal("tally serve did not exit after SIGTERM")
	}
	if cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("exit code %d", cmd.ProcessState.ExitCode())
	}
	if len(tokens) < 50 {
		t.Fatalf("only %d clicks answered", len(tokens))
	}
	checkClicks(t, dbURL, codec, tokens)
}
