package service

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	htmltemplate "html/template"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/flows"
	"github.com/tenure-loyalty/tenure/storage"
)

// maxSendAttempts is how many times a message is tried before it is marked failed.
const maxSendAttempts = 5

// outgoing is a message ready for the SMTP server.
type outgoing struct {
	from, to string
	body     []byte
}

// runFlowSend sends one message as a long job: a short transaction decides (consent, the
// contact budget, the quiet hours) and marks it sending; the SMTP exchange runs outside
// any transaction while the job's lease is held; a second short transaction marks it sent
// and completes the job. A message deferred, dropped or skipped is written, and the job
// completed, in the first transaction.
func (s *Service) runFlowSend(ctx context.Context, owner string, j storage.Job) error {
	var out *outgoing
	var msg flows.FlowMessage
	err := s.db.Write(ctx, func(tx *storage.Tx) (err error) {
		out, msg, err = s.decideSend(ctx, tx, j)
		if err != nil || out != nil {
			return err
		}
		return tx.CompleteJob(ctx, j.ID, owner)
	})
	if err != nil || out == nil {
		return err
	}
	_, stop := s.holdLease(ctx, owner, j)
	mc, _ := s.Flows.settings()
	sendErr := smtpSend(mc.Addr, out)
	if lost := stop(); lost != nil {
		return lost
	}
	// The outcome is recorded even when ctx ended meanwhile (the node is stopping).
	ctx = context.WithoutCancel(ctx)
	return s.db.Write(ctx, func(tx *storage.Tx) error {
		cur, found, err := tx.FlowMessage(ctx, j.TenantID, msg.ID)
		if err != nil || !found {
			return err
		}
		switch {
		case sendErr == nil:
			cur.State, cur.Reason, cur.SentAt = flows.Sent, "", tx.Now
		case cur.Attempts >= maxSendAttempts:
			cur.State, cur.Reason = flows.Failed, "after "+fmt.Sprint(cur.Attempts)+" attempts: "+sendErr.Error()
		default:
			cur.State, cur.Reason = flows.Queued, "attempt "+fmt.Sprint(cur.Attempts)+" failed: "+sendErr.Error()
			cur.SendAt = tx.Now.Add(backoff(cur.Attempts))
			if err := tx.Schedule(ctx, j.TenantID, jobFlowSend, fmt.Sprintf("%s/retry/%d", cur.ID, cur.Attempts), cur.ID, cur.SendAt); err != nil {
				return err
			}
		}
		if err := tx.UpdateFlowMessage(ctx, j.TenantID, cur); err != nil {
			return err
		}
		return tx.CompleteJob(ctx, j.ID, owner)
	})
}

// decideSend loads the job's message and decides: skip (no consent, no address), drop
// (expired while deferred), defer (budget or quiet hours) or send now (returned).
func (s *core) decideSend(ctx context.Context, tx *storage.Tx, j storage.Job) (*outgoing, flows.FlowMessage, error) {
	msg, found, err := tx.FlowMessage(ctx, j.TenantID, j.Payload)
	if err != nil || !found {
		return nil, msg, err
	}
	switch msg.State {
	case flows.Queued, flows.Deferred:
	case "sending":
		// A node died between its SMTP exchange and its commit, or before it: the
		// message is tried again (the SMTP server may see it twice; Message-ID is the same).
	default:
		return nil, msg, nil
	}
	if msg.SendAt.After(tx.Now) {
		return nil, msg, nil // a newer decision deferred it; its own job will come
	}
	m, err := tx.Member(ctx, j.TenantID, msg.MemberID, true)
	if err != nil {
		return nil, msg, err
	}
	finish := func(state, reason string) (*outgoing, flows.FlowMessage, error) {
		msg.State, msg.Reason = state, reason
		return nil, msg, tx.UpdateFlowMessage(ctx, j.TenantID, msg)
	}
	if !flows.Allowed(m.Consents, msg.Channel, msg.Purpose) {
		return finish(flows.Skipped, "no consent to "+msg.Channel+" "+msg.Purpose)
	}
	if m.Email == "" {
		return finish(flows.Skipped, "the member has no email address")
	}
	mc, budget := s.svc.Flows.settings()
	zone, err := flowZone(ctx, tx, j.TenantID, m)
	if err != nil {
		return nil, msg, err
	}
	if msg.Purpose == flows.Marketing {
		sent, err := tx.MarketingSentSince(ctx, j.TenantID, m.ID, tx.Now.Add(-budget.Per))
		if err != nil {
			return nil, msg, err
		}
		waiting, err := tx.WaitingFlowMessages(ctx, j.TenantID, m.ID)
		if err != nil {
			return nil, msg, err
		}
		var pend []flows.Pending
		for _, w := range waiting {
			if w.Purpose == flows.Marketing {
				pend = append(pend, flows.Pending{ID: w.ID, Purpose: w.Purpose, Priority: w.Priority, Queued: w.QueuedAt, Expiry: w.Expiry})
			}
		}
		for _, p := range flows.Place(budget, zone, sent, pend, tx.Now) {
			if p.ID != msg.ID {
				continue
			}
			if p.Drop {
				return finish(flows.Dropped, p.Reason)
			}
			if p.At.After(tx.Now) {
				msg.SendAt = p.At
				if err := tx.Schedule(ctx, j.TenantID, jobFlowSend, fmt.Sprintf("%s/at/%d", msg.ID, p.At.UnixMicro()), msg.ID, p.At); err != nil {
					return nil, msg, err
				}
				return finish(flows.Deferred, p.Reason)
			}
		}
	}
	t, err := tx.Tenant(ctx, j.TenantID)
	if err != nil {
		return nil, msg, err
	}
	b, err := tx.Balance(ctx, j.TenantID, m.ID, tenure.Points, false)
	if err != nil {
		return nil, msg, err
	}
	store := mc.Store
	if store == "" {
		store = t.Name
	}
	data := flows.Data{Name: m.FirstName, Points: b.Available, Store: store,
		UnsubscribeURL: strings.TrimSuffix(mc.BaseURL, "/") + "/v1/unsubscribe/" + msg.Token}
	if ep, ok := msg.Data["expiring_points"]; ok {
		data.ExpiringPoints = toInt64(ep)
	}
	if at, ok := msg.Data["expires_at"].(string); ok {
		if t, err := time.Parse(time.RFC3339, at); err == nil {
			data.ExpiringOn = t.In(zone).Format(time.DateOnly)
		}
	}
	from := mc.From
	if from == "" {
		from = "loyalty@localhost"
	}
	body, subject, err := renderEmail(msg, m, data, from, tx.Now)
	if err != nil {
		return finish(flows.Failed, err.Error())
	}
	msg.State, msg.Reason, msg.Recipient, msg.Subject, msg.SentAt = "sending", "", m.Email, subject, tx.Now
	msg.Attempts++
	if err := tx.UpdateFlowMessage(ctx, j.TenantID, msg); err != nil {
		return nil, msg, err
	}
	return &outgoing{from: from, to: m.Email, body: body}, msg, nil
}

