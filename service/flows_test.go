package service_test

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/flows"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// sink is a real SMTP server on 127.0.0.1 that keeps every message it accepts.
type sink struct {
	mu   sync.Mutex
	msgs []*mail.Message
	raw  [][]byte
	addr string
}

type sinkSession struct{ s *sink }

func (ss sinkSession) Reset()                               {}
func (ss sinkSession) Logout() error                        { return nil }
func (ss sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (ss sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ss sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, m)
	ss.s.raw = append(ss.s.raw, b)
	ss.s.mu.Unlock()
	return nil
}

func newSink(t *testing.T) *sink { return newSinkB(t) }

func newSinkB(t testing.TB) *sink {
	t.Helper()
	s := &sink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return sinkSession{s}, nil }))
	srv.Domain = "localhost"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

func (s *sink) all() []*mail.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*mail.Message(nil), s.msgs...)
}

func subject(t *testing.T, m *mail.Message) string {
	t.Helper()
	v, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// parts reads a multipart/alternative message's parts by content type.
func parts(t *testing.T, m *mail.Message) map[string]string {
	t.Helper()
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q: %v", m.Header.Get("Content-Type"), err)
	}
	out := map[string]string{}
	r := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p) // multipart decodes quoted-printable
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		out[ct] = string(b)
	}
}

func (v *env) flowsOn(s *sink) {
	v.svc.Flows.SetMail(service.MailConfig{Addr: s.addr, From: "sklep@example.com", BaseURL: "https://loyalty.example.com", Store: "Kawiarnia"})
}

func customer(id, email, locale, zone string, marketing bool) tenure.Event {
	return tenure.Event{ID: "join-" + id, Type: tenure.CustomerCreated, CustomerID: id, Customer: &tenure.MemberPatch{
		Email: &email, Locale: &locale, TimeZone: &zone, FirstName: ptr("Ala"),
		Consents: []tenure.Consent{{Channel: "email", Purpose: "marketing", Granted: marketing, Source: "checkout"}}}}
}

func (v *env) messages(member string) []flows.FlowMessage {
	v.t.Helper()
	ds, err := v.svc.Flows.Messages(ctx, v.tenant, member, 100)
	if err != nil {
		v.t.Fatal(err)
	}
	return ds
}

func TestFlowWelcomeEmailAndOneClickUnsubscribe(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		v := newEnv(t, e, nil)
		s := newSink(t)
		v.flowsOn(s)
		if _, err := v.svc.Flows.EnablePreset(ctx, v.tenant, "test", "welcome"); err != nil {
			t.Fatal(err)
		}
		v.ingest(customer("c1", "ala@example.com", "pl", "Europe/Warsaw", true))
		v.runJobs()
		got := s.all()
		if len(got) != 1 {
			t.Fatalf("want 1 email, got %d", len(got))
		}
		m := got[0]
		if subj := subject(t, m); subj != "Witamy w Kawiarnia" {
			t.Errorf("subject %q", subj)
		}
		if to := m.Header.Get("To"); !strings.Contains(to, "ala@example.com") {
			t.Errorf("to %q", to)
		}
		unsub := m.Header.Get("List-Unsubscribe")
		if !strings.HasPrefix(unsub, "<https://loyalty.example.com/v1/unsubscribe/") || m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
			t.Errorf("unsubscribe headers %q %q", unsub, m.Header.Get("List-Unsubscribe-Post"))
		}
		p := parts(t, m)
		if !strings.Contains(p["text/plain"], "Dzień dobry Ala") || !strings.Contains(p["text/html"], "<p>Dzień dobry Ala,</p>") {
			t.Errorf("parts %q", p)
		}
		log := v.messages("c1")
		if len(log) != 1 || log[0].State != flows.Sent || log[0].Recipient != "ala@example.com" || log[0].Subject != "Witamy w Kawiarnia" {
			t.Fatalf("log %+v", log)
		}
		// A replayed event starts nothing new.
		v.ingest(customer("c1", "ala@example.com", "pl", "Europe/Warsaw", true))
		v.runJobs()
		if n := len(s.all()); n != 1 {
			t.Fatalf("replay sent again: %d", n)
		}

		// One-click unsubscribe: the token of the link, no sign-in.
		token := strings.TrimSuffix(unsub[strings.LastIndex(unsub, "/")+1:], ">")
		if err := v.svc.Flows.Unsubscribe(ctx, "0123456789abcdef0123456789abcdef"); tenure.KindOf(err) != tenure.KindNotFound {
			t.Fatalf("unknown token: %v", err)
		}
		if err := v.svc.Flows.Unsubscribe(ctx, token); err != nil {
			t.Fatal(err)
		}
		cs, _ := v.svc.Flows.Consents(ctx, v.tenant, "c1")
		if flows.Allowed(cs, "email", flows.Marketing) {
			t.Fatalf("consent still granted: %+v", cs)
		}
		entries, err := v.svc.Tenants.AuditLog(ctx, v.tenant, "", 50)
		if err != nil {
			t.Fatal(err)
		}
		audited := false
		for _, a := range entries {
			audited = audited || a.Action == "consent.withdrawn"
		}
		if !audited {
			t.Error("the withdrawal is not in the audit log")
		}
		// The next marketing message is not sent; a transactional one is.
		if _, err := v.svc.Flows.Save(ctx, v.tenant, "test", flows.Flow{Key: "news", Name: "News", Enabled: true, Trigger: flows.Trigger{Event: "custom"},
			Steps: []flows.Step{{ID: "m", Type: flows.StepSend, Send: &flows.SendSpec{Channel: "email", Purpose: flows.Marketing, Template: "thanks"}},
				{ID: "t", Type: flows.StepSend, Send: &flows.SendSpec{Channel: "email", Purpose: flows.Transactional, Template: "thanks"}}}}); err != nil {
			t.Fatal(err)
		}
		v.ingest(tenure.Event{ID: "x1", Type: tenure.CustomAction, Action: "ping", CustomerID: "c1"})
		v.runJobs()
		got = s.all()
		if len(got) != 2 || got[1].Header.Get("List-Unsubscribe") != "" {
			t.Fatalf("after unsubscribing: %d messages", len(got))
		}
		states := map[string]string{}
		for _, d := range v.messages("c1") {
			states[d.FlowKey+"/"+d.StepID] = d.State + " " + d.Reason
		}
		if states["news/m"] != "skipped no consent to email marketing" || states["news/t"] != "sent " || states["welcome/welcome"] != "unsubscribed " {
			t.Fatalf("states %v", states)
		}
	})
}
