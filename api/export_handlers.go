package api

import (
	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
)

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

func (m *money) exportPurchases(c echo.Context) error {
	f, err := m.exportFilter(c)
	if err != nil {
		return err
	}
	out := httpx.NewCSVStream(c, "purchases.csv", attribution.PurchaseCSVHeader)
	err = m.exports.ExportPurchases(c.Request().Context(), VendorOf(c).ID, f, func(r *attribution.PurchaseExportRow) error {
		return out.Write(r.CSVRecord())
	})
	return out.Finish(err)
}

func (m *money) exportRewards(c echo.Context) error {
	f, err := m.exportFilter(c)
	if err != nil {
		return err
	}
	if f.Status, err = enumParam(c, "status", attribution.RewardStatuses...); err != nil {
		return err
	}
	out := httpx.NewCSVStream(c, "rewards.csv", attribution.RewardCSVHeader)
	err = m.exports.ExportRewards(c.Request().Context(), VendorOf(c).ID, f, func(r *attribution.RewardExportRow) error {
		return out.Write(r.CSVRecord())
	})
	return out.Finish(err)
}
