package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution/store"
	"github.com/tally-dev/tally/internal/testenv"
)

// TestWebhooks_KillDuringABurst: tally serve is killed (SIGKILL) while
// 1,000 partner creations are under way; after a restart on the same
// database, every committed creation's partner.created reaches the
// receiver at least once, and no event names a partner that was never
// committed.
func TestWebhooks_KillDuringABurst(t *testing.T) {
	t.Parallel()
	bin := tallyBinary(t)
	dbURL := testenv.DatabaseURL(t)

	var (
		mu       sync.Mutex
		received = map[string]bool{} // partner ids of partner.created events
	)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		body, _ := io.ReadAll(r.Body)
		if json.Unmarshal(body, &ev) == nil && ev.Type == "partner.created" {
			id, _ := ev.Data["id"].(string)
			mu.Lock()
			received[id] = true
			mu.Unlock()
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	base := "http://" + addr
	ctx, cancel := context.WithTimeout(t.Context(), 6*time.Minute)
	defer cancel()
	env := tallyEnv("TALLY_ADDR="+addr, "TALLY_DATABASE_URL="+dbURL, "TALLY_PUBLIC_URL="+base,
		"TALLY_ADMIN_TOKEN=kill-admin", "TALLY_CHECK_ALLOW_PRIVATE=true", "TALLY_LOG_LEVEL=warn")
	start := func() *exec.Cmd {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, "serve")
		cmd.Env = env
		var logs lockedBuffer
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
			if t.Failed() {
				t.Logf("server output:\n%s", logs.String())
			}
		})
		for {
			if resp, err := http.Get(base + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return cmd
				}
			}
			select {
			case <-ctx.Done():
				t.Fatal("tally serve did not start")
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	call := func(method, path, token, body string) (int, map[string]any) {
		req, _ := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil // cut off by the kill: not answered
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}

	cmd := start()
	code, v := call("POST", "/admin/v1/vendors", "kill-admin", `{"name": "Acme"}`)
	if code != http.StatusCreated {
		t.Fatalf("vendor: %d %v", code, v)
	}
	sk := v["secret_key"].(string)
	if code, m := call("POST", "/v1/webhook_endpoints", sk, `{"url": "`+rcv.URL+`", "events": ["partner.created"]}`); code != http.StatusCreated {
		t.Fatalf("endpoint: %d %v", code, m)
	}

	const n, killAfter = 1000, 300
	var (
		answered atomic.Int64
		once     sync.Once
		wg       sync.WaitGroup
		idsMu    sync.Mutex
		ids      []string // partners whose creation was answered 201
		next     atomic.Int64
	)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > n {
					return
				}
				code, m := call("POST", "/v1/partners", sk, fmt.Sprintf(`{"name": "P%d", "email": "p%d@partner.example"}`, i, i))
				if code != http.StatusCreated {
					continue
				}
				idsMu.Lock()
				ids = append(ids, m["id"].(string))
				idsMu.Unlock()
				if answered.Add(1) == killAfter {
					once.Do(func() { cmd.Process.Kill() })
				}
			}
		}()
	}
	wg.Wait()
	cmd.Wait()
	if len(ids) < killAfter {
		t.Fatalf("only %d creations answered before the kill", len(ids))
	}

	start()                                     // the same database: the outbox is still there
	deadline := time.Now().Add(3 * time.Minute) // the killed instance's claims wait for their lease (hookworker.Lease)
	for {
		mu.Lock()
		missing := 0
		for _, id := range ids {
			if !received[id] {
				missing++
			}
		}
		mu.Unlock()
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d answered creations never reached the receiver", missing, len(ids))
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Nothing for a partner that does not exist: every event names a
	// committed partner.
	st, err := store.Open(dbURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	time.Sleep(1500 * time.Millisecond) // late deliveries
	mu.Lock()
	defer mu.Unlock()
	for id := range received {
		var k int
		if err := st.DB().NewSelect().TableExpr("partners").ColumnExpr("COUNT(*)").Where("id = ?", id).Scan(context.Background(), &k); err != nil {
			t.Fatal(err)
		}
		if k != 1 {
			t.Errorf("an event names partner %s, which was never committed", id)
		}
	}
	t.Logf("%d creations answered before and around the kill; %d partner.created received", len(ids), len(received))
}
