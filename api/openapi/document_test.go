package openapi_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tally-dev/tally/api/openapi"
)

// loadDocument loads and validates the embedded document as OpenAPI 3.1.
func loadDocument(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapi.Document())
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI document: %v", err)
	}
	return doc
}

func TestDocumentIsOpenAPI31(t *testing.T) {
	doc := loadDocument(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") || !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi is %q, want 3.1.x", doc.OpenAPI)
	}
	if doc.JSONSchemaDialect != "https://spec.openapis.org/oas/3.1/dialect/base" {
		t.Errorf("jsonSchemaDialect is %q, want the OpenAPI 3.1 base dialect (JSON Schema 2020-12)", doc.JSONSchemaDialect)
	}
	if len(doc.Webhooks) == 0 {
		t.Error("the webhooks section (planned outbound events) is missing")
	}
	// kin-openapi accepts a few OpenAPI 3.0 forms in a 3.1 document and then
	// ignores them; JSON Schema 2020-12 has its own forms.
	var raw any
	if err := json.Unmarshal(openapi.Document(), &raw); err != nil {
		t.Fatal(err)
	}
	walkJSON(raw, "", func(path string, key string, v any) {
		switch key {
		case "nullable":
			t.Errorf("%s: nullable is OpenAPI 3.0; use a type array with \"null\"", path)
		case "exclusiveMinimum", "exclusiveMaximum":
			if _, ok := v.(bool); ok {
				t.Errorf("%s: a boolean %s is OpenAPI 3.0; JSON Schema 2020-12 takes a number", path, key)
			}
		case "example":
			t.Errorf("%s: example is deprecated in 3.1 schemas; use examples", path)
		case "type":
			if list, ok := v.([]any); ok {
				for _, ty := range list {
					if !validType(ty) {
						t.Errorf("%s: unknown type %v", path, ty)
					}
				}
			} else if s, ok := v.(string); ok && !validType(s) && !strings.Contains(path, "/securitySchemes/") {
				t.Errorf("%s: unknown type %v", path, s)
			}
		}
	})
	// operationIds name the operations the walk must exercise: unique.
	seen := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" || seen[op.OperationID] {
				t.Errorf("%s %s: operationId %q missing or repeated", method, path, op.OperationID)
			}
			seen[op.OperationID] = true
		}
	}
}

func validType(v any) bool {
	switch v {
	case "null", "boolean", "object", "array", "number", "string", "integer":
		return true
	}
	return false
}

// walkJSON calls fn for every key of every object in v, with its path.
func walkJSON(v any, path string, fn func(path, key string, v any)) {
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			p := path + "/" + k
			// Property names are data, not keywords.
			if !strings.HasSuffix(path, "/properties") {
				fn(p, k, c)
			}
			walkJSON(c, p, fn)
		}
	case []any:
		for _, c := range v {
			walkJSON(c, path+"/[]", fn)
		}
	}
}
