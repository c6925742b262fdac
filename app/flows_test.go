package app_test

import (
	"bytes"
	"io"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// mailSink is a real SMTP server on 127.0.0.1 keeping what it accepts.
type mailSink struct {
	mu   sync.Mutex
	msgs []*mail.Message
}

type mailSession struct{ s *mailSink }

func (m mailSession) Reset()                               {}
func (m mailSession) Logout() error                        { return nil }
func (m mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (m mailSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (m mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		return err
	}
	m.s.mu.Lock()
	m.s.msgs = append(m.s.msgs, msg)
	m.s.mu.Unlock()
	return nil
}

func startMailSink(t *testing.T) (*mailSink, string) {
	t.Helper()
	s := &mailSink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return mailSession{s}, nil }))
	srv.Domain = "localhost"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s, l.Addr().String()
}

func (m *mailSink) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.msgs)
}

func TestFlowsAPI(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, e storagetest.Engine) {
		s := start(t, e)
		sink, addr := startMailSink(t)
		s.app.Service.Flows.SetMail(service.MailConfig{Addr: addr, From: "shop@example.com", BaseURL: s.url})
		k := s.key

		// Bad input: a 422 naming the field, and nothing saved.
		bad := []struct{ body, field string }{
			{`{"name":"x","trigger":{"event":"order.paid"},"steps":[{"id":"a","type":"fax"}]}`, "body.steps[0].type"},
			{`{"name":"x","trigger":{"event":"order.paid"},"steps":[{"id":"a","type":"wait","wait":"-1h"}]}`, "body.steps[0].wait"},
			{`{"name":"x","trigger":{"event":"order.paid"},"steps":[{"id":"a","type":"branch","if":"member.points > 1"},{"id":"b","type":"branch","if":"true","then":"a"}]}`, "body.steps[1].then"},
			{`{"name":"x","trigger":{"event":"order.paid"},"steps":[{"id":"a","type":"branch","if":"member.shoe > 1"}]}`, "body.steps[0].if"},
			{`{"name":"x","trigger":{"event":"order.paid"},"steps":[{"id":"a","type":"send","send":{"channel":"email","purpose":"marketing","template":"nope"}}]}`, "body.steps[0].send.template"},
			{`{"name":"x","trigger":{"event":"order.paid"},"steps":[{"id":"a","type":"wait","wait":"soon"}]}`, "body.steps[0].wait"},
		}
		for _, b := range bad {
			r := s.do("PUT", "/v1/flows/bad", k, b.body)
			if r.Status != 422 || !strings.Contains(string(r.Body), b.field) {
				t.Errorf("%s: %d %s, want 422 naming %s", b.body, r.Status, r.Body, b.field)
			}
		}
		if r := s.do("GET", "/v1/flows/bad", k, nil); r.Status != 404 {
			t.Fatalf("a bad flow was saved: %d %s", r.Status, r.Body)
		}

		// Versions.
		good := `{"name":"Thanks","enabled":true,"trigger":{"event":"order.paid"},"steps":[{"id":"w","type":"wait","wait":"24h","until":"10:00"},{"id":"m","type":"send","send":{"channel":"email","purpose":"transactional","template":"thanks"}}]}`
		for v := 1; v <= 2; v++ {
			r := s.do("PUT", "/v1/flows/thanks", k, good)
			if r.Status != 200 || r.JSON(t)["version"].(float64) != float64(v) {
				t.Fatalf("save %d: %d %s", v, r.Status, r.Body)
			}
		}
		vs := s.do("GET", "/v1/flows/thanks/versions", k, nil).JSON(t)["data"].([]any)
		if len(vs) != 2 {
			t.Fatalf("versions: %v", vs)
		}
		if f := s.do("GET", "/v1/flows/thanks?version=1", k, nil).JSON(t); f["version"].(float64) != 1 || f["steps"].([]any)[0].(map[string]any)["wait"] != "24h0m0s" {
			t.Fatalf("version 1: %v", f)
		}

		// A built-in flow in one call; its email goes out through SMTP.
		if r := s.do("POST", "/v1/flow-presets/welcome", k, nil); r.Status != 200 {
			t.Fatalf("preset: %d %s", r.Status, r.Body)
		}
		if r := s.do("POST", "/v1/flow-presets/nope", k, nil); r.Status != 422 {
			t.Fatalf("unknown preset: %d %s", r.Status, r.Body)
		}
		r := s.do("POST", "/v1/events", k, `{"id":"j1","type":"customer.created","customer_id":"c1","customer":{"email":"c1@example.com","locale":"en",
			"consents":[{"channel":"email","purpose":"marketing","granted":true}]}}`)
		if r.Status >= 300 {
			t.Fatalf("event: %d %s", r.Status, r.Body)
		}
		s.tick()
		s.tick()
		if sink.count() != 1 {
			t.Fatalf("sent %d", sink.count())
		}
		log := s.do("GET", "/v1/members/c1/messages", k, nil).JSON(t)["data"].([]any)
		if len(log) != 1 || log[0].(map[string]any)["state"] != "sent" {
			t.Fatalf("log %v", log)
		}
		unsub := sink.msgs[0].Header.Get("List-Unsubscribe")
		link := strings.Trim(unsub, "<>")
		if !strings.HasPrefix(link, s.url+"/v1/unsubscribe/") {
			t.Fatalf("link %q", link)
		}
		path := strings.TrimPrefix(link, s.url)

		// The page the link opens changes nothing; the RFC 8058 POST, without a key, withdraws.
		if p := s.do("GET", path, "", nil); p.Status != 200 || !strings.Contains(string(p.Body), `method="post"`) {
			t.Fatalf("page: %d %s", p.Status, p.Body)
		}
		cs := s.do("GET", "/v1/members/c1/consents", k, nil).Body
		if !strings.Contains(string(cs), `"purpose":"marketing","granted":true`) {
			t.Fatalf("consent before: %s", cs)
		}
		if p := s.do("POST", path, "", url.Values{"List-Unsubscribe": {"One-Click"}}); p.Status != 200 {
			t.Fatalf("one-click: %d %s", p.Status, p.Body)
		}
		if p := s.do("POST", "/v1/unsubscribe/ffffffffffffffffffffffffffffffff", "", url.Values{"List-Unsubscribe": {"One-Click"}}); p.Status != 404 {
			t.Fatalf("unknown token: %d %s", p.Status, p.Body)
		}
		cs = s.do("GET", "/v1/members/c1/consents", k, nil).Body
		if !strings.Contains(string(cs), `"purpose":"marketing","granted":false`) {
			t.Fatalf("consent after: %s", cs)
		}
		// Giving it again is as easy: a PUT.
		if p := s.do("PUT", "/v1/members/c1/consents", k, `{"channel":"email","purpose":"marketing","granted":true}`); p.Status != 200 {
			t.Fatalf("put consent: %d %s", p.Status, p.Body)
		}
		if p := s.do("PUT", "/v1/members/c1/consents", k, `{"channel":"pigeon","purpose":"marketing","granted":true}`); p.Status != 422 || !strings.Contains(string(p.Body), "channel") {
			t.Fatalf("bad channel: %d %s", p.Status, p.Body)
		}
	})
}
