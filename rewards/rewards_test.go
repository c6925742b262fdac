package rewards_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rewards"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func fields(err error) []string {
	var e *tenure.Error
	if !errors.As(err, &e) {
		return nil
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestValidateNamesTheField(t *testing.T) {
	ok := rewards.RewardDefinition{Name: "10% off", Type: rewards.PercentDiscount, Cost: 100, Percent: 10}
	cases := []struct {
		name  string
		edit  func(d *rewards.RewardDefinition)
		field string
	}{
		{"a negative cost", func(d *rewards.RewardDefinition) { d.Cost = -1 }, "cost"},
		{"an unknown type", func(d *rewards.RewardDefinition) { d.Type = "teleport" }, "type"},
		{"a percent over 100", func(d *rewards.RewardDefinition) { d.Percent = 101 }, "percent"},
		{"a percent on a fixed discount", func(d *rewards.RewardDefinition) { d.Type, d.Value = rewards.FixedDiscount, 2000 }, "percent"},
		{"a fixed discount without value", func(d *rewards.RewardDefinition) { d.Type, d.Percent = rewards.FixedDiscount, 0 }, "value"},
		{"a free product without product", func(d *rewards.RewardDefinition) { d.Type, d.Percent = rewards.FreeProduct, 0 }, "product_id"},
		{"pay with points of zero cost", func(d *rewards.RewardDefinition) {
			d.Type, d.Percent, d.Cost, d.Value = rewards.PointsDiscount, 0, 0, 100
		}, "cost"},
		{"an empty name", func(d *rewards.RewardDefinition) { d.Name = "  " }, "name"},
		{"a window ending before it starts", func(d *rewards.RewardDefinition) {
			d.AvailableFrom, d.AvailableUntil = ptr(now), ptr(now.Add(-time.Hour))
		}, "available_until"},
		{"negative stock", func(d *rewards.RewardDefinition) { d.Stock = ptr(int64(-1)) }, "stock"},
		{"a guessable pattern", func(d *rewards.RewardDefinition) { d.CodePattern = "SALE-####" }, "code_pattern"},
		{"a pattern with spaces", func(d *rewards.RewardDefinition) { d.CodePattern = "A ********" }, "code_pattern"},
		{"an unknown code source", func(d *rewards.RewardDefinition) { d.CodeSource = "magic" }, "code_source"},
		{"validity over ten years", func(d *rewards.RewardDefinition) { d.ValidDays = 4000 }, "valid_days"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := ok
			c.edit(&d)
			err := d.Validate()
			if tenure.KindOf(err) != tenure.KindInvalid || !strings.Contains(strings.Join(fields(err), " "), c.field) {
				t.Fatalf("got %v, want an invalid %s", err, c.field)
			}
		})
	}
	d := ok
	d.Tiers = []string{" Gold ", "gold", "VIP"}
	if err := d.Validate(); err != nil || d.CodePattern != rewards.DefaultPattern || strings.Join(d.Tiers, ",") != "gold,vip" {
		t.Fatalf("valid definition: %v %+v", err, d)
	}
}

func TestPricePayWithPoints(t *testing.T) {
	r := rewards.Reward{RewardDefinition: rewards.RewardDefinition{Type: rewards.PointsDiscount, Cost: 100, Value: 500, MaxPoints: 1000}}
	for _, c := range []struct {
		name        string
		points      int64
		cost, value int64
		bad         bool
	}{
		{"no points asked is one step", 0, 100, 500, false},
		{"three steps are worth three times", 300, 300, 1500, false},
		{"points between steps are refused", 250, 0, 0, true},
		{"less than one step is refused", 50, 0, 0, true},
		{"more than the maximum is refused", 1100, 0, 0, true},
	} {
		cost, value, err := rewards.Price(r, c.points)
		if c.bad != (err != nil) || cost != c.cost || value != c.value {
			t.Errorf("%s: cost %d value %d err %v", c.name, cost, value, err)
		}
		if c.bad && fields(err)[0] != "points" {
			t.Errorf("%s: error names %v", c.name, fields(err))
		}
	}
	if _, _, err := rewards.Price(rewards.Reward{RewardDefinition: rewards.RewardDefinition{Type: rewards.FixedDiscount, Cost: 200}}, 300); err == nil {
		t.Fatal("a fixed discount took a chosen number of points")
	}
}

