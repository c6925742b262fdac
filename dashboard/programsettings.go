package dashboard

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
)

// The program settings page: the economics of the program in a form (currency, what a
// point is worth, how points are earned on orders, when they become available and when
// they expire, enrolment), saved with the version it was opened at.

// programSettingsData is the page: the form as typed and its problems.
type programSettingsData struct {
	Version                                                        int64
	Name, Currency, PointsPerUnit, MinOrder, AvailableOn, Return   string
	ExpiryMode, ExpiryDays, Negative, PointValue, TimeZone, Notice string
	IncludeShipping, AutoEnrol                                     bool
	Errors                                                         map[string]string
}

func (d *Dashboard) programSettings(q *req) error {
	v, err := d.svc.Tenants.Program(q.r.Context(), q.tenant.ID)
	if err != nil {
		return err
	}
	p := v.Program
	data := programSettingsData{Version: v.Version, Name: p.Name, Currency: p.Currency, PointsPerUnit: strconv.FormatInt(p.PointsPerUnit, 10),
		MinOrder: moneyInput(p.MinOrder, p.Currency), AvailableOn: p.AvailableOn, Return: strconv.Itoa(p.ReturnWindowDays),
		ExpiryMode: p.Expiry.Mode, ExpiryDays: strconv.Itoa(p.Expiry.Days), Negative: p.NegativeBalance,
		PointValue: pointValueInput(p.PointValue, p.Currency), TimeZone: p.TimeZone, IncludeShipping: p.IncludeShipping, AutoEnrol: p.AutoEnrol}
	if p.BirthdayNoticeDays != nil {
		data.Notice = strconv.Itoa(*p.BirthdayNoticeDays)
	}
	d.render(q, http.StatusOK, "programsettings", "Program settings", data)
	return nil
}

func (d *Dashboard) saveProgramSettings(q *req) error {
	r := q.r
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	data := programSettingsData{Name: v("name"), Currency: strings.ToUpper(v("currency")), PointsPerUnit: v("points_per_unit"), MinOrder: v("min_order"),
		AvailableOn: v("available_on"), Return: v("return_window_days"), ExpiryMode: v("expiry_mode"), ExpiryDays: v("expiry_days"),
		Negative: v("negative_balance"), PointValue: v("point_value"), TimeZone: v("time_zone"), Notice: v("birthday_notice_days"),
		IncludeShipping: r.PostFormValue("include_shipping") == "on", AutoEnrol: r.PostFormValue("auto_enrol") == "on", Errors: map[string]string{}}
	// The form saves over the version it was opened at only (a post without one, from a
	// script, saves whatever the version).
	base := service.AnyVersion
	if raw := v("version"); raw != "" {
		var perr error
		if base, perr = strconv.ParseInt(raw, 10, 64); perr != nil {
			return tenure.Invalid("dashboard.saveProgramSettings", "version", "must be the settings version the form was opened at")
		}
		data.Version = base
	}
	whole := func(field, s string) int64 {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			data.Errors[field] = "must be a whole number"
		}
		return n
	}
	p := tenure.Program{Name: data.Name, Currency: data.Currency, AvailableOn: data.AvailableOn, NegativeBalance: data.Negative,
		TimeZone: data.TimeZone, IncludeShipping: data.IncludeShipping, AutoEnrol: data.AutoEnrol}
	p.PointsPerUnit = whole("points_per_unit", data.PointsPerUnit)
	p.ReturnWindowDays = int(whole("return_window_days", data.Return))
	p.Expiry.Mode = data.ExpiryMode
	if data.ExpiryMode == "days" {
		p.Expiry.Days = int(whole("expiry.days", data.ExpiryDays))
	}
	if data.MinOrder != "" {
		var msg string
		if p.MinOrder, msg = parseMoney(data.MinOrder, data.Currency); msg != "" {
			data.Errors["min_order"] = msg
		}
	}
	if micros, msg := parsePointValue(data.PointValue, data.Currency); msg != "" {
		data.Errors["point_value_micros"] = msg
	} else {
		p.PointValue = micros
	}
	if data.Notice != "" {
		n := int(whole("birthday_notice_days", data.Notice))
		p.BirthdayNoticeDays = &n
	}
	if len(data.Errors) == 0 {
		_, err := d.svc.Tenants.UpdateProgramIf(r.Context(), q.tenant.ID, q.actor(), base, p)
		if err == nil {
			redirect(q, "/admin/program/settings", "program-saved")
			return nil
		}
		if tenure.KindOf(err) == tenure.KindConflict {
			return &tenure.Error{Kind: tenure.KindConflict, Op: "dashboard.saveProgramSettings",
				Message: "someone saved the program settings after you opened them: reload them to see their change, then make yours again"}
		}
		if data.Errors, err = fieldErrors(err); err != nil {
			return err
		}
	}
	d.render(q, http.StatusUnprocessableEntity, "programsettings", "Program settings", data)
	return nil
}

// pointValueInput shows a point's value (millionths of a minor unit) in major units, as
// precise as it is: "0,10" or "0,0025" for złoty.
func pointValueInput(micros int64, currency string) string {
	s := pointValue(micros, currency)
	st := styleOf(currency)
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(s, st.symbol), st.symbol))
	return strings.TrimSuffix(s, nbsp)
}

// parsePointValue reads a point's value typed in major units with up to six decimals more
// than the currency has ("0,10", "0,0025") as millionths of a minor unit.
func parsePointValue(s, currency string) (int64, string) {
	st := styleOf(currency)
	t := strings.NewReplacer(st.symbol, "", " ", "", nbsp, "").Replace(s)
	t = strings.ReplaceAll(t, ",", ".")
	whole, frac, _ := strings.Cut(t, ".")
	if whole == "" {
		whole = "0"
	}
	places := st.digits + 6
	if len(frac) > places || strings.Contains(frac, ".") {
		return 0, "can have at most " + strconv.Itoa(places) + " digits after the decimal mark"
	}
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f := int64(0)
	var err2 error
	if frac != "" {
		f, err2 = strconv.ParseInt(frac+strings.Repeat("0", places-len(frac)), 10, 64)
	}
	if err1 != nil || err2 != nil || w < 0 || w > 1_000_000 {
		return 0, "must be an amount, such as " + pointValue(10_000_000, currency)
	}
	return w*pow10(places) + f, ""
}
