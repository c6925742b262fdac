package tenure_test

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoMergeMarkers fails when a source or document file still holds the markers a
// conflicted merge leaves behind: Go would refuse such a .go file, but nothing else reads
// the docs, templates, scripts and SQL strictly enough to notice.
func TestNoMergeMarkers(t *testing.T) {
	checked := map[string]bool{".go": true, ".md": true, ".sql": true, ".html": true, ".tmpl": true, ".js": true, ".css": true, ".sh": true, ".json": true}
	n := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !checked[filepath.Ext(path)] {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		n++
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
		for line := 1; sc.Scan(); line++ {
			s := sc.Text()
			if strings.HasPrefix(s, "<<<<<<< ") || strings.HasPrefix(s, ">>>>>>> ") {
				t.Errorf("%s:%d: a merge conflict marker: %q", path, line, s)
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Fatalf("checked only %d files", n)
	}
}
