package service

import (
	"context"
	"strings"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/storage"
)

// MemberSearch is one page of members found by what they are called.
type MemberSearch struct {
	Members []tenure.Member
	Total   int    // every member the query matches
	Next    string // cursor of the next page: the last member id shown; "" on the last page
}

// Search finds members by name, email, part of an email or the store's customer id,
// case and accents set aside ("wojcik" finds Julia Wójcik, "kowalsk" finds
// anna.kowalska@…): every word of the query must appear in one of them. Members come
// in enrolment order, limit after the cursor, with how many match in all. It reads every
// member of the tenant, so it costs a scan of the members (see docs/dashboard.md).
func (s *Members) Search(ctx context.Context, tenantID, query, after string, limit int) (out MemberSearch, err error) {
	limit = clampLimit(limit)
	words := foldWords(query)
	if len(words) == 0 {
		return out, tenure.Invalid("service.Members.Search", "q", "type a name, an email or part of one")
	}
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		out = MemberSearch{}
		return tx.EachMember(ctx, tenantID, func(m tenure.Member) error {
			if !memberMatches(m, words) {
				return nil
			}
			out.Total++
			if m.ID > after && len(out.Members) < limit {
				out.Members = append(out.Members, m)
			} else if m.ID > after && len(out.Members) == limit && out.Next == "" {
				out.Next = out.Members[limit-1].ID
			}
			return nil
		})
	})
	return out, err
}

func foldWords(query string) []string { return strings.Fields(tenure.Fold(query)) }

// memberMatches reports whether every word appears in the member's name, email or id.
func memberMatches(m tenure.Member, words []string) bool {
	hay := tenure.Fold(m.FirstName + " " + m.LastName + " " + m.Email + " " + m.ExternalID)
	for _, w := range words {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}
