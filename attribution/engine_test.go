package attribution_test

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
)

// The engine is pure: every test injects now and builds tokens with a codec
// of its own, so nothing here touches a clock, a database or HTTP.

const (
	engVendor   = "ven_01kfengine0000000000vendor"
	engOther    = "ven_01kfengine00000000000other"
	engPartnerA = "par_01kfengine0000000partnera"
	engPartnerB = "par_01kfengine0000000partnerb"
	engLinkA    = "lnk_01kfengine00000000000linka"
	engLinkB    = "lnk_01kfengine00000000000linkb"
	engDay      = 24 * time.Hour
)

var engNow = time.Date(2026, 4, 15, 12, 0, 0, 0, time.UTC)

func engCodec(t *testing.T) *attribution.TokenCodec {
	t.Helper()
	key := func(n int) []byte {
		b := make([]byte, n)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	c, err := attribution.NewTokenCodec(key(64), key(32))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// engToken is a click on partner A's (or B's) link at clicked.
func engToken(partner string, clicked time.Time) attribution.ClickToken {
	link := engLinkA
	if partner == engPartnerB {
		link = engLinkB
	}
	return attribution.ClickToken{
		ClickID:   "clk_" + partner[4:] + clicked.Format("20060102150405"),
		LinkID:    link,
		PartnerID: partner,
		VendorID:  engVendor,
		ClickedAt: clicked.Unix(),
	}
}

func engEncode(t *testing.T, c *attribution.TokenCodec, tok attribution.ClickToken) string {
	t.Helper()
	s, err := c.Encode(tok)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tamper changes one character in the middle of a token.
func engTamper(s string) string {
	b := []byte(s)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestCheckToken(t *testing.T) {
	codec := engCodec(t)
	foreign := engCodec(t) // another deployment: other keys
	const window90, window30 = 90 * engDay, 30 * engDay

	otherVendor := engToken(engPartnerA, engNow.Add(-time.Hour))
	otherVendor.VendorID = engOther

	for _, tc := range []struct {
		name   string
		raw    string
		window time.Duration
		want   string
	}{
		{"Fresh", engEncode(t, codec, engToken(engPartnerA, engNow.Add(-time.Minute))), window90, ""},
		{"ClickedNow", engEncode(t, codec, engToken(engPartnerA, engNow)), window90, ""},
		{"Exactly90Days", engEncode(t, codec, engToken(engPartnerA, engNow.Add(-window90))), window90, ""},
		{"90DaysAnd1s", engEncode(t, codec, engToken(engPartnerA, engNow.Add(-window90-time.Second))), window90, attribution.ReasonExpired},
		{"Exactly30DaysVendorWindow", engEncode(t, codec, engToken(engPartnerA, engNow.Add(-window30))), window30, ""},
		{"30DaysAnd1sVendorWindow", engEncode(t, codec, engToken(engPartnerA, engNow.Add(-window30-time.Second))), window30, attribution.ReasonExpired},
		{"YearOld", engEncode(t, codec, engToken(engPartnerA, engNow.Add(-365*engDay))), window90, attribution.ReasonExpired},
		{"Tampered", engTamper(engEncode(t, codec, engToken(engPartnerA, engNow.Add(-time.Hour)))), window90, attribution.ReasonInvalidToken},
		{"Truncated", engEncode(t, codec, engToken(engPartnerA, engNow.Add(-time.Hour)))[:40], window90, attribution.ReasonInvalidToken},
		{"ForeignDeployment", engEncode(t, foreign, engToken(engPartnerA, engNow.Add(-time.Hour))), window90, attribution.ReasonInvalidToken},
		{"OtherVendor", engEncode(t, codec, otherVendor), window90, attribution.ReasonOtherVendor},
		{"Garbage", "not-a-token", window90, attribution.ReasonInvalidToken},
		{"Empty", "", window90, attribution.ReasonInvalidToken},
		{"FutureWithinSkew", engEncode(t, codec, engToken(engPartnerA, engNow.Add(30*time.Second))), window90, ""},
		{"FutureDated", engEncode(t, codec, engToken(engPartnerA, engNow.Add(time.Hour))), window90, attribution.ReasonInvalidToken},
		{"FarFuture", engEncode(t, codec, engToken(engPartnerA, engNow.Add(400*engDay))), window90, attribution.ReasonInvalidToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := attribution.CheckToken(codec, tc.raw, engVendor, tc.window, engNow)
			if got.Reason != tc.want {
				t.Fatalf("reason = %q, want %q (token %+v)", got.Reason, tc.want, got.Token)
			}
			if tc.want == "" && (got.Token.VendorID != engVendor || got.Token.PartnerID != engPartnerA) {
				t.Fatalf("valid token decoded as %+v", got.Token)
			}
			if tc.want == attribution.ReasonInvalidToken && got.Token.VendorID == "" && got.Token.ClickedAt != 0 {
				t.Fatalf("an unreadable token must not carry data: %+v", got.Token)
			}
		})
	}
}

// TestCheckToken_WindowBoundaryToTheSecond walks across the boundary one
// second at a time, the conversion time moving rather than the click.
func TestCheckToken_WindowBoundaryToTheSecond(t *testing.T) {
	codec := engCodec(t)
	clicked := time.Date(2026, 1, 1, 8, 30, 15, 0, time.UTC)
	raw := engEncode(t, codec, engToken(engPartnerA, clicked))
	for _, days := range []int{1, 30, 90, 365} {
		window := time.Duration(days) * engDay
		for _, tc := range []struct {
			at   time.Time
			want string
		}{
			{clicked.Add(window - time.Second), ""},
			{clicked.Add(window), ""},
			{clicked.Add(window + 999*time.Millisecond), ""}, // token times are whole seconds
			{clicked.Add(window + time.Second), attribution.ReasonExpired},
		} {
			if got := attribution.CheckToken(codec, raw, engVendor, window, tc.at); got.Reason != tc.want {
				t.Errorf("window %dd, conversion at click+%s: reason %q, want %q", days, tc.at.Sub(clicked), got.Reason, tc.want)
			}
		}
	}
}

func TestLastClick(t *testing.T) {
	codec := engCodec(t)
	foreign := engCodec(t)
	check := func(raw string) attribution.TokenCheck {
		return attribution.CheckToken(codec, raw, engVendor, 90*engDay, engNow)
	}
	older := engToken(engPartnerA, engNow.Add(-10*engDay))
	newer := engToken(engPartnerB, engNow.Add(-2*engDay))
	olderRaw, newerRaw := engEncode(t, codec, older), engEncode(t, codec, newer)
	expiredRaw := engEncode(t, codec, engToken(engPartnerB, engNow.Add(-91*engDay)))
	foreignRaw := engEncode(t, foreign, engToken(engPartnerB, engNow.Add(-time.Hour)))
	futureRaw := engEncode(t, codec, engToken(engPartnerB, engNow.Add(2*time.Hour)))
	ov := engToken(engPartnerB, engNow.Add(-time.Hour))
	ov.VendorID = engOther
	otherVendorRaw := engEncode(t, codec, ov)

	disabled := func(partner string) attribution.StatusFunc {
		return func(t attribution.ClickToken) string {
			if t.PartnerID == partner {
				return attribution.ReasonPartnerDisabled
			}
			return ""
		}
	}
	archived := func(link string) attribution.StatusFunc {
		return func(t attribution.ClickToken) string {
			if t.LinkID == link {
				return attribution.ReasonLinkArchived
			}
			return ""
		}
	}

	for _, tc := range []struct {
		name       string
		raws       []string
		status     attribution.StatusFunc
		wantWinner string // partner id, "" for none
		wantReason string
	}{
		{"NoToken", nil, nil, "", attribution.ReasonNoToken},
		{"OneValid", []string{olderRaw}, nil, engPartnerA, ""},
		{"TwoPartnersNewestLast", []string{olderRaw, newerRaw}, nil, engPartnerB, ""},
		{"TwoPartnersNewestFirst", []string{newerRaw, olderRaw}, nil, engPartnerB, ""},
		{"TamperedNewestIgnored", []string{engTamper(newerRaw), olderRaw}, nil, engPartnerA, ""},
		{"ForeignIgnored", []string{olderRaw, foreignRaw}, nil, engPartnerA, ""},
		{"OtherVendorIgnored", []string{otherVendorRaw, olderRaw}, nil, engPartnerA, ""},
		{"FutureDatedIgnored", []string{futureRaw, olderRaw}, nil, engPartnerA, ""},
		{"ExpiredIgnored", []string{expiredRaw, olderRaw}, nil, engPartnerA, ""},
		{"OnlyTampered", []string{engTamper(olderRaw)}, nil, "", attribution.ReasonInvalidToken},
		{"OnlyForeign", []string{foreignRaw}, nil, "", attribution.ReasonInvalidToken},
		{"OnlyExpired", []string{expiredRaw}, nil, "", attribution.ReasonExpired},
		{"ExpiredAndTampered", []string{engTamper(olderRaw), expiredRaw}, nil, "", attribution.ReasonExpired},
		{"OnlyOtherVendor", []string{otherVendorRaw}, nil, "", attribution.ReasonOtherVendor},
		{"OnlyFutureDated", []string{futureRaw}, nil, "", attribution.ReasonInvalidToken},
		{"DisabledPartner", []string{olderRaw}, disabled(engPartnerA), "", attribution.ReasonPartnerDisabled},
		{"NewestDisabledOlderWins", []string{newerRaw, olderRaw}, disabled(engPartnerB), engPartnerA, ""},
		{"ArchivedLink", []string{newerRaw}, archived(engLinkB), "", attribution.ReasonLinkArchived},
		{"NewestArchivedOlderWins", []string{olderRaw, newerRaw}, archived(engLinkB), engPartnerA, ""},
		{"StatusNotAskedForInvalid", []string{engTamper(olderRaw)}, func(attribution.ClickToken) string {
			return attribution.ReasonPartnerDisabled
		}, "", attribution.ReasonInvalidToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var checks []attribution.TokenCheck
			for _, raw := range tc.raws {
				checks = append(checks, check(raw))
			}
			before := append([]attribution.TokenCheck(nil), checks...)
			winner, reason := attribution.LastClick(checks, tc.status)
			if reason != tc.wantReason {
				t.Errorf("reason = %q, want %q", reason, tc.wantReason)
			}
			switch {
			case tc.wantWinner == "" && winner != nil:
				t.Errorf("winner = %+v, want none", *winner)
			case tc.wantWinner != "" && winner == nil:
				t.Errorf("no winner, want %s", tc.wantWinner)
			case winner != nil && winner.PartnerID != tc.wantWinner:
				t.Errorf("winner partner = %s, want %s", winner.PartnerID, tc.wantWinner)
			}
			for i := range checks {
				if checks[i] != before[i] {
					t.Fatalf("LastClick changed its input at %d", i)
				}
			}
		})
	}
}

func TestDecide(t *testing.T) {
	t0 := engNow.Add(-20 * engDay)
	t1 := engNow.Add(-10 * engDay)
	t2 := engNow.Add(-1 * engDay)
	at := func(tm time.Time) *time.Time { return &tm }
	tokA1 := engToken(engPartnerA, t1)
	tokA2 := engToken(engPartnerA, t2)
	tokB0 := engToken(engPartnerB, t0)
	tokB2 := engToken(engPartnerB, t2)
	attributedToA := func() attribution.Customer {
		return attribution.Customer{
			ID: "cus_1", VendorID: engVendor, Email: "carol@example.com",
			PartnerID: engPartnerA, LinkID: engLinkA, ClickID: tokA1.ClickID,
			ClickedAt: at(t1), AttributedAt: at(t1.Add(time.Hour)), AttributedBy: attribution.AttributedByClick,
		}
	}
	manualA := func() attribution.Customer {
		c := attributedToA()
		c.LinkID, c.ClickID, c.ClickedAt = "", "", nil
		c.AttributedBy = attribution.AttributedByManual
		return c
	}
	fresh := func() attribution.Customer {
		return attribution.Customer{ID: "cus_2", VendorID: engVendor, Email: "carol@example.com"}
	}
	unattributed := func(reason string) func() attribution.Customer {
		return func() attribution.Customer {
			c := fresh()
			c.Reason = reason
			return c
		}
	}
	selfEmail := func(email string) func() attribution.Customer {
		return func() attribution.Customer {
			c := fresh()
			c.Email = email
			return c
		}
	}
	selfAttributedToA := func() attribution.Customer {
		c := attributedToA()
		c.SelfReferral = true
		return c
	}

	type want struct {
		outcome, reason string
		partner, click  string
		clickedAt       time.Time // zero: nil
		attributedAtNow bool      // AttributedAt == now
		unchanged       bool      // the customer is exactly as before
		selfReferral    bool
		customerReason  string
		attributedBy    string
	}
	for _, tc := range []struct {
		name         string
		customer     func() attribution.Customer
		winner       *attribution.ClickToken
		reason       string
		partnerEmail string
		want         want
	}{
		{"NewCustomerAttributed", fresh, &tokA1, "", "ada@partners.example",
			want{outcome: attribution.OutcomeAttributed, partner: engPartnerA, click: tokA1.ClickID, clickedAt: t1, attributedAtNow: true, attributedBy: attribution.AttributedByClick}},
		{"NewCustomerNoToken", fresh, nil, attribution.ReasonNoToken, "",
			want{outcome: attribution.OutcomeUnattributed, reason: attribution.ReasonNoToken, customerReason: attribution.ReasonNoToken}},
		{"NewCustomerExpired", fresh, nil, attribution.ReasonExpired, "",
			want{outcome: attribution.OutcomeUnattributed, reason: attribution.ReasonExpired, customerReason: attribution.ReasonExpired}},
		{"NewCustomerPartnerDisabled", fresh, nil, attribution.ReasonPartnerDisabled, "",
			want{outcome: attribution.OutcomeUnattributed, reason: attribution.ReasonPartnerDisabled, customerReason: attribution.ReasonPartnerDisabled}},
		{"UnattributedLaterAttributed", unattributed(attribution.ReasonNoToken), &tokB2, "", "bob@partners.example",
			want{outcome: attribution.OutcomeAttributed, partner: engPartnerB, click: tokB2.ClickID, clickedAt: t2, attributedAtNow: true, attributedBy: attribution.AttributedByClick}},
		{"UnattributedReasonUpdated", unattributed(attribution.ReasonNoToken), nil, attribution.ReasonInvalidToken, "",
			want{outcome: attribution.OutcomeUnattributed, reason: attribution.ReasonInvalidToken, customerReason: attribution.ReasonInvalidToken}},
		{"ReattributedByNewerOtherPartner", attributedToA, &tokB2, "", "bob@partners.example",
			want{outcome: attribution.OutcomeReattributed, partner: engPartnerB, click: tokB2.ClickID, clickedAt: t2, attributedAtNow: true, attributedBy: attribution.AttributedByClick}},
		{"OlderOtherPartnerKept", attributedToA, &tokB0, "", "bob@partners.example",
			want{outcome: attribution.OutcomeKept, unchanged: true}},
		{"SameClickAgainKept", attributedToA, &tokA1, "", "ada@partners.example",
			want{outcome: attribution.OutcomeKept, unchanged: true}},
		{"SamePartnerFresherClick", attributedToA, &tokA2, "", "ada@partners.example",
			want{outcome: attribution.OutcomeKept, partner: engPartnerA, click: tokA2.ClickID, clickedAt: t2, attributedAtNow: true, attributedBy: attribution.AttributedByClick}},
		{"NoTokenKeepsPartner", attributedToA, nil, attribution.ReasonNoToken, "",
			want{outcome: attribution.OutcomeKept, reason: attribution.ReasonNoToken, unchanged: true}},
		{"ExpiredKeepsPartner", attributedToA, nil, attribution.ReasonExpired, "",
			want{outcome: attribution.OutcomeKept, reason: attribution.ReasonExpired, unchanged: true}},
		{"ManualKeptAgainstNewerClick", manualA, &tokB2, "", "bob@partners.example",
			want{outcome: attribution.OutcomeKept, unchanged: true}},
		{"ManualKeptAgainstSamePartner", manualA, &tokA2, "", "ada@partners.example",
			want{outcome: attribution.OutcomeKept, unchanged: true}},
		{"ManualKeptWithoutToken", manualA, nil, attribution.ReasonNoToken, "",
			want{outcome: attribution.OutcomeKept, reason: attribution.ReasonNoToken, unchanged: true}},
		{"SelfReferral", selfEmail("ada@partners.example"), &tokA1, "", "ada@partners.example",
			want{outcome: attribution.OutcomeAttributed, partner: engPartnerA, click: tokA1.ClickID, clickedAt: t1, attributedAtNow: true, selfReferral: true, attributedBy: attribution.AttributedByClick}},
		{"SelfReferralPartnerEmailCase", selfEmail("ada@partners.example"), &tokA1, "", "  Ada@Partners.EXAMPLE ",
			want{outcome: attribution.OutcomeAttributed, partner: engPartnerA, click: tokA1.ClickID, clickedAt: t1, attributedAtNow: true, selfReferral: true, attributedBy: attribution.AttributedByClick}},
		{"SelfReferralCustomerEmailCase", selfEmail("ADA@partners.example"), &tokA1, "", "ada@partners.example",
			want{outcome: attribution.OutcomeAttributed, partner: engPartnerA, click: tokA1.ClickID, clickedAt: t1, attributedAtNow: true, selfReferral: true, attributedBy: attribution.AttributedByClick}},
		{"NotSelfReferral", fresh, &tokA1, "", "ada@partners.example",
			want{outcome: attribution.OutcomeAttributed, partner: engPartnerA, click: tokA1.ClickID, clickedAt: t1, attributedAtNow: true, attributedBy: attribution.AttributedByClick}},
		{"NoEmailNoSelfReferral", selfEmail(""), &tokA1, "", "",
			want{outcome: attribution.OutcomeAttributed, partner: engPartnerA, click: tokA1.ClickID, clickedAt: t1, attributedAtNow: true, attributedBy: attribution.AttributedByClick}},
		{"ReattributionClearsSelfReferral", selfAttributedToA, &tokB2, "", "bob@partners.example",
			want{outcome: attribution.OutcomeReattributed, partner: engPartnerB, click: tokB2.ClickID, clickedAt: t2, attributedAtNow: true, attributedBy: attribution.AttributedByClick}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.customer()
			before := tc.customer()
			d := attribution.Decide(&c, tc.winner, tc.reason, tc.partnerEmail, engNow)
			w := tc.want
			if d.Outcome != w.outcome || d.Reason != w.reason {
				t.Fatalf("decision = %+v, want outcome %q reason %q", d, w.outcome, w.reason)
			}
			if w.unchanged {
				if !sameCustomer(c, before) {
					t.Fatalf("customer changed:\n got %+v\nwant %+v", c, before)
				}
				return
			}
			if c.PartnerID != w.partner || c.ClickID != w.click {
				t.Errorf("partner, click = %q, %q; want %q, %q", c.PartnerID, c.ClickID, w.partner, w.click)
			}
			if w.partner != "" {
				wantLink := engLinkA
				if w.partner == engPartnerB {
					wantLink = engLinkB
				}
				if c.LinkID != wantLink {
					t.Errorf("link = %q, want %q", c.LinkID, wantLink)
				}
			}
			switch {
			case w.clickedAt.IsZero() && c.ClickedAt != nil:
				t.Errorf("clicked_at = %v, want nil", *c.ClickedAt)
			case !w.clickedAt.IsZero() && (c.ClickedAt == nil || !c.ClickedAt.Equal(w.clickedAt)):
				t.Errorf("clicked_at = %v, want %v", c.ClickedAt, w.clickedAt)
			}
			if w.attributedAtNow && (c.AttributedAt == nil || !c.AttributedAt.Equal(engNow)) {
				t.Errorf("attributed_at = %v, want %v", c.AttributedAt, engNow)
			}
			if !w.attributedAtNow && c.AttributedAt != nil {
				t.Errorf("attributed_at = %v, want nil", *c.AttributedAt)
			}
			if c.SelfReferral != w.selfReferral {
				t.Errorf("self_referral = %v, want %v", c.SelfReferral, w.selfReferral)
			}
			if c.Reason != w.customerReason {
				t.Errorf("customer reason = %q, want %q", c.Reason, w.customerReason)
			}
			if c.AttributedBy != w.attributedBy {
				t.Errorf("attributed_by = %q, want %q", c.AttributedBy, w.attributedBy)
			}
			if c.Attributed() != (w.partner != "") {
				t.Errorf("Attributed() = %v", c.Attributed())
			}
			if c.ID != before.ID || c.Email != before.Email || c.VendorID != before.VendorID {
				t.Errorf("identity changed: %+v", c)
			}
		})
	}
}

// TestDecide_DuplicateSignups replays the same signup: the first attributes,
// every repeat keeps the customer exactly as it is.
func TestDecide_DuplicateSignups(t *testing.T) {
	tok := engToken(engPartnerA, engNow.Add(-time.Hour))
	c := attribution.Customer{ID: "cus_1", VendorID: engVendor, Email: "dup@example.com"}
	if d := attribution.Decide(&c, &tok, "", "ada@partners.example", engNow); d.Outcome != attribution.OutcomeAttributed {
		t.Fatalf("first signup: %+v", d)
	}
	first := c
	for i, now := range []time.Time{engNow, engNow.Add(time.Minute), engNow.Add(engDay)} {
		if d := attribution.Decide(&c, &tok, "", "ada@partners.example", now); d.Outcome != attribution.OutcomeKept {
			t.Fatalf("repeat %d: %+v", i, d)
		}
		if !sameCustomer(c, first) {
			t.Fatalf("repeat %d changed the customer:\n got %+v\nwant %+v", i, c, first)
		}
	}
}

// TestDecide_TokenOrderIrrelevant runs the whole pipeline (check, last
// click, decide) for both orders of two partners' tokens.
func TestDecide_TokenOrderIrrelevant(t *testing.T) {
	codec := engCodec(t)
	a := engEncode(t, codec, engToken(engPartnerA, engNow.Add(-3*engDay)))
	b := engEncode(t, codec, engToken(engPartnerB, engNow.Add(-3*engDay+time.Second)))
	for _, order := range [][]string{{a, b}, {b, a}} {
		var checks []attribution.TokenCheck
		for _, raw := range order {
			checks = append(checks, attribution.CheckToken(codec, raw, engVendor, 90*engDay, engNow))
		}
		winner, reason := attribution.LastClick(checks, func(attribution.ClickToken) string { return "" })
		c := attribution.Customer{ID: "cus_1", VendorID: engVendor}
		d := attribution.Decide(&c, winner, reason, "", engNow)
		if d.Outcome != attribution.OutcomeAttributed || c.PartnerID != engPartnerB {
			t.Fatalf("order %v: decision %+v, partner %s; want attributed to B", order[0] == a, d, c.PartnerID)
		}
	}
}

func sameCustomer(a, b attribution.Customer) bool {
	eqTime := func(x, y *time.Time) bool {
		if x == nil || y == nil {
			return x == y
		}
		return x.Equal(*y)
	}
	ca, cb := a, b
	ca.ClickedAt, ca.AttributedAt, cb.ClickedAt, cb.AttributedAt = nil, nil, nil, nil
	return ca == cb && eqTime(a.ClickedAt, b.ClickedAt) && eqTime(a.AttributedAt, b.AttributedAt)
}
