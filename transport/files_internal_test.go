package transport

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/parleychat/parley/chat"
)

// FuzzFileName: whatever name an upload comes with, the name kept is
// valid UTF-8 text within the limit, without a path or control
// characters, or the upload is refused.
func FuzzFileName(f *testing.F) {
	for _, s := range []string{"photo.png", `C:\Users\a\b.png`, "../../etc/passwd", "a\x00b.png", "\u202egnp.exe", "..", " ", "zdjęcie.jpg", "\xff.png"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		name, err := fileName(in)
		if err != nil {
			return
		}
		if name == "" || !utf8.ValidString(name) || len(name) > chat.MaxTitleBytes || strings.ContainsAny(name, `/\`) || name == ".." || name == "." {
			t.Fatalf("fileName(%q) = %q", in, name)
		}
		for _, r := range name {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("fileName(%q) = %q keeps a control or format character", in, name)
			}
		}
	})
}
