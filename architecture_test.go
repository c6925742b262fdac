package tenure_test

import (
	"go/build"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The rules of docs/architecture.md, checked on every package's non-test imports (tests may
// read their testdata files and drive the whole app).

const module = "github.com/tenure-loyalty/tenure"

// cores are the pure decision packages: they import the standard library (no I/O), each
// other, and the expression language only.
var cores = []string{"", "ledger", "rules", "rewards", "tiers", "segments", "analytics", "clv", "subscription", "flows"}

// ioPackages are standard packages a core must not import: the network, files, processes,
// databases and logging belong to the shell.
var ioPackages = []string{"database/sql", "net", "net/http", "os", "os/exec", "os/signal", "io/fs", "log", "log/slog", "syscall", "embed"}

// coreDeps are the modules outside the standard library a core may use.
var coreDeps = []string{"github.com/expr-lang/expr"}

// storageUsers are the only packages that may import storage: the services (service, and
// webhook delivery), the composition root (app) and test harnesses.
var storageUsers = []string{"service", "webhook", "app", "apptest", "storage/storagetest", "bench"}

// shellTop are the adapters: they call services, and nothing below them imports them.
var shellTop = []string{"api", "dashboard", "widget", "shopify", "woocommerce", "shophook", "client", "app", "apptest", "cmd/tenure", "demo", "bench"}

func TestArchitecture(t *testing.T) {
	pkgs := map[string][]string{} // package path relative to the module -> imports
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules" || name == "web") {
			return filepath.SkipDir
		}
		p, err := build.ImportDir(path, 0)
		if err != nil {
			if _, ok := err.(*build.NoGoError); ok {
				return nil
			}
			return err
		}
		rel := filepath.ToSlash(path)
		if rel == "." {
			rel = ""
		}
		pkgs[rel] = p.Imports
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 15 {
		t.Fatalf("found only %d packages; is the test running at the module root?", len(pkgs))
	}
	local := func(imp string) (string, bool) {
		if imp == module {
			return "", true
		}
		rel, ok := strings.CutPrefix(imp, module+"/")
		return rel, ok
	}
	for pkg, imports := range pkgs {
		isCore := slices.Contains(cores, pkg)
		for _, imp := range imports {
			rel, isLocal := local(imp)
			switch {
			case isCore && isLocal && !slices.Contains(cores, rel):
				t.Errorf("core %q imports %q: cores import only other cores", show(pkg), imp)
			case isCore && slices.Contains(ioPackages, imp):
				t.Errorf("core %q imports %q: I/O belongs to the shell", show(pkg), imp)
			case isCore && !isLocal && strings.Contains(strings.Split(imp, "/")[0], ".") &&
				!slices.ContainsFunc(coreDeps, func(d string) bool { return imp == d || strings.HasPrefix(imp, d+"/") }):
				t.Errorf("core %q imports %q: not an allowed dependency of a core", show(pkg), imp)
			case isLocal && rel == "storage" && !slices.Contains(storageUsers, pkg):
				t.Errorf("%q imports storage: only services (and the composition root) may", show(pkg))
			case isLocal && slices.Contains(shellTop, rel) && !adapterEdge(pkg, rel):
				t.Errorf("%q imports the adapter %q: adapters are wired only by app and cmd/tenure", show(pkg), rel)
			case pkg == "client" && isLocal && !slices.Contains(cores, rel):
				t.Errorf("client imports %q: the client speaks HTTP and uses only domain types", imp)
			case isLocal && rel == "service" && (isCore || pkg == "storage"):
				t.Errorf("%q imports service: nothing below the services may", show(pkg))
			}
		}
	}
}

// adapterEdge reports whether pkg may import the adapter rel: the composition root wires
// the adapters, the command line runs the app, and the test harness builds the demo.
func adapterEdge(pkg, rel string) bool {
	edges := map[string][]string{
		"app":         {"api", "dashboard", "widget", "shopify", "woocommerce"},
		"shopify":     {"shophook"},
		"woocommerce": {"shophook"},
		"apptest":     {"app", "demo"},
		"bench":       {"app"},
		"cmd/tenure":  shellTop,
		"api":         {"widget"},
	}
	return slices.Contains(edges[pkg], rel)
}

func show(pkg string) string {
	if pkg == "" {
		return "tenure"
	}
	return pkg
}
