package chat

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// phrases are the words the Desk writes to a visitor in one language: the
// acknowledgement of an offline request and the system messages in the
// chat. The notify package keeps the words of emails.
type phrases struct {
	thanks, by, soon, email string // the acknowledgement; by takes the time, email the address
	at                      string // time layout of the expected answer
	toAgent, toDepartment   string // a transfer; %s is the agent's name or the department
	idle                    string // closed for inactivity; %s is the timeout, written out
	person, handoff         string // the quick reply asking the advisor for a person, and the line of a handoff
	// units are the forms of day, hour, minute and second after a number,
	// in the order plural numbers them.
	units  [4][3]string
	plural func(n int64) int
}

// languages are the languages the Desk writes in, by BCP 47 primary
// language subtag.
var languages = map[string]*phrases{
	"en": {
		thanks:       "Thank you for your message. Nobody can answer right now.",
		by:           "You can expect an answer by %s, here in the chat.",
		soon:         "We will answer as soon as we can, here in the chat.",
		email:        "We will also send it to %s.",
		at:           "2006-01-02 15:04 MST",
		toAgent:      "Transferred to %s.",
		toDepartment: "Transferred to the %s department.",
		idle:         "Closed after %s without activity.",
		person:       "Talk to a person",
		handoff:      "A person from our team takes over this chat and sees everything written so far.",
		units:        [4][3]string{{"day", "days", "days"}, {"hour", "hours", "hours"}, {"minute", "minutes", "minutes"}, {"second", "seconds", "seconds"}},
		plural:       pluralOne,
	},
	"pl": {
		thanks:       "Dziękujemy za wiadomość. W tej chwili nikt nie może odpowiedzieć.",
		by:           "Odpowiedź otrzymasz do %s, tutaj na czacie.",
		soon:         "Odpowiemy najszybciej, jak to możliwe, tutaj na czacie.",
		email:        "Wyślemy ją także na adres %s.",
		at:           "02.01.2006, 15:04 MST",
		toAgent:      "Rozmowa przekazana do: %s.",
		toDepartment: "Rozmowa przekazana do działu: %s.",
		idle:         "Rozmowa zamknięta. Czas bez aktywności: %s.",
		person:       "Porozmawiaj z konsultantem",
		handoff:      "Rozmowę przejmuje osoba z naszego zespołu i widzi wszystko, co do tej pory napisano.",
		units:        [4][3]string{{"dzień", "dni", "dni"}, {"godzina", "godziny", "godzin"}, {"minuta", "minuty", "minut"}, {"sekunda", "sekundy", "sekund"}},
		plural:       pluralPolish,
	},
	"fi": {
		thanks:       "Kiitos viestistäsi. Kukaan ei juuri nyt voi vastata.",
		by:           "Saat vastauksen viimeistään %s tässä keskustelussa.",
		soon:         "Vastaamme mahdollisimman pian tässä keskustelussa.",
		email:        "Lähetämme sen myös osoitteeseen %s.",
		at:           "2.1.2006 klo 15.04 MST",
		toAgent:      "Keskustelu siirretty: %s.",
		toDepartment: "Keskustelu siirretty osastolle: %s.",
		idle:         "Keskustelu suljettu. Aika ilman toimintaa: %s.",
		person:       "Puhu ihmisen kanssa",
		handoff:      "Tiimimme jäsen jatkaa keskustelua ja näkee kaiken tähän asti kirjoitetun.",
		units:        [4][3]string{{"päivä", "päivää", "päivää"}, {"tunti", "tuntia", "tuntia"}, {"minuutti", "minuuttia", "minuuttia"}, {"sekunti", "sekuntia", "sekuntia"}},
		plural:       pluralOne,
	},
	"ru": {
		thanks:       "Спасибо за сообщение. Сейчас никто не может ответить.",
		by:           "Ответ придёт до %s, здесь в чате.",
		soon:         "Мы ответим как можно скорее, здесь в чате.",
		email:        "Мы также отправим его на %s.",
		at:           "02.01.2006 15:04 MST",
		toAgent:      "Чат передан: %s.",
		toDepartment: "Чат передан в отдел: %s.",
		idle:         "Чат закрыт. Время без активности: %s.",
		person:       "Связаться с сотрудником",
		handoff:      "Чат продолжит сотрудник нашей команды; он видит всё, что написано до сих пор.",
		units:        [4][3]string{{"день", "дня", "дней"}, {"час", "часа", "часов"}, {"минута", "минуты", "минут"}, {"секунда", "секунды", "секунд"}},
		plural:       pluralRussian,
	},
}

