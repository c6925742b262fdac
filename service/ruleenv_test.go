package service_test

import (
	"encoding/json"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/demo"
	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/segments"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
	"github.com/tenure-loyalty/tenure/subscription"
)

// envPaths lists every field of the rule environment as a condition writes it
// ("member.tier", "order.lines.sku"), from rules.Env's expr tags.
func envPaths(t reflect.Type, prefix string) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := prefix + f.Tag.Get("expr")
		ft := f.Type
		if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct {
			ft = ft.Elem()
			out = append(out, name)
		}
		if ft.Kind() == reflect.Struct && ft != reflect.TypeOf(time.Time{}) {
			out = append(out, envPaths(ft, name+".")...)
			continue
		}
		out = append(out, name)
	}
	return out
}

// metricKeys are the keys of member.metrics the rules reference documents.
var metricKeys = []string{"recency_days", "frequency", "monetary", "aov", "r", "f", "m", "clv", "p_alive", "expected_orders"}

// TestEveryRuleFieldCanBeTrue judges live events with one rule per documented field of
// the rule environment (and per member.metrics key), each with a condition true for the
// member and event at hand: every rule must fire, so no documented field is left unfilled
// by the intake. The rules reference must document each field.
func TestEveryRuleFieldCanBeTrue(t *testing.T) {
	doc, err := os.ReadFile("../docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		end := time.Date(2026, 11, 1, 15, 0, 0, 0, time.UTC)
		h := demo.Generate(demo.Options{Customers: 150, Months: 6, Seed: 5, End: end})
		clock := demo.NewClock(h.Start)
		svc := service.New(storagetest.Open(t, e, clock), nil)
		tn, _, err := svc.Tenants.Create(ctx, "demo")
		if err != nil {
			t.Fatal(err)
		}
		ids, err := demo.Setup(ctx, svc, tn.ID, "demo")
		if err != nil {
			t.Fatal(err)
		}
		if err := demo.Replay(ctx, svc, clock, tn.ID, h, ids, nil); err != nil {
			t.Fatal(err)
		}
		// The analytics snapshot behind member.metrics, and a member it predicts a value for.
		sn, err := svc.Reports.Snapshot(ctx, tn.ID, 0)
		if err != nil || sn.CLV == nil || len(sn.CLV.Top) == 0 {
			t.Fatalf("snapshot: %v (CLV error %q)", err, sn.CLVError)
		}
		best := sn.CLV.Top[0]
		m, err := svc.Members.Get(ctx, tn.ID, best.MemberID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Members.Update(ctx, tn.ID, "test", m.ID, tenure.MemberPatch{Tags: &[]string{"vip"}, Attributes: map[string]any{"plan": "pro"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Tiers.Assign(ctx, tn.ID, "test", m.ID, service.TierAssignment{Tier: "gold", Reason: "test"}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Segments.Save(ctx, tn.ID, "test", segments.Definition{Key: "buyers", Name: "Buyers", Condition: "member.frequency >= 1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Segments.Refresh(ctx, tn.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Subscriptions.CreatePlan(ctx, tn.ID, "test", subscription.Plan{Key: "box", Name: "Box", Currency: "PLN", Price: 4900,
			Interval: subscription.Interval{Unit: subscription.Month, Count: 1}, Active: true,
			Benefits: subscription.PlanBenefits{ExtraPercentOff: 15, FreeShipping: true, ExclusiveRewards: true, PromoCodes: true, EarnMultiplierPct: 150}}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Subscriptions.Subscribe(ctx, tn.ID, "test", "", service.SubscribeRequest{CustomerID: m.ExternalID, Plan: "box"}); err != nil {
			t.Fatal(err)
		}
		now := clock.Now().Add(time.Minute)
		clock.Set(now)
		local := now.In(mustZone(t, "Europe/Warsaw"))
		conds := map[string]string{
			"event.type":             `event.type in ["order.paid", "custom"]`,
			"event.action":           `event.type == "order.paid" || event.action == "quiz"`,
			"event.properties":       `event.properties.channel == "app"`,
			"event.occurred_at":      `event.occurred_at.Year() == ` + itoa(now.Year()),
			"order.id":               `event.type == "custom" || order.id == "env-order"`,
			"order.total":            `event.type == "custom" || order.total == 13000`,
			"order.subtotal":         `event.type == "custom" || order.subtotal == 11500`,
			"order.shipping":         `event.type == "custom" || order.shipping == 1500`,
			"order.discount":         `event.type == "custom" || order.discount == 500`,
			"order.currency":         `event.type == "custom" || order.currency == "PLN"`,
			"order.lines":            `event.type == "custom" || len(order.lines) == 2`,
			"order.lines.product_id": `event.type == "custom" || any(order.lines, .product_id == "p-1")`,
			"order.lines.sku":        `event.type == "custom" || any(order.lines, .sku == "SKU-1")`,
			"order.lines.name":       `event.type == "custom" || any(order.lines, .name == "Beans")`,
			"order.lines.category":   `event.type == "custom" || any(order.lines, .category == "coffee")`,
			"order.lines.brand":      `event.type == "custom" || any(order.lines, .brand == "Moka")`,
			"order.lines.quantity":   `event.type == "custom" || any(order.lines, .quantity == 2)`,
			"order.lines.unit_price": `event.type == "custom" || any(order.lines, .unit_price == 4000)`,
			"order.lines.net":        `event.type == "custom" || any(order.lines, .net == 7900)`,
			"order.line_count":       `event.type == "custom" || order.line_count == 2`,
			"order.quantity":         `event.type == "custom" || order.quantity == 3`,
			"order.categories":       `event.type == "custom" || "tea" in order.categories`,
			"order.brands":           `event.type == "custom" || "Moka" in order.brands`,
			"member.tier":            `member.tier == "gold"`,
			"member.tags":            `"vip" in member.tags`,
			"member.segments":        `"buyers" in member.segments`,
			"member.attributes":      `member.attributes.plan == "pro"`,
			"member.order_count":     `member.order_count >= 1`,
			"member.total_spent":     `member.total_spent > 0`,
			"member.points":          `member.points > 0`,
			"member.enrolled_days":   `member.enrolled_days >= 1`,
			"time.weekday":           `time.weekday == "` + strings.ToLower(local.Weekday().String()[:3]) + `"`,
			"time.hour":              `time.hour == ` + itoa(local.Hour()),
			"time.minute":            `time.minute == ` + itoa(local.Minute()),
			"time.day":               `time.day == ` + itoa(local.Day()),
			"time.month":             `time.month == ` + itoa(int(local.Month())),
			"time.year":              `time.year == ` + itoa(local.Year()),
			"time.date":              `time.date == "` + local.Format(time.DateOnly) + `"`,
			"member.metrics":         `member.metrics.clv > 0`,
			"order.subscription":     `event.type == "custom" || order.subscription`,

			"member.subscription.active":              `member.subscription.active`,
			"member.subscription.plan":                `member.subscription.plan == "box"`,
			"member.subscription.plans":               `"box" in member.subscription.plans`,
			"member.subscription.state":               `member.subscription.state == "active"`,
			"member.subscription.paid_renewals":       `member.subscription.paid_renewals >= 1`,
			"member.subscription.extra_percent_off":   `member.subscription.extra_percent_off == 15`,
			"member.subscription.free_shipping":       `member.subscription.free_shipping`,
			"member.subscription.exclusive_rewards":   `member.subscription.exclusive_rewards`,
			"member.subscription.promo_codes":         `member.subscription.promo_codes`,
			"member.subscription.earn_multiplier_pct": `member.subscription.earn_multiplier_pct == 150`,
		}
		for _, k := range metricKeys {
			conds["member.metrics."+k] = `"` + k + `" in member.metrics && member.metrics.` + k + ` > 0`
		}
		var set rules.Set
		set.TimeZone = "Europe/Warsaw"
		for _, p := range envPaths(reflect.TypeOf(rules.Env{}), "") {
			if _, ok := conds[p]; !ok {
				t.Errorf("no condition tests %s", p)
			}
		}
		for p, c := range conds {
			if !strings.Contains(string(doc), "`"+p+"`") && !strings.Contains(string(doc), "`"+strings.TrimPrefix(p, "member.metrics.")+"`") {
				t.Errorf("docs/rules.md does not document %s", p)
			}
			id := strings.ReplaceAll(p, ".", "-")
			set.Rules = append(set.Rules,
				rules.Rule{ID: "paid-" + id, Kind: rules.KindAction, Event: tenure.OrderPaid, Points: 1, Condition: c},
				rules.Rule{ID: "custom-" + id, Kind: rules.KindAction, Event: tenure.CustomAction, Action: "quiz", Points: 1, Condition: c})
		}
		if t.Failed() {
			return
		}
		if _, err := svc.Rules.Save(ctx, tn.ID, "test", set); err != nil {
			t.Fatal(err)
		}
		// subscription_id marks the order as a subscription's renewal (order.subscription).
		props := map[string]any{"channel": "app", "subscription_id": "sub-env"}
		rs, err := svc.Intake.Ingest(ctx, tn.ID, []tenure.Event{
			{ID: "env-paid", Type: tenure.OrderPaid, CustomerID: m.ExternalID, Properties: props, Order: &tenure.OrderData{ID: "env-order", Currency: "PLN",
				Shipping: 1500, Discount: 500, Lines: []tenure.LineData{
					{ID: "1", ProductID: "p-1", SKU: "SKU-1", Name: "Beans", Category: "coffee", Brand: "Moka", Quantity: 2, UnitPrice: 4000, Discount: 100},
					{ID: "2", ProductID: "p-2", SKU: "SKU-2", Name: "Sencha", Category: "tea", Brand: "Leaf Lab", Quantity: 1, UnitPrice: 4100}}}},
			{ID: "env-quiz", Type: tenure.CustomAction, Action: "quiz", CustomerID: m.ExternalID, Properties: props},
		}, service.IngestOptions{Batch: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			var xs []rules.Explanation
			if err := jsonDecode(r.Explanations, &xs); err != nil {
				t.Fatal(err)
			}
			if len(xs) != len(conds) {
				t.Fatalf("%s: %d rules judged, want %d", r.EventID, len(xs), len(conds))
			}
			for _, x := range xs {
				if !x.Fired {
					t.Errorf("%s: rule %s did not fire: %s", r.EventID, x.RuleID, x.Reason)
				}
			}
		}
	})
}

func mustZone(t *testing.T, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func itoa(n int) string { return strconv.Itoa(n) }

func jsonDecode(raw json.RawMessage, v any) error { return json.Unmarshal(raw, v) }
