// Package faq is a ready advisor.Bot: it answers from a list of questions
// and answers the shop supplies, in English, Polish, Finnish and Russian,
// matching a visitor's message to the stored questions with the bleve
// full-text search library and its analyzer of each language.
package faq

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/lang/fi"
	"github.com/blevesearch/bleve/v2/analysis/lang/pl"
	"github.com/blevesearch/bleve/v2/analysis/lang/ru"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/parleychat/parley/advisor"
	"github.com/parleychat/parley/chat"
)

// analyzers are bleve's analyzers of the languages an FAQ answers in, by
// BCP 47 primary language subtag: each splits words, lowercases them,
// drops the language's stop words and reduces the rest to their stems, so
// that "parcels", "parcel's" and "parcel" match.
var analyzers = map[string]string{
	"en": en.AnalyzerName,
	"pl": pl.AnalyzerName,
	"fi": fi.AnalyzerName,
	"ru": ru.AnalyzerName,
}

// Languages are the languages an FAQ can answer in.
var Languages = []string{"en", "pl", "fi", "ru"}

// DefaultMinMatch is Config.MinMatch's default.
const DefaultMinMatch = 0.5

// Entry is one question the shop answers, with the ways visitors ask it,
// in one language.
type Entry struct {
	// Language is the entry's language: "en", "pl", "fi" or "ru".
	Language string
	// Questions are ways to ask it; at least one.
	Questions []string
	// Answer is the reply. Required.
	Answer string
	// QuickReplies are follow-up questions offered with the answer.
	QuickReplies []string
}

// Config configures New.
type Config struct {
	// Entries are the questions and answers. Required.
	Entries []Entry
	// Fallback is the language of visitors whose own has no entries.
	// Empty means "en".
	Fallback string
	// MinMatch is the share of the meaningful words (after stop words are
	// dropped, stemmed) that a stored question and the visitor's message
	// must share to be an answer: at least this share of the message's
	// words, or of the stored question's. 0.5 means half. Zero means
	// DefaultMinMatch; it must be at most 1.
	MinMatch float64
}

// FAQ is an advisor.Bot that answers from a list of questions and answers, in the
// visitor's language, by full-text search: each language has an
// in-memory bleve index of its stored questions, analysed with bleve's
// analyzer of that language, and a visitor's question is answered with the
// entry of the best-scoring stored question (BM25) that shares enough of
// its words. It is safe for concurrent use.
type FAQ struct {
	indexes  map[string]bleve.Index
	entries  map[string][]Entry
	size     map[string]map[string]int // the number of terms of each stored question, by language and document id
	fallback string
	minMatch float64
}

var _ advisor.Bot = (*FAQ)(nil)

// questionDoc is what the index keeps of one stored question.
type questionDoc struct {
	Q string `json:"q"`
}

// New indexes cfg.Entries. An entry in an unknown language, with no
// question or no answer, returns an error wrapping chat.ErrInvalid.
func New(cfg Config) (*FAQ, error) {
	if len(cfg.Entries) == 0 {
		return nil, fmt.Errorf("%w: faq: Config.Entries is empty", chat.ErrInvalid)
	}
	if cfg.MinMatch < 0 || cfg.MinMatch > 1 {
		return nil, fmt.Errorf("%w: faq: Config.MinMatch %v is outside 0 to 1", chat.ErrInvalid, cfg.MinMatch)
	}
	f := &FAQ{indexes: map[string]bleve.Index{}, entries: map[string][]Entry{}, size: map[string]map[string]int{}, fallback: cfg.Fallback, minMatch: cfg.MinMatch}
	if f.fallback == "" {
		f.fallback = "en"
	}
	if f.minMatch == 0 {
		f.minMatch = DefaultMinMatch
	}
	if _, ok := analyzers[f.fallback]; !ok {
		return nil, fmt.Errorf("%w: faq: Config.Fallback %q is not one of %v", chat.ErrInvalid, f.fallback, Languages)
	}
	for i, e := range cfg.Entries {
		if _, ok := analyzers[e.Language]; !ok {
			return nil, fmt.Errorf("%w: faq: entry %d: language %q is not one of %v", chat.ErrInvalid, i, e.Language, Languages)
		}
		if len(e.Questions) == 0 || strings.TrimSpace(e.Answer) == "" {
			return nil, fmt.Errorf("%w: faq: entry %d needs a question and an answer", chat.ErrInvalid, i)
		}
		idx, err := f.index(e.Language)
		if err != nil {
			return nil, err
		}
		n := len(f.entries[e.Language])
		f.entries[e.Language] = append(f.entries[e.Language], e)
		for j, q := range e.Questions {
			id := strconv.Itoa(n) + "/" + strconv.Itoa(j)
			if err := idx.Index(id, questionDoc{Q: q}); err != nil {
				return nil, fmt.Errorf("faq: indexing entry %d: %w", i, err)
			}
			f.size[e.Language][id] = max(len(f.terms(idx, e.Language, q)), 1)
		}
	}
	if _, ok := f.indexes[f.fallback]; !ok {
		return nil, fmt.Errorf("%w: faq: no entries in the fallback language %q", chat.ErrInvalid, f.fallback)
	}
	return f, nil
}

