package client

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Every operation the client offers is in docs/openapi.json with the same id, method and
// path, and the path parameters the client fills are the document's.
func TestOperationsMatchOpenAPI(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "docs", "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			Parameters  []struct {
				Name string `json:"name"`
				In   string `json:"in"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Paths) < 20 {
		t.Fatalf("the document lists %d paths; is it the API's?", len(doc.Paths))
	}
	byID := map[string]string{}
	for path, ops := range doc.Paths {
		for method, o := range ops {
			byID[o.OperationID] = strings.ToUpper(method) + " " + path
		}
	}
	param := regexp.MustCompile(`\{([a-z_]+)\}`)
	seen := map[string]bool{}
	for _, op := range operationsOffered {
		if seen[op.ID] {
			t.Errorf("%s listed twice", op.ID)
		}
		seen[op.ID] = true
		got, ok := byID[op.ID]
		if !ok {
			t.Errorf("the client offers %s, which the document does not have", op.ID)
			continue
		}
		if want := op.Method + " " + op.Path; got != want {
			t.Errorf("%s: the client calls %s, the document says %s", op.ID, want, got)
			continue
		}
		o := doc.Paths[op.Path][strings.ToLower(op.Method)]
		var inPath []string
		for _, p := range o.Parameters {
			if p.In == "path" {
				inPath = append(inPath, p.Name)
			}
		}
		for _, m := range param.FindAllStringSubmatch(op.Path, -1) {
			if !slices.Contains(inPath, m[1]) {
				t.Errorf("%s: path parameter %s is not in the document", op.ID, m[1])
			}
		}
	}
}
