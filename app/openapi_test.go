package app_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

var update = flag.Bool("update", false, "rewrite docs/openapi.json from the running API")

// TestOpenAPI keeps docs/openapi.json equal to what the server describes, and checks that
// every documented operation is routed, secured and has its error responses, and that
// every route the app serves is documented.
func TestOpenAPI(t *testing.T) {
	s := start(t, storagetest.Engines(t)[0])
	r := s.do("GET", "/openapi.json", "", nil)
	if r.Status != 200 {
		t.Fatalf("GET /openapi.json: %d", r.Status)
	}
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("document: %v %q", err, doc.OpenAPI)
	}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			resp, _ := op["responses"].(map[string]any)
			if _, ok := resp["422"]; !ok {
				t.Errorf("%s %s: no 422 response documented", method, path)
			}
			// An operation documented as needing no key (security [{}]: the unsubscribe
			// link a message carries) is public by design.
			if sec, ok := op["security"].([]any); ok && len(sec) == 1 {
				if req, _ := sec[0].(map[string]any); len(req) == 0 {
					continue
				}
			}
			concrete := strings.ReplaceAll(path, "{id}", "mem_00000000000000000000000000")
			// Without a key every real route answers 401, an unknown one 404/405.
			if got := s.do(strings.ToUpper(method), concrete, "", nil).Status; got != 401 {
				t.Errorf("%s %s: answered %d without a key, want 401 (is it routed and secured?)", method, path, got)
			}
		}
	}
	// Every route the app serves is documented, or is on this list with its reason.
	undocumented := map[string]string{
		"GET /openapi.json": "the document itself", "GET /openapi.yaml": "the document itself",
		"GET /openapi-3.0.json": "the document itself", "GET /openapi-3.0.yaml": "the document itself",
		"GET /healthz": "liveness probe", "GET /readyz": "readiness probe", "GET /metrics": "Prometheus metrics",
		"/admin/": "the dashboard (HTML)", "/widget/": "the widget's script and stylesheet", "GET /{$}": "a redirect to the dashboard",
		"OPTIONS /v1/member": "the browser's CORS preflight", "OPTIONS /v1/member/": "the browser's CORS preflight",
		"/v1/member/":                             "the problem for a member API path that names no operation",
		"POST /shopify/{connection}/webhooks":     "Shopify's own webhook deliveries, signed by Shopify (docs/integrations.md)",
		"POST /woocommerce/{connection}/webhooks": "WooCommerce's own webhook deliveries, signed by the shop (docs/integrations.md)",
	}
	routes := s.app.Routes()
	if len(routes) < len(doc.Paths) {
		t.Fatalf("the app reports %d routes for %d documented paths", len(routes), len(doc.Paths))
	}
	for _, route := range routes {
		if _, ok := undocumented[route]; ok {
			continue
		}
		method, path, _ := strings.Cut(route, " ")
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("%s is served but not in the OpenAPI document", route)
		}
	}

	var pretty bytes.Buffer
	_ = json.Indent(&pretty, r.Body, "", "  ")
	pretty.WriteByte('\n')
	golden := filepath.Join("..", "docs", "openapi.json")
	if *update {
		if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./app -run TestOpenAPI -update)", err)
	}
	if !bytes.Equal(want, pretty.Bytes()) {
		t.Fatalf("docs/openapi.json is stale: run go test ./app -run TestOpenAPI -update")
	}
}
