package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/tenure-loyalty/tenure/service"
)

// export writes the tenant's ledger or members as CSV, to a file (whole or not at all) or
// to standard output.
func export(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	usage := fmt.Errorf("usage: tenure export %s [-out FILE] [-tenant ID]", strings.Join(service.ExportKinds, "|"))
	if len(args) == 0 || !slices.Contains(service.ExportKinds, args[0]) {
		return usage
	}
	kind := args[0]
	var out, tenantID string
	a, _, err := open(ctx, "export "+kind, args[1:], stderr, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "out", "", "file to write (default: standard output)")
		fs.StringVar(&tenantID, "tenant", "", "tenant id (needed when there are several)")
	})
	if err != nil {
		return err
	}
	defer a.Close()
	if tenantID, err = soleTenant(ctx, a.Service, tenantID, false); err != nil {
		return err
	}
	if out == "" {
		w := bufio.NewWriter(stdout)
		if err := a.Service.Reports.WriteExport(ctx, tenantID, kind, w); err != nil {
			return err
		}
		return w.Flush()
	}
	return writeFile(out, func(w io.Writer) error { return a.Service.Reports.WriteExport(ctx, tenantID, kind, w) })
}
