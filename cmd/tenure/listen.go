package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/tenure-loyalty/tenure/webhook"
)

// listen runs a local webhook receiver that checks signatures and prints each delivery:
// the quickest way for a store developer to see what Tenure sends.
func listen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tenure listen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9999", "address to listen on")
	secret := fs.String("secret", "", "the endpoint's signing secret (whsec_...), to verify signatures")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "listening for webhooks on http://%s\n", ln.Addr())
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		verdict := "signature not checked (no -secret)"
		if *secret != "" {
			if err := webhook.Verify(*secret, r.Header.Get(webhook.HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
				fmt.Fprintf(stdout, "REJECTED %s: %v\n", r.Header.Get(webhook.HeaderMessageID), err)
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
			verdict = "signature OK"
		}
		var pretty json.RawMessage = body
		if b, err := json.MarshalIndent(json.RawMessage(body), "", "  "); err == nil {
			pretty = b
		}
		fmt.Fprintf(stdout, "%s %s (attempt %s, %s)\n%s\n", r.Header.Get(webhook.HeaderType), r.Header.Get(webhook.HeaderMessageID),
			r.Header.Get(webhook.HeaderAttempt), verdict, pretty)
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
