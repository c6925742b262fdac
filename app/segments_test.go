package app_test

import (
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

func TestSegments(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		for i, c := range []struct{ cust, cat, price string }{{"a", "coffee", "60000"}, {"a", "tea", "5000"}, {"b", "tea", "3000"}, {"c", "coffee", "2000"}} {
			r := s.do("POST", "/v1/events", s.key, `{"id":"e`+string(rune('0'+i))+`","type":"order.paid","customer_id":"`+c.cust+`","order":{"id":"o`+string(rune('0'+i))+`","lines":[{"category":"`+c.cat+`","quantity":1,"unit_price":`+c.price+`}]}}`)
			if r.Status != 201 {
				t.Fatalf("order: %d %s", r.Status, r.Body)
			}
		}
		if r := s.do("PUT", "/v1/segments/coffee-fans", s.key, `{"name":"Coffee fans","condition":"\"coffee\" in member.categories"}`); r.Status != 200 {
			t.Fatalf("save: %d %s", r.Status, r.Body)
		}
		s.do("PUT", "/v1/segments/big", s.key, `{"name":"Big spenders","condition":"member.monetary >= 50000 && member.frequency >= 2"}`)
		bad := s.do("PUT", "/v1/segments/bad", s.key, `{"name":"Bad","condition":"member.monetry > 1"}`)
		if bad.Status != 422 || !strings.Contains(string(bad.Body), "body.condition") || !strings.Contains(string(bad.Body), "column") {
			t.Fatalf("a bad condition: %d %s", bad.Status, bad.Body)
		}
		s.tick() // the refresh job runs
		list := string(s.do("GET", "/v1/segments", s.key, nil).Body)
		if !strings.Contains(list, `"key":"coffee-fans"`) || !strings.Contains(list, `"members":2`) || !strings.Contains(list, `"members":1`) {
			t.Fatalf("segments: %s", list)
		}
		members := string(s.do("GET", "/v1/segments/big/members", s.key, nil).Body)
		if !strings.Contains(members, `"external_id":"a"`) || strings.Contains(members, `"external_id":"b"`) {
			t.Fatalf("big spenders: %s", members)
		}
		csv := s.do("GET", "/v1/segments/coffee-fans/members.csv", s.key, nil)
		if lines := strings.Count(string(csv.Body), "\n"); lines != 3 {
			t.Fatalf("csv export has %d lines: %s", lines, csv.Body)
		}
		// Segments are usable in rules: a bonus for coffee fans.
		r := s.do("PUT", "/v1/rules", s.key, `{"rules":[{"id":"base","kind":"spend","spend":{"points":1}},{"id":"fans","kind":"action","event":"order.paid","points":7,"condition":"\"coffee-fans\" in member.segments"}]}`)
		if r.Status != 200 {
			t.Fatalf("rules: %d %s", r.Status, r.Body)
		}
		fan := s.do("POST", "/v1/events", s.key, `{"id":"e9","type":"order.paid","customer_id":"c","order":{"id":"o9","lines":[{"quantity":1,"unit_price":1000}]}}`)
		other := s.do("POST", "/v1/events", s.key, `{"id":"e10","type":"order.paid","customer_id":"b","order":{"id":"o10","lines":[{"quantity":1,"unit_price":1000}]}}`)
		if !strings.Contains(string(fan.Body), `"earned":17`) || !strings.Contains(string(other.Body), `"earned":10`) {
			t.Fatalf("segment bonus: fan %s, other %s", fan.Body, other.Body)
		}
	})
}
