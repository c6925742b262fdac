package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/flows"
)

// tz and fromTZ store the zero time as 0.
func tz(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ts(t)
}

func fromTZ(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromTS(us)
}

// SaveFlow stores f as a new version of its key; the version must be new.
func (tx *Tx) SaveFlow(ctx context.Context, tenantID string, f flows.Flow) error {
	def, err := json.Marshal(f)
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO flows (id, tenant_id, flow_key, version, enabled, trigger_event, definition, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, f.ID, tenantID, f.Key, f.Version, f.Enabled, f.Trigger.Event, string(def), ts(f.Created))
	if tx.db.d.uniqueViolated(err) {
		return tenure.Errorf(tenure.KindConflict, "storage.SaveFlow", "flow %s already has version %d", f.Key, f.Version)
	}
	return err
}

func scanFlows(rows *sql.Rows, err error) ([]flows.Flow, error) {
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s interface{ Scan(...any) error }) (flows.Flow, error) {
		var def string
		var f flows.Flow
		if err := s.Scan(&def); err != nil {
			return f, err
		}
		err := json.Unmarshal([]byte(def), &f)
		return f, err
	})
}

// latest selects the highest version of each flow key.
const latestFlows = `SELECT definition FROM flows f WHERE tenant_id = $1 AND version = (SELECT MAX(version) FROM flows g WHERE g.tenant_id = f.tenant_id AND g.flow_key = f.flow_key)`

// Flows lists the current version of each of a tenant's flows, by key.
func (tx *Tx) Flows(ctx context.Context, tenantID string) ([]flows.Flow, error) {
	return scanFlows(tx.query(ctx, latestFlows+` ORDER BY flow_key`, tenantID))
}

// TriggeredFlows lists the current versions of a tenant's flows whose trigger is event
// and that are enabled.
func (tx *Tx) TriggeredFlows(ctx context.Context, tenantID, event string) ([]flows.Flow, error) {
	return scanFlows(tx.query(ctx, latestFlows+` AND trigger_event = $2 AND enabled ORDER BY flow_key`, tenantID, event))
}

// FlowVersions lists every version of a flow, newest first.
func (tx *Tx) FlowVersions(ctx context.Context, tenantID, key string) ([]flows.Flow, error) {
	return scanFlows(tx.query(ctx, `SELECT definition FROM flows WHERE tenant_id = $1 AND flow_key = $2 ORDER BY version DESC`, tenantID, key))
}

// Flow loads one version of a flow (0: the current one); KindNotFound if there is none.
func (tx *Tx) Flow(ctx context.Context, tenantID, key string, version int) (flows.Flow, error) {
	var fs []flows.Flow
	var err error
	if version == 0 {
		fs, err = scanFlows(tx.query(ctx, `SELECT definition FROM flows WHERE tenant_id = $1 AND flow_key = $2 ORDER BY version DESC LIMIT 1`, tenantID, key))
	} else {
		fs, err = scanFlows(tx.query(ctx, `SELECT definition FROM flows WHERE tenant_id = $1 AND flow_key = $2 AND version = $3`, tenantID, key, version))
	}
	if err != nil {
		return flows.Flow{}, err
	}
	if len(fs) == 0 {
		return flows.Flow{}, tenure.NotFound("storage.Flow", "flow", key)
	}
	return fs[0], nil
}

const runCols = `id, flow_key, version, member_id, state, step, wait_until, arm, started_at, ended_at, reason, data`

func scanRun(s interface{ Scan(...any) error }) (flows.Run, error) {
	var r flows.Run
	var wait, started, ended int64
	var data string
	err := s.Scan(&r.ID, &r.FlowID, &r.Version, &r.MemberID, &r.State, &r.Step, &wait, &r.Arm, &started, &ended, &r.Reason, &data)
	r.WaitUntil, r.Started, r.Ended = fromTZ(wait), fromTS(started), fromTZ(ended)
	if err == nil {
		err = unmarshalData(data, &r.Data)
	}
	return r, err
}

// InsertRun stores a new run (its FlowID holds the flow's key). A second active run of
// the same member and flow fails with KindConflict.
func (tx *Tx) InsertRun(ctx context.Context, tenantID string, r flows.Run) error {
	_, err := tx.exec(ctx, `INSERT INTO flow_runs (tenant_id, `+runCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		tenantID, r.ID, r.FlowID, r.Version, r.MemberID, r.State, r.Step, tz(r.WaitUntil), r.Arm, ts(r.Started), tz(r.Ended), r.Reason, marshalData(r.Data))
	if tx.db.d.uniqueViolated(err) {
		return tenure.Errorf(tenure.KindConflict, "storage.InsertRun", "member %s is already in a run of flow %s", r.MemberID, r.FlowID)
	}
	return err
}

