package segments

import (
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/tenure-loyalty/tenure/analytics"
)

// knownValues are the fields whose values are a fixed list: a condition comparing one of
// them with a value off the list can never hold, which is a mistake to name at once
// rather than a segment that silently counts nobody.
var knownValues = map[string][]string{
	"lifecycle": lifecycleStages(),
}

func lifecycleStages() []string {
	out := make([]string, len(analytics.Segments))
	for i, s := range analytics.Segments {
		out[i] = string(s)
	}
	return out
}

// unknownValue returns a message for the first comparison in a condition of a field of
// knownValues with a text that is not one of its values ("member.lifecycle == \"At
// risk\""), or "" when there is none. The condition has compiled already.
func unknownValue(condition string) string {
	tree, err := parser.Parse(condition)
	if err != nil {
		return ""
	}
	v := &valueCheck{}
	ast.Walk(&tree.Node, v)
	return v.msg
}

type valueCheck struct{ msg string }

func (v *valueCheck) Visit(n *ast.Node) {
	b, ok := (*n).(*ast.BinaryNode)
	if !ok || v.msg != "" {
		return
	}
	var texts []*ast.StringNode
	var field string
	switch b.Operator {
	case "==", "!=":
		if f := memberField(b.Left); f != "" {
			field, texts = f, stringsOf(b.Right)
		} else if f := memberField(b.Right); f != "" {
			field, texts = f, stringsOf(b.Left)
		}
	case "in", "not in":
		field, texts = memberField(b.Left), stringsOf(b.Right)
	}
	allowed, ok := knownValues[field]
	if !ok {
		return
	}
	for _, s := range texts {
		if !slices.Contains(allowed, s.Value) {
			v.msg = "member." + field + " is never " + quote(s.Value) + ": it is one of " + strings.Join(allowed, ", ")
			if near := closest(s.Value, allowed); near != "" {
				v.msg += " (did you mean " + quote(near) + "?)"
			}
			return
		}
	}
}

// memberField returns "x" for the expression member.x, else "".
func memberField(n ast.Node) string {
	m, ok := n.(*ast.MemberNode)
	if !ok {
		return ""
	}
	id, ok := m.Node.(*ast.IdentifierNode)
	prop, ok2 := m.Property.(*ast.StringNode)
	if !ok || !ok2 || id.Value != "member" {
		return ""
	}
	return prop.Value
}

// stringsOf returns the text literals of a text or a list of them.
func stringsOf(n ast.Node) []*ast.StringNode {
	switch x := n.(type) {
	case *ast.StringNode:
		return []*ast.StringNode{x}
	case *ast.ArrayNode:
		var out []*ast.StringNode
		for _, e := range x.Nodes {
			if s, ok := e.(*ast.StringNode); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// closest is the allowed value a typed one most likely meant: the same letters once case,
// spaces and dashes are set aside ("At risk" -> "at_risk").
func closest(typed string, allowed []string) string {
	norm := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == ' ' || r == '-' || r == '_' {
				return -1
			}
			return r
		}, strings.ToLower(strings.TrimSpace(s)))
	}
	for _, a := range allowed {
		if norm(a) == norm(typed) {
			return a
		}
	}
	return ""
}

func quote(s string) string { return `"` + s + `"` }
