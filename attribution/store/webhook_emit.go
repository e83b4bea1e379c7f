package store

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// The webhook outbox. A change that is worth an event calls emitEvent
// inside its own transaction: the event and one delivery per endpoint that
// wants it commit with the change, or not at all, so a committed change
// always reaches its endpoints (at least once) and a rolled-back one never
// does. After the commit core.tx wakes this instance's delivery worker.

// hookState is what every service shares about outbound webhooks.
type hookState struct {
	wake chan struct{} // wakes this instance's delivery worker

	// The vendors with an endpoint that wants link.clicked, read at most
	// every clickVendorsTTL: the click writer's batches skip the others
	// without a query per event. Another instance's new endpoint is seen
	// within the TTL; this instance's at once.
	mu           sync.Mutex
	clickVendors map[string]bool
	clickRead    time.Time
}

const clickVendorsTTL = 2 * time.Second

func newHookState() *hookState { return &hookState{wake: make(chan struct{}, 1)} }

func (h *hookState) wakeWorker() {
	select {
	case h.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
}

func (h *hookState) forgetClickVendors() {
	h.mu.Lock()
	h.clickVendors = nil
	h.mu.Unlock()
}

// emittedKey marks, in a transaction's context, that it wrote an event.
type emittedKey struct{}

// withEmitMark returns ctx carrying a mark emitEvent sets.
func withEmitMark(ctx context.Context) (context.Context, *bool) {
	mark := new(bool)
	return context.WithValue(ctx, emittedKey{}, mark), mark
}

// markEmitted records that the transaction of ctx made a delivery due.
func markEmitted(ctx context.Context) {
	if mark, ok := ctx.Value(emittedKey{}).(*bool); ok {
		*mark = true
	}
}

// endpointsWanting reads the vendor's enabled endpoints that want typ.
func endpointsWanting(ctx context.Context, db bun.IDB, vendorID, typ string) ([]string, error) {
	var rows []endpointRow
	err := db.NewSelect().Model(&rows).Column("id", "events", "status").
		Where("vendor_id = ? AND status = ?", vendorID, attribution.WebhookEnabled).OrderExpr("id ASC").Scan(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for i := range rows {
		e := attribution.WebhookEndpoint{Status: rows[i].Status}
		if json.Unmarshal([]byte(rows[i].Events), &e.Events) == nil && e.Wants(typ) {
			ids = append(ids, rows[i].ID)
		}
	}
	return ids, nil
}

// emitEvent writes an event of type typ about data (the object as the API
// shows it) for the vendor's endpoints that want it, through db: the
// transaction of the change. Nothing is written when no endpoint wants it.
func emitEvent(ctx context.Context, db bun.IDB, vendorID, typ string, data any, now time.Time) error {
	endpoints, err := endpointsWanting(ctx, db, vendorID, typ)
	if err != nil || len(endpoints) == 0 {
		return err
	}
	return writeEvent(ctx, db, vendorID, attribution.NewID(attribution.PrefixWebhookEvent, now), typ, data, endpoints, now)
}

// writeEvent stores the event id and its deliveries to endpoints. An event
// id stored already (a click batch written again) is left as it is.
func writeEvent(ctx context.Context, db bun.IDB, vendorID, id, typ string, data any, endpoints []string, now time.Time) error {
	payload, err := attribution.NewWebhookPayload(id, typ, now, data)
	if err != nil {
		return err
	}
	ev := &eventRow{ID: id, VendorID: vendorID, Type: typ, Payload: string(payload), CreatedAt: now}
	if _, err := db.NewInsert().Model(ev).On("CONFLICT (id) DO NOTHING").Exec(ctx); err != nil {
		return err
	}
	rows := make([]*deliveryRow, len(endpoints))
	for i, ep := range endpoints {
		rows[i] = &deliveryRow{ID: attribution.NewID(attribution.PrefixWebhookDelivery, now), VendorID: vendorID,
			EndpointID: ep, EventID: id, EventType: typ, Status: attribution.DeliveryPending,
			NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
	}
	if _, err := db.NewInsert().Model(&rows).On("CONFLICT (endpoint_id, event_id) DO NOTHING").Exec(ctx); err != nil {
		return err
	}
	markEmitted(ctx)
	return nil
}

// emitCustomer sends the events of a customer's change
// (attribution.CustomerEvents): created when it is new, attributed when it
// was credited to a partner.
func emitCustomer(ctx context.Context, db bun.IDB, c *attribution.Customer, created, credited bool, now time.Time) error {
	for _, typ := range attribution.CustomerEvents(created, credited) {
		if err := emitEvent(ctx, db, c.VendorID, typ, c, now); err != nil {
			return err
		}
	}
	return nil
}

// clickEventID is the id of a click's link.clicked event: derived from the
// click's, so a batch written again does not send its clicks twice.
func clickEventID(clickID string) string {
	return attribution.PrefixWebhookEvent + strings.TrimPrefix(clickID, attribution.PrefixClick)
}

// clickVendors returns the vendors with an endpoint that wants link.clicked.
func (c core) clickVendors(ctx context.Context) (map[string]bool, error) {
	h := c.hooks
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.clickVendors != nil && time.Since(h.clickRead) < clickVendorsTTL {
		return h.clickVendors, nil
	}
	var ids []string
	err := c.db.NewSelect().Model((*endpointRow)(nil)).Column("vendor_id").Distinct().
		Where("status = ? AND events LIKE ?", attribution.WebhookEnabled, `%"`+attribution.EventLinkClicked+`"%`).
		Scan(ctx, &ids)
	if err != nil {
		return nil, err
	}
	h.clickVendors = make(map[string]bool, len(ids))
	for _, id := range ids {
		h.clickVendors[id] = true
	}
	h.clickRead = time.Now()
	return h.clickVendors, nil
}

// emitClicks writes the link.clicked events of a committed batch of clicks,
// for the vendors whose endpoints want them. It runs after the batch's
// commit: the click writer retries a batch whose events failed, and the
// event ids make the retry send each click once.
func (c core) emitClicks(ctx context.Context, clicks []*attribution.Click) error {
	vendors, err := c.clickVendors(ctx)
	if err != nil || len(vendors) == 0 {
		return err
	}
	var wanted []*attribution.Click
	for _, cl := range clicks {
		if vendors[cl.VendorID] {
			wanted = append(wanted, cl)
		}
	}
	if len(wanted) == 0 {
		return nil
	}
	now := c.now()
	return c.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		endpoints := map[string][]string{}
		for _, cl := range wanted {
			eps, ok := endpoints[cl.VendorID]
			if !ok {
				if eps, err = endpointsWanting(ctx, tx, cl.VendorID, attribution.EventLinkClicked); err != nil {
					return err
				}
				endpoints[cl.VendorID] = eps
			}
			if len(eps) == 0 {
				continue
			}
			if err := writeEvent(ctx, tx, cl.VendorID, clickEventID(cl.ID), attribution.EventLinkClicked, cl, eps, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// emitPurchaseCreated sends purchase.created, and purchase.excluded too for
// a purchase excluded from the start (metadata.tally_exclude).
func emitPurchaseCreated(ctx context.Context, db bun.IDB, p *attribution.Purchase, now time.Time) error {
	if err := emitEvent(ctx, db, p.VendorID, attribution.EventPurchaseCreated, p, now); err != nil {
		return err
	}
	if p.Excluded() {
		return emitEvent(ctx, db, p.VendorID, attribution.EventPurchaseExcluded, p, now)
	}
	return nil
}

// emitRefund sends purchase.refunded when a refund took more money back
// than before (a refund seen again changes nothing and sends nothing).
func emitRefund(ctx context.Context, db bun.IDB, p *attribution.Purchase, refundedBefore int64, now time.Time) error {
	if p.RefundedAmount == refundedBefore {
		return nil
	}
	return emitEvent(ctx, db, p.VendorID, attribution.EventPurchaseRefunded, p, now)
}

// emitExclusion sends purchase.excluded when a purchase was just excluded
// (including it again is told by its reward's events).
func emitExclusion(ctx context.Context, db bun.IDB, p *attribution.Purchase, now time.Time) error {
	if !p.Excluded() {
		return nil
	}
	return emitEvent(ctx, db, p.VendorID, attribution.EventPurchaseExcluded, p, now)
}

// emitApprovals sends reward.updated for each reward approveDue is about
// to approve, as it will be: the approval job runs in one transaction, so
// the events commit with the approvals.
func emitApprovals(ctx context.Context, db bun.IDB, now time.Time) error {
	var due []*attribution.Reward
	err := db.NewSelect().Model(&due).Where(dueForApproval, attribution.RewardPending, true, now).
		Where("vendor_id IN (SELECT vendor_id FROM webhook_endpoints WHERE status = ?)", attribution.WebhookEnabled).Scan(ctx)
	if err != nil {
		return err
	}
	for _, r := range due {
		r.Status, r.ApprovedAt, r.UpdatedAt = attribution.RewardApproved, r.HoldUntil, now
		if err := emitEvent(ctx, db, r.VendorID, attribution.EventRewardUpdated, r, now); err != nil {
			return err
		}
	}
	return nil
}
