package service

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/flows"
	"github.com/tenure-loyalty/tenure/storage"
)

// Flows runs engagement flows: their definitions and versions, members' runs, the
// messages they send (through the mailer, under the contact budget and consent), and the
// unsubscribe link.
type Flows struct {
	*core
	cfg *flowsConfig
}

// MailConfig says how flows send email: the SMTP server, the sender, and the public base
// URL of the API, for the unsubscribe links.
type MailConfig struct {
	Addr    string // host:port of the SMTP server
	From    string // the sender's address
	BaseURL string // e.g. https://loyalty.example.com
	Store   string // the store's name in messages
}

type flowsConfig struct {
	mu     sync.Mutex
	mail   MailConfig
	budget flows.Budget
	// triggers caches, per tenant, which event types start or end a flow.
	triggers map[string]flowTriggers
}

type flowTriggers struct {
	types   map[string]bool
	anyExit bool
	at      time.Time
}

// flowTriggerTTL bounds how long a node may miss a flow saved on another node.
const flowTriggerTTL = 5 * time.Second

// Job kinds of flows.
const (
	jobFlowEvent = "flow.event" // payload: flowEvent; starts and ends runs
	jobFlowRun   = "flow.run"   // payload: a run id; advances the run
	jobFlowSend  = "flow.send"  // payload: a message id; sends it when the budget allows
)

func newFlows(c *core) *Flows {
	return &Flows{core: c, cfg: &flowsConfig{budget: flows.DefaultBudget, triggers: map[string]flowTriggers{}}}
}

// SetMail sets how messages are sent.
func (s *Flows) SetMail(m MailConfig) {
	s.cfg.mu.Lock()
	s.cfg.mail = m
	s.cfg.mu.Unlock()
}

// SetBudget sets the contact budget every member's marketing messages share.
func (s *Flows) SetBudget(b flows.Budget) {
	s.cfg.mu.Lock()
	s.cfg.budget = b
	s.cfg.mu.Unlock()
}

func (s *Flows) settings() (MailConfig, flows.Budget) {
	s.cfg.mu.Lock()
	defer s.cfg.mu.Unlock()
	return s.cfg.mail, s.cfg.budget
}

// Save validates f and stores it as the next version of its key. KindInvalid names each
// problem's field; nothing is written then.
func (s *Flows) Save(ctx context.Context, tenantID, actor string, f flows.Flow) (flows.Flow, error) {
	if err := flows.Validate(f).Err("service.Flows.Save"); err != nil {
		return f, err
	}
	err := s.db.Write(ctx, func(tx *storage.Tx) error {
		prev, err := tx.Flow(ctx, tenantID, f.Key, 0)
		switch {
		case err == nil:
			f.Version = prev.Version + 1
		case tenure.KindOf(err) == tenure.KindNotFound:
			f.Version = 1
		default:
			return err
		}
		f.ID, f.Created = tx.NewID("flw"), tx.Now
		if err := tx.SaveFlow(ctx, tenantID, f); err != nil {
			return err
		}
		if f.Enabled && f.Trigger.Event == flows.TriggerPointsExpiring {
			if err := scheduleScan(ctx, tx, tenantID); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, tenantID, actor, "flow.saved", "flow", f.Key, map[string]any{"version": f.Version, "enabled": f.Enabled})
	})
	if err == nil {
		s.forget(tenantID)
	}
	return f, err
}

// EnablePreset saves a built-in flow (welcome, post-purchase, win-back, points-expiring)
// as the tenant's enabled flow of that key.
func (s *Flows) EnablePreset(ctx context.Context, tenantID, actor, key string) (flows.Flow, error) {
	f, ok := flows.Presets[key]
	if !ok {
		return f, tenure.Invalid("service.Flows.EnablePreset", "key", "unknown built-in flow %q", key)
	}
	f.Steps = slices.Clone(f.Steps)
	f.Enabled = true
	return s.Save(ctx, tenantID, actor, f)
}

// List lists the current version of each flow.
func (s *Flows) List(ctx context.Context, tenantID string) (fs []flows.Flow, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error { fs, err = tx.Flows(ctx, tenantID); return err })
	return fs, err
}

// Get loads a version of a flow (0: the current one).
func (s *Flows) Get(ctx context.Context, tenantID, key string, version int) (f flows.Flow, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error { f, err = tx.Flow(ctx, tenantID, key, version); return err })
	return f, err
}

// Versions lists every version of a flow, newest first; KindNotFound if it has none.
func (s *Flows) Versions(ctx context.Context, tenantID, key string) (fs []flows.Flow, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error { fs, err = tx.FlowVersions(ctx, tenantID, key); return err })
	if err == nil && len(fs) == 0 {
		err = tenure.NotFound("service.Flows.Versions", "flow", key)
	}
	return fs, err
}

// Messages lists a member's messages, newest first.
func (s *Flows) Messages(ctx context.Context, tenantID, memberRef string, limit int) (ds []flows.FlowMessage, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		m, err := tx.Member(ctx, tenantID, memberRef, false)
		if err != nil {
			return err
		}
		ds, err = tx.MemberFlowMessages(ctx, tenantID, m.ID, clampLimit(limit))
		return err
	})
	return ds, err
}