// UpdateRun stores a run's progress.
func (tx *Tx) UpdateRun(ctx context.Context, tenantID string, r flows.Run) error {
	_, err := tx.exec(ctx, `UPDATE flow_runs SET state = $1, step = $2, wait_until = $3, arm = $4, ended_at = $5, reason = $6
		WHERE tenant_id = $7 AND id = $8`, r.State, r.Step, tz(r.WaitUntil), r.Arm, tz(r.Ended), r.Reason, tenantID, r.ID)
	return err
}

// FlowRun loads a run; found is false if there is none.
func (tx *Tx) FlowRun(ctx context.Context, tenantID, id string) (flows.Run, bool, error) {
	r, err := scanRun(tx.queryRow(ctx, `SELECT `+runCols+` FROM flow_runs WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	return r, err == nil, err
}

// LastRun loads a member's latest run of a flow; found is false if there is none.
func (tx *Tx) LastRun(ctx context.Context, tenantID, key, memberID string) (flows.Run, bool, error) {
	r, err := scanRun(tx.queryRow(ctx, `SELECT `+runCols+` FROM flow_runs WHERE tenant_id = $1 AND flow_key = $2 AND member_id = $3
		ORDER BY started_at DESC, id DESC LIMIT 1`, tenantID, key, memberID))
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	return r, err == nil, err
}

// MemberRuns lists a member's runs, newest first.
func (tx *Tx) MemberRuns(ctx context.Context, tenantID, memberID string, activeOnly bool) ([]flows.Run, error) {
	q := `SELECT ` + runCols + ` FROM flow_runs WHERE tenant_id = $1 AND member_id = $2`
	if activeOnly {
		q += ` AND state = 'active'`
	}
	rows, err := tx.query(ctx, q+` ORDER BY started_at DESC, id DESC`, tenantID, memberID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanRun)
}

const messageCols = `id, member_id, flow_key, run_id, step_id, channel, purpose, template, priority, expiry, state, reason,
	recipient, subject, unsub_token, attempts, queued_at, send_at, sent_at, data`

func scanFlowMessage(s interface{ Scan(...any) error }) (flows.FlowMessage, error) {
	var d flows.FlowMessage
	var expiry, queued, sendAt, sent int64
	var data string
	err := s.Scan(&d.ID, &d.MemberID, &d.FlowKey, &d.RunID, &d.StepID, &d.Channel, &d.Purpose, &d.Template, &d.Priority, &expiry,
		&d.State, &d.Reason, &d.Recipient, &d.Subject, &d.Token, &d.Attempts, &queued, &sendAt, &sent, &data)
	d.Expiry, d.QueuedAt, d.SendAt, d.SentAt = time.Duration(expiry)*time.Microsecond, fromTS(queued), fromTZ(sendAt), fromTZ(sent)
	if err == nil {
		err = unmarshalData(data, &d.Data)
	}
	return d, err
}

// InsertFlowMessage stores a new message. A second message for the same run and step fails
// with KindConflict.
func (tx *Tx) InsertFlowMessage(ctx context.Context, tenantID string, d flows.FlowMessage) error {
	_, err := tx.exec(ctx, `INSERT INTO flow_messages (tenant_id, `+messageCols+`, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`,
		tenantID, d.ID, d.MemberID, d.FlowKey, d.RunID, d.StepID, d.Channel, d.Purpose, d.Template, d.Priority, d.Expiry.Microseconds(),
		d.State, d.Reason, d.Recipient, d.Subject, d.Token, d.Attempts, ts(d.QueuedAt), tz(d.SendAt), tz(d.SentAt), marshalData(d.Data), ts(tx.Now))
	if tx.db.d.uniqueViolated(err) {
		return tenure.Errorf(tenure.KindConflict, "storage.InsertFlowMessage", "run %s step %s already made its message", d.RunID, d.StepID)
	}
	return err
}

// UpdateFlowMessage stores a message's new state.
func (tx *Tx) UpdateFlowMessage(ctx context.Context, tenantID string, d flows.FlowMessage) error {
	_, err := tx.exec(ctx, `UPDATE flow_messages SET state = $1, reason = $2, recipient = $3, subject = $4, attempts = $5, send_at = $6,
		sent_at = $7, updated_at = $8 WHERE tenant_id = $9 AND id = $10`,
		d.State, d.Reason, d.Recipient, d.Subject, d.Attempts, tz(d.SendAt), tz(d.SentAt), ts(tx.Now), tenantID, d.ID)
	return err
}

// FlowMessage loads a message; found is false if there is none.
func (tx *Tx) FlowMessage(ctx context.Context, tenantID, id string) (flows.FlowMessage, bool, error) {
	d, err := scanFlowMessage(tx.queryRow(ctx, `SELECT `+messageCols+` FROM flow_messages WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, false, nil
	}
	return d, err == nil, err
}

// FlowMessageByToken finds the message whose unsubscribe link carries token, whatever its
// tenant (the link is followed without signing in).
func (tx *Tx) FlowMessageByToken(ctx context.Context, token string) (string, flows.FlowMessage, bool, error) {
	var tenantID string
	var d flows.FlowMessage
	row := tx.queryRow(ctx, `SELECT tenant_id, `+messageCols+` FROM flow_messages WHERE unsub_token = $1`, token)
	d, err := scanFlowMessage(scanFunc(func(dest ...any) error { return row.Scan(append([]any{&tenantID}, dest...)...) }))
	if errors.Is(err, sql.ErrNoRows) {
		return "", d, false, nil
	}
	return tenantID, d, err == nil, err
}

type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// MemberFlowMessages lists a member's messages, newest first, at most limit.
func (tx *Tx) MemberFlowMessages(ctx context.Context, tenantID, memberID string, limit int) ([]flows.FlowMessage, error) {
	rows, err := tx.query(ctx, `SELECT `+messageCols+` FROM flow_messages WHERE tenant_id = $1 AND member_id = $2
		ORDER BY queued_at DESC, id DESC LIMIT $3`, tenantID, memberID, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanFlowMessage)
}

// MarketingSentSince returns when a member's marketing messages went out since since, for
// the contact budget.
func (tx *Tx) MarketingSentSince(ctx context.Context, tenantID, memberID string, since time.Time) ([]time.Time, error) {
	rows, err := tx.query(ctx, `SELECT sent_at FROM flow_messages WHERE tenant_id = $1 AND member_id = $2 AND purpose = 'marketing'
		AND state IN ('sent', 'bounced', 'unsubscribed') AND sent_at > $3 ORDER BY sent_at`, tenantID, memberID, ts(since))
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s interface{ Scan(...any) error }) (time.Time, error) {
		var v int64
		err := s.Scan(&v)
		return fromTS(v), err
	})
}

