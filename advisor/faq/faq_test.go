package faq_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/parleychat/parley/advisor"
	"github.com/parleychat/parley/advisor/faq"
	"github.com/parleychat/parley/chat"
)

// shopFAQ is a small shop's questions in the four languages.
func shopFAQ(t *testing.T) *faq.FAQ {
	t.Helper()
	f, err := faq.New(faq.Config{Entries: []faq.Entry{
		{Language: "en", Questions: []string{"How long does delivery take?", "When will my parcel arrive?"}, Answer: "Parcels arrive in 2 to 3 working days."},
		{Language: "en", Questions: []string{"How do I return an item?", "Can I send products back?"}, Answer: "Returns are free within 30 days."},
		{Language: "en", Questions: []string{"Where is my order?", "What is the status of my order?"}, Answer: "See your order's status under Account, Orders."},
		{Language: "pl", Questions: []string{"Ile trwa dostawa?", "Kiedy dotrze moja paczka?"}, Answer: "Paczki docierają w 2–3 dni robocze."},
		{Language: "pl", Questions: []string{"Jak zwrócić towar?", "Jak wygląda zwrot produktu?"}, Answer: "Zwrot jest bezpłatny przez 30 dni."},
		{Language: "fi", Questions: []string{"Kuinka kauan toimitus kestää?", "Milloin pakettini saapuu?"}, Answer: "Paketit saapuvat 2–3 arkipäivässä."},
		{Language: "fi", Questions: []string{"Miten palautan tuotteen?"}, Answer: "Palautus on maksuton 30 päivän ajan."},
		{Language: "ru", Questions: []string{"Сколько длится доставка?", "Когда придёт моя посылка?"}, Answer: "Посылки приходят за 2–3 рабочих дня."},
		{Language: "ru", Questions: []string{"Как вернуть товар?"}, Answer: "Возврат бесплатный в течение 30 дней."},
	}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// TestFAQMatches answers questions worded unlike the stored ones, in
// each language, through the language's stemming, and refuses what it
// does not know.
func TestFAQMatches(t *testing.T) {
	f := shopFAQ(t)
	for _, c := range []struct{ locale, text, want string }{
		{"en", "when do parcels arrive", "Parcels arrive in 2 to 3 working days."},
		{"en-GB", "I'd like to return these shoes, how do I do returns?", "Returns are free within 30 days."},
		{"en", "where's my order??", "See your order's status under Account, Orders."},
		{"pl-PL", "kiedy dotrą paczki?", "Paczki docierają w 2–3 dni robocze."},
		{"pl", "chcę zwrócić buty", "Zwrot jest bezpłatny przez 30 dni."},
		{"fi", "milloin paketti saapuu", "Paketit saapuvat 2–3 arkipäivässä."},
		{"ru", "когда придут посылки", "Посылки приходят за 2–3 рабочих дня."},
		{"ru-RU", "хочу вернуть товары", "Возврат бесплатный в течение 30 дней."},
		{"de", "When will my parcel arrive?", "Parcels arrive in 2 to 3 working days."}, // no German: the fallback
	} {
		r, err := f.Answer(t.Context(), advisor.Question{Text: c.text, Locale: c.locale})
		if assert.NoError(t, err, "%s %q", c.locale, c.text) {
			assert.Equal(t, c.want, r.Body, "%s %q", c.locale, c.text)
		}
	}
	for _, c := range []struct{ locale, text string }{
		{"en", "Do you sell gift cards?"},
		{"en", "the"},
		{"pl", "Czy macie karty podarunkowe?"},
		{"ru", "Вы продаёте подарочные карты?"},
	} {
		_, err := f.Answer(t.Context(), advisor.Question{Text: c.text, Locale: c.locale})
		assert.ErrorIs(t, err, advisor.ErrNoAnswer, "%s %q", c.locale, c.text)
	}
}

// TestFAQConfig refuses entries it cannot index.
func TestFAQConfig(t *testing.T) {
	for _, cfg := range []faq.Config{
		{},
		{Entries: []faq.Entry{{Language: "xx", Questions: []string{"q"}, Answer: "a"}}},
		{Entries: []faq.Entry{{Language: "en", Answer: "a"}}},
		{Entries: []faq.Entry{{Language: "en", Questions: []string{"q"}}}},
		{Entries: []faq.Entry{{Language: "pl", Questions: []string{"q"}, Answer: "a"}}}, // nothing in the fallback
		{Entries: []faq.Entry{{Language: "en", Questions: []string{"q"}, Answer: "a"}}, MinMatch: 2},
	} {
		_, err := faq.New(cfg)
		assert.True(t, errors.Is(err, chat.ErrInvalid), "%+v: %v", cfg, err)
	}
}
