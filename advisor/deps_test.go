package advisor_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoSearchDependency holds the package's promise: a shop with a Bot
// of its own imports advisor without compiling bleve, which only
// advisor/faq needs.
func TestNoSearchDependency(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := exec.Command(gobin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/blevesearch/") {
			t.Errorf("advisor depends on %s", dep)
		}
	}
}
