package tenure_test

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The size rules of docs/architecture.md: small domain services, short files, and no
// storage type in what the services offer the adapters.

// maxMethods is the most methods an exported type of package service may have.
const maxMethods = 30

// maxLines is the most lines a non-test Go file may have.
const maxLines = 500

// longFiles are the files allowed past maxLines, each with the reason. Keep it short.
var longFiles = map[string]string{}

func TestServiceSurface(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("service/*.go")
	if err != nil || len(files) < 10 {
		t.Fatalf("service files: %v %v", files, err)
	}
	methods := map[string][]string{} // receiver type -> method names
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if d.Recv != nil {
					recv := receiverName(d.Recv.List[0].Type)
					methods[recv] = append(methods[recv], d.Name.Name)
					if !ast.IsExported(recv) || !d.Name.IsExported() {
						continue
					}
				} else if !d.Name.IsExported() || d.Name.Name == "New" { // New is the composition root's
					continue
				}
				if usesStorage(d.Type) {
					t.Errorf("%s: %s takes or returns a storage type; services offer domain types", fset.Position(d.Pos()), d.Name.Name)
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					ts, ok := spec.(*ast.TypeSpec)
					if ok && ts.Name.IsExported() && usesStorage(ts.Type) {
						t.Errorf("%s: the exported type %s shows a storage type", fset.Position(ts.Pos()), ts.Name.Name)
					}
				}
			}
		}
	}
	if len(methods["Service"]) == 0 {
		t.Fatal("found no methods of service.Service; did the parse work?")
	}
	for recv, ms := range methods {
		if ast.IsExported(recv) && len(ms) > maxMethods {
			t.Errorf("service.%s has %d methods, more than %d: split it into domain services", recv, len(ms), maxMethods)
		}
	}
}

// receiverName is the type name of a method receiver (T, *T, T[K], *T[K]).
func receiverName(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

// usesStorage reports whether what a declaration shows other packages names package
// storage: any part of a signature, an exported field of a struct, an exported method of an
// interface.
func usesStorage(e ast.Node) bool {
	var fields *ast.FieldList
	switch x := e.(type) {
	case *ast.StructType:
		fields = x.Fields
	case *ast.InterfaceType:
		fields = x.Methods
	default:
		return namesStorage(e)
	}
	for _, f := range fields.List {
		exported := len(f.Names) == 0 && ast.IsExported(receiverName(f.Type)) // embedded
		for _, n := range f.Names {
			exported = exported || n.IsExported()
		}
		if exported && namesStorage(f.Type) {
			return true
		}
	}
	return false
}

// namesStorage reports whether an expression mentions package storage anywhere.
func namesStorage(e ast.Node) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if x, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := x.X.(*ast.Ident); ok && id.Name == "storage" {
				found = true
			}
		}
		return !found
	})
	return found
}

func TestFileLength(t *testing.T) {
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		lines := bytes.Count(src, []byte("\n"))
		if _, ok := longFiles[filepath.ToSlash(path)]; !ok && lines > maxLines {
			t.Errorf("%s has %d lines, more than %d: split it by what its parts do", path, lines, maxLines)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("checked only %d files; is the test running at the module root?", checked)
	}
}
