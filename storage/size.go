package storage

import (
	"context"
	"strings"
)

// TableBytes is the space each table takes with its indexes (and on PostgreSQL its TOAST),
// by table name: SQLite's pages per B-tree from dbstat, indexes counted with their table;
// PostgreSQL's relation sizes in the current schema.
func (db *DB) TableBytes(ctx context.Context) (map[string]int64, error) {
	q := `SELECT s.name, COALESCE(m.tbl_name, s.name), SUM(s.pgsize) FROM dbstat s LEFT JOIN sqlite_schema m ON m.name = s.name GROUP BY s.name`
	if db.Engine != "sqlite" {
		q = `SELECT c.relname, c.relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = current_schema() AND c.relkind = 'r'`
	}
	rows, err := db.read.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var name, table string
		var n int64
		if err := rows.Scan(&name, &table, &n); err != nil {
			return nil, err
		}
		if strings.HasPrefix(table, "sqlite_") {
			table = "sqlite"
		}
		out[table] += n
	}
	return out, rows.Err()
}
