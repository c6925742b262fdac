package service

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tenure-loyalty/tenure/flows"
	"github.com/tenure-loyalty/tenure/storage"
)

// jobFlowScan looks, once a day per tenant, for members in a loyalty state a flow
// starts on (points expiring within its days), and starts their runs.
const jobFlowScan = "flow.scan"

// scheduleScan makes sure a tenant's daily scan runs today (its key is the date, so
// asking twice is harmless).
func scheduleScan(ctx context.Context, tx *storage.Tx, tenantID string) error {
	return tx.Schedule(ctx, tenantID, jobFlowScan, tx.Now.UTC().Format(time.DateOnly), "", tx.Now)
}

// runFlowScan schedules a flow.event per member whose points expire within an enabled
// flow's days, keyed by the member and the first expiry, so that the same expiring
// points start one run however many scans see them; then it schedules tomorrow's scan.
func (s *core) runFlowScan(ctx context.Context, tx *storage.Tx, tenantID string) error {
	fs, err := tx.TriggeredFlows(ctx, tenantID, flows.TriggerPointsExpiring)
	if err != nil {
		return err
	}
	for _, f := range fs {
		due, err := tx.ExpiringPoints(ctx, tenantID, tx.Now, tx.Now.AddDate(0, 0, f.Trigger.Days))
		if err != nil {
			return err
		}
		for _, e := range due {
			b, _ := json.Marshal(flowEvent{MemberID: e.MemberID, Type: flows.TriggerPointsExpiring,
				Data: map[string]any{"expiring_points": e.Points, "expires_at": e.First.Format(time.RFC3339)}})
			key := fmt.Sprintf("expiring/%s/%s/%d", f.Key, e.MemberID, e.First.UnixMicro())
			if err := tx.Schedule(ctx, tenantID, jobFlowEvent, key, string(b), tx.Now); err != nil {
				return err
			}
		}
	}
	if len(fs) == 0 {
		return nil // no flow needs the scan; saving one schedules it again
	}
	next := tx.Now.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	return tx.Schedule(ctx, tenantID, jobFlowScan, next.Format(time.DateOnly), "", next)
}
