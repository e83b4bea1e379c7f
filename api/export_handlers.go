package api

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// Exports are RFC 4180 CSV with a header row, streamed from a database
// cursor and flushed every flushEvery rows; never built in memory.
const flushEvery = 200

var purchaseCSVHeader = []string{
	"purchase_id", "purchased_at", "source", "customer_id", "customer_external_id", "customer_email",
	"partner_id", "partner_name", "link_key", "utm_source", "utm_medium", "utm_campaign",
	"amount", "currency", "refunded_amount", "status", "reward_id", "reward_amount", "reward_currency",
	"reward_status", "attributed_by", "attribution_reason", "promotion_code",
}

var rewardCSVHeader = []string{
	"reward_id", "created_at", "partner_id", "partner_name", "partner_email", "kind", "status",
	"amount", "currency", "purchase_id", "customer_id", "reason", "approved_at", "paid_at",
}

// numericCSVColumns are written as numbers; every other column is text and
// goes through attribution.CSVText.
var numericCSVColumns = map[string]bool{"amount": true, "refunded_amount": true, "reward_amount": true}

// exportFilter reads an export's period (attribution.ParsePeriod, in the
// vendor's time zone unless tz names another; open ends by default) and
// partner.
func (m *money) exportFilter(c echo.Context) (attribution.ExportFilter, error) {
	p, err := attribution.ParsePeriod(c.QueryParam("start"), c.QueryParam("end"), c.QueryParam("tz"),
		VendorOf(c).Location(), m.clock(), attribution.ExportPeriod)
	if err != nil {
		return attribution.ExportFilter{}, err
	}
	return attribution.ExportFilter{Start: p.Start, End: p.End, PartnerID: c.QueryParam("partner_id")}, nil
}

// csvStream writes the header before the first row (or at the end when
// there are none), so an error before any row still answers JSON.
type csvStream struct {
	c       echo.Context
	w       *csv.Writer
	name    string
	header  []string
	numeric []bool // by column
	started bool
	rows    int
}

func newCSVStream(c echo.Context, name string, header []string) *csvStream {
	numeric := make([]bool, len(header))
	for i, h := range header {
		numeric[i] = numericCSVColumns[h]
	}
	return &csvStream{c: c, name: name, header: header, numeric: numeric}
}

func (s *csvStream) write(rec []string) error {
	if !s.started {
		s.started = true
		h := s.c.Response().Header()
		h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
		h.Set(echo.HeaderContentDisposition, `attachment; filename="`+s.name+`"`)
		h.Set("Cache-Control", "no-store")
		s.c.Response().WriteHeader(http.StatusOK)
		s.w = csv.NewWriter(s.c.Response())
		if err := s.w.Write(s.header); err != nil {
			return err
		}
	}
	if rec == nil {
		return nil
	}
	for i, cell := range rec {
		if !s.numeric[i] {
			rec[i] = attribution.CSVText(cell)
		}
	}
	if err := s.w.Write(rec); err != nil {
		return err
	}
	s.rows++
	if s.rows%flushEvery == 0 {
		s.w.Flush()
		s.c.Response().Flush()
		return s.w.Error()
	}
	return nil
}

// finish ends the stream: err before the first row becomes a JSON error;
// after it, the answer is cut short (the status is sent already).
func (s *csvStream) finish(err error) error {
	if err != nil {
		if !s.started {
			return err
		}
		s.c.Logger().Error("csv export cut short: ", err)
		return nil
	}
	if err := s.write(nil); err != nil {
		return nil
	}
	s.w.Flush()
	return nil
}

func csvTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func (m *money) exportPurchases(c echo.Context) error {
	f, err := m.exportFilter(c)
	if err != nil {
		return err
	}
	out := newCSVStream(c, "purchases.csv", purchaseCSVHeader)
	err = m.exports.ExportPurchases(c.Request().Context(), VendorOf(c).ID, f, func(r *attribution.PurchaseExportRow) error {
		reward := ""
		if r.RewardID != "" {
			reward = strconv.FormatInt(r.RewardAmount, 10)
		}
		return out.write([]string{
			r.PurchaseID, csvTime(&r.PurchasedAt), r.Source, r.CustomerID, r.CustomerExternalID, r.CustomerEmail,
			r.PartnerID, r.PartnerName, r.LinkKey, r.UTMSource, r.UTMMedium, r.UTMCampaign,
			strconv.FormatInt(r.Amount, 10), r.Currency, strconv.FormatInt(r.RefundedAmount, 10), r.Status,
			r.RewardID, reward, r.RewardCurrency, r.RewardStatus, r.AttributedBy, r.Reason, r.PromotionCode,
		})
	})
	return out.finish(err)
}

func (m *money) exportRewards(c echo.Context) error {
	f, err := m.exportFilter(c)
	if err != nil {
		return err
	}
	if f.Status, err = enumParam(c, "status", attribution.RewardStatuses...); err != nil {
		return err
	}
	out := newCSVStream(c, "rewards.csv", rewardCSVHeader)
	err = m.exports.ExportRewards(c.Request().Context(), VendorOf(c).ID, f, func(r *attribution.RewardExportRow) error {
		return out.write([]string{
			r.RewardID, csvTime(&r.CreatedAt), r.PartnerID, r.PartnerName, r.PartnerEmail, r.Kind, r.Status,
			strconv.FormatInt(r.Amount, 10), r.Currency, r.PurchaseID, r.CustomerID, r.Reason,
			csvTime(r.ApprovedAt), csvTime(r.PaidAt),
		})
	})
	return out.finish(err)
}