// index returns the language's index, making it on first use.
func (f *FAQ) index(lang string) (bleve.Index, error) {
	if idx, ok := f.indexes[lang]; ok {
		return idx, nil
	}
	field := bleve.NewTextFieldMapping()
	field.Analyzer = analyzers[lang]
	doc := bleve.NewDocumentMapping()
	doc.AddFieldMappingsAt("q", field)
	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = analyzers[lang]
	// BM25 rather than bleve's default TF-IDF: it does not let a word
	// repeated in a stored question outweigh the others.
	m.ScoringModel = index.BM25Scoring
	idx, err := bleve.NewMemOnly(m)
	if err != nil {
		return nil, fmt.Errorf("faq: making the %s index: %w", lang, err)
	}
	f.indexes[lang] = idx
	f.size[lang] = map[string]int{}
	return idx, nil
}

// Close releases the indexes.
func (f *FAQ) Close() error {
	var first error
	for _, idx := range f.indexes {
		if err := idx.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Language returns the language the FAQ answers a visitor of locale in:
// the locale's primary subtag when it has entries, else the fallback.
func (f *FAQ) Language(locale string) string {
	lang := primary(locale)
	if _, ok := f.indexes[lang]; ok {
		return lang
	}
	return f.fallback
}

// primary returns the lowercased primary subtag of a BCP 47 tag.
func primary(locale string) string {
	lang, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(locale)), "-")
	lang, _, _ = strings.Cut(lang, "_")
	return lang
}

// Answer implements Bot: the answer of the best match for q.Text in the
// visitor's language, or advisor.ErrNoAnswer.
//
// The index is searched for the terms of q.Text, each also with one typo
// or inflected ending allowed when it has five letters or more (bleve's
// fuzzy query), since stemmers leave some forms of a word apart (Polish
// "paczki" and "paczka"). The best-scoring stored question is the answer
// when the words it shares with the visitor's message are at least
// MinMatch of the message's terms, or of its own.
func (f *FAQ) Answer(ctx context.Context, q advisor.Question) (advisor.Reply, error) {
	lang := f.Language(q.Locale)
	idx := f.indexes[lang]
	terms := f.terms(idx, lang, q.Text)
	if len(terms) == 0 {
		return advisor.Reply{}, advisor.ErrNoAnswer
	}
	disjuncts := make([]query.Query, len(terms))
	for i, t := range terms {
		tq := bleve.NewTermQuery(t)
		tq.SetField("q")
		disjuncts[i] = tq
		if utf8.RuneCountInString(t) >= 5 {
			fq := bleve.NewFuzzyQuery(t)
			fq.SetField("q")
			fq.SetFuzziness(1)
			disjuncts[i] = bleve.NewDisjunctionQuery(tq, fq)
		}
	}
	req := bleve.NewSearchRequestOptions(bleve.NewDisjunctionQuery(disjuncts...), 10, 0, false)
	req.IncludeLocations = true
	res, err := idx.SearchInContext(ctx, req)
	if err != nil {
		return advisor.Reply{}, fmt.Errorf("faq: searching the %s questions: %w", lang, err)
	}
	for _, hit := range res.Hits {
		shared := float64(len(hit.Locations["q"]))
		if shared/float64(len(terms)) < f.minMatch && shared/float64(f.size[lang][hit.ID]) < f.minMatch {
			continue
		}
		entry, _, _ := strings.Cut(hit.ID, "/")
		n, err := strconv.Atoi(entry)
		if err != nil || n >= len(f.entries[lang]) {
			return advisor.Reply{}, fmt.Errorf("faq: the %s index returned an unknown document %q", lang, hit.ID)
		}
		e := f.entries[lang][n]
		return advisor.Reply{Body: e.Answer, QuickReplies: e.QuickReplies}, nil
	}
	return advisor.Reply{}, advisor.ErrNoAnswer
}

// terms returns the distinct terms of text as the language's analyzer
// makes them: the words the index is searched for.
func (f *FAQ) terms(idx bleve.Index, lang, text string) []string {
	var a analysis.Analyzer = idx.Mapping().AnalyzerNamed(analyzers[lang])
	if a == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, tok := range a.Analyze([]byte(text)) {
		t := string(tok.Term)
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}
