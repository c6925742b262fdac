package client_test

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tenure-loyalty/tenure/widget"
)

// The Node.js example in docs/examples/node signs tokens the widget accepts, for the
// tenant and customer it was given.
func TestNodeMemberTokenExample(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the JavaScript example cannot run here")
	}
	out, err := exec.Command(node, "../docs/examples/node/member-token.js", "tnw_example_secret", "ten_123", "cust-42", "600").CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v: %s", err, out)
	}
	token := strings.TrimSpace(string(out))
	c, err := widget.VerifyToken(token, "ten_123", "tnw_example_secret", time.Now())
	if err != nil || c.Member != "cust-42" {
		t.Fatalf("the widget refuses the example's token %q: %+v %v", token, c, err)
	}
	if _, err := widget.VerifyToken(token, "ten_123", "tnw_other", time.Now()); err == nil {
		t.Fatal("a token verified under another secret")
	}
}
