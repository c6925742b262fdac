package storage

import (
	"database/sql"
	"strconv"
)

// collect scans every row with scan and closes rows, reporting rows.Err.
func collect[T any](rows *sql.Rows, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func itoa(i int) string { return strconv.Itoa(i) }
