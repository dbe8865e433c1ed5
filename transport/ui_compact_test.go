package transport

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The served widget leaves out indentation and comment lines, and keeps
// every line of code as it was, links in strings and comments after
// code included.
func TestCompactJS(t *testing.T) {
	t.Parallel()
	src := "// widget.js: the visitors' chat window.\n" +
		"(function () {\n" +
		"  \"use strict\";\n" +
		"\t// a comment, indented\n" +
		"  var u = \"https://shop.example/x\"; // kept after code\n" +
		"    return a\n" +
		"    // between a statement and its end\n" +
		"      + b;\n" +
		"})();"
	require.Equal(t, "(function () {\n"+
		"\"use strict\";\n"+
		"var u = \"https://shop.example/x\"; // kept after code\n"+
		"return a\n"+
		"+ b;\n"+
		"})();", string(compactJS([]byte(src))))
	require.NotContains(t, string(compactJS(uiScript(true))), "\n//", "no comment lines are served")
}
