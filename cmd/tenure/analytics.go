package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/tenure-loyalty/tenure/service"
)

// analyticsCmd computes a tenant's analytics snapshot (metrics, cohorts, RFM, lifecycle,
// the CLV models, lift) from the stored orders and writes its CSV reports into a
// directory, the same files the dashboard's analytics page downloads.
func analyticsCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var out, tenantID string
	a, _, err := open(ctx, "analytics", args, stderr, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "out", "analytics", "directory to write the CSV reports into (created if missing)")
		fs.StringVar(&tenantID, "tenant", "", "tenant id (needed when there are several)")
	})
	if err != nil {
		return err
	}
	defer a.Close()
	if tenantID, err = soleTenant(ctx, a.Service, tenantID, false); err != nil {
		return err
	}
	sn, err := a.Service.Snapshot(ctx, tenantID, 0)
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
	fmt.Fprintf(stdout, "%d customers with %d paid orders; %d cohorts; %d lift reports\n", sn.Customers, sn.Orders, len(sn.Cohorts), len(sn.Lifts))
	switch {
	case sn.CLV == nil:
		fmt.Fprintf(stdout, "no CLV model: %s\n", sn.CLVError)
	case sn.CLV.Usable:
		fmt.Fprintf(stdout, "CLV: %.2f predicted over 12 months (minor units); the models fit cleanly\n", sn.CLV.TotalCLVMinor)
	default:
		fmt.Fprintf(stdout, "CLV: %.2f predicted over 12 months (minor units); the models have warnings, see clv.csv with care\n", sn.CLV.TotalCLVMinor)
	}
	fmt.Fprintf(stdout, "wrote %d reports to %s\n", len(service.SnapshotFiles), out)
	return nil
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
