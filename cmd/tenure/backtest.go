package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tenure-loyalty/tenure/service"
)

// backtest replays a candidate rule set (a JSON file) over stored orders and prints the
// report: cost, members affected, distribution and top gainers. Nothing live changes.
func backtest(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var rulesFile, from, to, tenantID string
	var top int
	a, _, err := open(ctx, "backtest", args, stderr, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&rulesFile, "rules", "", "JSON file with the candidate rule set ({\"time_zone\":..., \"rules\":[...]})")
		fs.StringVar(&from, "from", "", "first day (YYYY-MM-DD, default a year ago)")
		fs.StringVar(&to, "to", "", "day after the last (YYYY-MM-DD, default tomorrow)")
		fs.StringVar(&tenantID, "tenant", "", "tenant id (needed when there are several)")
		fs.IntVar(&top, "top", 10, "top gainers to list")
	})
	if err != nil {
		return err
	}
	defer a.Close()
	if rulesFile == "" {
		return fmt.Errorf("-rules FILE is required")
	}
	raw, err := os.ReadFile(rulesFile)
	if err != nil {
		return err
	}
	var req service.BacktestRequest
	if err := json.Unmarshal(raw, &req.Rules); err != nil {
		return fmt.Errorf("%s: %w", rulesFile, err)
	}
	now := time.Now().UTC()
	req.From, req.To, req.Top = now.AddDate(-1, 0, 0), now.AddDate(0, 0, 1), top
	for _, d := range []struct {
		s   string
		dst *time.Time
	}{{from, &req.From}, {to, &req.To}} {
		if d.s == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, d.s)
		if err != nil {
			return fmt.Errorf("dates are YYYY-MM-DD: %w", err)
		}
		*d.dst = t
	}
	if tenantID, err = soleTenant(ctx, a.Service, tenantID, false); err != nil {
		return err
	}
	rep, err := a.Service.Rules.Backtest(ctx, tenantID, req)
	if err != nil {
		return err
	}
	out := json.NewEncoder(stdout)
	out.SetIndent("", "  ")
	return out.Encode(rep)
}
