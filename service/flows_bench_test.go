package service_test

import (
	"fmt"
	"net/smtp"
	"path/filepath"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/service"
	"github.com/tenure-loyalty/tenure/storage/storagetest"
)

// benchMembers is how many members enter the welcome flow in one round.
const benchMembers = 1000

// BenchmarkFlowWelcome measures a flow's whole path per message, on SQLite: the event job
// starts the run, the send job checks consent and the contact budget, renders the
// message, hands it to a real SMTP server on 127.0.0.1 and logs it. BenchmarkSMTPOnly is
// the same-run floor: the same number of messages handed to the same server, nothing
// else. Run: go test ./service -run '^$' -bench 'FlowWelcome|SMTPOnly' -count 3
func BenchmarkFlowWelcome(b *testing.B) {
	for range b.N {
		b.StopTimer()
		clock := tenure.NewManualClock(time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC))
		db := storagetest.Open(b, storagetest.Engine{Name: "sqlite", DSN: filepath.Join(b.TempDir(), "bench.db")}, clock)
		svc := service.New(db, nil)
		tn, _, err := svc.Tenants.Create(ctx, "Bench")
		if err != nil {
			b.Fatal(err)
		}
		s := newSinkB(b)
		svc.Flows.SetMail(service.MailConfig{Addr: s.addr, From: "shop@example.com", BaseURL: "https://l.example.com"})
		if _, err := svc.Flows.EnablePreset(ctx, tn.ID, "bench", "welcome"); err != nil {
			b.Fatal(err)
		}
		var evs []tenure.Event
		for i := range benchMembers {
			evs = append(evs, customer(fmt.Sprintf("m%05d", i), fmt.Sprintf("m%05d@example.com", i), "en", "UTC", true))
			if len(evs) == 100 {
				if _, err := svc.Intake.Ingest(ctx, tn.ID, evs, service.IngestOptions{Batch: true}); err != nil {
					b.Fatal(err)
				}
				evs = nil
			}
		}
		b.StartTimer()
		for {
			n, err := svc.RunDueJobs(ctx, "bench", 100)
			if err != nil {
				b.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		b.StopTimer()
		if got := len(s.all()); got != benchMembers {
			b.Fatalf("sent %d, want %d", got, benchMembers)
		}
	}
	b.ReportMetric(float64(benchMembers*b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkSMTPOnly(b *testing.B) {
	body := []byte("From: shop@example.com\r\nTo: m@example.com\r\nSubject: Welcome\r\n\r\nHello\r\n")
	for range b.N {
		b.StopTimer()
		s := newSinkB(b)
		b.StartTimer()
		for i := range benchMembers {
			if err := smtp.SendMail(s.addr, nil, "shop@example.com", []string{fmt.Sprintf("m%05d@example.com", i)}, body); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if got := len(s.all()); got != benchMembers {
			b.Fatalf("sent %d", got)
		}
	}
	b.ReportMetric(float64(benchMembers*b.N)/b.Elapsed().Seconds(), "msgs/s")
}
