package e2e_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/store/sqlite"
	"github.com/parleychat/parley/store/sqlstore"
)

// A visitor attaches a photo of a damaged parcel while a reply is half
// written: the photo goes as a message with a thumbnail, the draft stays,
// and the agent sees the thumbnail in the console. A program renamed to
// look like an image is refused, and the widget says why; so is a file
// over the limit.
func TestAttachImage(t *testing.T) {
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "parley.db"), sqlstore.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close(context.Background()) })
	s := newShop(t, store, func(sc *shopConfig) { sc.Server.Files, sc.Server.MaxFileBytes = store, 4096 })

	dir := t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		img.Set(x, x%48, color.RGBA{B: 255, A: 255})
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	photo := filepath.Join(dir, "paczka.png")
	require.NoError(t, os.WriteFile(photo, b.Bytes(), 0o600))
	big := filepath.Join(dir, "big.png")
	require.NoError(t, os.WriteFile(big, append(b.Bytes(), make([]byte, 4096)...), 0o600))
	fake := filepath.Join(dir, "invoice.png")
	require.NoError(t, os.WriteFile(fake, append([]byte("MZ\x90\x00\x03\x00\x00\x00"), make([]byte, 300)...), 0o600))

	visitor := s.visitorTab("/shop/parcels")
	agent := s.agentTab("olga")
	visitor.ask("My parcel arrived damaged")
	visitor.until("the message is acked", wAll(".msg.visitor .state")+`.join() === "Sent"`)
	visitor.until("the attach button shows", `!`+w(".attach")+`.hidden`)
	visitor.do(chromedp.SetValue(chromedp.JSPath(w("#pw-input")), "I also wanted to ask"))

	visitor.do(chromedp.SetUploadFiles(chromedp.JSPath(w(`input[type="file"]`)), []string{big}))
	visitor.until("the widget refuses a file over the limit", w(".upload.err")+` && `+w(".upload")+`.textContent === "This file is too large to send."`)
	visitor.do(chromedp.SetUploadFiles(chromedp.JSPath(w(`input[type="file"]`)), []string{fake}))
	visitor.until("the refusal is shown", w(".upload.err")+` && `+w(".upload")+`.textContent === "This type of file cannot be sent. Send an image or a PDF."`)

	visitor.do(chromedp.SetUploadFiles(chromedp.JSPath(w(`input[type="file"]`)), []string{photo}))
	visitor.until("the visitor sees the thumbnail", `(() => { const i = `+w(".msg.visitor img.pf-thumb")+`; return !!i && i.complete && i.naturalWidth === 64 && i.width === 64 && i.alt === "paczka.png"; })()`)
	visitor.until("the upload line is cleared", w(".upload")+`.hidden`)
	require.Equal(t, "I also wanted to ask", eval[string](visitor, w("#pw-input")+`.value`), "the draft is kept")

	agent.until("the conversation is the agent's", cAll("#mine .preview")+`.length === 1`)
	agent.click(`document.querySelector("#mine .conv-item button")`)
	agent.until("the agent sees the thumbnail", `(() => { const i = document.querySelector("#log .msg.visitor img.pf-thumb"); return !!i && i.complete && i.naturalWidth === 64 && i.getAttribute("height") === "48"; })()`)
	require.Equal(t, "paczka.png", eval[string](agent, `document.querySelector("#log .msg.visitor a.pf-file").title`))

	// The agent answers with a PDF; the visitor gets a link that fetches
	// it with the visitor's token.
	label := filepath.Join(dir, "etykieta.pdf")
	require.NoError(t, os.WriteFile(label, []byte("%PDF-1.7\n% return label\n"), 0o600))
	agent.until("the attach button shows", `!document.getElementById("attach-btn").hidden`)
	agent.do(chromedp.SetUploadFiles(chromedp.CSS("#attach-input"), []string{label}))
	agent.until("the agent sees the file sent", cAll("#log .msg.agent a.pf-file")+`.join() === "\u{1F4CE} etykieta.pdf (1 KB)"`)
	visitor.until("the visitor gets the link", wAll(".msg.agent a.pf-file")+`.join() === "\u{1F4CE} etykieta.pdf (1 KB)"`)
	visitor.click(w(".msg.agent a.pf-file"))
	visitor.until("the visitor's link fetched the file", w(".msg.agent a.pf-file")+`.dataset.ready === "1" && `+w(".msg.agent a.pf-file")+`.href.startsWith("blob:")`)
}
