package storage

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/tenure-loyalty/tenure"
)

// StoredEvent is an intake record: the store's event, its body hash and the result that a
// replay returns.
type StoredEvent struct {
	ID         string
	ExternalID string
	Type       tenure.EventType
	MemberID   string
	BodyHash   string
	Payload    string
	Result     tenure.EventResult
}

// EventsByExternalID returns the stored events among the given store ids.
func (tx *Tx) EventsByExternalID(ctx context.Context, tenantID string, ids []string) (map[string]StoredEvent, error) {
	out := map[string]StoredEvent{}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, tenantID)
		var in strings.Builder
		for i, id := range chunk {
			if i > 0 {
				in.WriteByte(',')
			}
			in.WriteString("$" + itoa(i+2))
			args = append(args, id)
		}
		rows, err := tx.query(ctx, `SELECT id, external_id, type, member_id, body_hash, result, doc FROM events WHERE tenant_id = $1 AND external_id IN (`+in.String()+`)`, args...)
		if err != nil {
			return nil, err
		}
		evs, err := collect(rows, scanStoredEvent)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			out[e.ExternalID] = e
		}
	}
	return out, nil
}

func scanStoredEvent(s interface{ Scan(...any) error }) (StoredEvent, error) {
	var e StoredEvent
	var typ, result string
	var doc []byte
	if err := s.Scan(&e.ID, &e.ExternalID, &typ, &e.MemberID, &e.BodyHash, &result, &doc); err != nil {
		return e, err
	}
	e.Type = tenure.EventType(typ)
	res, _, err := eventTexts(doc, result, "")
	if err != nil {
		return e, err
	}
	return e, json.Unmarshal(res, &e.Result)
}

// Event loads a stored event by Tenure id or store id.
func (tx *Tx) Event(ctx context.Context, tenantID, id string) (StoredEvent, tenure.Event, error) {
	col := "external_id"
	if tenure.HasPrefix(id, tenure.PrefixEvent) {
		col = "id"
	}
	var payload string
	var e StoredEvent
	var typ, result string
	var doc []byte
	err := tx.queryRow(ctx, `SELECT id, external_id, type, member_id, body_hash, result, payload, doc FROM events WHERE tenant_id = $1 AND `+col+` = $2`, tenantID, id).
		Scan(&e.ID, &e.ExternalID, &typ, &e.MemberID, &e.BodyHash, &result, &payload, &doc)
	if isNoRows(err) {
		return e, tenure.Event{}, tenure.NotFound("storage.Event", "event", id)
	}
	if err != nil {
		return e, tenure.Event{}, err
	}
	e.Type = tenure.EventType(typ)
	var ev tenure.Event
	res, pay, err := eventTexts(doc, result, payload)
	if err != nil {
		return e, ev, err
	}
	if err := json.Unmarshal(res, &e.Result); err != nil {
		return e, ev, err
	}
	return e, ev, json.Unmarshal(pay, &ev)
}

// InsertEvents stores intake records in one statement per chunk.
func (tx *Tx) InsertEvents(ctx context.Context, tenantID string, evs []StoredEvent, occurred []int64) error {
	return tx.insertMany(ctx, `INSERT INTO events (id, tenant_id, external_id, type, member_id, body_hash, payload, result, doc, occurred_at, created_at) VALUES `,
		len(evs), 11, func(i int, args []any) []any {
			e := evs[i]
			res, _ := json.Marshal(e.Result)
			return append(args, e.ID, tenantID, e.ExternalID, string(e.Type), e.MemberID, e.BodyHash, "", "", EncodeEventDoc(res, []byte(e.Payload)), occurred[i], ts(tx.Now))
		})
}

// insertManySuffix is insertMany over buffered rows with a clause after the VALUES list
// (ON CONFLICT ...).
func (tx *Tx) insertManySuffix(ctx context.Context, head, suffix string, buf [][]any) error {
	if len(buf) == 0 {
		return nil
	}
	cols := len(buf[0])
	per := max(1, 30000/cols)
	for start := 0; start < len(buf); start += per {
		end := min(start+per, len(buf))
		var b strings.Builder
		b.WriteString(head)
		args := make([]any, 0, (end-start)*cols)
		for i := start; i < end; i++ {
			if i > start {
				b.WriteByte(',')
			}
			b.WriteByte('(')
			for c := 0; c < cols; c++ {
				if c > 0 {
					b.WriteByte(',')
				}
				b.WriteString(tx.d.placeholder(len(args) + c + 1))
			}
			b.WriteByte(')')
			args = append(args, buf[i]...)
		}
		b.WriteString(suffix)
		if _, err := tx.exec(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// insertMany runs a multi-row INSERT in chunks that stay under both engines' parameter
// limits. row appends row i's values to args.
func (tx *Tx) insertMany(ctx context.Context, head string, n, cols int, row func(i int, args []any) []any) error {
	per := max(1, 30000/cols)
	for start := 0; start < n; start += per {
		end := min(start+per, n)
		var b strings.Builder
		b.WriteString(head)
		args := make([]any, 0, (end-start)*cols)
		for i := start; i < end; i++ {
			if i > start {
				b.WriteByte(',')
			}
			b.WriteByte('(')
			for c := 0; c < cols; c++ {
				if c > 0 {
					b.WriteByte(',')
				}
				b.WriteString(tx.d.placeholder(len(args) + c + 1))
			}
			b.WriteByte(')')
			args = row(i, args)
		}
		if _, err := tx.exec(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// MemberEvents lists a member's events, newest first.
func (tx *Tx) MemberEvents(ctx context.Context, tenantID, memberID, before string, limit int) ([]StoredEvent, error) {
	if before == "" {
		before = "~"
	}
	rows, err := tx.query(ctx, `SELECT id, external_id, type, member_id, body_hash, result, doc FROM events
		WHERE tenant_id = $1 AND member_id = $2 AND id < $3 ORDER BY id DESC LIMIT $4`, tenantID, memberID, before, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanStoredEvent)
}
