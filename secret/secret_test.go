package secret_test

import (
	"strings"
	"testing"

	"github.com/tenure-loyalty/tenure/secret"
)

func TestSealOpen(t *testing.T) {
	a, err := secret.Parse(secret.Generate())
	if err != nil {
		t.Fatal(err)
	}
	sealed := a.Seal("whsec_abc", "webhooks.secret:whk_1")
	if !secret.IsSealed(sealed) || strings.Contains(sealed, "whsec_abc") {
		t.Fatalf("not sealed: %s", sealed)
	}
	if sealed == a.Seal("whsec_abc", "webhooks.secret:whk_1") {
		t.Fatal("two seals of one value are equal: the nonce is not random")
	}
	plain, current, err := a.Open(sealed, "webhooks.secret:whk_1")
	if err != nil || plain != "whsec_abc" || !current {
		t.Fatalf("open: %q %v %v", plain, current, err)
	}
	if _, _, err := a.Open(sealed, "webhooks.secret:whk_2"); err == nil {
		t.Fatal("a value moved to another row opened")
	}
	tampered := sealed[:len(sealed)-2] + "AA"
	if _, _, err := a.Open(tampered, "webhooks.secret:whk_1"); err == nil {
		t.Fatal("a tampered value opened")
	}
	if p, current, err := a.Open("legacy clear text", "x"); err != nil || p != "legacy clear text" || current {
		t.Fatalf("clear text: %q %v %v", p, current, err)
	}
	if a.Seal("", "x") != "" {
		t.Fatal("the empty secret (none) was sealed")
	}
}

func TestRotationKeyring(t *testing.T) {
	oldKey, newKey := secret.Generate(), secret.Generate()
	old, _ := secret.Parse(oldKey)
	both, err := secret.Parse(newKey + "," + oldKey)
	if err != nil {
		t.Fatal(err)
	}
	sealed := old.Seal("s", "c")
	if p, current, err := both.Open(sealed, "c"); err != nil || p != "s" || current {
		t.Fatalf("old value under new,old: %q %v %v", p, current, err)
	}
	fresh, _ := secret.Parse(newKey)
	if _, _, err := fresh.Open(sealed, "c"); err == nil || !strings.Contains(err.Error(), old.ID()) {
		t.Fatalf("a missing key must be named: %v", err)
	}
	for _, bad := range []string{"", "short", "!!!!"} {
		if _, err := secret.Parse(bad); err == nil {
			t.Errorf("accepted key %q", bad)
		}
	}
}