// languageOf returns the phrases for a locale by its primary language
// subtag, "pl-PL", "pl_PL" and "pl" alike; English for any other.
func languageOf(locale string) *phrases {
	lang, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(locale)), "-")
	lang, _, _ = strings.Cut(lang, "_")
	if p, ok := languages[lang]; ok {
		return p
	}
	return languages["en"]
}

// pluralOne is the rule of English and Finnish: 1 takes the first form,
// every other number the third.
func pluralOne(n int64) int {
	if n == 1 {
		return 0
	}
	return 2
}

// pluralPolish: 1 minuta; 2-4, 22-24... minuty (not 12-14); 5 minut, 21 minut.
func pluralPolish(n int64) int {
	switch {
	case n == 1:
		return 0
	case n%10 >= 2 && n%10 <= 4 && (n%100 < 12 || n%100 > 14):
		return 1
	}
	return 2
}

// pluralRussian: 1, 21, 31... минута (not 11); 2-4, 22-24... минуты (not
// 12-14); 5 минут, 11 минут.
func pluralRussian(n int64) int {
	switch {
	case n%10 == 1 && n%100 != 11:
		return 0
	case n%10 >= 2 && n%10 <= 4 && (n%100 < 12 || n%100 > 14):
		return 1
	}
	return 2
}

// duration writes d for people, in whole seconds and largest units first,
// leaving out units that are zero: "1 hour 30 minutes". Less than a
// second counts as one.
func (p *phrases) duration(d time.Duration) string {
	s := int64(max(d.Round(time.Second), time.Second) / time.Second)
	amounts := [4]int64{s / 86400, s / 3600 % 24, s / 60 % 60, s % 60}
	var parts []string
	for i, n := range amounts {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, p.units[i][p.plural(n)]))
		}
	}
	return strings.Join(parts, " ")
}

// CheckLocale reports with ErrInvalid whether s is not a language tag in
// the shape of BCP 47: subtags of letters and digits, one to eight long,
// joined by hyphens, the first of two to eight letters ("pl", "fi-FI",
// "sr-Latn-RS"), at most MaxLocaleBytes long. It checks the shape only, not
// that the language exists.
func CheckLocale(s string) error {
	ok := s != "" && len(s) <= MaxLocaleBytes
	for i, sub := range strings.Split(s, "-") {
		ok = ok && subtag(sub, i == 0)
	}
	if !ok {
		return invalid("%.64q is not a language tag", s)
	}
	return nil
}

// subtag reports whether s is one subtag of a language tag; the first is
// letters only, and at least two of them.
func subtag(s string, first bool) bool {
	if len(s) > 8 || len(s) < 1 || first && len(s) < 2 {
		return false
	}
	for _, r := range s {
		letter := 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
		digit := '0' <= r && r <= '9'
		if !letter && (first || !digit) {
			return false
		}
	}
	return true
}

// CheckTimeZone reports with ErrInvalid whether s is not the name of a
// time zone in the IANA database that time.LoadLocation finds, such as
// "Europe/Warsaw" or "UTC". The empty string and "Local", the server's own
// zone, are refused.
func CheckTimeZone(s string) error {
	_, err := loadZone(s)
	return err
}

// loadZone loads the named IANA time zone; see CheckTimeZone.
func loadZone(s string) (*time.Location, error) {
	if s == "" || s == "Local" || len(s) > MaxTimeZoneBytes {
		return nil, invalid("%.64q is not a time zone", s)
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return nil, invalid("%.64q is not a known time zone", s)
	}
	return loc, nil
}

// zoneOf returns the visitor's time zone, or the shop's when the visitor
// has none or it is not known on this server.
func (d *Desk) zoneOf(v Visitor) *time.Location {
	if v.TimeZone != "" {
		if loc, err := loadZone(v.TimeZone); err == nil {
			return loc
		}
	}
	return d.loc
}

// visitorOf returns the visitor of conversation c, for the words and time
// zone of what the Desk writes to them. A visitor that cannot be read is
// logged and written to in English, in the shop's zone.
func (d *Desk) visitorOf(ctx context.Context, c ConversationInfo) Visitor {
	v, err := d.store.Visitor(ctx, c.VisitorID)
	if err != nil {
		d.log.WarnContext(ctx, "chat: reading the visitor to write to", "conversation", c.ID, "err", err)
		return Visitor{ID: c.VisitorID}
	}
	return v
}
