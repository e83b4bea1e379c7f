package attribution

// PartnerTotal sums a partner's days into one: counts added, revenue and
// rewards added per currency (as AnalyticsRow.Add adds them). Amounts are bounded (ValidAmount), so the
// sums of a period stay far from overflow.
func PartnerTotal(days []*PartnerDay) *PartnerDay {
	total := &PartnerDay{Revenue: map[string]int64{}, Rewards: map[string]int64{}}
	for _, d := range days {
		total.Clicks += d.Clicks
		total.UniqueClicks += d.UniqueClicks
		total.Signups += d.Signups
		total.Purchases += d.Purchases
		total.Revenue = addAmounts(total.Revenue, d.Revenue)
		total.Rewards = addAmounts(total.Rewards, d.Rewards)
	}
	return total
}
