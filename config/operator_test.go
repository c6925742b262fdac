package config

import (
	"io"
	"testing"
)

// TestOperatorSettings: profiles are off unless asked for, a bare port listens on loopback
// only, and SQLite's durability defaults to the safe setting.
func TestOperatorSettings(t *testing.T) {
	get := func(string) string { return "" }
	c, _, err := Load("t", nil, get, io.Discard, nil)
	if err != nil || c.DebugAddr != "" || c.SQLiteSync != "full" {
		t.Fatalf("defaults: debug %q, sqlite %q, %v", c.DebugAddr, c.SQLiteSync, err)
	}
	for in, want := range map[string]string{":6060": "127.0.0.1:6060", "0.0.0.0:6060": "0.0.0.0:6060", "[::1]:7": "[::1]:7"} {
		c, _, err := Load("t", []string{"-debug-addr", in}, get, io.Discard, nil)
		if err != nil || c.DebugAddr != want {
			t.Errorf("-debug-addr %s: %q %v, want %q", in, c.DebugAddr, err, want)
		}
	}
	for _, bad := range []string{"6060", "localhost:", "x"} {
		if _, _, err := Load("t", []string{"-debug-addr", bad}, get, io.Discard, nil); err == nil {
			t.Errorf("-debug-addr %s accepted", bad)
		}
	}
	if _, _, err := Load("t", []string{"-sqlite-synchronous", "off"}, get, io.Discard, nil); err == nil {
		t.Error("-sqlite-synchronous off accepted")
	}
}
