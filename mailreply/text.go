package mailreply

import (
	"html"
	"regexp"
	"strings"
)

// skipped are the HTML elements whose content is never text of the reply:
// the quoted history (blockquote) and what is not shown.
var skipped = map[string]bool{"blockquote": true, "head": true, "style": true, "script": true, "title": true}

// quoteMarks are class and id values mail clients give the element that
// holds the quoted history: Gmail, Outlook, Apple Mail, Thunderbird, Yahoo.
var quoteMarks = []string{"gmail_quote", "divrplyfwdmsg", "appendonsend", "moz-cite-prefix", "yahoo_quoted", "x_divrplyfwdmsg"}

// breaks are the HTML elements that start a new line.
var breaks = map[string]bool{"br": true, "p": true, "div": true, "li": true, "tr": true, "h1": true, "h2": true, "h3": true,
	"h4": true, "h5": true, "h6": true, "hr": true, "table": true, "ul": true, "ol": true}

var tagName = regexp.MustCompile(`^</?([a-zA-Z][a-zA-Z0-9]*)`)

// htmlText turns an HTML body into plain text, leaving out the quoted
// history and what a mail client does not show.
func htmlText(s string) string {
	var b strings.Builder
	skip := "" // the element being skipped
	depth := 0 // how deep in it
	for len(s) > 0 {
		lt := strings.IndexByte(s, '<')
		if lt < 0 {
			if skip == "" {
				b.WriteString(html.UnescapeString(s))
			}
			break
		}
		if skip == "" {
			b.WriteString(html.UnescapeString(s[:lt]))
		}
		s = s[lt:]
		if strings.HasPrefix(s, "<!--") {
			end := strings.Index(s, "-->")
			if end < 0 {
				break
			}
			s = s[end+3:]
			continue
		}
		gt := strings.IndexByte(s, '>')
		if gt < 0 {
			break
		}
		tag := s[:gt+1]
		s = s[gt+1:]
		m := tagName.FindStringSubmatch(tag)
		if m == nil {
			continue
		}
		name, closing := strings.ToLower(m[1]), strings.HasPrefix(tag, "</")
		selfClosing := strings.HasSuffix(tag, "/>") || name == "br" || name == "hr" || name == "img" || name == "meta"
		switch {
		case skip != "":
			if name == skip && !selfClosing {
				if closing {
					depth--
				} else {
					depth++
				}
				if depth == 0 {
					skip = ""
				}
			}
			continue
		case !closing && !selfClosing && (skipped[name] || marksQuote(tag)):
			skip, depth = name, 1
			continue
		}
		if breaks[name] {
			b.WriteByte('\n')
		}
	}
	// Spaces as HTML shows them: runs of white space are one space.
	var out []string
	for line := range strings.SplitSeq(b.String(), "\n") {
		out = append(out, strings.Join(strings.Fields(line), " "))
	}
	return strings.Join(out, "\n")
}

// marksQuote reports whether an opening tag marks the quoted history.
func marksQuote(tag string) bool {
	lower := strings.ToLower(tag)
	if !strings.Contains(lower, "class=") && !strings.Contains(lower, "id=") {
		return false
	}
	for _, mark := range quoteMarks {
		if strings.Contains(lower, mark) {
			return true
		}
	}
	return false
}

// attribution matches the line a mail client writes above the quoted
// history, in the languages of the shop's visitors and a few more: "On
// ... wrote:", "W dniu ... napisał(a):", "... пишет:", "... kirjoitti:".
var attribution = regexp.MustCompile(`(?i)(wrote|napisał|napisała|napisał\(a\)|pisze|написал|написала|написал\(а\)|пишет|kirjoitti|schrieb|a écrit|escribió|scrisse)\s*:\s*$`)

// opener matches how an attribution line starts: "On", "W dniu", "Dnia",
// "Le", "Am", "El", or a date.
var opener = regexp.MustCompile(`(?i)^(on|w dniu|dnia|le|am|el|\d)\b`)

// separators are lines above a forwarded or quoted message.
var separators = regexp.MustCompile(`(?i)^(-{2,}\s*(original message|ursprüngliche nachricht|wiadomość oryginalna|исходное сообщение|alkuperäinen viesti|forwarded message)\s*-{2,}|_{20,})\s*$`)

// headerBlock matches the first line of the sender block Outlook puts above
// the quoted message.
var headerBlock = regexp.MustCompile(`(?i)^\*?(from|od|от|lähettäjä|von)\s*:\*?\s`)

// reply returns the new text of a reply: what comes before the quoted
// history, without the lines quoted with '>' and the signature.
func reply(text string) string {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	lines := strings.Split(text, "\n")
	var kept []string
	for i, line := range lines {
		trimmed := strings.TrimSpace(line)
		if line == "-- " || trimmed == "--" || separators.MatchString(trimmed) {
			break
		}
		if attribution.MatchString(trimmed) {
			// "On Tue, ... <shop@example.com>" may be folded before "wrote:".
			if last := len(kept) - 1; !opener.MatchString(trimmed) && last >= 0 && opener.MatchString(strings.TrimSpace(kept[last])) {
				kept = kept[:last]
			}
			break
		}
		if headerBlock.MatchString(trimmed) && outlookHeader(lines[i+1:]) {
			break
		}
		if strings.HasPrefix(trimmed, ">") {
			continue
		}
		kept = append(kept, strings.TrimRight(line, " \t"))
	}
	return strings.TrimSpace(strings.Join(kept, "\n"))
}

// outlookHeader reports whether the lines after a "From:" line carry the
// rest of a quoted message's headers: a sent date and a subject or
// recipient, within a few lines.
func outlookHeader(lines []string) bool {
	seen := 0
	for _, l := range lines[:min(len(lines), 5)] {
		l = strings.ToLower(strings.TrimLeft(strings.TrimSpace(l), "*"))
		for _, key := range []string{"sent:", "date:", "to:", "subject:", "wysłano:", "data:", "do:", "temat:", "отправлено:", "кому:", "тема:", "lähetetty:", "aihe:"} {
			if strings.HasPrefix(l, key) {
				seen++
			}
		}
	}
	return seen >= 2
}
