package analytics_test

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure/analytics"
)

// cohortShop: a and b start in January, c in March (February has no newcomers), d in April.
func cohortShop(t testing.TB) *analytics.History {
	return history(t,
		order("a", day(2024, 1, 5), 10, 1), order("a", day(2024, 1, 20), 20, 1), order("a", day(2024, 3, 3), 30, 1),
		order("b", day(2024, 1, 15), 40, 1), order("b", day(2024, 2, 1), 50, 1),
		order("c", day(2024, 3, 10), 60, 1), order("c", day(2024, 3, 11), 70, 1),
		order("d", day(2024, 4, 30), 80, 1),
	)
}

func TestCohortRetentionMatrix(t *testing.T) {
	table := cohortShop(t).Cohorts(time.Time{}, time.Time{})
	type row struct {
		month   string
		size    int
		active  []int
		orders  []int
		revenue []int64
	}
	var got []row
	for _, c := range table {
		got = append(got, row{c.Month.Format("2006-01"), c.Size, c.Active, c.Orders, c.Revenue})
	}
	want := []row{
		{"2024-01", 2, []int{2, 1, 1, 0}, []int{3, 1, 1, 0}, []int64{70, 50, 30, 0}},
		{"2024-02", 0, []int{0, 0, 0}, []int{0, 0, 0}, []int64{0, 0, 0}},
		{"2024-03", 1, []int{1, 0}, []int{2, 0}, []int64{130, 0}},
		{"2024-04", 1, []int{1}, []int{1}, []int64{80}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("table =\n%+v\nwant\n%+v", got, want)
	}
	jan := table[0]
	for k, r := range []float64{1, 0.5, 0.5, 0} {
		if jan.Retention(k) != r {
			t.Errorf("January retention m%d = %v, want %v", k, jan.Retention(k), r)
		}
	}
	if table[1].Retention(0) != 0 || jan.Retention(9) != 0 {
		t.Error("an empty cohort or a month past the table has retention 0")
	}
}

func TestCohortsWithinARange(t *testing.T) {
	h := cohortShop(t)
	// Cohorts of January and February only, followed through February: a month starting
	// before to (Feb 10) counts, later ones do not.
	table := h.Cohorts(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 10, 0, 0, 0, 0, time.UTC))
	if len(table) != 2 || !reflect.DeepEqual(table[0].Active, []int{2, 1}) || table[1].Size != 0 {
		t.Errorf("table = %+v", table)
	}
	// A customer whose first order precedes from belongs to no cohort.
	table = h.Cohorts(time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC))
	if len(table) != 2 || table[0].Size != 0 || table[1].Size != 1 {
		t.Errorf("table = %+v", table)
	}
}

func TestCohortCSV(t *testing.T) {
	table := cohortShop(t).Cohorts(time.Time{}, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC))
	var long, matrix bytes.Buffer
	if err := table.WriteCSV(&long); err != nil {
		t.Fatal(err)
	}
	if err := table.WriteRetentionMatrixCSV(&matrix); err != nil {
		t.Fatal(err)
	}
	wantLong := `cohort,size,month_offset,month,active,retention,orders,revenue
2024-01,2,0,2024-01,2,1.0000,3,70
2024-01,2,1,2024-02,1,0.5000,1,50
2024-02,0,0,2024-02,0,0.0000,0,0
`
	if long.String() != wantLong {
		t.Errorf("long CSV =\n%s\nwant\n%s", long.String(), wantLong)
	}
	wantMatrix := `cohort,size,m0,m1
2024-01,2,1.0000,0.5000
2024-02,0,0.0000,
`
	if matrix.String() != wantMatrix {
		t.Errorf("matrix CSV =\n%s\nwant\n%s", matrix.String(), wantMatrix)
	}
}
