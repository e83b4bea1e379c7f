package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sort"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// Diagnosis gathers the facts of a customer's diagnosis.
type Diagnosis struct{ core }

var _ attribution.DiagnosisService = (*Diagnosis)(nil)

// diagLookback is how far before the window the diagnosis looks for clicks
// of the same visitor, to name a click that came too early.
const diagLookback = 90 * 24 * time.Hour

// diagMaxRows bounds each list a diagnosis reads.
const diagMaxRows = 200

// DiagnosisFacts gathers what bears on one customer's attribution: the
// customer, its signups, purchases, rewards and overrides, the clicks its
// tokens and visitor facts lead to, unmatched Stripe purchases with its
// email, and the vendor's snippet pings. Reads only; no transaction needed.
func (s *Diagnosis) DiagnosisFacts(ctx context.Context, v *attribution.Vendor, q attribution.DiagnosisQuery) (*attribution.DiagnosisFacts, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	f := &attribution.DiagnosisFacts{Now: s.now(), Window: v.Window(), PublicKey: v.PublicKey, Partners: map[string]*attribution.Partner{}}
	db := s.db
	c, err := diagCustomer(ctx, db, v.ID, q)
	if err != nil {
		return nil, err
	}
	f.Customer = c
	f.Email = q.Email
	if c != nil && c.Email != "" {
		f.Email = c.Email
	}
	if f.Email != "" {
		err := db.NewSelect().Model(&f.Unmatched).
			Where("vendor_id = ? AND customer_id = '' AND email = ?", v.ID, f.Email).
			OrderExpr("purchased_at ASC, id ASC").Limit(diagMaxRows).Scan(ctx)
		if err != nil {
			return nil, classify(err)
		}
	}
	if c == nil {
		if len(f.Unmatched) == 0 {
			return nil, notFound("Customer")
		}
		return f, nil
	}
	// The newest rows matter most: read them newest first, list them oldest first.
	if err := db.NewSelect().Model(&f.Signups).Where("vendor_id = ? AND customer_id = ?", v.ID, c.ID).
		OrderExpr("created_at DESC, id DESC").Limit(diagMaxRows).Scan(ctx); err != nil {
		return nil, classify(err)
	}
	slices.Reverse(f.Signups)
	if err := diagTokens(ctx, db, v.ID, f); err != nil {
		return nil, err
	}
	if err := db.NewSelect().Model(&f.Purchases).Where("vendor_id = ? AND customer_id = ?", v.ID, c.ID).
		OrderExpr("purchased_at DESC, id DESC").Limit(diagMaxRows).Scan(ctx); err != nil {
		return nil, classify(err)
	}
	slices.Reverse(f.Purchases)
	if err := db.NewSelect().Model(&f.Rewards).Where("vendor_id = ? AND customer_id = ?", v.ID, c.ID).
		OrderExpr("id ASC").Limit(diagMaxRows).Scan(ctx); err != nil {
		return nil, classify(err)
	}
	if err := db.NewSelect().Model(&f.Overrides).
		Where("vendor_id = ? AND object_type = ? AND object_id = ?", v.ID, attribution.ObjectCustomer, c.ID).
		OrderExpr("id ASC").Limit(diagMaxRows).Scan(ctx); err != nil {
		return nil, classify(err)
	}
	if err := diagClicks(ctx, db, v, f); err != nil {
		return nil, err
	}
	if err := diagPartners(ctx, db, v.ID, f); err != nil {
		return nil, err
	}
	if err := diagSnippet(ctx, db, v, f); err != nil {
		return nil, err
	}
	return f, nil
}

// diagCustomer finds the customer asked about; nil (no error) when an
// email names none.
func diagCustomer(ctx context.Context, db bun.IDB, vendorID string, q attribution.DiagnosisQuery) (*attribution.Customer, error) {
	c := new(attribution.Customer)
	sq := db.NewSelect().Model(c).Where("vendor_id = ?", vendorID).OrderExpr("id DESC").Limit(1)
	switch {
	case q.CustomerID != "":
		if !attribution.ValidID(attribution.PrefixCustomer, q.CustomerID) {
			return nil, notFound("Customer") // no such id can exist; spare the query
		}
		sq = sq.Where("id = ?", q.CustomerID)
	case q.ExternalID != "":
		sq = sq.Where("external_id = ?", q.ExternalID)
	default:
		sq = sq.Where("email = ?", q.Email)
	}
	err := sq.Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		if q.Email != "" {
			return nil, nil
		}
		return nil, notFound("Customer")
	}
	if err != nil {
		return nil, classify(err)
	}
	return c, nil
}

