package analytics

import (
	"encoding/csv"
	"io"
	"strconv"
	"time"
)

// Cohort is the customers whose first-ever order fell in one calendar month (UTC), followed
// month by month. Index k of each slice is the k-th month after the cohort month (k = 0 is
// the cohort month itself).
type Cohort struct {
	Month   time.Time `json:"month"`   // first instant of the cohort month, UTC
	Size    int       `json:"size"`    // customers in the cohort
	Active  []int     `json:"active"`  // cohort customers with at least one order in month k (Active[0] == Size)
	Orders  []int     `json:"orders"`  // the cohort's orders in month k
	Revenue []int64   `json:"revenue"` // the cohort's revenue in month k, minor units
}

// Retention is Active[k] / Size: the share of the cohort that ordered in month k (0 when k
// is beyond the table or the cohort is empty).
func (c Cohort) Retention(k int) float64 {
	if k < 0 || k >= len(c.Active) {
		return 0
	}
	return ratio(float64(c.Active[k]), c.Size)
}

// CohortTable is a retention matrix: one row per cohort month, in ascending order.
type CohortTable []Cohort

// Cohorts builds the table for the cohorts whose month lies in [from, to), following each
// one through every month that starts before to. A zero from or to means the first or last
// month of the history. Empty months between cohorts appear as cohorts of size 0, so row i
// is always i months after the first.
func (h *History) Cohorts(from, to time.Time) CohortTable {
	if len(h.at) == 0 {
		return nil
	}
	first, last := h.Span()
	if from.IsZero() {
		from = first
	}
	if to.IsZero() {
		to = Month.Next(Month.Start(last))
	}
	acc := newCohortAcc(from, to)
	if acc == nil {
		return nil
	}
	for c := range h.ids {
		acc.add(h, c)
	}
	return acc.table
}

// cohortAcc fills a cohort table one customer at a time.
type cohortAcc struct {
	table     CohortTable
	base, end int // month indexes: cohorts [base, end)
}

// newCohortAcc returns the empty table of the cohorts in [from, to), nil when there are none.
func newCohortAcc(from, to time.Time) *cohortAcc {
	base := monthIndex(from.Unix())
	end := monthIndex(to.Unix())
	if !Month.Start(to).Equal(to.UTC()) {
		end++ // the month containing to has started before to
	}
	if end <= base {
		return nil
	}
	table := make(CohortTable, end-base)
	for i := range table {
		n := end - base - i
		start := time.Date(0, time.Month(base+i+1), 1, 0, 0, 0, 0, time.UTC)
		table[i] = Cohort{Month: start, Active: make([]int, n), Orders: make([]int, n), Revenue: make([]int64, n)}
	}
	return &cohortAcc{table: table, base: base, end: end}
}

// add counts customer c of h in their cohort.
func (a *cohortAcc) add(h *History, c int) {
	lo, hi := h.orders(c)
	m0 := monthIndex(h.at[lo])
	if m0 < a.base || m0 >= a.end {
		return
	}
	co := &a.table[m0-a.base]
	co.Size++
	lastK := -1
	for i := lo; i < hi; i++ {
		m := monthIndex(h.at[i])
		if m >= a.end {
			break
		}
		k := m - m0
		if k != lastK {
			co.Active[k]++
			lastK = k
		}
		co.Orders[k]++
		co.Revenue[k] += h.amount[i]
	}
}

// monthIndex numbers UTC months: year*12 + month - 1.
func monthIndex(unix int64) int {
	t := time.Unix(unix, 0).UTC()
	return t.Year()*12 + int(t.Month()) - 1
}

// WriteCSV writes the table in long form, one row per cohort and month:
// cohort,size,month_offset,month,active,retention,orders,revenue (months as "2006-01",
// retention with 4 decimals, revenue in minor units).
func (t CohortTable) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"cohort", "size", "month_offset", "month", "active", "retention", "orders", "revenue"})
	for _, c := range t {
		for k := range c.Active {
			cw.Write([]string{c.Month.Format("2006-01"), strconv.Itoa(c.Size), strconv.Itoa(k),
				c.Month.AddDate(0, k, 0).Format("2006-01"), strconv.Itoa(c.Active[k]),
				formatRate(c.Retention(k)), strconv.Itoa(c.Orders[k]), strconv.FormatInt(c.Revenue[k], 10)})
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteRetentionMatrixCSV writes the retention matrix as a spreadsheet heat map:
// cohort,size,m0,m1,... with one row per cohort and empty cells past the table's end.
func (t CohortTable) WriteRetentionMatrixCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	width := 0
	for _, c := range t {
		width = max(width, len(c.Active))
	}
	head := []string{"cohort", "size"}
	for k := range width {
		head = append(head, "m"+strconv.Itoa(k))
	}
	cw.Write(head)
	for _, c := range t {
		row := make([]string, 2+width)
		row[0], row[1] = c.Month.Format("2006-01"), strconv.Itoa(c.Size)
		for k := range c.Active {
			row[2+k] = formatRate(c.Retention(k))
		}
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

func formatRate(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }
