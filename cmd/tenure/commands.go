package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"text/tabwriter"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/ledger"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	a, _, err := open(ctx, "serve", args, stderr, getenv, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	if _, err := a.Bootstrap(ctx, stdout); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Tenure is listening on http://%s (API under /v1, OpenAPI at /openapi.json)\n", ln.Addr())
	return a.Serve(ctx, ln)
}

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	a, _, err := open(ctx, "migrate", args, stderr, getenv, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	fmt.Fprintln(stdout, "migrations applied to", a.DB)
	return nil
}

func verify(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	a, _, err := open(ctx, "verify", args, stderr, getenv, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	var bad []ledger.Mismatch
	members, entries, err := a.Service.Verify(ctx, func(m ledger.Mismatch) { bad = append(bad, m) })
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "checked %d balances against %d ledger entries\n", members, entries)
	if len(bad) == 0 {
		fmt.Fprintln(stdout, "OK: every balance and lot equals the sum of its entries")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tMEMBER\tWALLET\tFIELD\tCACHED\tFROM LEDGER")
	for _, m := range bad {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\n", m.TenantID, m.MemberID, m.Wallet, m.What, m.Cached, m.Derived)
	}
	_ = tw.Flush()
	return fmt.Errorf("%d mismatches", len(bad))
}

func keys(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: tenure keys create [-tenant ID] [-scope admin|integration|read_only] [-name NAME] | keys list | keys revoke KEY_ID")
	}
	sub, rest := args[0], args[1:]
	var tenantID, name, scope string
	a, other, err := open(ctx, "keys "+sub, rest, stderr, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&tenantID, "tenant", "", "tenant id (needed when there are several)")
		fs.StringVar(&name, "name", "", "key name (create)")
		fs.StringVar(&scope, "scope", "admin", "admin, integration or read_only (create)")
	})
	if err != nil {
		return err
	}
	defer a.Close()
	if tenantID == "" {
		ts, err := a.Service.Tenants.List(ctx)
		if err != nil {
			return err
		}
		switch {
		case len(ts) == 0:
			t, secret, err := a.Service.Tenants.Create(ctx, a.Config.TenantName)
			if err != nil {
				return err
			}
			if sub == "create" {
				fmt.Fprintf(stdout, "created tenant %s (%s)\n%s\n", t.Name, t.ID, secret)
				return nil
			}
			tenantID = t.ID
		case len(ts) == 1:
			tenantID = ts[0].ID
		default:
			return fmt.Errorf("several tenants exist: pass -tenant ID")
		}
	}
	switch sub {
	case "create":
		if name == "" {
			name = "cli " + scope + " key"
		}
		_, secret, err := a.Service.Access.CreateKey(ctx, tenantID, "cli", name, tenure.Scope(scope))
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, secret)
		return nil
	case "list":
		ks, err := a.Service.Access.Keys(ctx, tenantID)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSCOPE\tHINT\tCREATED\tREVOKED")
		for _, k := range ks {
			revoked := ""
			if k.RevokedAt != nil {
				revoked = k.RevokedAt.Format("2006-01-02 15:04")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s…\t%s\t%s\n", k.ID, k.Name, k.Scope, k.Hint, k.CreatedAt.Format("2006-01-02 15:04"), revoked)
		}
		return tw.Flush()
	case "revoke":
		if len(other) != 1 {
			return fmt.Errorf("usage: tenure keys revoke KEY_ID")
		}
		k, err := a.Service.Access.RevokeKey(ctx, tenantID, "cli", other[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %s (%s)\n", k.ID, k.Name)
		return nil
	}
	return fmt.Errorf("unknown keys command %q", sub)
}