// diagClicks finds the clicks of the customer's tokens, the clicks of the
// same visitor hash (token clicks' and signups'), and the vendor's clicks
// from the same truncated IP, browser and OS as each signup.
func diagClicks(ctx context.Context, db bun.IDB, v *attribution.Vendor, f *attribution.DiagnosisFacts) error {
	c := f.Customer
	found := map[string]attribution.FoundClick{}
	rank := map[string]int{attribution.ViaToken: 4, attribution.ViaVisitor: 3, attribution.ViaNetwork: 2, attribution.ViaDevice: 1}
	add := func(list []*attribution.Click, via string) {
		for _, k := range list {
			if cur, ok := found[k.ID]; !ok || rank[via] > rank[cur.Via] {
				found[k.ID] = attribution.FoundClick{Click: k, Via: via}
			}
		}
	}
	// The period in which a click could have mattered.
	to := f.Now
	from := c.CreatedAt
	for _, sg := range f.Signups {
		if sg.CreatedAt.Before(from) {
			from = sg.CreatedAt
		}
	}
	if len(f.Signups) > 0 {
		to = f.Signups[len(f.Signups)-1].CreatedAt
	}
	from = from.Add(-f.Window - diagLookback)
	to = to.Add(5 * time.Minute)

	ids := map[string]bool{}
	if c.ClickID != "" {
		ids[c.ClickID] = true
	}
	for _, sg := range f.Signups {
		if sg.ClickID != "" {
			ids[sg.ClickID] = true
		}
	}
	for _, t := range f.Tokens {
		if t.ClickID != "" {
			ids[t.ClickID] = true
		}
	}
	for _, p := range f.Purchases {
		if p.ClickID != "" {
			ids[p.ClickID] = true
		}
	}
	if len(ids) > 0 {
		var list []*attribution.Click
		if err := db.NewSelect().Model(&list).Where("vendor_id = ? AND id IN (?)", v.ID, bun.List(diagKeys(ids))).
			Limit(diagMaxRows).Scan(ctx); err != nil {
			return classify(err)
		}
		add(list, attribution.ViaToken)
	}
	// A visitor hash is of the full IP, so the visitor's clicks share the
	// truncated IP of the click or signup that named it: the search reads
	// the (vendor_id, ip_trunc, clicked_at) index, unless a hash came
	// without one.
	hashes, nets := map[string]bool{}, map[string]bool{}
	netsKnown := true
	note := func(hash, ip string) {
		if hash != "" {
			hashes[hash] = true
			nets[ip] = true
			netsKnown = netsKnown && ip != ""
		}
	}
	for _, k := range found {
		note(k.VisitorHash, k.IPTrunc)
	}
	for _, sg := range f.Signups {
		note(sg.VisitorHash, sg.IPTrunc)
	}
	if len(hashes) > 0 {
		var list []*attribution.Click
		q := db.NewSelect().Model(&list).
			Where("vendor_id = ? AND clicked_at >= ? AND clicked_at <= ?", v.ID, from, to).
			Where("visitor_hash IN (?)", bun.List(diagKeys(hashes)))
		if netsKnown {
			q = q.Where("ip_trunc IN (?)", bun.List(diagKeys(nets)))
		}
		if err := q.OrderExpr("clicked_at DESC").Limit(diagMaxRows).Scan(ctx); err != nil {
			return classify(err)
		}
		add(list, attribution.ViaVisitor)
	}
	// Clicks from a signup's network: the same browser and OS (network), or
	// another one (device: named as a finding only).
	type network struct{ ip, browser, os string }
	seen := map[network]bool{}
	for _, sg := range f.Signups {
		n := network{sg.IPTrunc, sg.Browser, sg.OS}
		if n.ip == "" || seen[n] {
			continue
		}
		seen[n] = true
		var list []*attribution.Click
		if err := db.NewSelect().Model(&list).
			Where("vendor_id = ? AND clicked_at >= ? AND clicked_at <= ?", v.ID, sg.CreatedAt.Add(-f.Window-diagLookback), sg.CreatedAt.Add(5*time.Minute)).
			Where("ip_trunc = ? AND bot = ?", n.ip, false).
			OrderExpr("clicked_at DESC").Limit(50).Scan(ctx); err != nil {
			return classify(err)
		}
		var same, other []*attribution.Click
		for _, k := range list {
			if k.Browser == n.browser && k.OS == n.os {
				same = append(same, k)
			} else {
				other = append(other, k)
			}
		}
		add(same, attribution.ViaNetwork)
		add(other, attribution.ViaDevice)
	}
	f.Clicks = make([]attribution.FoundClick, 0, len(found))
	for _, k := range found {
		f.Clicks = append(f.Clicks, k)
	}
	sort.Slice(f.Clicks, func(i, j int) bool {
		if !f.Clicks[i].ClickedAt.Equal(f.Clicks[j].ClickedAt) {
			return f.Clicks[i].ClickedAt.Before(f.Clicks[j].ClickedAt)
		}
		return f.Clicks[i].ID < f.Clicks[j].ID
	})

	// Did the vendor's links get any human click before the conversion?
	conv := c.CreatedAt
	if len(f.Signups) > 0 {
		conv = f.Signups[len(f.Signups)-1].CreatedAt
	}
	had, err := db.NewSelect().TableExpr("clicks").
		Where("vendor_id = ? AND clicked_at >= ? AND clicked_at <= ? AND bot = ?", v.ID, conv.Add(-f.Window), conv.Add(5*time.Minute), false).
		Exists(ctx)
	if err != nil {
		return classify(err)
	}
	f.VendorHadClicks = had
	return nil
}

