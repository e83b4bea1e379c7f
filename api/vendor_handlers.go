package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
)

// vendorHandlers serve the vendor's own settings (/v1/vendor) and the
// operator's vendor creation (/admin/v1/vendors).
type vendorHandlers struct {
	deps      handlerDeps
	publicURL string // base of the owner's setup link
}

// VendorCreationRequest is the body of POST /admin/v1/vendors.
type VendorCreationRequest struct {
	Name   string `json:"name"`
	Domain string `json:"domain"`
	// OwnerEmail, optional, creates the vendor's first admin user and
	// answers their one-time setup link.
	OwnerEmail string `json:"owner_email"`
}

// VendorCreationResponse shows the secret key, once.
type VendorCreationResponse struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Domain    string `json:"domain"`
	SecretKey string `json:"secret_key"`
	PublicKey string `json:"public_key"`
	// OwnerSetupURL is the owner's one-time /setup/{token} link (72 h).
	OwnerSetupURL string `json:"owner_setup_url,omitempty"`
}

func (s *vendorHandlers) createVendor(c echo.Context) error {
	var req VendorCreationRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if req.OwnerEmail != "" { // checked first: a taken email creates no vendor
		if err := s.deps.Accounts.CheckNewUser(ctx, req.OwnerEmail); err != nil {
			return err
		}
	}
	nv, err := s.deps.Vendors.CreateVendor(ctx, req.Name, req.Domain)
	if err != nil {
		return err
	}
	resp := VendorCreationResponse{
		ID: nv.Vendor.ID, Name: nv.Vendor.Name, Domain: nv.Vendor.Domain,
		SecretKey: nv.SecretKey, PublicKey: nv.Vendor.PublicKey,
	}
	if req.OwnerEmail != "" {
		_, token, err := s.deps.Accounts.CreateUser(ctx, nv.Vendor.ID, req.OwnerEmail, attribution.RoleAdmin)
		if err != nil {
			return err
		}
		resp.OwnerSetupURL = strings.TrimRight(s.publicURL, "/") + attribution.SetupPath(token)
	}
	return c.JSON(http.StatusCreated, resp)
}

func (s *vendorHandlers) getVendor(c echo.Context) error {
	return c.JSON(http.StatusOK, VendorOf(c))
}

func (s *vendorHandlers) patchVendor(c echo.Context) error {
	var upd attribution.VendorUpdate
	if err := httpx.DecodeJSON(c, &upd); err != nil {
		return err
	}
	v, err := s.deps.Vendors.UpdateVendor(c.Request().Context(), VendorOf(c).ID, ActorOf(c), upd)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}
