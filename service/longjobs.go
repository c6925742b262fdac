package service

import (
	"context"
	"sync"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage"
)

// Long jobs (a segment refresh reads every member and may fit the CLV model) compute
// outside any write transaction, renewing their lease while they do, and then write their
// result and their completion in one short transaction. Intake never waits for them, and
// no other node takes a job over while its owner is still computing.

// splitLong separates the long jobs from those that run inside one write transaction.
func splitLong(jobs []storage.Job) (short, long []storage.Job) {
	for _, j := range jobs {
		if j.Kind == jobSegments || j.Kind == jobFlowSend {
			long = append(long, j)
		} else {
			short = append(short, j)
		}
	}
	return short, long
}

// runLongJobs runs long jobs one by one and returns how many completed.
func (s *Service) runLongJobs(ctx context.Context, owner string, jobs []storage.Job) (int, error) {
	done := 0
	for _, j := range jobs {
		err := s.runLongJob(ctx, owner, j)
		if err == nil {
			done++
			continue
		}
		if ferr := s.jobFailed(ctx, owner, j, err); ferr != nil {
			return done, ferr
		}
	}
	return done, nil
}

func (s *Service) runLongJob(ctx context.Context, owner string, j storage.Job) error {
	if j.Kind == jobFlowSend {
		return s.runFlowSend(ctx, owner, j)
	}
	cctx, stop := s.holdLease(ctx, owner, j)
	members, err := s.computeSegments(cctx, j.TenantID)
	lost := stop()
	if lost != nil {
		return lost
	}
	if err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *storage.Tx) error {
		if err := writeSegments(ctx, tx, j.TenantID, members); err != nil {
			return err
		}
		return tx.CompleteJob(ctx, j.ID, owner)
	})
}

// holdLease renews owner's lease of j every leaseBeat until stop is called. The context
// it returns is cancelled when the lease is lost, and stop then reports that (a
// KindConflict), so that the job's result is thrown away.
func (s *core) holdLease(ctx context.Context, owner string, j storage.Job) (context.Context, func() error) {
	cctx, cancel := context.WithCancel(ctx)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		lost error
	)
	quit := make(chan struct{})
	wg.Go(func() {
		t := time.NewTicker(s.leaseBeat)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-cctx.Done():
				return
			case <-t.C:
			}
			err := s.db.Write(cctx, func(tx *storage.Tx) error { return tx.ExtendJobLease(cctx, j.ID, owner, tx.Now.Add(JobLease)) })
			if tenure.KindOf(err) == tenure.KindConflict {
				mu.Lock()
				lost = err
				mu.Unlock()
				cancel()
				return
			}
			if err != nil && cctx.Err() == nil {
				s.Log.Warn("job lease not renewed; trying again", "job", j.ID, "err", err)
			}
		}
	})
	return cctx, func() error {
		close(quit)
		wg.Wait()
		cancel()
		mu.Lock()
		defer mu.Unlock()
		return lost
	}
}
