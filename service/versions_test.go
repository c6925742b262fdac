package service_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rewards"
	"github.com/tenure-loyalty/tenure/segments"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
	"github.com/tenure-loyalty/tenure/tiers"
)

// versioned is one kind of configuration staff edit: read its version and what was saved,
// and save edit i over a base version.
type versioned struct {
	name string
	// setup makes the thing to edit and returns its version.
	setup func(v *env) int64
	// save saves edit number i over base and returns the new version.
	save func(v *env, base int64, i int) (int64, error)
	// read returns the current version and which edit is stored.
	read func(v *env) (int64, int)
}

func versionedKinds() []versioned {
	var rewardID string
	return []versioned{
		{
			name: "program",
			setup: func(v *env) int64 {
				p, err := v.svc.Tenants.Program(ctx, v.tenant)
				if err != nil {
					v.t.Fatal(err)
				}
				return p.Version
			},
			save: func(v *env, base int64, i int) (int64, error) {
				p := tenure.DefaultProgram()
				p.Name = fmt.Sprintf("Club %d", i)
				pv, err := v.svc.Tenants.UpdateProgramIf(ctx, v.tenant, "staff", base, p)
				return pv.Version, err
			},
			read: func(v *env) (int64, int) {
				p, err := v.svc.Tenants.Program(ctx, v.tenant)
				if err != nil {
					v.t.Fatal(err)
				}
				var i int
				fmt.Sscanf(p.Program.Name, "Club %d", &i)
				return p.Version, i
			},
		},
		{
			name:  "tiers",
			setup: func(v *env) int64 { return 0 },
			save: func(v *env, base int64, i int) (int64, error) {
				c, err := v.svc.Tiers.SaveIf(ctx, v.tenant, "staff", base, tiers.Ladder{Metric: tiers.Spend, Window: tiers.Lifetime,
					Tiers: []tiers.Tier{{Key: "gold", Name: "Gold", Threshold: int64(1000 * (i + 1))}}})
				return c.Version, err
			},
			read: func(v *env) (int64, int) {
				c, err := v.svc.Tiers.Config(ctx, v.tenant)
				if err != nil {
					v.t.Fatal(err)
				}
				return c.Version, int(c.Tiers[0].Threshold/1000) - 1
			},
		},
		{
			name: "reward",
			setup: func(v *env) int64 {
				r, err := v.svc.Rewards.Create(ctx, v.tenant, "staff", rewards.RewardDefinition{Name: "Coupon", Type: rewards.FixedDiscount, Cost: 100, Value: 1000})
				if err != nil {
					v.t.Fatal(err)
				}
				rewardID = r.ID
				return r.Version
			},
			save: func(v *env, base int64, i int) (int64, error) {
				r, err := v.svc.Rewards.UpdateIf(ctx, v.tenant, "staff", rewardID, base,
					rewards.RewardDefinition{Name: fmt.Sprintf("Coupon %d", i), Type: rewards.FixedDiscount, Cost: 100, Value: 1000})
				return r.Version, err
			},
			read: func(v *env) (int64, int) {
				r, err := v.svc.Rewards.Get(ctx, v.tenant, rewardID)
				if err != nil {
					v.t.Fatal(err)
				}
				rs, _, err := v.svc.Rewards.List(ctx, v.tenant, false, "", 10)
				if err != nil || len(rs) != 1 || rs[0].Version != r.Version {
					v.t.Fatalf("the list shows %+v (%v); the reward is at version %d", rs, err, r.Version)
				}
				var i int
				fmt.Sscanf(r.Name, "Coupon %d", &i)
				return r.Version, i
			},
		},
		{
			name:  "segment",
			setup: func(v *env) int64 { return 0 }, // a new segment: version 0 means "must not exist yet"
			save: func(v *env, base int64, i int) (int64, error) {
				s, err := v.svc.Segments.SaveIf(ctx, v.tenant, "staff", base,
					segments.Definition{Key: "buyers", Name: fmt.Sprintf("Buyers %d", i), Condition: "member.frequency >= 1"})
				return s.Version, err
			},
			read: func(v *env) (int64, int) {
				ss, err := v.svc.Segments.List(ctx, v.tenant)
				if err != nil || len(ss) != 1 {
					v.t.Fatalf("segments: %+v %v", ss, err)
				}
				var i int
				fmt.Sscanf(ss[0].Name, "Buyers %d", &i)
				return ss[0].Version, i
			},
		},
	}
}

// Editors who opened the same version of a piece of configuration save at the same
// moment: exactly one save wins, every other is a conflict that writes nothing, and a
// save over the new version goes through.
func TestConcurrentConfigEdits(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		for _, k := range versionedKinds() {
			t.Run(k.name, func(t *testing.T) {
				v := newEnv(t, e, nil)
				base := k.setup(v)
				const n = 4
				var wg sync.WaitGroup
				versions, errs := make([]int64, n), make([]error, n)
				for i := range n {
					wg.Go(func() { versions[i], errs[i] = k.save(v, base, i) })
				}
				wg.Wait()
				winner := -1
				for i, err := range errs {
					switch {
					case err == nil && winner >= 0:
						t.Fatalf("edits %d and %d both saved over version %d", winner, i, base)
					case err == nil:
						winner = i
					case tenure.KindOf(err) != tenure.KindConflict:
						t.Fatalf("edit %d: %v, want a conflict", i, err)
					}
				}
				if winner < 0 {
					t.Fatalf("no edit over version %d was saved: %v", base, errs)
				}
				if versions[winner] != base+1 {
					t.Fatalf("the winning save made version %d, want %d", versions[winner], base+1)
				}
				if ver, stored := k.read(v); ver != base+1 || stored != winner {
					t.Fatalf("stored: edit %d at version %d, want edit %d at version %d", stored, ver, winner, base+1)
				}

				// The losers reload: a save over the old version is still refused, one over the
				// new version goes through.
				if _, err := k.save(v, base, 7); tenure.KindOf(err) != tenure.KindConflict {
					t.Fatalf("save over the stale version %d: %v, want a conflict", base, err)
				}
				if ver, err := k.save(v, base+1, 8); err != nil || ver != base+2 {
					t.Fatalf("save over the current version: version %d, %v", ver, err)
				}
				if ver, stored := k.read(v); ver != base+2 || stored != 8 {
					t.Fatalf("stored: edit %d at version %d, want edit 8 at version %d", stored, ver, base+2)
				}
			})
		}
	})
}
