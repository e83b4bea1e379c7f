package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tally-dev/tally/internal/testenv"
)

// TestMail_KillAfterABatch: tally serve is killed (SIGKILL) right after a
// burst of actions that each queue an email (vendors created with an
// owner, each owner emailed a setup link); after a restart on the same
// database every queued email reaches the SMTP server, each Message-ID
// once unless its send was cut short by the kill.
func TestMail_KillAfterABatch(t *testing.T) {
	t.Parallel()
	bin := tallyBinary(t)
	dbURL := testenv.DatabaseURL(t)
	sink := testenv.NewSMTPSink(t)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	base := "http://" + addr
	ctx, cancel := context.WithTimeout(t.Context(), 9*time.Minute)
	defer cancel()
	env := tallyEnv("TALLY_ADDR="+addr, "TALLY_DATABASE_URL="+dbURL, "TALLY_PUBLIC_URL="+base,
		"TALLY_ADMIN_TOKEN=kill-admin", "TALLY_SMTP_URL="+sink.URL(), "TALLY_MAIL_FROM="+testenv.MailFrom, "TALLY_LOG_LEVEL=warn")
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

	cmd := start()
	const n = 60
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		owners []string // owners whose vendor creation was answered 201
		next   atomic.Int64
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > n {
					return
				}
				email := fmt.Sprintf("owner%d@vendor.example", i)
				req, _ := http.NewRequestWithContext(ctx, "POST", base+"/admin/v1/vendors",
					strings.NewReader(fmt.Sprintf(`{"name": "Shop %d", "owner_email": %q}`, i, email)))
				req.Header.Set("Authorization", "Bearer kill-admin")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					continue
				}
				var v map[string]any
				json.NewDecoder(resp.Body).Decode(&v)
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					mu.Lock()
					owners = append(owners, email)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	cmd.Process.Kill() // just after the batch: most emails are still in the outbox
	cmd.Wait()
	if len(owners) != n {
		t.Fatalf("%d of %d vendor creations answered", len(owners), n)
	}

	start()
	deadline := time.Now().Add(mailerLeaseWait)
	for {
		got := map[string]bool{}
		for _, m := range sink.Messages() {
			got[strings.Trim(m.To, "<> ")] = true
		}
		missing := 0
		for _, o := range owners {
			if !got[o] {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d queued emails never arrived", missing, len(owners))
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // late duplicates
	ids := map[string]int{}
	for _, m := range sink.Messages() {
		ids[m.MessageID]++
	}
	twice := 0
	for id, k := range ids {
		if k > 1 {
			twice++
			t.Logf("%s arrived %d times", id, k)
		}
	}
	// Only a message whose send the kill cut short may arrive twice: at
	// most one SMTP session was open, holding at most one message.
	if twice > 1 {
		t.Errorf("%d messages arrived twice", twice)
	}
}

// mailerLeaseWait bounds the wait for a killed instance's claimed emails:
// another instance sends them once their lease (mailer.Lease) ends.
const mailerLeaseWait = 6 * time.Minute
