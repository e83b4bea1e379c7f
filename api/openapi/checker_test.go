package openapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/tally-dev/tally/internal/testenv"
)

func init() {
	// The QR codes: their bodies are checked by the QR tests, only their
	// media types here.
	openapi3filter.RegisterBodyDecoder("image/png", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("image/svg+xml", openapi3filter.FileBodyDecoder)
}

// checker sends requests to the running server and validates each request
// and each answer against the document, recording the operations reached.
type checker struct {
	e      *testenv.Env
	doc    *openapi3.T
	router routers.Router
	hit    map[string]bool // by operationId
}

func newChecker(t *testing.T, e *testenv.Env) *checker {
	t.Helper()
	doc := loadDocument(t)
	// The document names its own server ("/"); the router matches hosts.
	doc.Servers = openapi3.Servers{{URL: e.URL()}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	return &checker{e: e, doc: doc, router: router, hit: map[string]bool{}}
}

// call sends a request the document must accept and wants the status
// want, with an answer the document describes.
func (c *checker) call(t *testing.T, want int, method, path, token string, body any, headers ...string) *testenv.Response {
	t.Helper()
	return c.send(t, true, want, method, path, token, body, headers...)
}

// refused sends a request that is wrong on purpose (a missing key, a
// malformed body): only the answer is checked against the document.
func (c *checker) refused(t *testing.T, want int, method, path, token string, body any, headers ...string) *testenv.Response {
	t.Helper()
	return c.send(t, false, want, method, path, token, body, headers...)
}

func (c *checker) send(t *testing.T, strict bool, want int, method, path, token string, body any, headers ...string) *testenv.Response {
	t.Helper()
	var data []byte
	switch b := body.(type) {
	case nil:
	case string:
		data = []byte(b)
	case []byte:
		data = b
	default:
		var err error
		if data, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	var sent any // nil stays nil: no body at all
	if body != nil {
		sent = data
	}
	resp := c.e.Do(t, method, path, token, sent, headers...)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, resp.Body)
	}

	// The same request again, for the validator.
	req, err := http.NewRequest(method, c.e.URL()+path, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s is not in openapi.json: %v", method, path, err)
	}
	c.hit[route.Operation.OperationID] = true
	ctx := context.Background()
	opts := &openapi3filter.Options{
		IncludeResponseStatus:             true, // an undocumented status fails
		RejectWhenRequestBodyNotSpecified: true,
		AuthenticationFunc:                authenticate,
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if strict {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			t.Errorf("%s %s: the document refuses this request: %v", method, path, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(resp.Body)), Options: opts,
	}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		t.Errorf("%s %s: the answer (%d) does not match the document: %v\n%s", method, path, resp.StatusCode, err, clip(resp.Body))
	}
	return resp
}

// authenticate checks the credentials each security scheme names.
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	h := in.RequestValidationInput.Request.Header
	auth := h.Get("Authorization")
	switch in.SecuritySchemeName {
	case "secretKey":
		if strings.HasPrefix(auth, "Bearer sk_") {
			return nil
		}
	case "partnerToken":
		if strings.HasPrefix(auth, "Bearer pt_") {
			return nil
		}
	case "adminToken":
		if auth == "Bearer "+testenv.AdminToken {
			return nil
		}
	case "stripeSignature":
		if h.Get("Stripe-Signature") != "" {
			return nil
		}
	default:
		return errors.New("unknown security scheme " + in.SecuritySchemeName)
	}
	return errors.New("no credentials for " + in.SecuritySchemeName)
}

// unreached lists the documented operations no request reached.
func (c *checker) unreached() []string {
	var out []string
	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			if !c.hit[op.OperationID] {
				out = append(out, op.OperationID+" ("+method+" "+path+")")
			}
		}
	}
	sort.Strings(out)
	return out
}

// clip shortens an answer for a failure message.
func clip(b []byte) string {
	if !utf8.Valid(b) {
		return fmt.Sprintf("(%d bytes)", len(b))
	}
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}
