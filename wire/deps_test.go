package wire_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoServerDependencies holds the package's promise: a Go client that
// imports wire compiles neither the server nor its WebSocket library.
func TestNoServerDependencies(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := exec.Command(gobin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case dep == "github.com/parleychat/parley/transport",
			strings.HasPrefix(dep, "github.com/coder/websocket"),
			strings.HasPrefix(dep, "github.com/parleychat/parley/store"),
			dep == "net/http":
			t.Errorf("wire depends on %s", dep)
		}
	}
}
