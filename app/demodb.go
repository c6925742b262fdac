package app

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/tenure-loyalty/tenure/storage"
)

// DemoMetaKey marks a database `tenure demo` built; its value lists the demo's tenant
// ids, comma-separated.
const DemoMetaKey = "demo"

// DemoTenantName is the demo store's tenant. A database from before the marker existed is
// recognised as a demo by holding this one tenant alone.
const DemoTenantName = "Kawa & Herbata (demo)"

// PrepareDemoDatabase makes dsn ready for a new demo store without ever touching a database
// the demo did not build. Nothing there (no file, or no table): nothing to do. A database
// the demo built (marked, holding only the demo's tenants): erased, to be built again.
// Anything else is refused with an error saying what it holds, unless replace is set,
// in which case it is erased (for PostgreSQL: Tenure's tables in the schema in use).
func PrepareDemoDatabase(ctx context.Context, dsn string, replace bool) error {
	inv, err := storage.Inspect(ctx, dsn)
	if err != nil && !replace {
		return fmt.Errorf("tenure demo will not use %s: %v; pass -replace to erase it, or name another database", storage.Redact(dsn), err)
	}
	if err == nil && inv.Empty() {
		return nil
	}
	if err == nil && !replace {
		if why := notDemo(inv); why != "" {
			return fmt.Errorf("tenure demo will not touch %s: %s. The demo builds its own database (tenure-demo.db by default): "+
				"unset TENURE_DATABASE_URL or pass -database-url with a new file, or pass -replace to erase this database and build the demo in it",
				storage.Redact(dsn), why)
		}
	}
	return storage.Erase(ctx, dsn)
}

// notDemo says why inv is not a database the demo built, or "" if it is one.
func notDemo(inv storage.Inventory) string {
	if !inv.Tenure {
		return fmt.Sprintf("it holds %d tables that are not Tenure's", inv.Tables)
	}
	marker, marked := inv.Meta[DemoMetaKey]
	ours := strings.Split(marker, ",")
	var others []string
	for id, name := range inv.Tenants {
		legacy := !marked && len(inv.Tenants) == 1 && name == DemoTenantName
		if !legacy && !(marked && slices.Contains(ours, id)) {
			others = append(others, fmt.Sprintf("%q (%s)", name, id))
		}
	}
	sort.Strings(others)
	switch {
	case len(others) > 0:
		return fmt.Sprintf("it holds %d tenant(s) that are not the demo's: %s", len(others), strings.Join(others, ", "))
	case !marked && len(inv.Tenants) == 0:
		return "it is a Tenure database the demo did not build"
	}
	return ""
}

// MarkDemo records in the database that the demo built it, for the tenants given (none
// yet while it is being built).
func (a *App) MarkDemo(ctx context.Context, tenantIDs ...string) error {
	return a.DB.Write(ctx, func(tx *storage.Tx) error {
		return tx.SetMeta(ctx, DemoMetaKey, strings.Join(tenantIDs, ","))
	})
}