// Runs lists a member's runs, newest first.
func (s *Flows) Runs(ctx context.Context, tenantID, memberRef string) (rs []flows.Run, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		m, err := tx.Member(ctx, tenantID, memberRef, false)
		if err != nil {
			return err
		}
		rs, err = tx.MemberRuns(ctx, tenantID, m.ID, false)
		return err
	})
	return rs, err
}

// Consents lists a member's email consent per purpose, defaults included.
func (s *Flows) Consents(ctx context.Context, tenantID, memberRef string) (cs []tenure.Consent, err error) {
	err = s.db.Read(ctx, func(tx *storage.Tx) error {
		m, err := tx.Member(ctx, tenantID, memberRef, false)
		cs = withDefaults(m.Consents)
		return err
	})
	return cs, err
}

func withDefaults(stored []tenure.Consent) []tenure.Consent {
	out := slices.Clone(stored)
	for _, p := range []string{flows.Marketing, flows.Transactional} {
		if !slices.ContainsFunc(stored, func(c tenure.Consent) bool { return c.Channel == "email" && c.Purpose == p }) {
			out = append(out, tenure.Consent{Channel: "email", Purpose: p, Granted: flows.Allowed(nil, "email", p), Source: "default"})
		}
	}
	return out
}

// SetConsent records a member's consent (given or withdrawn) for a channel and purpose on
// the member, in the audit log too; messages check it when they are sent.
func (s *Flows) SetConsent(ctx context.Context, tenantID, actor, memberRef string, c tenure.Consent) (cs []tenure.Consent, err error) {
	err = s.db.Write(ctx, func(tx *storage.Tx) error {
		m, err := tx.Member(ctx, tenantID, memberRef, true)
		if err != nil {
			return err
		}
		if c.Source == "" {
			c.Source = "api"
		}
		c.At = time.Time{}
		patch := tenure.MemberPatch{Consents: []tenure.Consent{c}}
		if err := patch.Apply(&m, tx.Now, ""); err != nil {
			return err
		}
		if err := tx.UpdateMember(ctx, tenantID, &m); err != nil {
			return err
		}
		if _, err := tx.Emit(ctx, tenantID, "member.updated", m.ID, m); err != nil {
			return err
		}
		cs = withDefaults(m.Consents)
		return tx.Audit(ctx, tenantID, actor, "consent.set", "member", m.ID, map[string]any{"channel": c.Channel, "purpose": c.Purpose, "granted": c.Granted})
	})
	return cs, err
}

// Unsubscribe withdraws the marketing consent to the channel of the message whose link
// carries token: no sign-in, the token is the proof. It is audited, and marketing
// messages not yet sent to the member are then skipped. KindNotFound for an unknown token.
func (s *Flows) Unsubscribe(ctx context.Context, token string) error {
	if len(token) != 32 {
		return tenure.NotFound("service.Flows.Unsubscribe", "unsubscribe link", "")
	}
	return s.db.Write(ctx, func(tx *storage.Tx) error {
		tenantID, d, found, err := tx.FlowMessageByToken(ctx, token)
		if err != nil {
			return err
		}
		if !found {
			return tenure.NotFound("service.Flows.Unsubscribe", "unsubscribe link", "")
		}
		m, err := tx.Member(ctx, tenantID, d.MemberID, true)
		if err != nil {
			return err
		}
		m.SetConsent(tenure.Consent{Channel: d.Channel, Purpose: flows.Marketing, Granted: false, At: tx.Now, Source: "unsubscribe link"})
		m.UpdatedAt = tx.Now
		if err := tx.UpdateMember(ctx, tenantID, &m); err != nil {
			return err
		}
		if _, err := tx.Emit(ctx, tenantID, "member.updated", m.ID, m); err != nil {
			return err
		}
		if d.State == flows.Sent {
			d.State = flows.Unsubscribed
			if err := tx.UpdateFlowMessage(ctx, tenantID, d); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, tenantID, "member:"+m.ID, "consent.withdrawn", "member", m.ID,
			map[string]any{"channel": d.Channel, "purpose": flows.Marketing, "message": d.ID, "via": "unsubscribe link"})
	})
}

// forget drops the cached trigger types of a tenant.
func (s *Flows) forget(tenantID string) {
	s.cfg.mu.Lock()
	delete(s.cfg.triggers, tenantID)
	s.cfg.mu.Unlock()
}

// listens reports whether any enabled flow of the tenant starts on typ, or whether any
// has an exit condition (which every event may meet).
func (s *Flows) listens(ctx context.Context, tenantID, typ string) (bool, error) {
	now := s.Clock.Now()
	s.cfg.mu.Lock()
	t, ok := s.cfg.triggers[tenantID]
	s.cfg.mu.Unlock()
	if !ok || now.Sub(t.at) > flowTriggerTTL || now.Before(t.at) {
		var fs []flows.Flow
		err := s.db.Read(ctx, func(tx *storage.Tx) (err error) { fs, err = tx.Flows(ctx, tenantID); return err })
		if err != nil {
			return false, err
		}
		t = flowTriggers{types: map[string]bool{}, at: now}
		for _, f := range fs {
			if f.Enabled {
				t.types[f.Trigger.Event] = true
				t.anyExit = t.anyExit || f.ExitWhen != ""
			}
		}
		s.cfg.mu.Lock()
		s.cfg.triggers[tenantID] = t
		s.cfg.mu.Unlock()
	}
	return t.types[typ] || t.anyExit, nil
}
