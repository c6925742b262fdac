package service

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/ledger"
	"github.com/tenure-loyalty/tenure/storage"
)

// Job kinds.
const (
	jobRelease = "order.release" // payload: the store's order id; settles the order when its window ends
	jobExpire  = "lots.expire"   // payload: expirePayload; expires a member's due lots
)

// JobLease is how long a node holds a claimed job before others may take it over.
const JobLease = 30 * time.Second

// RunDueJobs claims due jobs as owner and runs them, each job's effects committing together
// with its completion, so that a job is never done twice. Jobs are first run together in
// one transaction (an expiry storm at month end is one commit, not thousands); if any of
// them fails, that transaction rolls back and each job runs on its own, so one bad job
// cannot hold back the others. It returns how many jobs completed.
func (s *Service) RunDueJobs(ctx context.Context, owner string, limit int) (int, error) {
	var jobs []storage.Job
	err := s.db.Write(ctx, func(tx *storage.Tx) (err error) {
		jobs, err = tx.ClaimJobs(ctx, owner, tx.Now.Add(JobLease), limit)
		return err
	})
	if err != nil || len(jobs) == 0 {
		return 0, err
	}
	jobs, long := splitLong(jobs)
	done, err := s.runLongJobs(ctx, owner, long)
	if err != nil || len(jobs) == 0 {
		return done, err
	}
	if len(jobs) > 1 {
		err := s.db.Write(ctx, func(tx *storage.Tx) error {
			for _, j := range jobs {
				if err := s.runJob(ctx, tx, j); err != nil {
					return err
				}
				if err := tx.CompleteJob(ctx, j.ID, owner); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			return done + len(jobs), nil
		}
		s.Log.Debug("batched jobs failed; running them one by one", "jobs", len(jobs), "err", err)
	}
	for _, j := range jobs {
		err := s.db.Write(ctx, func(tx *storage.Tx) error {
			if err := s.runJob(ctx, tx, j); err != nil {
				return err
			}
			return tx.CompleteJob(ctx, j.ID, owner)
		})
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

// jobFailed records a failed attempt of a job for a retry with backoff (dead after ten);
// a job whose lease was lost is left to its new owner.
func (s *Service) jobFailed(ctx context.Context, owner string, j storage.Job, err error) error {
	if tenure.KindOf(err) == tenure.KindConflict && ctx.Err() == nil {
		s.Log.Warn("job lease lost", "job", j.ID, "kind", j.Kind)
		return nil
	}
	state, retry := "pending", s.Clock.Now().Add(backoff(j.Attempt))
	if j.Attempt >= 10 {
		state = "dead"
	}
	s.Log.Error("job failed", "job", j.ID, "kind", j.Kind, "attempt", j.Attempt, "err", err)
	return s.db.Write(ctx, func(tx *storage.Tx) error { return tx.FailJob(ctx, j.ID, owner, state, err.Error(), retry) })
}

// backoff is the delay before retry n (1-based): 1s, 2s, 4s … capped at one hour.
func backoff(n int) time.Duration {
	d := time.Second << min(max(n-1, 0), 12)
	return min(d, time.Hour)
}

func (s *core) runJob(ctx context.Context, tx *storage.Tx, j storage.Job) error {
	if handled, err := s.runRewardJob(ctx, tx, j); handled {
		return err
	}
	if handled, err := s.runTierJob(ctx, tx, j); handled {
		return err
	}
	if handled, err := s.runMemberDatesJob(ctx, tx, j); handled {
		return err
	}
	if handled, err := s.runFlowJob(ctx, tx, j); handled {
		return err
	}
	if handled, err := s.svc.Subscriptions.runSubscriptionJob(ctx, tx, j); handled {
		return err
	}
	u, err := s.newUnit(ctx, tx, j.TenantID)
	if err != nil {
		return err
	}
	switch j.Kind {
	case jobRelease:
		o, found, err := tx.Order(ctx, j.TenantID, j.Payload)
		if err != nil || !found {
			return err
		}
		m, err := tx.Member(ctx, j.TenantID, o.MemberID, true)
		if err != nil {
			return err
		}
		book, err := u.book(ctx, m.ID, tenure.Points)
		if err != nil {
			return err
		}
		out := ledger.SettleOrder(book, u.prog, o, o.Points.Base, ledger.Cause{Type: "job", ID: j.ID, Reason: "return window ended for order " + o.ExternalID})
		o.UpdatedAt = tx.Now
		if err := u.flush(ctx); err != nil {
			return err
		}
		if err := tx.SaveOrders(ctx, j.TenantID, []storage.OrderWrite{{Order: o, HadLines: true}}); err != nil {
			return err
		}
		return s.announce(ctx, tx, j.TenantID, m, book, o, out, "")
	case jobExpire:
		var p expirePayload
		if err := json.Unmarshal([]byte(j.Payload), &p); err != nil {
			return err
		}
		m, err := tx.Member(ctx, j.TenantID, p.MemberID, true)
		if err != nil {
			return err
		}
		book, err := u.book(ctx, m.ID, p.Wallet)
		if err != nil {
			return err
		}
		n := book.ExpireDue(ledger.Cause{Type: "job", ID: j.ID, Reason: "lots expired"})
		if err := u.flush(ctx); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		_, err = tx.Emit(ctx, j.TenantID, string(p.Wallet)+".expired", m.ID, pointsMessage{MemberID: m.ID, ExternalID: m.ExternalID,
			Wallet: p.Wallet, Amount: n, Balance: book.Balance.Available, BalancePend: book.Balance.Pending})
		return err
	}
	return fmt.Errorf("unknown job kind %q", j.Kind)
}
