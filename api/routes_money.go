package api

import (
	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// money holds the handlers of purchases, rewards, manual overrides, the
// audit log and the exports.
type money struct {
	purchases attribution.PurchaseService
	customers attribution.CustomerService
	partners  attribution.PartnerService // promotion codes
	rewards   attribution.RewardService
	audit     attribution.AuditService
	exports   attribution.ExportService
	clock     attribution.Clock
}

// mountMoney adds the purchase, reward, override, audit and export routes
// to the secret-key group.
func (s *Server) mountMoney(v1 *echo.Group) {
	m := &money{
		purchases: s.deps.Purchases, customers: s.deps.Customers, partners: s.deps.Partners,
		rewards: s.deps.Rewards, audit: s.deps.Audit, exports: s.deps.Exports, clock: s.deps.Clock,
	}
	v1.GET("/purchases", m.listPurchases)
	v1.POST("/purchases", m.createPurchase)
	v1.GET("/purchases.csv", m.exportPurchases)
	v1.GET("/purchases/:id", m.getPurchase)
	v1.POST("/purchases/:id/exclude", m.excludePurchase)
	v1.POST("/purchases/:id/include", m.includePurchase)
	v1.GET("/rewards", m.listRewards)
	v1.POST("/rewards", m.createReward)
	v1.GET("/rewards.csv", m.exportRewards)
	v1.GET("/rewards/:id", m.getReward)
	v1.POST("/rewards/:id/approve", m.rewardAction(attribution.RewardActionApprove))
	v1.POST("/rewards/:id/decline", m.rewardAction(attribution.RewardActionDecline))
	v1.POST("/rewards/:id/pay", m.rewardAction(attribution.RewardActionPay))
	v1.POST("/customers", m.createCustomer)
	v1.POST("/customers/:id/attribution", m.reassignCustomer)
	v1.POST("/partners/:id/codes", m.addPromotionCode)
	v1.GET("/partners/:id/codes", m.listPromotionCodes)
	v1.GET("/audit", m.listAudit)
}
