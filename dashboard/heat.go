package dashboard

import (
	"strconv"

	"github.com/tenure-loyalty/tenure/analytics"
)

// A heat map here is an HTML table whose cells carry their number as text and a shade
// class (heat-0 to heat-9) for colour: the numbers stay readable to screen readers and
// copyable, and no inline style is needed under the page's content security policy.

// heatCell is one cell of a heat map: its text and shade (-1 for an empty cell).
type heatCell struct {
	Text  string
	Shade int
	Title string
}

// shade maps v in [0, top] to one of ten shades.
func shade(v, top float64) int {
	if top <= 0 || v <= 0 {
		return 0
	}
	return min(9, int(v/top*10))
}

// cohortGrid is the retention heat map: a row per first-order month, a column per month
// since.
type cohortGrid struct {
	Offsets []int
	Rows    []cohortRow
}

type cohortRow struct {
	Label string
	Size  int
	Cells []heatCell
}

// cohortHeat shades retention on its own scale from 0 to the best month-1-or-later rate,
// so that month 0 (always 100%) does not wash out the differences that matter.
func cohortHeat(t analytics.CohortTable) cohortGrid {
	var g cohortGrid
	width, top := 0, 0.0
	for _, c := range t {
		width = max(width, len(c.Active))
		for k := 1; k < len(c.Active); k++ {
			top = max(top, c.Retention(k))
		}
	}
	for k := range width {
		g.Offsets = append(g.Offsets, k)
	}
	for len(t) > 0 && t[0].Size == 0 { // months before the first customer
		t = t[1:]
	}
	for _, c := range t {
		row := cohortRow{Label: c.Month.Format("Jan 2006"), Size: c.Size}
		for k := range width {
			if k >= len(c.Active) || c.Size == 0 {
				row.Cells = append(row.Cells, heatCell{Shade: -1})
				continue
			}
			r := c.Retention(k)
			cell := heatCell{Text: strconv.FormatFloat(r*100, 'f', 1, 64) + "%", Shade: 9,
				Title: strconv.Itoa(c.Active[k]) + " of " + strconv.Itoa(c.Size) + " ordered in month " + strconv.Itoa(k)}
			if k > 0 {
				cell.Shade = shade(r, top)
			}
			row.Cells = append(row.Cells, cell)
		}
		g.Rows = append(g.Rows, row)
	}
	return g
}

// rfmGrid counts customers by recency score (rows, 5 = most recent, first) and frequency
// score (columns, 1 to 5).
type rfmGrid struct {
	Rows  []rfmRow
	Total int
	// Unused lists the frequency scores no customer has: a large tie (most customers with
	// one order) takes the lowest score and leaves the ones it spans empty.
	Unused []string
}

type rfmRow struct {
	R     int
	Cells []heatCell
}

func rfmHeat(rs []analytics.CustomerRFM) rfmGrid {
	var counts [6][6]int
	var spend [6][6]int64
	for _, r := range rs {
		if r.R >= 1 && r.R <= 5 && r.F >= 1 && r.F <= 5 {
			counts[r.R][r.F]++
			spend[r.R][r.F] += r.Monetary
		}
	}
	top := 0
	for r := 1; r <= 5; r++ {
		for f := 1; f <= 5; f++ {
			top = max(top, counts[r][f])
		}
	}
	g := rfmGrid{Total: len(rs)}
	for f := 1; f <= 5; f++ {
		used := false
		for r := 1; r <= 5; r++ {
			used = used || counts[r][f] > 0
		}
		if !used && len(rs) > 0 {
			g.Unused = append(g.Unused, "F"+strconv.Itoa(f))
		}
	}
	for r := 5; r >= 1; r-- {
		row := rfmRow{R: r}
		for f := 1; f <= 5; f++ {
			n := counts[r][f]
			cell := heatCell{Text: num(int64(n)), Shade: shade(float64(n), float64(top)),
				Title: "R" + strconv.Itoa(r) + " F" + strconv.Itoa(f) + ": " + strconv.Itoa(n) + " customers"}
			if n > 0 {
				cell.Title += ", average spend " + money(spend[r][f]/int64(n), "")
			}
			row.Cells = append(row.Cells, cell)
		}
		g.Rows = append(g.Rows, row)
	}
	return g
}
