package tenure

import (
	"encoding/json"
	"time"
)

// Program holds a tenant's loyalty settings. Until rules exist, earning is a flat rate.
type Program struct {
	Name             string       `json:"name" maxLength:"128"`
	Currency         string       `json:"currency" doc:"ISO 4217 currency of the store"`
	PointsPerUnit    int64        `json:"points_per_unit" doc:"Points per one major currency unit spent (e.g. 1 point per 1 zł)"`
	MinOrder         int64        `json:"min_order" doc:"Orders below this amount (minor units) earn nothing"`
	IncludeShipping  bool         `json:"include_shipping" doc:"Whether shipping counts toward earning"`
	AvailableOn      string       `json:"available_on" enum:"payment,fulfilment" doc:"When the return window starts"`
	ReturnWindowDays int          `json:"return_window_days" doc:"Days points stay pending after payment or fulfilment"`
	Expiry           ExpiryPolicy `json:"expiry"`
	NegativeBalance  string       `json:"negative_balance" enum:"allow,cap" doc:"When a claw-back finds the points spent: allow a negative balance, or cap at zero and write off the rest"`
	AutoEnrol        bool         `json:"auto_enrol" doc:"Enrol unknown customers on their first event; otherwise only customer.created or POST /v1/members enrol"`
	PointValue       int64        `json:"point_value_micros" doc:"Value of one point in millionths of a currency minor unit, for liability reports"`
	TimeZone         string       `json:"time_zone" doc:"The store's IANA time zone, for month/year ends and campaigns"`
	// BirthdayNoticeDays is how many days before a birthday the member's birthday must
	// have been known for member.birthday to be emitted (nil: DefaultBirthdayNoticeDays),
	// so that changing one's birthday to tomorrow earns nothing.
	BirthdayNoticeDays *int `json:"birthday_notice_days,omitempty" minimum:"0" maximum:"366" doc:"Days a birthday must have been known before it earns (member.birthday); default 30"`
}

// DefaultBirthdayNoticeDays is the birthday notice when a program sets none.
const DefaultBirthdayNoticeDays = 30

// BirthdayNotice is the program's birthday notice in days.
func (p Program) BirthdayNotice() int {
	if p.BirthdayNoticeDays == nil {
		return DefaultBirthdayNoticeDays
	}
	return *p.BirthdayNoticeDays
}

// ExpiryPolicy says when an earned lot expires once it becomes available.
type ExpiryPolicy struct {
	Mode string `json:"mode" enum:"never,days,end_of_month,end_of_year"`
	Days int    `json:"days,omitempty" doc:"For mode days: lifetime of a lot in days"`
}

// Negative balance policies.
const (
	NegativeAllow = "allow"
	NegativeCap   = "cap"
)

// DefaultProgram is what a new tenant starts with: 1 point per unit, points available on
// fulfilment, expiring after 365 days, claw-backs capped at zero, automatic enrolment.
func DefaultProgram() Program {
	return Program{
		Name: "Loyalty program", Currency: "PLN", PointsPerUnit: 1, AvailableOn: "fulfilment",
		ReturnWindowDays: 0, Expiry: ExpiryPolicy{Mode: "days", Days: 365},
		NegativeBalance: NegativeCap, AutoEnrol: true, PointValue: 1_000_000, TimeZone: "UTC",
	}
}

// Validate checks the settings and names offending fields.
func (p *Program) Validate() error {
	var probs Problems
	if len(p.Currency) != 3 || !isAlpha(p.Currency) {
		probs.Add("currency", "must be an ISO 4217 code like PLN")
	}
	if p.PointsPerUnit < 0 || p.PointsPerUnit > 10_000 {
		probs.Add("points_per_unit", "must be between 0 and 10000")
	}
	checkMoney(&probs, "min_order", p.MinOrder)
	if !oneOf(p.AvailableOn, "payment", "fulfilment") {
		probs.Add("available_on", "must be payment or fulfilment")
	}
	if p.ReturnWindowDays < 0 || p.ReturnWindowDays > 365 {
		probs.Add("return_window_days", "must be between 0 and 365")
	}
	switch p.Expiry.Mode {
	case "never", "end_of_month", "end_of_year":
	case "days":
		if p.Expiry.Days < 1 || p.Expiry.Days > 3650 {
			probs.Add("expiry.days", "must be between 1 and 3650")
		}
	default:
		probs.Add("expiry.mode", "must be never, days, end_of_month or end_of_year")
	}
	if !oneOf(p.NegativeBalance, NegativeAllow, NegativeCap) {
		probs.Add("negative_balance", "must be allow or cap")
	}
	if p.PointValue < 0 || p.PointValue > MaxMoney {
		probs.Add("point_value_micros", "must be between 0 and %d", int64(MaxMoney))
	}
	if msg := checkTimeZone(p.TimeZone); p.TimeZone == "" || msg != "" {
		probs.Add("time_zone", "must be an IANA time zone like Europe/Warsaw")
	}
	if len(p.Name) > 128 {
		probs.Add("name", "must be at most 128 characters")
	}
	if n := p.BirthdayNoticeDays; n != nil && (*n < 0 || *n > 366) {
		probs.Add("birthday_notice_days", "must be between 0 and 366")
	}
	return probs.Err("program.Validate")
}

// Location returns the program's time zone (UTC if unset or unknown).
func (p *Program) Location() *time.Location {
	if loc, err := time.LoadLocation(p.TimeZone); err == nil && p.TimeZone != "" {
		return loc
	}
	return time.UTC
}

// ExpiresAt returns when a lot that becomes available at t expires, or nil for never.
// Month and year ends are taken in the program's time zone.
func (p *Program) ExpiresAt(t time.Time) *time.Time {
	var e time.Time
	local := t.In(p.Location())
	switch p.Expiry.Mode {
	case "days":
		e = t.AddDate(0, 0, p.Expiry.Days)
	case "end_of_month":
		e = time.Date(local.Year(), local.Month()+1, 1, 0, 0, 0, 0, local.Location()).UTC()
	case "end_of_year":
		e = time.Date(local.Year()+1, 1, 1, 0, 0, 0, 0, local.Location()).UTC()
	default:
		return nil
	}
	return &e
}

// MarshalProgram and UnmarshalProgram store settings as JSON, starting from defaults so
// that settings added later get their default value.
func MarshalProgram(p Program) string {
	b, _ := json.Marshal(p)
	return string(b)
}

// UnmarshalProgram parses stored settings over the defaults.
func UnmarshalProgram(s string) (Program, error) {
	p := DefaultProgram()
	err := json.Unmarshal([]byte(s), &p)
	return p, err
}
