package storage

import (
	"context"
	"time"

	"github.com/tenure-loyalty/tenure"
)

// Job is scheduled work stored in the database. (Kind, Key) is unique per tenant, so
// scheduling the same work twice is harmless.
type Job struct {
	ID       string
	TenantID string
	Kind     string
	Key      string
	Payload  string
	Attempt  int
	RunAt    time.Time
}

// Schedule stores a job to run at runAt unless one with the same kind and key exists. The
// row is written with the transaction's other buffered rows just before it commits.
func (tx *Tx) Schedule(ctx context.Context, tenantID, kind, key, payload string, runAt time.Time) error {
	tx.jobs = append(tx.jobs, []any{tx.NewID(tenure.PrefixJob), tenantID, kind, key, payload, "pending", 0, ts(runAt), ts(tx.Now)})
	return nil
}

// ClaimJobs leases up to limit due jobs to owner until leaseUntil; jobs whose lease ran out
// are due again. On PostgreSQL concurrent claimers skip each other's rows.
func (tx *Tx) ClaimJobs(ctx context.Context, owner string, leaseUntil time.Time, limit int) ([]Job, error) {
	rows, err := tx.query(ctx, `UPDATE jobs SET state = 'running', lease_owner = $1, lease_until = $2, attempts = attempts + 1
		WHERE id IN (SELECT id FROM jobs WHERE (state = 'pending' AND run_at <= $3) OR (state = 'running' AND lease_until <= $3)
		             ORDER BY run_at LIMIT $4`+tx.d.skipLocked+`)
		RETURNING id, tenant_id, kind, job_key, payload, attempts, run_at`, owner, ts(leaseUntil), ts(tx.Now), limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s interface{ Scan(...any) error }) (Job, error) {
		var j Job
		var runAt int64
		err := s.Scan(&j.ID, &j.TenantID, &j.Kind, &j.Key, &j.Payload, &j.Attempt, &runAt)
		j.RunAt = fromTS(runAt)
		return j, err
	})
}

// CompleteJob marks a job done by owner, in the transaction that did its work. It fails
// with KindConflict when owner no longer holds the lease, so that the work rolls back
// and a job is never done twice.
func (tx *Tx) CompleteJob(ctx context.Context, id, owner string) error {
	res, err := tx.exec(ctx, `UPDATE jobs SET state = 'done', done_at = $1, done_by = $2, lease_owner = '', lease_until = 0
		WHERE id = $3 AND lease_owner = $2 AND state = 'running'`, ts(tx.Now), owner, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return tenure.Errorf(tenure.KindConflict, "storage.CompleteJob", "lease of job %s lost", id)
	}
	return nil
}

// FailJob records a failed attempt and when to retry (or "dead" state after too many).
func (tx *Tx) FailJob(ctx context.Context, id, owner, state, msg string, retryAt time.Time) error {
	_, err := tx.exec(ctx, `UPDATE jobs SET state = $1, last_error = $2, run_at = $3, lease_owner = '', lease_until = 0
		WHERE id = $4 AND lease_owner = $5`, state, msg, ts(retryAt), id, owner)
	return err
}

// JobLag returns how far behind the oldest due job is at now (0 if none are due).
func (tx *Tx) JobLag(ctx context.Context) (time.Duration, error) {
	var oldest *int64
	if err := tx.queryRow(ctx, `SELECT MIN(run_at) FROM jobs WHERE state = 'pending' AND run_at <= $1`, ts(tx.Now)).Scan(&oldest); err != nil {
		return 0, err
	}
	if oldest == nil {
		return 0, nil
	}
	return tx.Now.Sub(fromTS(*oldest)), nil
}

// JobsDone returns which node completed each done job of a kind, for tests and operators.
func (tx *Tx) JobsDone(ctx context.Context, kind string) (map[string]string, error) {
	rows, err := tx.query(ctx, `SELECT job_key, done_by FROM jobs WHERE kind = $1 AND state = 'done'`, kind)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	_, err = collect(rows, func(s interface{ Scan(...any) error }) (struct{}, error) {
		var k, by string
		err := s.Scan(&k, &by)
		out[k] = by
		return struct{}{}, err
	})
	return out, err
}
