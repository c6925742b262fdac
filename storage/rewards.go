package storage

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/rewards"
)

const rewardCols = `id, doc, stock, issued, archived_at, created_at, updated_at`

func scanReward(s interface{ Scan(...any) error }) (rewards.Reward, error) {
	var r rewards.Reward
	var doc string
	var stock, archived sql.NullInt64
	var created, updated int64
	if err := s.Scan(&r.ID, &doc, &stock, &r.Issued, &archived, &created, &updated); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(doc), &r.RewardDefinition); err != nil {
		return r, err
	}
	r.Stock = nil
	if stock.Valid {
		r.Stock = &stock.Int64
	}
	r.ArchivedAt, r.CreatedAt, r.UpdatedAt = fromNTS(archived), fromTS(created), fromTS(updated)
	return r, nil
}

// rewardDoc is the stored definition; stock lives in its own column because redemptions
// change it.
func rewardDoc(r rewards.Reward) string {
	d := r.RewardDefinition
	d.Stock = nil
	b, _ := json.Marshal(d)
	return string(b)
}

func nullable(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// InsertReward stores a new reward.
func (tx *Tx) InsertReward(ctx context.Context, tenantID string, r rewards.Reward) error {
	_, err := tx.exec(ctx, `INSERT INTO rewards (id, tenant_id, doc, stock, issued, archived_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		r.ID, tenantID, rewardDoc(r), nullable(r.Stock), r.Issued, nts(r.ArchivedAt), ts(r.CreatedAt), ts(r.UpdatedAt))
	return err
}

// UpdateReward rewrites a reward's definition, stock, counters and archive time.
func (tx *Tx) UpdateReward(ctx context.Context, tenantID string, r rewards.Reward) error {
	_, err := tx.exec(ctx, `UPDATE rewards SET doc = $1, stock = $2, issued = $3, archived_at = $4, updated_at = $5 WHERE tenant_id = $6 AND id = $7`,
		rewardDoc(r), nullable(r.Stock), r.Issued, nts(r.ArchivedAt), ts(r.UpdatedAt), tenantID, r.ID)
	return err
}

// Reward loads a reward, with the unused codes of its pool counted. With lock it also
// locks the row until the transaction ends (PostgreSQL), which serialises redemptions of
// one reward across nodes; callers lock the member row first, then the reward.
func (tx *Tx) Reward(ctx context.Context, tenantID, id string, lock bool) (rewards.Reward, error) {
	q := `SELECT ` + rewardCols + ` FROM rewards WHERE tenant_id = $1 AND id = $2`
	if lock {
		q += tx.d.forUpdate
	}
	r, err := scanReward(tx.queryRow(ctx, q, tenantID, id))
	if isNoRows(err) {
		return r, tenure.NotFound("storage.Reward", "reward", id)
	}
	if err != nil || r.CodeSource != rewards.CodesPool {
		return r, err
	}
	var n int64
	err = tx.queryRow(ctx, `SELECT COUNT(*) FROM reward_codes WHERE reward_id = $1 AND coupon_id = ''`, r.ID).Scan(&n)
	r.CodesAvailable = &n
	return r, err
}

// Rewards lists a tenant's rewards in id (creation) order after the cursor, archived ones
// only when asked, with pool codes counted. A limit of 0 lists them all.
func (tx *Tx) Rewards(ctx context.Context, tenantID string, archived bool, after string, limit int) ([]rewards.Reward, error) {
	q := `SELECT ` + rewardCols + ` FROM rewards WHERE tenant_id = $1 AND id > $2`
	if !archived {
		q += ` AND archived_at IS NULL`
	}
	q += ` ORDER BY id`
	args := []any{tenantID, after}
	if limit > 0 {
		q += ` LIMIT $3`
		args = append(args, limit)
	}
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	rs, err := collect(rows, scanReward)
	if err != nil {
		return nil, err
	}
	free := map[string]int64{}
	crows, err := tx.query(ctx, `SELECT reward_id, COUNT(*) FROM reward_codes WHERE tenant_id = $1 AND coupon_id = '' GROUP BY reward_id`, tenantID)
	if err != nil {
		return nil, err
	}
	if _, err := collect(crows, func(s interface{ Scan(...any) error }) (struct{}, error) {
		var id string
		var n int64
		err := s.Scan(&id, &n)
		free[id] = n
		return struct{}{}, err
	}); err != nil {
		return nil, err
	}
	for i := range rs {
		if rs[i].CodeSource == rewards.CodesPool {
			n := free[rs[i].ID]
			rs[i].CodesAvailable = &n
		}
	}
	return rs, nil
}

// CodesTaken returns which of codes the tenant already has, in a pool or on a coupon.
func (tx *Tx) CodesTaken(ctx context.Context, tenantID string, codes []string) ([]string, error) {
	var taken []string
	for start := 0; start < len(codes); start += 500 {
		chunk := codes[start:min(start+500, len(codes))]
		args := []any{tenantID}
		in := ""
		for i, c := range chunk {
			if i > 0 {
				in += ","
			}
			args = append(args, c)
			in += "$" + itoa(len(args))
		}
		rows, err := tx.query(ctx, `SELECT code FROM reward_codes WHERE tenant_id = $1 AND code IN (`+in+`)
			UNION SELECT code FROM coupons WHERE tenant_id = $1 AND code IN (`+in+`)`, args...)
		if err != nil {
			return nil, err
		}
		got, err := collect(rows, func(s interface{ Scan(...any) error }) (string, error) {
			var c string
			return c, s.Scan(&c)
		})
		if err != nil {
			return nil, err
		}
		taken = append(taken, got...)
	}
	return taken, nil
}

// AddRewardCodes appends codes to a reward's pool, after the codes already there.
func (tx *Tx) AddRewardCodes(ctx context.Context, tenantID, rewardID string, codes []string) error {
	var last int64
	if err := tx.queryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM reward_codes WHERE reward_id = $1`, rewardID).Scan(&last); err != nil {
		return err
	}
	return tx.insertMany(ctx, `INSERT INTO reward_codes (tenant_id, code, reward_id, seq, coupon_id, created_at) VALUES `,
		len(codes), 6, func(i int, args []any) []any {
			return append(args, tenantID, codes[i], rewardID, last+int64(i)+1, "", ts(tx.Now))
		})
}

// TakeRewardCode gives the next unused code of a reward's pool to a coupon; found is
// false when the pool is empty. The caller holds the reward's row lock, so no two
// redemptions take the same code.
func (tx *Tx) TakeRewardCode(ctx context.Context, tenantID, rewardID, couponID string) (code string, found bool, err error) {
	err = tx.queryRow(ctx, `SELECT code FROM reward_codes WHERE reward_id = $1 AND coupon_id = '' ORDER BY seq LIMIT 1`, rewardID).Scan(&code)
	if isNoRows(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	_, err = tx.exec(ctx, `UPDATE reward_codes SET coupon_id = $1 WHERE tenant_id = $2 AND code = $3`, couponID, tenantID, code)
	return code, err == nil, err
}

func scanCoupon(s interface{ Scan(...any) error }) (rewards.Coupon, error) {
	var c rewards.Coupon
	var doc string
	if err := s.Scan(&doc); err != nil {
		return c, err
	}
	return c, json.Unmarshal([]byte(doc), &c)
}

// SaveCoupon inserts a new coupon or rewrites an existing one.
func (tx *Tx) SaveCoupon(ctx context.Context, tenantID string, c rewards.Coupon, isNew bool) error {
	doc, _ := json.Marshal(c)
	var err error
	if isNew {
		_, err = tx.exec(ctx, `INSERT INTO coupons (id, tenant_id, member_id, reward_id, code, state, doc, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			c.ID, tenantID, c.MemberID, c.RewardID, c.Code, string(c.State), string(doc), ts(c.CreatedAt), ts(c.UpdatedAt))
	} else {
		_, err = tx.exec(ctx, `UPDATE coupons SET state = $1, doc = $2, updated_at = $3 WHERE tenant_id = $4 AND id = $5`,
			string(c.State), string(doc), ts(c.UpdatedAt), tenantID, c.ID)
	}
	return err
}

// Coupon loads a coupon by id ("cpn_...") or, failing that, by its code. With lock it also
// locks the row (PostgreSQL); callers lock the member's row first.
func (tx *Tx) Coupon(ctx context.Context, tenantID, ref string, lock bool) (rewards.Coupon, error) {
	q := `SELECT doc FROM coupons WHERE tenant_id = $1 AND `
	if tenure.HasPrefix(ref, rewards.PrefixCoupon) {
		q += `id = $2`
	} else {
		q += `code = $2`
	}
	if lock {
		q += tx.d.forUpdate
	}
	c, err := scanCoupon(tx.queryRow(ctx, q, tenantID, ref))
	if isNoRows(err) {
		return c, tenure.NotFound("storage.Coupon", "coupon", ref)
	}
	return c, err
}

// MemberCoupons lists a member's coupons, newest first, before the cursor, optionally in
// one state.
func (tx *Tx) MemberCoupons(ctx context.Context, tenantID, memberID, state, before string, limit int) ([]rewards.Coupon, error) {
	if before == "" {
		before = "~"
	}
	args := []any{tenantID, memberID, before}
	q := `SELECT doc FROM coupons WHERE tenant_id = $1 AND member_id = $2 AND id < $3`
	if state != "" {
		args = append(args, state)
		q += ` AND state = $4`
	}
	args = append(args, limit)
	rows, err := tx.query(ctx, q+` ORDER BY id DESC LIMIT $`+itoa(len(args)), args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanCoupon)
}

// HeldCoupons counts a member's coupons per reward that count toward per-member limits:
// every one not cancelled.
func (tx *Tx) HeldCoupons(ctx context.Context, tenantID, memberID string) (map[string]int64, error) {
	rows, err := tx.query(ctx, `SELECT reward_id, COUNT(*) FROM coupons WHERE tenant_id = $1 AND member_id = $2 AND state <> $3 GROUP BY reward_id`,
		tenantID, memberID, string(rewards.Cancelled))
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	_, err = collect(rows, func(s interface{ Scan(...any) error }) (struct{}, error) {
		var id string
		var n int64
		err := s.Scan(&id, &n)
		out[id] = n
		return struct{}{}, err
	})
	return out, err
}
