package synth_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure/analytics"
	"github.com/tenure-loyalty/tenure/analytics/synth"
	"github.com/tenure-loyalty/tenure/clv"
)

func collect(t *testing.T, cfg synth.Config) (*synth.Store, []analytics.Order) {
	t.Helper()
	s, err := synth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, slices.Collect(s.Orders())
}

func TestStoreHasExactlyTheCustomersAndOrdersAsked(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  synth.Config
	}{
		{"ten orders per customer", synth.Config{Customers: 3000, Orders: 30000, Seed: 1}},
		{"a repeat order for one customer in a hundred", synth.Config{Customers: 2000, Orders: 2020, Seed: 2}},
		{"first orders only", synth.Config{Customers: 500, Orders: 500, Seed: 3}},
		{"one customer", synth.Config{Customers: 1, Orders: 1, Seed: 4}},
		{"heavy buyers over a short window", synth.Config{Customers: 2000, Orders: 40000, Seed: 5, Span: 90 * 24 * time.Hour, R: 2, A: 0.8, B: 2}},
		{"shuffled ids", synth.Config{Customers: 3000, Orders: 30000, Seed: 1, ShuffleIDs: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, orders := collect(t, tc.cfg)
			if len(orders) != tc.cfg.Orders {
				t.Fatalf("%d orders, want %d", len(orders), tc.cfg.Orders)
			}
			start, end := s.Config().Start, s.End()
			seen := map[string]bool{}
			for i, o := range orders {
				if o.At.Before(start) || !o.At.Before(end) {
					t.Fatalf("order %d at %v is outside [%v, %v)", i, o.At, start, end)
				}
				if o.Amount < 1 || o.Items < 1 {
					t.Fatalf("order %d has amount %d and %d items", i, o.Amount, o.Items)
				}
				if i > 0 && o.Customer == orders[i-1].Customer {
					if o.At.Before(orders[i-1].At) {
						t.Fatalf("customer %s's orders are not in time order at %d", o.Customer, i)
					}
					continue
				}
				if seen[o.Customer] {
					t.Fatalf("customer %s's orders are not contiguous (again at %d)", o.Customer, i)
				}
				if !tc.cfg.ShuffleIDs && i > 0 && o.Customer < orders[i-1].Customer {
					t.Fatalf("customer %s comes after %s", o.Customer, orders[i-1].Customer)
				}
				seen[o.Customer] = true
			}
			if len(seen) != tc.cfg.Customers {
				t.Fatalf("%d customers, want %d", len(seen), tc.cfg.Customers)
			}
		})
	}
}

func TestShuffledIDsAreTheSameIDsInAnotherOrder(t *testing.T) {
	cfg := synth.Config{Customers: 1237, Orders: 1237, Seed: 9}
	plain, _ := synth.New(cfg)
	cfg.ShuffleIDs = true
	shuffled, _ := synth.New(cfg)
	var a, b []string
	for i := range cfg.Customers {
		a = append(a, plain.CustomerID(i))
		b = append(b, shuffled.CustomerID(i))
	}
	if slices.Equal(a, b) {
		t.Fatal("shuffling changed nothing")
	}
	slices.Sort(b)
	if !slices.Equal(a, b) {
		t.Fatal("shuffled ids are not a permutation of the plain ids")
	}
}

func TestSameSeedSameStoreOtherSeedAnotherStore(t *testing.T) {
	cfg := synth.Config{Customers: 800, Orders: 8000, Seed: 42}
	_, a := collect(t, cfg)
	_, b := collect(t, cfg)
	if !slices.Equal(a, b) {
		t.Fatal("two runs with one seed differ")
	}
	cfg.Seed = 43
	_, c := collect(t, cfg)
	if slices.Equal(a, c) {
		t.Fatal("two seeds give the same store")
	}
}

func TestStoppingEarlyStopsTheStream(t *testing.T) {
	s, err := synth.New(synth.Config{Customers: 100, Orders: 1000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range s.Orders() {
		if n++; n == 10 {
			break
		}
	}
	if n != 10 {
		t.Fatalf("got %d orders", n)
	}
}

func TestInvalidConfigsAreRejected(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  synth.Config
	}{
		{"no customers", synth.Config{Orders: 10}},
		{"fewer orders than customers", synth.Config{Customers: 10, Orders: 9}},
		{"negative shape", synth.Config{Customers: 10, Orders: 20, R: -1}},
		{"spend mean infinite", synth.Config{Customers: 10, Orders: 20, Q: 0.5}},
		{"fewer than one item per order", synth.Config{Customers: 10, Orders: 20, ItemsMean: 0.5}},
		{"more repeat orders than the model can give in the window", synth.Config{Customers: 10, Orders: 100000, A: 5, B: 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := synth.New(tc.cfg); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// The generator is the BG/NBD and Gamma-Gamma models: fitting them to its exact purchase
// times (no calendar-day reduction) gives back the generating parameters, within three
// standard errors.
func TestFittingTheModelsRecoversTheGeneratingParameters(t *testing.T) {
	s, orders := collect(t, synth.Config{Customers: 5000, Orders: 50000, Seed: 7})
	end := s.End()
	var cs []clv.Customer
	var items, amount float64
	for _, o := range orders {
		items += float64(o.Items)
		amount += float64(o.Amount)
		age := end.Sub(o.At).Hours() / (7 * 24)
		if len(cs) == 0 || cs[len(cs)-1].ID != o.Customer {
			cs = append(cs, clv.Customer{ID: o.Customer, T: age})
			continue
		}
		c := &cs[len(cs)-1]
		c.X++
		c.Tx = c.T - age
		c.Monetary += float64(o.Amount)
	}
	var repeaters []clv.Customer
	for _, c := range cs {
		if c.X > 0 {
			c.Monetary /= float64(c.X)
			repeaters = append(repeaters, c)
		}
	}
	m, fit, err := clv.FitBGNBD(cs, nil)
	if err != nil || !fit.OK() {
		t.Fatal(err, fit)
	}
	g, gfit, err := clv.FitGammaGamma(repeaters, nil)
	if err != nil || !gfit.OK() {
		t.Fatal(err, gfit)
	}
	want, wantSpend := s.Model(), s.Spend()
	check := func(f clv.Fit, got, want []float64) {
		for i := range got {
			if math.Abs(got[i]-want[i]) > 3*f.StdErr[i] {
				t.Errorf("%s %s = %.4g, generated with %.4g (standard error %.3g)", f.Model, f.Names[i], got[i], want[i], f.StdErr[i])
			}
		}
	}
	check(fit, []float64{m.R, m.Alpha, m.A, m.B}, []float64{want.R, want.Alpha, want.A, want.B})
	check(gfit, []float64{g.P, g.Q, g.Gamma}, []float64{wantSpend.P, wantSpend.Q, wantSpend.Gamma})
	n := float64(len(orders))
	if mean := s.Config().ItemsMean; math.Abs(items/n-mean) > 0.02*mean {
		t.Errorf("%.3f items per order, want about %.3f", items/n, mean)
	}
	if mean := wantSpend.MeanSpend(); math.Abs(amount/n-mean) > 0.05*mean {
		t.Errorf("mean order %.0f, want about %.0f", amount/n, mean)
	}
}
