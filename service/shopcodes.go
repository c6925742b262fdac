package service

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rewards"
	"github.com/tenure-loyalty/tenure/storage"
)

// couponTypes are the outbox messages the code sync follows: a redemption makes the code,
// and a coupon cancelled, expired or used (reported through the API, say, rather than at
// the shop's checkout) takes it out of the shop, so that it cannot be used there again.
var couponTypes = []string{"reward.redeemed", "coupon.cancelled", "coupon.expired", "coupon.used"}

// codeTypes are the coupon types that give a code to create in a shop; store credit and
// custom rewards have none.
var codeTypes = map[rewards.Type]bool{rewards.PercentDiscount: true, rewards.FixedDiscount: true, rewards.FreeShipping: true,
	rewards.FreeProduct: true, rewards.PointsDiscount: true}

// QueueCodes reads the outbox of every tenant that mirrors codes into a shop, after what
// it read last, and queues each new coupon's code to be created and each cancelled,
// expired or used one to be disabled. It runs after the commits that wrote the messages, never
// inside them: the shop's API is called later, outside any transaction. It returns how
// many messages it read.
func (h *Shops) QueueCodes(ctx context.Context) (int, error) {
	var shops []storage.ShopRow
	err := h.db.Read(ctx, func(tx *storage.Tx) (err error) { shops, err = tx.SyncingShops(ctx); return err })
	if err != nil {
		return 0, err
	}
	read := 0
	for _, s := range shops {
		// Most passes find nothing new: look in a read transaction first.
		var msgs []storage.OutboxMessage
		err := h.db.Read(ctx, func(tx *storage.Tx) (err error) {
			msgs, err = tx.OutboxAfter(ctx, s.TenantID, s.Cursor, h.Clock.Now().Add(-CodeSettle), couponTypes, 500)
			return err
		})
		if err != nil {
			return read, err
		}
		if len(msgs) == 0 {
			continue
		}
		err = h.db.Write(ctx, func(tx *storage.Tx) error {
			for _, m := range msgs {
				var c rewards.Coupon
				if err := json.Unmarshal([]byte(m.Payload), &c); err != nil {
					return fmt.Errorf("outbox message %s: %w", m.ID, err)
				}
				if !codeTypes[c.Type] || c.ID == "" {
					continue
				}
				want := "active"
				if m.Type != "reward.redeemed" {
					want = "disabled"
				}
				if err := tx.WantShopCode(ctx, s.TenantID, s.ID, c.ID, c.Code, want); err != nil {
					return err
				}
			}
			return tx.SetShopCursor(ctx, s.ID, msgs[len(msgs)-1].ID)
		})
		if err != nil {
			return read, err
		}
		read += len(msgs)
	}
	return read, nil
}

// CodeSettle is how old an outbox message must be before the code sync reads it: longer
// than any transaction that made one stays open, so the sync's cursor never passes a
// message that is yet to commit.
const CodeSettle = 5 * time.Second

// CodeTask is a coupon code to create in or disable at a shop, leased to one worker.
type CodeTask struct {
	Shop   tenure.ShopConnection
	Coupon rewards.Coupon
	Code   tenure.ShopCode
	// Email is the member's address, for platforms that restrict a code by e-mail.
	Email string
}

// CodeLease is how long a worker holds a claimed code before another may take it.
const CodeLease = time.Minute

// ClaimCodes leases up to limit codes whose shop state differs from the wanted one, for
// connections of platform.
func (h *Shops) ClaimCodes(ctx context.Context, platform tenure.Platform, limit int) (out []CodeTask, err error) {
	var due bool
	if err := h.db.Read(ctx, func(tx *storage.Tx) (err error) { due, err = tx.ShopCodesDue(ctx, platform); return err }); err != nil || !due {
		return nil, err
	}
	err = h.db.Write(ctx, func(tx *storage.Tx) error {
		out = out[:0]
		tasks, err := tx.ClaimShopCodes(ctx, platform, tx.Now.Add(CodeLease), limit)
		if err != nil {
			return err
		}
		for _, t := range tasks {
			r, err := tx.Shop(ctx, t.ConnectionID)
			if err != nil {
				return err
			}
			c, err := tx.Coupon(ctx, t.TenantID, t.CouponID, false)
			if err != nil {
				return err
			}
			m, err := tx.Member(ctx, t.TenantID, c.MemberID, false)
			if err != nil {
				return err
			}
			out = append(out, CodeTask{Shop: r.ShopConnection, Coupon: c, Code: t.ShopCode, Email: m.Email})
		}
		return nil
	})
	return out, err
}

// FinishCode records a worker's outcome for a claimed code: the state the shop now holds
// and the shop's id of it; or, with failed set, the error and the delay before the next
// attempt (the shop's Retry-After when it sent one).
func (h *Shops) FinishCode(ctx context.Context, t CodeTask, state, remoteID string, failed error, retryIn time.Duration) error {
	msg := ""
	if failed != nil {
		msg = failed.Error()
		if len(msg) > 1000 {
			msg = msg[:1000]
		}
		if retryIn <= 0 {
			retryIn = backoff(t.Code.Attempts)
		}
	}
	return h.db.Write(ctx, func(tx *storage.Tx) error {
		return tx.FinishShopCode(ctx, t.Code.CouponID, state, remoteID, msg, tx.Now.Add(retryIn))
	})
}
