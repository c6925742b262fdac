package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/tenure-loyalty/tenure/service"
)

// staff manages dashboard accounts: staff create -email -role [-name] [-tenant].
func staff(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("usage: tenure staff create -email EMAIL -role owner|marketer|support|read_only [-name NAME] [-tenant ID]")
	}
	var email, role, name, tenantID string
	a, _, err := open(ctx, "staff create", args[1:], stderr, getenv, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "sign-in email")
		fs.StringVar(&role, "role", "owner", "owner, marketer, support or read_only")
		fs.StringVar(&name, "name", "", "display name")
		fs.StringVar(&tenantID, "tenant", "", "tenant id (needed when there are several)")
	})
	if err != nil {
		return err
	}
	defer a.Close()
	if tenantID, err = soleTenant(ctx, a.Service, tenantID, true); err != nil {
		return err
	}
	st, pw, err := a.Service.Access.CreateStaff(ctx, tenantID, "cli", service.NewStaff{Email: email, Name: name, Role: service.Role(role)})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s (%s) can sign in at /admin/ with the password (shown once):\n%s\n", st.Email, st.Role, pw)
	return nil
}
