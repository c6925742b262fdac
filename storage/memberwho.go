package storage

import "context"

// MemberWho names a member as the store knows them: its customer id and email.
type MemberWho struct {
	ExternalID string
	Email      string
}

// MembersWho returns the customer id and email of the given members of a tenant, by member
// id, in one query per 500 members; unknown ids are left out.
func (tx *Tx) MembersWho(ctx context.Context, tenantID string, ids []string) (map[string]MemberWho, error) {
	out := make(map[string]MemberWho, len(ids))
	err := chunks(ids, func(ids []string) error {
		args := []any{tenantID}
		in := inList(&args, ids)
		rows, err := tx.query(ctx, `SELECT id, external_id, email FROM members WHERE tenant_id = $1 AND id IN (`+in+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var w MemberWho
			if err := rows.Scan(&id, &w.ExternalID, &w.Email); err != nil {
				return err
			}
			out[id] = w
		}
		return rows.Err()
	})
	return out, err
}
