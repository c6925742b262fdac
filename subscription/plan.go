package subscription

import (
	"regexp"
	"strconv"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// Unit is the unit of a billing interval.
type Unit string

// Interval units. Weekly is {week, 1}, every two weeks {week, 2}, monthly {month, 1},
// quarterly {month, 3}, yearly {year, 1}.
const (
	Day   Unit = "day"
	Week  Unit = "week"
	Month Unit = "month"
	Year  Unit = "year"
)

// Interval is how often a subscription renews: Count units.
type Interval struct {
	Unit  Unit `json:"unit" enum:"day,week,month,year" doc:"Unit of the billing interval"`
	Count int  `json:"count" doc:"Number of units between renewals, at least 1 (2 weeks: unit week, count 2)"`
}

// Valid reports whether the interval has a known unit and a positive count of at most
// five years.
func (i Interval) Valid() bool {
	switch i.Unit {
	case Day:
		return i.Count >= 1 && i.Count <= 5*366
	case Week:
		return i.Count >= 1 && i.Count <= 5*53
	case Month:
		return i.Count >= 1 && i.Count <= 60
	case Year:
		return i.Count >= 1 && i.Count <= 5
	}
	return false
}

// perYear returns the interval as a fraction num/den of renewals per year, the basis of
// MRR normalisation: a week is 52/year, a day 365/year.
func (i Interval) perYear() (num, den int64) {
	c := int64(max(i.Count, 1))
	switch i.Unit {
	case Day:
		return 365, c
	case Week:
		return 52, c
	case Month:
		return 12, c
	default:
		return 1, c
	}
}

// Anchor kinds.
const (
	// AnchorAnniversary renews on the anniversary of the start (or of the trial's end).
	AnchorAnniversary = "anniversary"
	// AnchorDayOfMonth renews on a fixed day of the month (month intervals only); a day
	// past a month's end falls on its last day (31 Jan -> 28/29 Feb -> 31 Mar).
	AnchorDayOfMonth = "day_of_month"
)

// Proration policies for a plan or frequency change.
const (
	// ProrateImmediate switches now: the unused part of the current period's payment is
	// credited to the customer, the new plan is charged now and its period starts now.
	ProrateImmediate = "immediate"
	// ProratePeriodEnd switches at the next renewal; nothing is credited or charged now.
	ProratePeriodEnd = "period_end"
)

// CommitmentStep is a loyalty discount for long subscriptions: PercentOff off each
// renewal once AfterPaid periods have been paid ("5 % after 6 paid periods").
type CommitmentStep struct {
	AfterPaid  int `json:"after_paid" doc:"Paid periods after which the discount applies, at least 1"`
	PercentOff int `json:"percent_off" doc:"Discount on each later renewal, 1 to 100"`
}

// PlanBenefits are what a subscriber of the plan gets besides deliveries. The rules
// evaluator and reward visibility see them as member.subscription.*.
type PlanBenefits struct {
	ExtraPercentOff   int    `json:"extra_percent_off,omitempty" doc:"Percentage off purchases outside the subscription, 0 to 100"`
	FreeShipping      bool   `json:"free_shipping,omitempty" doc:"Free shipping on every order"`
	ExclusiveRewards  bool   `json:"exclusive_rewards,omitempty" doc:"Rewards reserved to subscribers of this plan are visible"`
	PromoCodes        bool   `json:"promo_codes,omitempty" doc:"Subscriber-only promo codes"`
	EarnMultiplierPct int    `json:"earn_multiplier_pct,omitempty" doc:"Points earned as a percentage of the normal earning (150 = 1.5x); 0 means 100"`
	Tag               string `json:"tag,omitempty" doc:"A label the store shows to subscribers"`
}

// Dunning is a plan's ladder for failed renewal payments: retry after each of
// RetryDays (counted from the failed attempt before), then the final action.
type Dunning struct {
	RetryDays []int  `json:"retry_days,omitempty" doc:"Days between attempts, e.g. [1,3,5,7]"`
	Final     string `json:"final_action,omitempty" enum:"pause,cancel,past_due" doc:"What happens when the last retry fails"`
}

// Final actions of a dunning ladder.
const (
	FinalPause   = "pause"
	FinalCancel  = "cancel"
	FinalPastDue = "past_due"
)

// DefaultDunning retries after 1, 3, 5 and 7 days, then cancels.
func DefaultDunning() Dunning { return Dunning{RetryDays: []int{1, 3, 5, 7}, Final: FinalCancel} }

// Plan is what a store sells on subscription. Prices are integer minor units of
// Currency.
type Plan struct {
	ID             string           `json:"id" readOnly:"true"`
	Key            string           `json:"key" doc:"The store's key for the plan, e.g. premium"`
	Name           string           `json:"name"`
	Currency       string           `json:"currency" doc:"ISO 4217"`
	Price          int64            `json:"price" doc:"Price per interval, minor units"`
	Interval       Interval         `json:"interval"`
	Prices         []FrequencyPrice `json:"frequency_prices,omitempty" doc:"Other frequencies the customer may choose, each with its own price (subscribe and save)"`
	TrialDays      int              `json:"trial_days,omitempty" doc:"Days of free trial before the first charge"`
	SetupFee       int64            `json:"setup_fee,omitempty" doc:"Charged once with the first paid renewal, minor units"`
	Commitment     []CommitmentStep `json:"commitment_discounts,omitempty" doc:"Discounts for long subscriptions, by paid periods"`
	Benefits       PlanBenefits     `json:"benefits,omitempty"`
	MembershipOnly bool             `json:"membership_only,omitempty" doc:"No delivery: the plan sells benefits only"`
	Products       []string         `json:"products,omitempty" doc:"Products or variants a subscriber may receive or swap between"`
	Anchor         string           `json:"anchor,omitempty" enum:"anniversary,day_of_month" doc:"Billing anchor; default anniversary"`
	AnchorDay      int              `json:"anchor_day,omitempty" doc:"Day of month 1-31 for anchor day_of_month"`
	Proration      string           `json:"proration,omitempty" enum:"immediate,period_end" doc:"Policy when a subscriber changes to or from this plan; default period_end"`
	Dunning        Dunning          `json:"dunning,omitempty"`
	TermPeriods    int              `json:"term_periods,omitempty" doc:"Fixed term: the subscription expires after this many paid periods; 0 renews until cancelled"`
	NoticeDays     int              `json:"notice_days,omitempty" doc:"Days before a renewal that the upcoming-renewal notice is sent; 0 sends none"`
	Milestones     []Milestone      `json:"milestones,omitempty" doc:"Bonus points on reaching a number of paid renewals (e.g. 3rd, 6th, 12th)"`
	Active         bool             `json:"active" doc:"Open to new subscribers"`
	CreatedAt      time.Time        `json:"created_at" readOnly:"true"`
}

// Milestone is a bonus for a subscriber's Paid-th paid renewal.
type Milestone struct {
	Paid   int   `json:"paid_renewals" doc:"The paid renewal that earns the bonus, at least 1"`
	Points int64 `json:"points" doc:"Bonus points, 1 to 1000000"`
}

// MilestonePoints returns the bonus for reaching paid renewals (0: none).
func (p Plan) MilestonePoints(paid int) int64 {
	for _, m := range p.Milestones {
		if m.Paid == paid {
			return m.Points
		}
	}
	return 0
}

// FrequencyPrice is a price for another frequency of the same plan.
type FrequencyPrice struct {
	Interval Interval `json:"interval"`
	Price    int64    `json:"price" doc:"Price per interval, minor units"`
}

var keyPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// maxPrice bounds amounts so that every product in this package fits an int64.
const maxPrice = 1_000_000_000_00

// Normalize fills the defaults of unset fields.
func (p *Plan) Normalize() {
	if p.Anchor == "" {
		p.Anchor = AnchorAnniversary
	}
	if p.Proration == "" {
		p.Proration = ProratePeriodEnd
	}
	if p.Dunning.Final == "" && len(p.Dunning.RetryDays) == 0 {
		p.Dunning = DefaultDunning()
	}
	if p.Benefits.EarnMultiplierPct == 0 {
		p.Benefits.EarnMultiplierPct = 100
	}
}

// Validate lists every problem of the plan with its field.
func (p Plan) Validate() error {
	var probs tenure.Problems
	if !keyPattern.MatchString(p.Key) {
		probs.Add("key", "must be 1 to 64 lower-case letters, digits, '_', '.' or '-'")
	}
	if p.Name == "" || len(p.Name) > 128 {
		probs.Add("name", "must be 1 to 128 characters")
	}
	if len(p.Currency) != 3 {
		probs.Add("currency", "must be an ISO 4217 code")
	}
	if p.Price < 0 || p.Price > maxPrice {
		probs.Add("price", "must be between 0 and %d minor units", int64(maxPrice))
	}
	if !p.Interval.Valid() {
		probs.Add("interval", "unit must be day, week, month or year and count at least 1 (at most five years)")
	}
	for i, fp := range p.Prices {
		if !fp.Interval.Valid() {
			probs.Add("frequency_prices["+itoa(i)+"].interval", "unit must be day, week, month or year and count at least 1")
		}
		if fp.Price < 0 || fp.Price > maxPrice {
			probs.Add("frequency_prices["+itoa(i)+"].price", "must be between 0 and %d minor units", int64(maxPrice))
		}
	}
	if p.TrialDays < 0 || p.TrialDays > 365 {
		probs.Add("trial_days", "must be 0 to 365")
	}
	if p.SetupFee < 0 || p.SetupFee > maxPrice {
		probs.Add("setup_fee", "must be between 0 and %d minor units", int64(maxPrice))
	}
	last := 0
	for i, c := range p.Commitment {
		f := "commitment_discounts[" + itoa(i) + "]"
		if c.AfterPaid < 1 || c.AfterPaid <= last {
			probs.Add(f+".after_paid", "must be at least 1 and larger than the step before")
		}
		if c.PercentOff < 1 || c.PercentOff > 100 {
			probs.Add(f+".percent_off", "must be 1 to 100")
		}
		last = c.AfterPaid
	}
	b := p.Benefits
	if b.ExtraPercentOff < 0 || b.ExtraPercentOff > 100 {
		probs.Add("benefits.extra_percent_off", "must be 0 to 100")
	}
	if b.EarnMultiplierPct < 0 || b.EarnMultiplierPct > 1000 {
		probs.Add("benefits.earn_multiplier_pct", "must be 0 to 1000")
	}
	if len(b.Tag) > 64 {
		probs.Add("benefits.tag", "must be at most 64 characters")
	}
	if len(p.Products) > 100 {
		probs.Add("products", "at most 100")
	}
	for i, pr := range p.Products {
		if pr == "" || len(pr) > 128 {
			probs.Add("products["+itoa(i)+"]", "must be 1 to 128 characters")
		}
	}
	if p.MembershipOnly && len(p.Products) > 0 {
		probs.Add("products", "a membership-only plan delivers no products")
	}
	switch p.Anchor {
	case "", AnchorAnniversary:
		if p.AnchorDay != 0 {
			probs.Add("anchor_day", "only with anchor day_of_month")
		}
	case AnchorDayOfMonth:
		if p.AnchorDay < 1 || p.AnchorDay > 31 {
			probs.Add("anchor_day", "must be 1 to 31")
		}
		if p.Interval.Unit != Month && p.Interval.Unit != Year {
			probs.Add("anchor", "day_of_month needs a month or year interval")
		}
	default:
		probs.Add("anchor", "must be anniversary or day_of_month")
	}
	switch p.Proration {
	case "", ProrateImmediate, ProratePeriodEnd:
	default:
		probs.Add("proration", "must be immediate or period_end")
	}
	if len(p.Dunning.RetryDays) > 10 {
		probs.Add("dunning.retry_days", "at most 10 retries")
	}
	for i, d := range p.Dunning.RetryDays {
		if d < 1 || d > 60 {
			probs.Add("dunning.retry_days["+itoa(i)+"]", "must be 1 to 60 days")
		}
	}
	switch p.Dunning.Final {
	case "", FinalPause, FinalCancel, FinalPastDue:
	default:
		probs.Add("dunning.final_action", "must be pause, cancel or past_due")
	}
	last = 0
	for i, m := range p.Milestones {
		f := "milestones[" + itoa(i) + "]"
		if m.Paid < 1 || m.Paid <= last {
			probs.Add(f+".paid_renewals", "must be at least 1 and larger than the milestone before")
		}
		if m.Points < 1 || m.Points > 1_000_000 {
			probs.Add(f+".points", "must be 1 to 1000000")
		}
		last = m.Paid
	}
	if p.TermPeriods < 0 || p.TermPeriods > 1000 {
		probs.Add("term_periods", "must be 0 to 1000")
	}
	if p.NoticeDays < 0 || p.NoticeDays > 60 {
		probs.Add("notice_days", "must be 0 to 60")
	}
	return probs.Err("subscription.Plan")
}

// PriceFor returns the plan's price for an interval: the plan's own, or one of its
// frequency prices (ok false when the plan does not offer that frequency).
func (p Plan) PriceFor(i Interval) (int64, bool) {
	if i == p.Interval {
		return p.Price, true
	}
	for _, fp := range p.Prices {
		if fp.Interval == i {
			return fp.Price, true
		}
	}
	return 0, false
}

// CommitmentPercent is the commitment discount after paid periods: the largest step
// reached.
func (p Plan) CommitmentPercent(paid int) int {
	pct := 0
	for _, c := range p.Commitment {
		if paid >= c.AfterPaid {
			pct = c.PercentOff
		}
	}
	return pct
}

func itoa(i int) string { return strconv.Itoa(i) }
