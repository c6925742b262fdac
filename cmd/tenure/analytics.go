package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/tenure-loyalty/tenure/service"
)

// analyticsCmd computes a tenant's analytics snapshot (metrics, cohorts, RFM, lifecycle,
// the CLV models, lift) from the stored orders and writes its CSV reports into a
// directory, the same files the dashboard's analytics page downloads. Without -as-of the
// figures are as of now, or as of the latest order's date when the store's history ended
// more than a month ago; the output says which date was used and why.
func analyticsCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var out, tenantID, asOf, from, to string
	a, _, err := open(ctx, "analytics", args, stderr, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "out", "analytics", "directory to write the CSV reports into (created if missing)")
		fs.StringVar(&tenantID, "tenant", "", "tenant id (needed when there are several)")
		fs.StringVar(&asOf, "as-of", "", "the figures as of this date, its orders included (YYYY-MM-DD, or an RFC 3339 instant); default now, or the latest order's date for a history that has ended")
		fs.StringVar(&from, "from", "", "first day of the monthly metrics and cohorts (YYYY-MM-DD); default the month twelve months before -as-of's")
		fs.StringVar(&to, "to", "", "last day of the monthly metrics and cohorts, included (YYYY-MM-DD); default -as-of")
	})
	if err != nil {
		return err
	}
	defer a.Close()
	var opt service.SnapshotOptions
	for _, f := range []struct {
		name, value string
		dst         *time.Time
	}{{"as-of", asOf, &opt.AsOf}, {"from", from, &opt.From}, {"to", to, &opt.To}} {
		if f.value == "" {
			continue
		}
		if *f.dst, err = parseDay(f.value, f.name != "from"); err != nil {
			return fmt.Errorf("-%s: %w", f.name, err)
		}
	}
	if tenantID, err = soleTenant(ctx, a.Service, tenantID, false); err != nil {
		return err
	}
	var sn *service.Snapshot
	if opt == (service.SnapshotOptions{}) {
		sn, err = a.Service.Reports.Snapshot(ctx, tenantID, 0) // the default snapshot, stored for the dashboard too
	} else {
		sn, err = a.Service.Reports.SnapshotAt(ctx, tenantID, opt)
	}
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, f := range service.SnapshotFiles {
		path := filepath.Join(out, f.Name)
		if err := writeFile(path, func(w io.Writer) error { return f.WriteCSV(w, sn) }); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	fmt.Fprintf(stdout, "as of %s (%s); months and cohorts from %s to %s\n", describeInstant(sn.AsOf), sn.AsOfReason,
		sn.From.Format(time.DateOnly), describeInstant(sn.To))
	fmt.Fprintf(stdout, "%d customers with %d paid orders; %d cohorts; %d lift reports\n", sn.Customers, sn.Orders, len(sn.Cohorts), len(sn.Lifts))
	switch {
	case sn.CLV == nil:
		fmt.Fprintf(stdout, "no CLV model: %s\n", sn.CLVError)
	case sn.CLV.Usable:
		fmt.Fprintf(stdout, "CLV: %.2f predicted over 12 months (minor units); the models fit cleanly\n", sn.CLV.TotalCLVMinor)
	default:
		fmt.Fprintf(stdout, "CLV: %.2f predicted over 12 months (minor units); the models have warnings, see clv.csv with care\n", sn.CLV.TotalCLVMinor)
		for _, w := range sn.CLV.Warnings {
			fmt.Fprintf(stdout, "  warning: %s\n", w)
		}
	}
	fmt.Fprintf(stdout, "wrote %d reports to %s\n", len(service.SnapshotFiles), out)
	return nil
}

// parseDay reads a date (YYYY-MM-DD, UTC) or an RFC 3339 instant. A date stands for the
// start of that day, or with endOfDay for its end (the next day's start), so that the
// day's orders are included.
func parseDay(s string, endOfDay bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a date (YYYY-MM-DD) nor an RFC 3339 time", s)
	}
	if endOfDay {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}

// describeInstant names an instant as the day it ends when it is a midnight ("the end of
// 2011-12-09"), else in full.
func describeInstant(t time.Time) string {
	if t.Equal(t.Truncate(24 * time.Hour)) {
		return "the end of " + t.AddDate(0, 0, -1).Format(time.DateOnly)
	}
	return t.Format(time.RFC3339)
}

// writeFile writes a file whole or not at all: into a temporary file renamed into place.
func writeFile(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tenure-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
