package service_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rules"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// Two staff editing the rules at the same moment: edits that add to the current rules keep
// each other's change, and a save from a stale version is a conflict, never a lost update.
func TestConcurrentRuleEdits(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newEnv(t, e, nil)
		base := rules.Set{Rules: []rules.Rule{rules.FromProgram(tenure.DefaultProgram())}}
		saved, err := v.svc.Rules.Save(ctx, v.tenant, "test", base)
		if err != nil {
			t.Fatal(err)
		}

		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = v.svc.Rules.Update(ctx, v.tenant, "test", service.AnyVersion, func(cur rules.Set) (rules.Set, error) {
					next := cur
					next.Rules = append(slices.Clone(cur.Rules), rules.Rule{ID: fmt.Sprintf("double-%d", i), Name: "Double",
						Kind: rules.KindMultiplier, Multiplier: 20000})
					return next, nil
				})
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("edit %d: %v", i, err)
			}
		}
		cur, err := v.svc.Rules.Current(ctx, v.tenant)
		if err != nil {
			t.Fatal(err)
		}
		if len(cur.Rules) != 1+n || cur.Version != saved.Version+n {
			t.Fatalf("after %d concurrent additions: %d rules at version %d, want %d at version %d", n, len(cur.Rules), cur.Version, 1+n, saved.Version+n)
		}

		// Two editors opened the same version; the first save wins, the second is refused.
		first, err := v.svc.Rules.SaveIf(ctx, v.tenant, "a", cur.Version, base)
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.svc.Rules.SaveIf(ctx, v.tenant, "b", cur.Version, cur.Set)
		if tenure.KindOf(err) != tenure.KindConflict {
			t.Fatalf("stale save: %v, want a conflict", err)
		}
		now, err := v.svc.Rules.Current(ctx, v.tenant)
		if err != nil {
			t.Fatal(err)
		}
		if now.Version != first.Version || len(now.Rules) != 1 {
			t.Fatalf("the refused save changed the rules: version %d with %d rules", now.Version, len(now.Rules))
		}
	})
}

// The member page's recent orders are the newest ones, newest first, with the total count.
func TestMemberOrdersNewestFirst(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newEnv(t, e, nil)
		for i := 1; i <= 13; i++ {
			v.ingest(orderEvent(fmt.Sprintf("e%02d", i), tenure.OrderPaid, "c1", fmt.Sprintf("o%02d", i), 1000))
		}
		m, err := v.svc.Members.Get(ctx, v.tenant, "c1")
		if err != nil {
			t.Fatal(err)
		}
		orders, total, err := v.svc.Members.Orders(ctx, v.tenant, m.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if total != 13 || len(orders) != 10 {
			t.Fatalf("%d orders of %d, want 10 of 13", len(orders), total)
		}
		for i, o := range orders {
			if want := fmt.Sprintf("o%02d", 13-i); o.ExternalID != want {
				t.Errorf("order %d is %s, want %s (newest first)", i, o.ExternalID, want)
			}
		}
	})
}
