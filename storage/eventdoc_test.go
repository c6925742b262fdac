package storage_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// TestEventDocuments: an event's result and payload are stored compressed in one column and
// read back unchanged by every reader (replay lookup, one event, a member's events); rows
// written before, with the two JSON texts in their own columns, read the same way.
func TestEventDocuments(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		ctx := context.Background()
		db, tenant := openGroupDB(t, e, tenure.SystemClock{})
		var xs []map[string]any
		for i := 0; i < 20; i++ {
			xs = append(xs, map[string]any{"rule_id": "kw" + string(rune('a'+i)), "fired": i%3 == 0, "points": i, "reason": "keyword not in any line's name"})
		}
		explained, _ := json.Marshal(xs)
		res := tenure.EventResult{EventID: "ev-new", ID: "evt_new", Type: tenure.OrderPaid, MemberID: "mem_1", Explanations: explained,
			Points: &tenure.PointsOutcome{Earned: 120, Pending: true}, CreatedAt: time.UnixMicro(1_700_000_000_000_000).UTC()}
		payload := `{"id":"ev-new","type":"order.paid","customer_id":"c1","order":{"id":"o1"}}`
		if err := db.Write(ctx, func(tx *storage.Tx) error {
			return tx.InsertEvents(ctx, tenant, []storage.StoredEvent{{ID: res.ID, ExternalID: "ev-new", Type: tenure.OrderPaid, MemberID: "mem_1",
				BodyHash: "h1", Payload: payload, Result: res}}, []int64{1})
		}); err != nil {
			t.Fatal(err)
		}
		old := res
		old.EventID, old.ID = "ev-old", "evt_old"
		oldResult, _ := json.Marshal(old)
		oldPayload := `{"id":"ev-old","type":"order.paid","customer_id":"c1","order":{"id":"o0"}}`
		if _, err := db.Raw().ExecContext(ctx, `INSERT INTO events (id, tenant_id, external_id, type, member_id, body_hash, payload, result, occurred_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, 1)`, old.ID, tenant, "ev-old", "order.paid", "mem_1", "h0", oldPayload, string(oldResult)); err != nil {
			t.Fatal(err)
		}
		var size int
		if err := db.Raw().QueryRowContext(ctx, `SELECT length(payload) + length(result) + length(doc) FROM events WHERE id = $1`, res.ID).Scan(&size); err != nil {
			t.Fatal(err)
		}
		full, _ := json.Marshal(res)
		if size >= (len(full)+len(payload))/2 {
			t.Errorf("stored %d bytes for %d bytes of JSON", size, len(full)+len(payload))
		}
		same := func(what string, got, want tenure.EventResult) {
			t.Helper()
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			if string(g) != string(w) {
				t.Errorf("%s: read %s\nwant %s", what, g, w)
			}
		}
		if err := db.Read(ctx, func(tx *storage.Tx) error {
			seen, err := tx.EventsByExternalID(ctx, tenant, []string{"ev-new", "ev-old"})
			if err != nil {
				return err
			}
			same("replay lookup, new row", seen["ev-new"].Result, res)
			same("replay lookup, old row", seen["ev-old"].Result, old)
			for _, c := range []struct {
				id, payload string
				want        tenure.EventResult
			}{{"ev-new", payload, res}, {"ev-old", oldPayload, old}} {
				st, ev, err := tx.Event(ctx, tenant, c.id)
				if err != nil {
					return err
				}
				same("event "+c.id, st.Result, c.want)
				var want tenure.Event
				_ = json.Unmarshal([]byte(c.payload), &want)
				if ev.ID != want.ID || ev.Order == nil || ev.Order.ID != want.Order.ID {
					t.Errorf("event %s: payload read as %+v", c.id, ev)
				}
			}
			list, err := tx.MemberEvents(ctx, tenant, "mem_1", "", 10)
			if err != nil {
				return err
			}
			if len(list) != 2 {
				t.Fatalf("member events: %d", len(list))
			}
			same("member events, old row", list[0].Result, old) // newest id first
			same("member events, new row", list[1].Result, res)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}
