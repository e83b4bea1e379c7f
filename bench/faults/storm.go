package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// stormSend is one request of the storm.
type stormSend struct {
	kind    string // checkout, invoice, customer, dup, stale, badsig
	id      string
	payload []byte
}

// runStorm: a webhook storm on one instance. Every payload is a real Stripe
// event signed as Stripe signs it; the mix is drawn from a fixed seed.
func runStorm(cfg config) (string, bool) {
	logf("storm: %d events/s for %s", cfg.stormRate, cfg.stormDur)
	dbURL, db := freshDB(cfg, "tally_faults_storm")
	defer dropDB(cfg, "tally_faults_storm", db)
	a := startTally(cfg, "storm", cfg.port, dbURL)
	defer a.stop()
	s := seedShop(a.base, 1)
	_, ref, err := clickToken(a.base, s.keys[0])
	if err != nil || ref == "" {
		fatal("storm: no token: %v", err)
	}

	// The schedule: 20 % duplicates, ~10 % of sends in reordered pairs
	// (invoice.paid of a Stripe customer before its customer.created), 1 %
	// stale timestamps, 1 % bad signatures, the rest new checkouts.
	rng := rand.New(rand.NewPCG(6, 6))
	slots := int(float64(cfg.stormRate) * cfg.stormDur.Seconds())
	var sends []stormSend
	var valid []int // indexes of sends that are unique valid events
	var expectReward int64
	pairs := 0
	for len(sends) < slots {
		r := rng.Float64()
		n := len(sends)
		switch {
		case r < 0.20 && len(valid) > 0:
			o := sends[valid[rng.IntN(len(valid))]]
			sends = append(sends, stormSend{kind: "dup", id: o.id, payload: o.payload})
		case r < 0.25:
			k := pairs
			pairs++
			amount := int64(2000 + (k%50)*10)
			expectReward += amount / 10
			inv := map[string]any{
				"id": fmt.Sprintf("in_storm_%d", k), "object": "invoice", "amount_paid": amount, "currency": "usd",
				"customer": fmt.Sprintf("cus_storm_%d", k), "status": "paid", "billing_reason": "subscription_create",
				"charge": fmt.Sprintf("ch_storm_%d", k), "payment_intent": fmt.Sprintf("pi_in_storm_%d", k),
			}
			cus := map[string]any{"id": fmt.Sprintf("cus_storm_%d", k), "object": "customer", "email": fmt.Sprintf("pair%d@example.com", k)}
			sends = append(sends,
				stormSend{kind: "invoice", id: fmt.Sprintf("evt_storm_inv_%d", k), payload: stripeEvent(fmt.Sprintf("evt_storm_inv_%d", k), "invoice.paid", inv)},
				stormSend{kind: "customer", id: fmt.Sprintf("evt_storm_cus_%d", k), payload: stripeEvent(fmt.Sprintf("evt_storm_cus_%d", k), "customer.created", cus)})
			valid = append(valid, n, n+1)
		case r < 0.26:
			id := fmt.Sprintf("evt_storm_stale_%d", n)
			sends = append(sends, stormSend{kind: "stale", id: id, payload: stripeEvent(id, "checkout.session.completed", checkout("cs_stale_"+id, 1000, ref, "stale@example.com"))})
		case r < 0.27:
			id := fmt.Sprintf("evt_storm_bad_%d", n)
			sends = append(sends, stormSend{kind: "badsig", id: id, payload: stripeEvent(id, "checkout.session.completed", checkout("cs_bad_"+id, 1000, ref, "bad@example.com"))})
		default:
			amount := int64(1000 + (n%97)*10)
			expectReward += amount / 10
			id := fmt.Sprintf("evt_storm_%d", n)
			sends = append(sends, stormSend{kind: "checkout", id: id, payload: stripeEvent(id, "checkout.session.completed",
				checkout(fmt.Sprintf("cs_storm_%d", n), amount, ref, fmt.Sprintf("buyer%d@example.com", n)))})
			valid = append(valid, n)
		}
	}
	// The customers of the pairs signed up earlier, through a referral click.
	logf("storm: %d sends, %d pair customers to sign up first", len(sends), pairs)
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range jobs {
				mustJSON("POST", a.base+"/v1/signups", s.secretKey, map[string]string{"ref": ref, "email": fmt.Sprintf("pair%d@example.com", k), "external_id": fmt.Sprintf("pair%d", k)}, 201, nil)
			}
		}()
	}
	for k := range pairs {
		jobs <- k
	}
	close(jobs)
	wg.Wait()

	kinds := []string{"checkout", "invoice", "customer", "dup", "stale", "badsig"}
	st := map[string]*stats{"all": newStats()}
	for _, k := range kinds {
		st[k] = newStats()
	}
	wrong := map[string]int{}
	var mu sync.Mutex
	url := a.base + "/webhooks/stripe/" + s.vendorID
	ackCodes := make([]int, len(sends))
	var queuedAcks atomic.Int64 // answered 2xx with outcome "queued": applied by the worker after
	start := time.Now()
	pace(context.Background(), cfg.stormRate, time.Duration(len(sends))*time.Second/time.Duration(cfg.stormRate), func(i int, at time.Time) {
		snd := sends[i]
		ts, secret := time.Now(), whsec
		switch snd.kind {
		case "stale":
			ts = ts.Add(-10 * time.Minute)
		case "badsig":
			secret = "whsec_not_the_vendors_secret"
		}
		code, body, _, err := do("POST", url, "", snd.payload, "Stripe-Signature", sign(snd.payload, secret, ts))
		ackCodes[i] = code
		if code == http.StatusOK && strings.Contains(string(body), `"outcome":"queued"`) {
			queuedAcks.Add(1)
		}
		st[snd.kind].add(code, err, at)
		st["all"].add(code, err, at)
		ok := code >= 200 && code < 300
		if snd.kind == "stale" || snd.kind == "badsig" {
			ok = code >= 400 && code < 500
		}
		if !ok {
			mu.Lock()
			wrong[fmt.Sprintf("%s answered %d %s", snd.kind, code, strings.TrimSpace(string(body)))]++
			mu.Unlock()
		}
	})
	elapsed := time.Since(start)
	time.Sleep(time.Second)
	// Stripe redelivers every event it got no 2xx for: do the same, 8 at a
	// time, for the unique valid events none of whose sends was acknowledged.
	acked := map[string]bool{}
	for i, c := range ackCodes {
		if c >= 200 && c < 300 {
			acked[sends[i].id] = true
		}
	}
	var redo []int
	for _, i := range valid {
		if !acked[sends[i].id] {
			redo = append(redo, i)
		}
	}
	redoCh := make(chan int)
	var redoFail atomic.Int64
	var rwg sync.WaitGroup
	for range 8 {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			for i := range redoCh {
				code, _, _, err := do("POST", url, "", sends[i].payload, "Stripe-Signature", sign(sends[i].payload, whsec, time.Now()))
				if err != nil || code != 200 {
					redoFail.Add(1)
				}
			}
		}()
	}
	for _, i := range redo {
		redoCh <- i
	}
	close(redoCh)
	rwg.Wait()

	// Events acknowledged as queued are applied by the background worker:
	// wait until the queue is empty before counting what they did.
	waitQueueEmpty(db)
	drained := time.Since(start)

	uniqueValid := int64(len(valid))
	events := count(db, "SELECT count(*) FROM stripe_events WHERE vendor_id = $1", s.vendorID)
	purchases := count(db, "SELECT count(*) FROM purchases WHERE vendor_id = $1", s.vendorID)
	wantPurchases := int64(st["checkout"].n() + st["invoice"].n())
	rewards := count(db, "SELECT COALESCE(SUM(amount), 0) FROM rewards WHERE vendor_id = $1", s.vendorID)
	rewardRows := count(db, "SELECT count(*) FROM rewards WHERE vendor_id = $1", s.vendorID)
	unattributed := count(db, "SELECT count(*) FROM purchases WHERE vendor_id = $1 AND partner_id = ''", s.vendorID)
	dupPurchases := count(db, "SELECT count(*) - count(DISTINCT stripe_ref) FROM purchases WHERE vendor_id = $1", s.vendorID)

	var b strings.Builder
	fmt.Fprintf(&b, "### Webhook storm\n\n%d signed events sent at %d/s (%s, achieved %.0f/s) to one instance: ", len(sends), cfg.stormRate, elapsed.Round(time.Millisecond), float64(len(sends))/elapsed.Seconds())
	fmt.Fprintf(&b, "%d new checkouts, %d reordered pairs (invoice.paid of a Stripe customer sent before its customer.created; the customer signed up earlier through a referral click), %d duplicates (%.1f %%), %d stale timestamps (%.1f %%), %d bad signatures (%.1f %%). Latency is measured from each request's intended send time (open loop). %s.\n\n",
		st["checkout"].n(), pairs, st["dup"].n(), 100*float64(st["dup"].n())/float64(len(sends)), st["stale"].n(), 100*float64(st["stale"].n())/float64(len(sends)), st["badsig"].n(), 100*float64(st["badsig"].n())/float64(len(sends)), machine())
	fmt.Fprintf(&b, "%d of the 2xx answers were `queued` (stored, then applied by the background worker); every event had been applied %s after the first send (%.0f events/s applied end to end).\n\n",
		queuedAcks.Load(), drained.Round(100*time.Millisecond), float64(len(valid))/drained.Seconds())
	b.WriteString(statsHeader + "\n")
	for _, k := range append([]string{"all"}, kinds...) {
		b.WriteString(st[k].row(k) + "\n")
	}
	var wrongs []string
	for w, n := range wrong {
		wrongs = append(wrongs, fmt.Sprintf("%d × %s", n, w))
	}
	cs := []check{
		{"during the storm: every unique valid event and every duplicate answered 2xx; stale and bad signatures 4xx", fmt.Sprintf("%d kinds of unexpected answers %s", len(wrongs), strings.Join(wrongs, "; ")), len(wrongs) == 0},
		{"after the storm, Stripe-style redelivery of the valid events never acknowledged", fmt.Sprintf("%d redelivered, %d not answered 200", len(redo), redoFail.Load()), redoFail.Load() == 0},
		{"stripe_events rows == unique valid events", fmt.Sprintf("%d rows, %d unique valid events", events, uniqueValid), events == uniqueValid},
		{"purchases == checkouts + invoices, none twice", fmt.Sprintf("%d purchases, %d sent, %d duplicated", purchases, wantPurchases, dupPurchases), purchases == wantPurchases && dupPurchases == 0},
		{"rewards total == hand-computed (10 % of every purchase, reordered ones included)", fmt.Sprintf("%d in %d rewards; expected %d", rewards, rewardRows, expectReward), rewards == expectReward},
		{"no purchase left unattributed (each invoice found its customer once customer.created came)", fmt.Sprintf("%d unattributed", unattributed), unattributed == 0},
		{"p99 reported", ms(st["all"].pct(99)), true},
	}
	tbl, ok := checksTable(cs)
	b.WriteString("\n" + tbl)
	_ = http.StatusOK
	return b.String(), ok
}