func toInt64(v any) int64 {
	switch n := v.(type) {
	case float64:
		return int64(n)
	case int64:
		return n
	case int:
		return int64(n)
	}
	return 0
}

// renderEmail makes the MIME message: multipart/alternative with a quoted-printable text
// and HTML part, and for marketing the List-Unsubscribe headers of RFC 2369 and RFC 8058.
func renderEmail(msg flows.FlowMessage, m tenure.Member, data flows.Data, from string, now time.Time) ([]byte, string, error) {
	byLocale, ok := flows.Templates[msg.Template]
	if !ok {
		return nil, "", fmt.Errorf("unknown template %q", msg.Template)
	}
	content, ok := byLocale[strings.ToLower(strings.SplitN(m.Locale, "-", 2)[0])]
	if !ok {
		content = byLocale["en"]
	}
	if data.Name == "" {
		data.Name = map[bool]string{true: "Kliencie", false: "there"}[strings.HasPrefix(strings.ToLower(m.Locale), "pl")]
	}
	subject, err := execText(content.Subject, data)
	if err != nil {
		return nil, "", err
	}
	text, err := execText(content.Text, data)
	if err != nil {
		return nil, "", err
	}
	ht, err := htmltemplate.New("html").Option("missingkey=error").Parse(content.HTML)
	if err != nil {
		return nil, "", err
	}
	var html bytes.Buffer
	if err := ht.Execute(&html, data); err != nil {
		return nil, "", err
	}
	var head, parts bytes.Buffer
	mw := multipart.NewWriter(&parts)
	h := func(k, v string) { fmt.Fprintf(&head, "%s: %s\r\n", k, v) }
	h("From", (&mail.Address{Address: from}).String())
	h("To", (&mail.Address{Name: strings.TrimSpace(m.FirstName + " " + m.LastName), Address: m.Email}).String())
	h("Subject", mime.QEncoding.Encode("utf-8", subject))
	h("Date", now.Format(time.RFC1123Z))
	h("Message-ID", "<"+msg.ID+"@tenure>")
	h("MIME-Version", "1.0")
	if msg.Purpose == flows.Marketing {
		h("List-Unsubscribe", "<"+data.UnsubscribeURL+">")
		h("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	h("Content-Type", "multipart/alternative; boundary="+mw.Boundary())
	head.WriteString("\r\n")
	for _, p := range []struct{ typ, body string }{{"text/plain; charset=utf-8", text}, {"text/html; charset=utf-8", html.String()}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {p.typ}, "Content-Transfer-Encoding": {"quoted-printable"}})
		if err != nil {
			return nil, "", err
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write([]byte(strings.ReplaceAll(p.body, "\n", "\r\n"))); err != nil {
			return nil, "", err
		}
		if err := qp.Close(); err != nil {
			return nil, "", err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, "", err
	}
	return append(head.Bytes(), parts.Bytes()...), subject, nil
}

func execText(src string, data flows.Data) (string, error) {
	t, err := texttemplate.New("t").Option("missingkey=error").Parse(src)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	err = t.Execute(&b, data)
	return b.String(), err
}

// smtpTimeout bounds one SMTP exchange.
const smtpTimeout = 30 * time.Second

// smtpSend hands a message to the SMTP server at addr. It does not stop when ctx ends: a
// message half handed over is finished and recorded, so that a stopping node does not
// leave behind a message the server has but the log does not.
func smtpSend(addr string, o *outgoing) error {
	if addr == "" {
		return fmt.Errorf("no SMTP server is configured")
	}
	conn, err := net.DialTimeout("tcp", addr, smtpTimeout)
	if err != nil {
		return err
	}
	_ = conn.SetDeadline(time.Now().Add(smtpTimeout))
	host, _, _ := net.SplitHostPort(addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		_ = conn.Close()
		return err
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host}); err != nil {
			return err
		}
	}
	if err := c.Mail(o.from); err != nil {
		return err
	}
	if err := c.Rcpt(o.to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(o.body); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}
