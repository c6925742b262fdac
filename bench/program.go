package bench

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tenure-loyalty/tenure/rules"
)

// Programs the benchmarks run, by name. A benchmark of the write path measures a real
// program by default: the 20 earning rules of docs/examples/rules-20.json (a copy kept
// here, checked equal by a test), whose conditions read the member's order count, whose
// caps and limits keep per-member counters and whose ten campaigns take from budgets.
// The default program (one flat earning rate) is the second row of every table.
const (
	ProgramRules20 = "rules-20"
	ProgramDefault = "default"
)

//go:embed rules-20.json
var rules20 []byte

// Programs lists the known program names, the real one first.
var Programs = []string{ProgramRules20, ProgramDefault}

// ParsePrograms reads a comma-separated list of program names.
func ParsePrograms(s string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p != ProgramRules20 && p != ProgramDefault {
			return nil, fmt.Errorf("bench: unknown program %q (want %s or %s)", p, ProgramRules20, ProgramDefault)
		}
		out = append(out, p)
	}
	return out, nil
}

// ruleSet returns the program's rule set; ok is false for the default program, which
// has none saved.
func ruleSet(program string) (set rules.Set, ok bool, err error) {
	if program != ProgramRules20 {
		return set, false, nil
	}
	err = json.Unmarshal(rules20, &set)
	return set, err == nil, err
}

// install saves the program's rules for the fixture's tenant, before anything is seeded.
func (f *fixture) install(ctx context.Context, program string) error {
	set, ok, err := ruleSet(program)
	if err != nil || !ok {
		return err
	}
	f.rules = &set
	_, err = f.app.Service.Rules.Save(ctx, f.tenant, "bench", set)
	return err
}

// keywords start a third of the product names, so that the campaign rules of rules-20
// (one per keyword, each with a budget) fire as in a real catalogue.
var keywords = []string{"LIGHTS", "BAG", "HEART", "CANDLE", "MUG", "CARD", "BOX", "CHRISTMAS", "VINTAGE", "GARDEN"}

func productName(sku int) string {
	if sku%3 == 0 {
		return fmt.Sprintf("%s %05d", keywords[(sku/3)%len(keywords)], sku)
	}
	return fmt.Sprintf("Product SKU-%05d", sku)
}
