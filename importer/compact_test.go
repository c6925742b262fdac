package importer

import (
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
)

func TestIDSetAndMatcherKeepIDsExactly(t *testing.T) {
	ids := []string{"536365", "C536379", "A563185", "0", "007", "12345678", "123456789012345678",
		"9223372036854775807", "9223372036854775808", "5000000000000000000", "INV-2011-000123", "", "ż1"}
	s := newIDSet()
	for _, id := range ids[:len(ids)/2] {
		s.add(id)
	}
	for i, id := range ids {
		if got, want := s.has(id), i < len(ids)/2; got != want {
			t.Errorf("has(%q) = %v, want %v", id, got, want)
		}
	}
	if s.has("536366") || s.has("C53637") || s.has("00") {
		t.Error("set holds an id never added")
	}
	m := newMatcher()
	at := time.Date(2011, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, id := range ids {
		m.remember(&Order{CustomerID: "c" + id, PlacedAt: at, Data: tenure.OrderData{ID: id,
			Lines: []tenure.LineData{{ProductID: "P", Quantity: 2}}}})
	}
	for _, id := range ids {
		order, line, ok := m.take("c"+id, "P", at, 2)
		if !ok || order != id || line != 1 {
			t.Errorf("take for %q = %q, %d, %v", id, order, line, ok)
		}
		if _, _, ok := m.take("c"+id, "P", at, 1); ok {
			t.Errorf("units of %q taken twice", id)
		}
	}
}