// diagTokens loads every token the listed signups carried, in signup order.
func diagTokens(ctx context.Context, db bun.IDB, vendorID string, f *attribution.DiagnosisFacts) error {
	if len(f.Signups) == 0 {
		return nil
	}
	ids := make([]string, len(f.Signups))
	order := map[string]int{}
	for i, sg := range f.Signups {
		ids[i] = sg.ID
		order[sg.ID] = i
	}
	if err := db.NewSelect().Model(&f.Tokens).Where("vendor_id = ? AND signup_id IN (?)", vendorID, bun.List(ids)).
		Scan(ctx); err != nil {
		return classify(err)
	}
	sort.Slice(f.Tokens, func(i, j int) bool {
		a, b := f.Tokens[i], f.Tokens[j]
		if order[a.SignupID] != order[b.SignupID] {
			return order[a.SignupID] < order[b.SignupID]
		}
		return a.Position < b.Position
	})
	return nil
}

// diagPartners loads every partner the facts name.
func diagPartners(ctx context.Context, db bun.IDB, vendorID string, f *attribution.DiagnosisFacts) error {
	ids := map[string]bool{}
	if f.Customer != nil && f.Customer.PartnerID != "" {
		ids[f.Customer.PartnerID] = true
	}
	for _, k := range f.Clicks {
		ids[k.PartnerID] = true
	}
	for _, sg := range f.Signups {
		if sg.PartnerID != "" {
			ids[sg.PartnerID] = true
		}
	}
	for _, t := range f.Tokens {
		if t.PartnerID != "" {
			ids[t.PartnerID] = true
		}
	}
	for _, r := range f.Rewards {
		ids[r.PartnerID] = true
	}
	if len(ids) == 0 {
		return nil
	}
	var list []*attribution.Partner
	if err := db.NewSelect().Model(&list).Where("vendor_id = ? AND id IN (?)", vendorID, bun.List(diagKeys(ids))).Scan(ctx); err != nil {
		return classify(err)
	}
	for _, p := range list {
		f.Partners[p.ID] = p
	}
	return nil
}

// diagSnippet tells whether the vendor's snippet ever pinged, and reads
// the kept pings that did not count and are shown to the vendor.
func diagSnippet(ctx context.Context, db bun.IDB, v *attribution.Vendor, f *attribution.DiagnosisFacts) error {
	seen, err := db.NewSelect().TableExpr("snippet_pages").Where("vendor_id = ?", v.ID).Exists(ctx)
	if err != nil {
		return classify(err)
	}
	f.SnippetSeen = seen
	f.BadPings, err = badPings(ctx, db, v, time.Time{})
	return err
}

// diagKeys returns a set's members, sorted.
func diagKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
