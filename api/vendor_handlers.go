package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/httpx"
)

// vendorHandlers serve the vendor's own settings (/v1/vendor) and the
// operator's vendor creation (/admin/v1/vendors).
type vendorHandlers struct {
	deps handlerDeps
}

// VendorCreationRequest is the body of POST /admin/v1/vendors.
type VendorCreationRequest struct {
	Name   string `json:"name"`
	Domain string `json:"domain"`
}

// VendorCreationResponse shows the secret key, once.
type VendorCreationResponse struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Domain    string `json:"domain"`
	SecretKey string `json:"secret_key"`
	PublicKey string `json:"public_key"`
}

func (s *vendorHandlers) createVendor(c echo.Context) error {
	var req VendorCreationRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		return err
	}
	nv, err := s.deps.Vendors.CreateVendor(c.Request().Context(), req.Name, req.Domain)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, VendorCreationResponse{
		ID: nv.Vendor.ID, Name: nv.Vendor.Name, Domain: nv.Vendor.Domain,
		SecretKey: nv.SecretKey, PublicKey: nv.Vendor.PublicKey,
	})
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
