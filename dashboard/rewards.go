package dashboard

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/tenure-loyalty/tenure/rewards"
)

// rewardsData is the rewards catalog page: the list and a form for the common reward
// types. The full definition (audiences, stock, code pools, validity) is in the API.
type rewardsData struct {
	Rewards  []rewards.Reward
	Types    []rewards.Type
	Currency string
	Form     rewardForm
	Created  string
}

type rewardForm struct {
	Name, Description, Type, Cost, Value, Percent, ValidDays string
	Errors                                                   map[string]string
}

func (d *Dashboard) rewards(q *req) error {
	return d.showRewards(q, http.StatusOK, rewardsData{Form: rewardForm{Type: string(rewards.FixedDiscount), ValidDays: "90"}})
}

func (d *Dashboard) showRewards(q *req, status int, data rewardsData) error {
	rs, _, err := d.svc.Rewards(q.r.Context(), q.tenant.ID, false, "", 200)
	if err != nil {
		return err
	}
	data.Rewards, data.Types, data.Currency = rs, rewards.Types, q.tenant.Program.Currency
	d.render(q, status, "rewards", "Rewards", data)
	return nil
}

func (d *Dashboard) createReward(q *req) error {
	r := q.r
	f := rewardForm{Name: r.PostFormValue("name"), Description: r.PostFormValue("description"), Type: r.PostFormValue("type"),
		Cost: r.PostFormValue("cost"), Value: r.PostFormValue("value"), Percent: r.PostFormValue("percent"), ValidDays: r.PostFormValue("valid_days")}
	f.Errors = map[string]string{}
	number := func(field, s string) int64 {
		s = strings.TrimSpace(s)
		if s == "" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			f.Errors[field] = "must be a whole number"
		}
		return n
	}
	def := rewards.RewardDefinition{Name: f.Name, Description: f.Description, Type: rewards.Type(f.Type),
		Cost: number("cost", f.Cost), Value: number("value", f.Value), Percent: number("percent", f.Percent),
		ValidDays: int(number("valid_days", f.ValidDays))}
	if len(f.Errors) == 0 {
		rw, err := d.svc.CreateReward(r.Context(), q.tenant.ID, q.actor(), def)
		if err == nil {
			_ = rw
			redirect(q, "/admin/rewards", "reward-created")
			return nil
		}
		if f.Errors, err = fieldErrors(err); err != nil {
			return err
		}
	}
	return d.showRewards(q, http.StatusUnprocessableEntity, rewardsData{Form: f})
}

// archiveReward takes a reward out of the catalog: members can no longer redeem it; the
// coupons already issued stay valid.
func (d *Dashboard) archiveReward(q *req) error {
	if _, err := d.svc.ArchiveReward(q.r.Context(), q.tenant.ID, q.actor(), q.r.PathValue("id")); err != nil {
		return err
	}
	redirect(q, "/admin/rewards", "reward-archived")
	return nil
}
