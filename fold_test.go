package tenure_test

import (
	"testing"

	"github.com/tenure-loyalty/tenure"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Julia Wójcik":          "julia wojcik",
		"ŁUKASZ Żółć":           "lukasz zolc",
		"Straße":                "strasse",
		"JOSÉ Núñez":            "jose nunez",
		"Anna.Kowalska@Shop.PL": "anna.kowalska@shop.pl",
		"Ærøskøbing":            "aeroskobing",
	} {
		if got := tenure.Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}