// WaitingFlowMessages lists a member's messages not yet sent (queued or deferred).
func (tx *Tx) WaitingFlowMessages(ctx context.Context, tenantID, memberID string) ([]flows.FlowMessage, error) {
	rows, err := tx.query(ctx, `SELECT `+messageCols+` FROM flow_messages WHERE tenant_id = $1 AND member_id = $2
		AND state IN ('queued', 'deferred') ORDER BY queued_at, id`, tenantID, memberID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanFlowMessage)
}

func marshalData(m map[string]any) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func unmarshalData(s string, m *map[string]any) error {
	if s == "" || s == "{}" {
		return nil
	}
	return json.Unmarshal([]byte(s), m)
}

// Expiring is a member's points that expire in a window: how many, and when the first of
// them do.
type Expiring struct {
	MemberID string
	Points   int64
	First    time.Time
}

// ExpiringPoints lists the members of a tenant with available points expiring after from
// and up to to.
func (tx *Tx) ExpiringPoints(ctx context.Context, tenantID string, from, to time.Time) ([]Expiring, error) {
	rows, err := tx.query(ctx, `SELECT member_id, SUM(remaining), MIN(expires_at) FROM lots
		WHERE tenant_id = $1 AND wallet = 'points' AND remaining > 0 AND expires_at > $2 AND expires_at <= $3
		GROUP BY member_id ORDER BY member_id`, tenantID, ts(from), ts(to))
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s interface{ Scan(...any) error }) (Expiring, error) {
		var e Expiring
		var first int64
		err := s.Scan(&e.MemberID, &e.Points, &first)
		e.First = fromTS(first)
		return e, err
	})
}
