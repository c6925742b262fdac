package bench

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// The raw baseline writes, with database/sql and nothing else, the rows the service writes
// for the first order.paid of a new order of an existing member under the default program
// (points pending until fulfilment); rawrows.go lists them. Everything that is not storage
// work (ids, JSON, hashes, SQL text) is prepared before the clock starts, so the baseline
// is the storage engine's ceiling for these rows: multi-row INSERTs and multi-row UPDATEs,
// group-committed per batch.

// maxParams keeps a statement under SQLite's 32766 bound parameters (PostgreSQL's bound is
// 65535).
const maxParams = 30000

// statement is SQL text with its arguments.
type statement struct {
	sql  string
	args []any
}

// rawBatch is one transaction's statements.
type rawBatch struct {
	events int
	stmts  []statement
}

// builder writes SQL with placeholders in order of appearance: $1, $2, … for PostgreSQL
// and ? for SQLite. SQLite treats $N as a named parameter and resolves each name with a
// linear search of the statement's parameter list, which makes a statement of n
// parameters cost O(n²) to parse and to bind; plain ? costs O(n).
type builder struct {
	b    strings.Builder
	args []any
	pg   bool
}

func (q *builder) sql(s string) { q.b.WriteString(s) }

func (q *builder) arg(v any) {
	q.args = append(q.args, v)
	if q.pg {
		q.b.WriteByte('$')
		q.b.WriteString(strconv.Itoa(len(q.args)))
	} else {
		q.b.WriteByte('?')
	}
}

func (q *builder) statement() statement { return statement{sql: q.b.String(), args: q.args} }

// multiInsert appends INSERT statements of rows (each a slice of cols values), chunked
// under maxParams; tail (an ON CONFLICT clause) ends each statement.
func multiInsert(out []statement, pg bool, head string, cols int, rows [][]any, tail string) []statement {
	per := maxParams / cols
	for start := 0; start < len(rows); start += per {
		q := &builder{pg: pg, args: make([]any, 0, min(per, len(rows)-start)*cols)}
		q.sql(head)
		for i, r := range rows[start:min(start+per, len(rows))] {
			if i > 0 {
				q.sql(",")
			}
			q.sql("(")
			for c, v := range r {
				if c > 0 {
					q.sql(",")
				}
				q.arg(v)
			}
			q.sql(")")
		}
		q.sql(tail)
		out = append(out, q.statement())
	}
	return out
}

// balanceUpdate adds each member's new pending points to its balance in one statement per
// chunk: UPDATE … FROM (VALUES …), which both engines accept (VALUES columns are named
// column1, column2 in both).
func balanceUpdate(out []statement, pg bool, tenantID string, now int64, members []string, points map[string]int64) []statement {
	per := (maxParams - 2) / 2
	for start := 0; start < len(members); start += per {
		q := &builder{pg: pg}
		q.sql(`UPDATE balances SET pending = balances.pending + v.column2, earned = balances.earned + v.column2, updated_at = `)
		q.arg(now)
		q.sql(` FROM (VALUES `)
		for i, m := range members[start:min(start+per, len(members))] {
			if i > 0 {
				q.sql(",")
			}
			q.sql("(CAST(")
			q.arg(m)
			q.sql(" AS TEXT), CAST(")
			q.arg(points[m])
			q.sql(" AS BIGINT))")
		}
		q.sql(`) AS v WHERE balances.tenant_id = `)
		q.arg(tenantID)
		q.sql(` AND balances.member_id = v.column1 AND balances.wallet = 'points'`)
		out = append(out, q.statement())
	}
	return out
}

// writeRaw runs each batch in one transaction on db (the write pool; one connection on
// SQLite). This is the timed part of the baseline.
func writeRaw(ctx context.Context, db *sql.DB, batches []rawBatch) error {
	for _, b := range batches {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for _, s := range b.stmts {
			if _, err := tx.ExecContext(ctx, s.sql, s.args...); err != nil {
				_ = tx.Rollback()
				return fmt.Errorf("raw write: %w", err)
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}
