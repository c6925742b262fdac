package tenure

import (
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Member is one of the store's customers enrolled in the program, keyed by the store's own
// id (ExternalID). Attributes are free data the store supplies; Tags are short labels.
type Member struct {
	ID         string         `json:"id"`
	ExternalID string         `json:"external_id"`
	Email      string         `json:"email,omitempty"`
	Phone      string         `json:"phone,omitempty"`
	FirstName  string         `json:"first_name,omitempty"`
	LastName   string         `json:"last_name,omitempty"`
	Birthday   string         `json:"birthday,omitempty" doc:"YYYY-MM-DD or --MM-DD when the year is unknown"`
	Locale     string         `json:"locale,omitempty"`
	TimeZone   string         `json:"time_zone,omitempty" doc:"IANA time zone, e.g. Europe/Warsaw"`
	Country    string         `json:"country,omitempty" doc:"ISO 3166-1 alpha-2"`
	City       string         `json:"city,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty"`
	Tags       []string       `json:"tags,omitempty"`
	Consents   []Consent      `json:"consents,omitempty"`
	EnrolledAt time.Time      `json:"enrolled_at"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
}

// Consent records the customer's current answer for one channel and purpose, with when and
// where it was given or withdrawn.
type Consent struct {
	Channel string    `json:"channel" enum:"email,sms,push,phone,mail" doc:"Contact channel"`
	Purpose string    `json:"purpose" enum:"marketing,transactional,profiling,loyalty" doc:"What the contact is for"`
	Granted bool      `json:"granted"`
	At      time.Time `json:"at,omitempty" doc:"When it was given or withdrawn; defaults to now"`
	Source  string    `json:"source,omitempty" maxLength:"128" doc:"Where it was captured, e.g. checkout, widget"`
}

// MemberPatch is a partial update of a member: nil fields are left alone.
type MemberPatch struct {
	Email      *string        `json:"email,omitempty"`
	Phone      *string        `json:"phone,omitempty"`
	FirstName  *string        `json:"first_name,omitempty"`
	LastName   *string        `json:"last_name,omitempty"`
	Birthday   *string        `json:"birthday,omitempty"`
	Locale     *string        `json:"locale,omitempty"`
	TimeZone   *string        `json:"time_zone,omitempty"`
	Country    *string        `json:"country,omitempty"`
	City       *string        `json:"city,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty" doc:"Merged into the existing attributes; a null value removes a key"`
	Tags       *[]string      `json:"tags,omitempty" doc:"Replaces the tag set"`
	Consents   []Consent      `json:"consents,omitempty" doc:"Each replaces the current answer for its channel and purpose"`
}

// Limits on member fields; longer input is rejected, not truncated.
const (
	MaxShortText  = 256
	MaxTags       = 50
	MaxAttributes = 100
)

// Apply validates the patch and applies it to m at time now. prefix is prepended to field
// names in errors ("customer." for an event's embedded customer).
func (p *MemberPatch) Apply(m *Member, now time.Time, prefix string) error {
	var probs Problems
	set := func(dst *string, v *string, field string, check func(string) string) {
		if v == nil {
			return
		}
		s := strings.TrimSpace(*v)
		if utf8.RuneCountInString(s) > MaxShortText {
			probs.Add(prefix+field, "must be at most %d characters", MaxShortText)
			return
		}
		if s != "" && check != nil {
			if msg := check(s); msg != "" {
				probs.Add(prefix+field, "%s", msg)
				return
			}
		}
		*dst = s
	}
	set(&m.Email, p.Email, "email", checkEmail)
	set(&m.Phone, p.Phone, "phone", checkPhone)
	set(&m.FirstName, p.FirstName, "first_name", nil)
	set(&m.LastName, p.LastName, "last_name", nil)
	set(&m.Birthday, p.Birthday, "birthday", checkBirthday)
	set(&m.Locale, p.Locale, "locale", checkLocale)
	set(&m.TimeZone, p.TimeZone, "time_zone", checkTimeZone)
	set(&m.Country, p.Country, "country", checkCountry)
	set(&m.City, p.City, "city", nil)
	if m.Email != "" {
		m.Email = strings.ToLower(m.Email)
	}
	if m.Country != "" {
		m.Country = strings.ToUpper(m.Country)
	}
	if p.Attributes != nil {
		if m.Attributes == nil {
			m.Attributes = map[string]any{}
		}
		for k, v := range p.Attributes {
			switch {
			case k == "" || len(k) > 64:
				probs.Add(prefix+"attributes", "keys must be 1 to 64 characters")
			case v == nil:
				delete(m.Attributes, k)
			default:
				m.Attributes[k] = v
			}
		}
		if len(m.Attributes) > MaxAttributes {
			probs.Add(prefix+"attributes", "at most %d attributes", MaxAttributes)
		}
	}
	if p.Tags != nil {
		tags, msg := normaliseTags(*p.Tags)
		if msg != "" {
			probs.Add(prefix+"tags", "%s", msg)
		}
		m.Tags = tags
	}
	for i, c := range p.Consents {
		field := prefix + "consents[" + strconv.Itoa(i) + "]"
		if !oneOf(c.Channel, "email", "sms", "push", "phone", "mail") {
			probs.Add(field+".channel", "must be one of email, sms, push, phone, mail")
			continue
		}
		if !oneOf(c.Purpose, "marketing", "transactional", "profiling", "loyalty") {
			probs.Add(field+".purpose", "must be one of marketing, transactional, profiling, loyalty")
			continue
		}
		if len(c.Source) > 128 {
			probs.Add(field+".source", "must be at most 128 characters")
			continue
		}
		if c.At.IsZero() || c.At.After(now) {
			c.At = now
		}
		c.At = c.At.UTC()
		m.SetConsent(c)
	}
	if err := probs.Err("member.Apply"); err != nil {
		return err
	}
	m.UpdatedAt = now
	return nil
}

// SetConsent replaces the answer for c's channel and purpose.
func (m *Member) SetConsent(c Consent) {
	for i := range m.Consents {
		if m.Consents[i].Channel == c.Channel && m.Consents[i].Purpose == c.Purpose {
			m.Consents[i] = c
			return
		}
	}
	m.Consents = append(m.Consents, c)
}

// ValidateExternalID checks a store-supplied identifier.
func ValidateExternalID(field, id string) *FieldError {
	switch {
	case id == "":
		return &FieldError{Field: field, Message: "is required"}
	case len(id) > 128:
		return &FieldError{Field: field, Message: "must be at most 128 characters"}
	case strings.TrimSpace(id) != id:
		return &FieldError{Field: field, Message: "must not start or end with spaces"}
	case TextProblem(id) != "":
		return &FieldError{Field: field, Message: TextProblem(id)}
	}
	return nil
}

func normaliseTags(in []string) ([]string, string) {
	if len(in) > MaxTags {
		return nil, "at most " + strconv.Itoa(MaxTags) + " tags"
	}
	seen := map[string]bool{}
	out := make([]string, 0, len(in))
	for _, t := range in {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" || len(t) > 64 {
			return nil, "tags must be 1 to 64 characters"
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, ""
}

func checkEmail(s string) string {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s, "@") {
		return "must be a plain email address like ana@example.com"
	}
	return ""
}

func checkPhone(s string) string {
	for i, r := range s {
		if !(r >= '0' && r <= '9' || r == ' ' || r == '-' || (r == '+' && i == 0)) {
			return "must be digits, optionally starting with +"
		}
	}
	return ""
}

func checkBirthday(s string) string {
	if _, err := time.Parse("2006-01-02", s); err == nil {
		return ""
	}
	if _, err := time.Parse("--01-02", s); err == nil {
		return ""
	}
	return "must be YYYY-MM-DD or --MM-DD"
}

func checkLocale(s string) string {
	if len(s) < 2 || len(s) > 35 {
		return "must be a BCP 47 tag like pl-PL"
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return "must be a BCP 47 tag like pl-PL"
		}
	}
	return ""
}

func checkTimeZone(s string) string {
	if _, err := time.LoadLocation(s); err != nil || s == "Local" {
		return "must be an IANA time zone like Europe/Warsaw"
	}
	return ""
}

func checkCountry(s string) string {
	if len(s) != 2 || !isAlpha(s) {
		return "must be an ISO 3166-1 alpha-2 code like PL"
	}
	return ""
}

func isAlpha(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func oneOf(s string, options ...string) bool {
	for _, o := range options {
		if s == o {
			return true
		}
	}
	return false
}

// MemberFilter narrows a member listing.
type MemberFilter struct {
	Email      string
	ExternalID string
	Tag        string
	Tier       string // the tier key the member holds now
	Segment    string // a segment key, as last counted
	After      string // cursor: list members with id greater than this
	Limit      int
}

// MemberGlance is what a member list shows beside the profile.
type MemberGlance struct {
	Points int64  // available points
	Tier   string // the tier key held now; empty for none
}