func TestDecideGivesTheFirstReason(t *testing.T) {
	base := rewards.Reward{ID: "rwd_1", RewardDefinition: rewards.RewardDefinition{Name: "20 zł", Type: rewards.FixedDiscount, Cost: 200, Value: 2000, CodeSource: rewards.CodesPattern}}
	rich := rewards.Member{Tier: "Gold", Segments: []string{"vip"}, Points: 1000}
	cases := []struct {
		name   string
		edit   func(r *rewards.Reward, m *rewards.Member, held *int64)
		reason rewards.Reason
		msg    string
	}{
		{"an affordable reward is available", func(*rewards.Reward, *rewards.Member, *int64) {}, "", ""},
		{"a short member is told the shortfall", func(_ *rewards.Reward, m *rewards.Member, _ *int64) { m.Points = 150 }, rewards.ReasonPoints, "needs 50 more points"},
		{"an archived reward is not offered", func(r *rewards.Reward, _ *rewards.Member, _ *int64) { r.ArchivedAt = ptr(now) }, rewards.ReasonArchived, "no longer offered"},
		{"a window not yet open", func(r *rewards.Reward, _ *rewards.Member, _ *int64) { r.AvailableFrom = ptr(now.Add(time.Hour)) }, rewards.ReasonNotYet, "available from"},
		{"a window closed at its end", func(r *rewards.Reward, _ *rewards.Member, _ *int64) { r.AvailableUntil = ptr(now) }, rewards.ReasonEnded, "no longer available"},
		{"another tier", func(r *rewards.Reward, _ *rewards.Member, _ *int64) { r.Tiers = []string{"silver"} }, rewards.ReasonTier, "not available to your tier"},
		{"the tier matches whatever its case", func(r *rewards.Reward, _ *rewards.Member, _ *int64) { r.Tiers = []string{"gold"} }, "", ""},
		{"another segment", func(r *rewards.Reward, _ *rewards.Member, _ *int64) { r.Segments = []string{"lapsed"} }, rewards.ReasonSegment, "segment"},
		{"no stock", func(r *rewards.Reward, _ *rewards.Member, _ *int64) { r.Stock = ptr(int64(0)) }, rewards.ReasonOutOfStock, "out of stock"},
		{"an empty pool", func(r *rewards.Reward, _ *rewards.Member, _ *int64) {
			r.CodeSource, r.CodesAvailable = rewards.CodesPool, ptr(int64(0))
		}, rewards.ReasonOutOfStock, "no codes left"},
		{"the member's limit", func(r *rewards.Reward, _ *rewards.Member, held *int64) { r.PerMemberLimit, *held = 1, 1 }, rewards.ReasonLimitReached, "limit reached"},
		{"stock is checked before points", func(r *rewards.Reward, m *rewards.Member, _ *int64) { r.Stock, m.Points = ptr(int64(0)), 0 }, rewards.ReasonOutOfStock, ""},
	}
	for _, c := range cases {
		r, m, held := base, rich, int64(0)
		c.edit(&r, &m, &held)
		d := rewards.Decide(rewards.Input{Reward: r, Member: m, Held: held, Now: now})
		if d.Available != (c.reason == "") || d.Reason != c.reason || !strings.Contains(d.Message, c.msg) {
			t.Errorf("%s: %+v", c.name, d)
		}
		if d.Cost != 200 || d.Value != 2000 {
			t.Errorf("%s: cost %d value %d", c.name, d.Cost, d.Value)
		}
		if err := d.Err("reward_id"); (err == nil) != d.Available || (err != nil && tenure.KindOf(err) != tenure.KindConflict) {
			t.Errorf("%s: error %v", c.name, err)
		}
	}
}

