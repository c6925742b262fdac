package service

import (
	"context"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage"
)

// NewMember is a member to enrol explicitly.
type NewMember struct {
	ExternalID string `json:"external_id" minLength:"1" maxLength:"128" doc:"The store's customer id"`
	tenure.MemberPatch
}

// Create enrols a customer. KindConflict if the external id is taken.
func (s *Members) Create(ctx context.Context, tenantID, actor string, in NewMember) (m tenure.Member, err error) {
	if fe := tenure.ValidateExternalID("external_id", in.ExternalID); fe != nil {
		return m, &tenure.Error{Kind: tenure.KindInvalid, Op: "service.CreateMember", Message: "validation failed", Fields: []tenure.FieldError{*fe}}
	}
	err = s.db.Write(ctx, func(tx *storage.Tx) error {
		if _, err := tx.Member(ctx, tenantID, in.ExternalID, false); err == nil {
			return &tenure.Error{Kind: tenure.KindConflict, Op: "service.CreateMember", Message: "a member with this external_id already exists",
				Fields: []tenure.FieldError{{Field: "external_id", Message: "already exists"}}}
		}
		m, err = s.enrol(ctx, tx, tenantID, in.ExternalID, &in.MemberPatch, "")
		if err != nil {
			return err
		}
		return tx.Audit(ctx, tenantID, actor, "member.created", "member", m.ID, nil)
	})
	return m, err
}

// enrol creates a member in tx and emits member.created.
func (s *core) enrol(ctx context.Context, tx *storage.Tx, tenantID, externalID string, patch *tenure.MemberPatch, prefix string) (tenure.Member, error) {
	m := tenure.Member{ID: tx.NewID(tenure.PrefixMember), ExternalID: externalID, EnrolledAt: tx.Now, CreatedAt: tx.Now, UpdatedAt: tx.Now}
	if patch != nil {
		if err := patch.Apply(&m, tx.Now, prefix); err != nil {
			return m, err
		}
	}
	if err := tx.InsertMember(ctx, tenantID, &m); err != nil {
		return m, err
	}
	_, err := tx.Emit(ctx, tenantID, "member.created", m.ID, m)
	return m, err
}

// Update applies a partial update.
func (s *Members) Update(ctx context.Context, tenantID, actor, id string, patch tenure.MemberPatch) (m tenure.Member, err error) {
	err = s.db.Write(ctx, func(tx *storage.Tx) error {
		if m, err = tx.Member(ctx, tenantID, id, true); err != nil {
			return err
		}
		if err := patch.Apply(&m, tx.Now, ""); err != nil {
			return err
		}
		if err := tx.UpdateMember(ctx, tenantID, &m); err != nil {
			return err
		}
		if _, err := tx.Emit(ctx, tenantID, "member.updated", m.ID, m); err != nil {
			return err
		}
		return tx.Audit(ctx, tenantID, actor, "member.updated", "member", m.ID, nil)
	})
	return m, err
}

// Get loads a member by Tenure id or the store's id.
func (s *Members) Get(ctx context.Context, tenantID, id string) (m tenure.Member, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error { m, err = tx.Member(ctx, tenantID, id, false); return err })
	return m, err
}

// List lists members; the returned cursor is empty on the last page.
func (s *Members) List(ctx context.Context, tenantID string, f tenure.MemberFilter) (ms []tenure.Member, next string, err error) {
	f.Limit = clampLimit(f.Limit)
	want := f.Limit
	f.Limit++
	err = s.db.Read(ctx, func(tx *storage.Tx) error { ms, err = tx.Members(ctx, tenantID, f); return err })
	if len(ms) > want {
		ms = ms[:want]
		next = ms[want-1].ID
	}
	return ms, next, err
}

func clampLimit(n int) int {
	if n <= 0 {
		return 50
	}
	return min(n, 500)
}

// Events lists the results of a member's events, newest first.
func (s *Members) Events(ctx context.Context, tenantID, memberRef, before string, limit int) (rs []tenure.EventResult, next string, err error) {
	limit = clampLimit(limit)
	var evs []storage.StoredEvent
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		m, err := tx.Member(ctx, tenantID, memberRef, false)
		if err != nil {
			return err
		}
		evs, err = tx.MemberEvents(ctx, tenantID, m.ID, before, limit+1)
		return err
	})
	if len(evs) > limit {
		evs = evs[:limit]
		next = evs[limit-1].ID
	}
	for _, e := range evs {
		rs = append(rs, e.Result)
	}
	return rs, next, err
}

// Glances returns the available points and current tier of the given members, for
// a member list.
func (s *Members) Glances(ctx context.Context, tenantID string, ids []string) (out map[string]tenure.MemberGlance, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		out, err = tx.MemberGlances(ctx, tenantID, ids)
		return err
	})
	return out, err
}
