package dashboard

import (
	"strings"
	"testing"
)

const ruleText = `{
  "time_zone": "Europe/Warsaw",
  "rules": [
    {"id": "base", "kind": "spend", "spend": {"points": 1}},
    {
      "id": "review",
      "kind": "action",
      "event": "review.posted",
      "points": 20,
      "bonuses": [
        {"name": "photo", "condition": "event.properties.photo ==", "points": 30}
      ]
    }
  ]
}`

func TestJSONPathsFindEveryMember(t *testing.T) {
	at := jsonPaths(ruleText)
	for path, line := range map[string]int{
		"time_zone":                     2,
		"rules":                         3,
		"rules[0]":                      4,
		"rules[0].spend.points":         4,
		"rules[1]":                      5,
		"rules[1].kind":                 7,
		"rules[1].bonuses[0].condition": 11,
		"rules[1].bonuses[0]":           11,
		"rules[1].points":               9,
	} {
		off, ok := at[path]
		if !ok {
			t.Errorf("%s not found", path)
			continue
		}
		if got := lineAt(ruleText, off); got != line {
			t.Errorf("%s on line %d, want %d", path, got, line)
		}
	}
}

func TestRuleErrorsNameTheirLine(t *testing.T) {
	tests := []struct {
		name, text, location string
		line                 int
	}{
		{"a bad condition is placed on its line", ruleText, "rules[1].bonuses[0].condition", 11},
		{"a syntax error names where the JSON broke", "{\n  \"rules\": [\n    {\"id\": \"x\",,}\n  ]\n}", "", 3},
		{"an unknown field is refused, not dropped", "{\"rules\": [{\"id\": \"a\", \"kind\": \"spend\", \"spend\": {\"points\": 1}, \"colour\": \"red\"}]}", "", 1},
		{"a wrong type names its field", "{\n\"rules\": [{\"id\": 7}]\n}", "rules.id", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := parseRules(tc.text)
			if len(errs) == 0 {
				t.Fatal("no error")
			}
			var found bool
			for _, e := range errs {
				if (tc.location == "" || e.Location == tc.location) && e.Line == tc.line {
					found = true
				}
			}
			if !found {
				t.Fatalf("want %q on line %d, got %+v", tc.location, tc.line, errs)
			}
		})
	}
	if _, errs := parseRules(strings.Replace(ruleText, `"event.properties.photo =="`, `"event.properties.photo == true"`, 1)); errs != nil {
		t.Fatalf("a valid set was refused: %+v", errs)
	}
}

func TestFormatting(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{num(0), "0"},
		{num(1234567), "1,234,567"},
		{num(-1000), "−1,000"},
		{signed(75), "+75"},
		{signed(-5), "−5"},
		{money(123456, "PLN"), "1\u00a0234,56\u00a0zł"},
		{money(-5, "EUR"), "−0,05\u00a0€"},
		{money(150000, "USD"), "$1,500.00"},
		{money(1500, "XYZ"), "15.00\u00a0XYZ"},
		{pointValue(10_000_000, "PLN"), "0,10\u00a0zł"},
		{pointValue(1_000_000, "PLN"), "0,01\u00a0zł"},
		{pointValue(100_000_000, "PLN"), "1,00\u00a0zł"},
		{pointValue(250_000, "PLN"), "0,0025\u00a0zł"},
		{localNext("/admin/members?q=x"), "/admin/members?q=x"},
		{localNext("//evil.example/admin/"), "/admin/"},
		{localNext("https://evil.example/admin/"), "/admin/"},
		{localNext("/admin/\\evil"), "/admin/"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
