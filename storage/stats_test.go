package storage_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure/storage"
)

// Statistics taken while a table was small must not outlive the refresh: they made the
// planner scan rule_usage on every event of a store that had grown since (per-event cost
// growing with the store).
func TestSmallTableStatisticsAreDropped(t *testing.T) {
	ctx := context.Background()
	db := open(t, filepath.Join(t.TempDir(), "tenure.db"))
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	raw := db.Raw()
	for i := range 50 {
		if _, err := raw.Exec(`INSERT INTO rule_usage (tenant_id, member_id, rule_id, period, times, points) VALUES ('t', $1, 'r', 'p', 1, 1)`, fmt.Sprint("m", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := raw.Exec(`ANALYZE`); err != nil { // statistics of a new store
		t.Fatal(err)
	}
	plan := func() string {
		t.Helper()
		rows, err := raw.Query(`EXPLAIN QUERY PLAN SELECT member_id, rule_id, period, times, points FROM rule_usage
			WHERE member_id IN ('m1', 'm2') AND rule_id IN ('r', 's') AND period IN ('p', 'q')`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			out = append(out, detail)
		}
		return strings.Join(out, "; ")
	}
	storage.Optimize(db)
	var small int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM sqlite_stat1 WHERE CAST(stat AS INTEGER) < 1000`).Scan(&small); err != nil {
		t.Fatal(err)
	}
	if small != 0 {
		t.Fatalf("%d statistics rows of tables under 1,000 rows survived the refresh", small)
	}
	if p := plan(); strings.Contains(p, "SCAN rule_usage") {
		t.Fatalf("rule usage lookup scans after the refresh: %s", p)
	}
}