func TestCodesFromPatterns(t *testing.T) {
	i := 0
	pick := func(n int) int { i++; return i % n }
	code := rewards.Generate("TNR-##??-****", pick)
	if !regexp.MustCompile(`^TNR-[0-9]{2}[A-Z]{2}-[0-9A-Z]{4}$`).MatchString(code) {
		t.Fatalf("code %q does not follow the pattern", code)
	}
	for _, p := range []string{"********", "##########", "GIFT-?????-???"} {
		if msg := rewards.CheckPattern(p); msg != "" {
			t.Errorf("%s: %s", p, msg)
		}
	}
	for _, p := range []string{"", "******", "ab******", "SALE2026"} {
		if rewards.CheckPattern(p) == "" {
			t.Errorf("%q accepted", p)
		}
	}
	codes, err := rewards.CheckPoolCodes([]string{" a1 ", "B2", "A1", ""})
	if got := strings.Join(fields(err), ","); got != "codes[2],codes[3]" || codes[0] != "A1" {
		t.Fatalf("pool check: %v %q", err, codes)
	}
	if _, err := rewards.CheckPoolCodes(nil); strings.Join(fields(err), ",") != "codes" {
		t.Fatalf("empty pool: %v", err)
	}
}

func TestCouponLifecycle(t *testing.T) {
	r := rewards.Reward{ID: "rwd_1", RewardDefinition: rewards.RewardDefinition{Name: "20 zł", Type: rewards.FixedDiscount, Cost: 200, Value: 2000, ValidDays: 30, MinOrder: 10000}}
	m := tenure.Member{ID: "mem_1", ExternalID: "ola"}
	issue := func() rewards.Coupon {
		return rewards.NewCoupon("cpn_1", r, m, rewards.Decision{Available: true, Cost: 200, Value: 2000}, "PLN", now)
	}
	c := issue()
	if c.State != rewards.Issued || !c.ValidUntil.Equal(now.AddDate(0, 0, 30)) || c.MinOrder != 10000 || c.Points != 200 {
		t.Fatalf("issued %+v", c)
	}
	if _, err := c.Use("o1", ptr(int64(9999)), now); tenure.KindOf(err) != tenure.KindConflict || fields(err)[0] != "order_total" {
		t.Fatalf("below the minimum order: %v", err)
	}
	if changed, err := c.Use("o1", ptr(int64(10000)), now); !changed || err != nil || c.State != rewards.Used {
		t.Fatalf("use: %v %v", changed, err)
	}
	if changed, err := c.Use("o1", nil, now); changed || err != nil {
		t.Fatalf("the same use again: %v %v", changed, err)
	}
	if _, err := c.Use("o2", nil, now); tenure.KindOf(err) != tenure.KindConflict {
		t.Fatalf("a second order: %v", err)
	}
	if refund, changed := c.Expire(now.AddDate(1, 0, 0)); changed || refund != 0 {
		t.Fatal("a used coupon expired")
	}
	if refund, changed, err := c.Cancel("order cancelled", now); refund != 200 || !changed || err != nil {
		t.Fatalf("cancel of a used coupon: %d %v %v", refund, changed, err)
	}
	if refund, changed, _ := c.Cancel("again", now); refund != 0 || changed {
		t.Fatal("a second cancel returned points again")
	}

	c = issue()
	if _, changed := c.Expire(now.AddDate(0, 0, 29)); changed {
		t.Fatal("expired before valid_until")
	}
	if _, err := c.Use("o3", nil, now.AddDate(0, 0, 30)); tenure.KindOf(err) != tenure.KindConflict {
		t.Fatalf("use at valid_until: %v", err)
	}
	if refund, changed := c.Expire(now.AddDate(0, 0, 30)); !changed || refund != 0 || c.State != rewards.Expired {
		t.Fatalf("expiry without return: %d %v", refund, changed)
	}
	if refund, changed, _ := c.Cancel("reported unused", now); !changed || refund != 200 {
		t.Fatalf("an expired coupon reported unused returns its points: %d", refund)
	}

	r.ReturnOnExpiry = true
	c = issue()
	if refund, _ := c.Expire(now.AddDate(0, 0, 31)); refund != 200 {
		t.Fatalf("expiry with return gave %d", refund)
	}
	if refund, _, _ := c.Cancel("", now); refund != 0 {
		t.Fatalf("points returned twice: %d", refund)
	}

	r.Type = rewards.StoreCredit
	if c := issue(); c.State != rewards.Used || c.ValidUntil != nil {
		t.Fatalf("store credit coupon %+v", c)
	}
}
