package service

import (
	"context"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/metrics"
	"github.com/tenure-loyalty/tenure/storage"
)

// Concurrent intake requests of one store run as one intake: a group commit that holds
// several of them (storage.DB.WriteMerged) loads the program, the members' books, their
// orders and the seen event ids once for all their events, judges them in arrival order
// and writes each table once. The result is what the same requests would have given one
// after another in that order: an event id sent twice is applied once and replayed to the
// second request. If any event of the lot fails (invalid for the store, a reused id with
// another body…), the merged run is undone and every request runs alone, so each gets its
// own answer and a bad request costs the others only the repeated work.

// mergeKey: requests merge only with requests of the same store and the same kind of intake.
type mergeKey struct {
	tenantID                  string
	history, grant, scheduled bool
}

// mergedRequest is one request's part of a merged intake.
type mergedRequest struct {
	ctx     context.Context
	events  []tenure.Event
	hashes  []string
	results *[]tenure.EventResult
}

// mergedIngest describes an Ingest call (not a dry run) as a mergeable write; its results
// land in *results.
func (s *Intake) mergedIngest(ctx context.Context, tenantID string, events []tenure.Event, hashes []string, opt IngestOptions, results *[]tenure.EventResult) storage.Merge {
	opt.Batch = false // errors are reported by the requests' own runs, never by a merged one
	return storage.Merge{
		Key:    mergeKey{tenantID: tenantID, history: opt.History, grant: opt.GrantPoints, scheduled: opt.Scheduled},
		Item:   &mergedRequest{ctx: ctx, events: events, hashes: hashes, results: results},
		Weight: len(events),
		Run: func(tx *storage.Tx, items []any) error {
			return s.runMerged(tx, tenantID, opt, items)
		},
	}
}

func (s *Intake) runMerged(tx *storage.Tx, tenantID string, opt IngestOptions, items []any) error {
	reqs := make([]*mergedRequest, len(items))
	var events []tenure.Event
	var hashes []string
	laps := make([]context.Context, len(items))
	for i, it := range items {
		reqs[i] = it.(*mergedRequest)
		events = append(events, reqs[i].events...)
		hashes = append(hashes, reqs[i].hashes...)
		laps[i] = reqs[i].ctx
	}
	// Statements of a grouped write run detached from any caller (storage.Tx); the first
	// request's context only carries its values.
	ctx := context.WithoutCancel(reqs[0].ctx)
	in := &intake{s: s.core, ctx: ctx, opt: opt, laps: laps}
	var err error
	if in.u, err = s.newUnit(ctx, tx, tenantID); err != nil {
		return err
	}
	results, err := in.run(events, hashes)
	if err != nil {
		return err
	}
	for _, r := range reqs {
		n := len(r.events)
		*r.results, results = results[:n:n], results[n:]
	}
	return nil
}

// lap records a stage of the requests the intake serves.
func (in *intake) lap(stage string) {
	if in.laps == nil {
		metrics.Lap(in.ctx, stage)
		return
	}
	for _, ctx := range in.laps {
		metrics.Lap(ctx, stage)
	}
}
