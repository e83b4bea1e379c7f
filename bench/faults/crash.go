package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// runCrash: instances A and B on one database. Redirects at crashRate/s go
// to A; webhooks (crashHookRate/s) and signups (half that) alternate
// between A and B. A is killed with SIGKILL crashAfter into the run; the
// traffic meant for A then fails (not acknowledged), B goes on. Afterwards:
// every acknowledged click, signup and webhook is in the database, once;
// Stripe-style redelivery (to B) of what was not acknowledged applies each
// event once.
func runCrash(cfg config) (string, bool) {
	logf("crash: %d redirects/s + %d webhooks/s + %d signups/s for %s, kill -9 of A after %s",
		cfg.crashRate, cfg.crashHookRate, cfg.crashHookRate/2, cfg.crashDur, cfg.crashAfter)
	dbURL, db := freshDB(cfg, "tally_faults_crash")
	defer dropDB(cfg, "tally_faults_crash", db)
	a := startTally(cfg, "crash-A", cfg.port, dbURL)
	b := startTally(cfg, "crash-B", cfg.port+1, dbURL)
	defer b.stop()
	s := seedShop(a.base, 100)
	_, ref, err := clickToken(b.base, s.keys[0])
	if err != nil || ref == "" {
		fatal("crash: no token: %v", err)
	}
	for _, k := range s.keys { // warm A's link cache, as in production
		clickToken(a.base, k)
	}
	rowsBefore := count(db, "SELECT count(*) FROM clicks")

	tc := codec()
	var mu sync.Mutex
	var clickIDs []string
	ackedSignups := map[string]bool{}
	ackedEvents := map[string]bool{}
	events := map[string][]byte{}
	red, hooks, signs := newStats(), newStats(), newStats()
	ctx := context.Background()
	var wg sync.WaitGroup
	killedAt := time.Time{}
	wg.Add(4)
	go func() {
		defer wg.Done()
		time.Sleep(cfg.crashAfter)
		logf("crash: kill -9 A (pid %d)", a.cmd.Process.Pid)
		mu.Lock()
		killedAt = time.Now()
		mu.Unlock()
		a.kill9()
	}()
	go func() {
		defer wg.Done()
		pace(ctx, cfg.crashRate, cfg.crashDur, func(i int, at time.Time) {
			code, tok, err := clickToken(a.base, s.keys[i%len(s.keys)])
			red.add(code, err, at)
			if code == 302 && tok != "" {
				ct, err := tc.Decode(tok)
				if err != nil {
					fatal("answered token does not decode: %v", err)
				}
				mu.Lock()
				clickIDs = append(clickIDs, ct.ClickID)
				mu.Unlock()
			}
		})
	}()
	go func() {
		defer wg.Done()
		pace(ctx, cfg.crashHookRate, cfg.crashDur, func(i int, at time.Time) {
			inst := a
			if i%2 == 1 {
				inst = b
			}
			id := fmt.Sprintf("evt_crash_%d", i)
			payload := stripeEvent(id, "checkout.session.completed", checkout(fmt.Sprintf("cs_crash_%d", i), 5000, ref, fmt.Sprintf("buyer%d@example.com", i)))
			code, _, _, err := do("POST", inst.base+"/webhooks/stripe/"+s.vendorID, "", payload, "Stripe-Signature", sign(payload, whsec, time.Now()))
			hooks.add(code, err, at)
			mu.Lock()
			events[id] = payload
			if code == 200 {
				ackedEvents[id] = true
			}
			mu.Unlock()
		})
	}()
	go func() {
		defer wg.Done()
		pace(ctx, max(1, cfg.crashHookRate/2), cfg.crashDur, func(i int, at time.Time) {
			inst := a
			if i%2 == 1 {
				inst = b
			}
			ext := fmt.Sprintf("crash%d", i)
			code, _, _, err := do("POST", inst.base+"/v1/signups", s.secretKey, []byte(fmt.Sprintf(`{"ref":%q,"email":"%s@example.com","external_id":%q}`, ref, ext, ext)))
			signs.add(code, err, at)
			if code == 200 || code == 201 {
				mu.Lock()
				ackedSignups[ext] = true
				mu.Unlock()
			}
		})
	}()
	wg.Wait()
	logf("crash: traffic over; checking")

	// Acknowledged clicks: every 302's click id is stored.
	stored := map[string]bool{}
	rows, err := db.Query("SELECT id FROM clicks")
	if err != nil {
		fatal("%v", err)
	}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		stored[id] = true
	}
	rows.Close()
	lostClicks := 0
	for _, id := range clickIDs {
		if !stored[id] {
			lostClicks++
		}
	}
	clickRows := int64(len(stored)) - rowsBefore
	lostSignups := 0
	for ext := range ackedSignups {
		if count(db, "SELECT count(*) FROM customers WHERE vendor_id = $1 AND external_id = $2", s.vendorID, ext) != 1 {
			lostSignups++
		}
	}
	lostEvents := 0
	for id := range ackedEvents {
		if count(db, "SELECT count(*) FROM stripe_events WHERE vendor_id = $1 AND id = $2", s.vendorID, id) != 1 {
			lostEvents++
		}
	}
	// Stripe redelivers what was not acknowledged; deliver everything again to B.
	redeliveredApplied, dupWrong := 0, 0
	for id, payload := range events {
		code, body, _, err := do("POST", b.base+"/webhooks/stripe/"+s.vendorID, "", payload, "Stripe-Signature", sign(payload, whsec, time.Now()))
		if err != nil || code != 200 {
			fatal("redelivery of %s: %d %v %s", id, code, err, body)
		}
		dup := strings.Contains(string(body), `"duplicate"`)
		if ackedEvents[id] && !dup {
			dupWrong++
		}
		if !dup {
			redeliveredApplied++
		}
	}
	waitQueueEmpty(db) // events acknowledged as queued (on A too) are applied by B's worker
	evRows := count(db, "SELECT count(*) FROM stripe_events WHERE vendor_id = $1", s.vendorID)
	purchases := count(db, "SELECT count(*) FROM purchases WHERE vendor_id = $1", s.vendorID)
	rewardSum := count(db, "SELECT COALESCE(SUM(amount), 0) FROM rewards WHERE vendor_id = $1", s.vendorID)
	dupCustomers := count(db, "SELECT count(*) - count(DISTINCT external_id) FROM customers WHERE vendor_id = $1 AND external_id <> ''", s.vendorID)
	halfSignups := count(db, "SELECT count(*) FROM customers c WHERE c.vendor_id = $1 AND c.external_id LIKE 'crash%' AND NOT EXISTS (SELECT 1 FROM signups s WHERE s.customer_id = c.id)", s.vendorID)

	var sb strings.Builder
	fmt.Fprintf(&sb, "### Crash: `kill -9` of one of two instances\n\nInstances A and B on one database. For %s: redirects at %d/s to A (100 links, cache warm), Stripe webhooks at %d/s and signups at %d/s alternating between A and B. A was killed with SIGKILL %s in; what was meant for A afterwards got no answer (the load balancer's health check would take A out). %s.\n\n",
		cfg.crashDur, cfg.crashRate, cfg.crashHookRate, cfg.crashHookRate/2, cfg.crashAfter, machine())
	sb.WriteString(statsHeader + "\n" + red.row("redirects (A)") + "\n" + hooks.row("webhooks (A+B)") + "\n" + signs.row("signups (A+B)") + "\n")
	cs := []check{
		{"no acknowledged click lost", fmt.Sprintf("%d 302s answered, %d click rows added, %d answered clicks missing", len(clickIDs), clickRows, lostClicks), lostClicks == 0},
		{"no acknowledged signup lost; one customer per external_id; none half-written", fmt.Sprintf("%d acknowledged, %d missing, %d duplicated, %d without their signup row", len(ackedSignups), lostSignups, dupCustomers, halfSignups), lostSignups == 0 && dupCustomers == 0 && halfSignups == 0},
		{"no acknowledged webhook lost", fmt.Sprintf("%d acknowledged, %d missing", len(ackedEvents), lostEvents), lostEvents == 0},
		{"redelivery of every event (to B) applies each exactly once", fmt.Sprintf("%d events, %d applied on redelivery (not acknowledged before), %d acknowledged ones applied again; stripe_events %d, purchases %d, rewards %d (want %d)",
			len(events), redeliveredApplied, dupWrong, evRows, purchases, rewardSum, int64(len(events))*500), dupWrong == 0 && evRows == int64(len(events)) && purchases == int64(len(events)) && rewardSum == int64(len(events))*500},
	}
	tbl, ok := checksTable(cs)
	sb.WriteString("\nClick rows above the 302s answered are clicks committed whose answer had not left A when it died: harmless (unique ids; that visitor got no token).\n\n" + tbl)
	_ = killedAt
	return sb.String(), ok
}
