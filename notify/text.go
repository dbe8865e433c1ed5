package notify

import (
	"fmt"
	"strings"
	"time"

	"github.com/parleychat/parley/chat"
)

// texts are the words of the notices in one language.
type texts struct {
	tag     string                     // BCP 47 language tag
	subject map[chat.NoticeKind]string // %s is the shop name
	intro   map[chat.NoticeKind]string // %s is the shop name
	hello   string                     // greeting without a name
	helloTo string                     // greeting; %s is the visitor's name
	expect  string                     // %s is the expected reply time
	request string                     // heading of the visitor's own message
	you     string                     // the visitor, for a message without an author name
	regards string                     // closing line before the shop name
	// when formats the expected reply time, stamp the time of a message.
	when, stamp func(time.Time) string
}

var english = texts{
	tag: "en",
	subject: map[chat.NoticeKind]string{
		chat.NoticeOfflineReceived: "We have received your message – %s",
		chat.NoticeReply:           "New reply – %s",
		chat.NoticeTranscript:      "Your chat transcript – %s",
	},
	intro: map[chat.NoticeKind]string{
		chat.NoticeOfflineReceived: "Thank you for contacting %s. We have received your message and will reply by email.",
		chat.NoticeReply:           "You have a new reply from %s:",
		chat.NoticeTranscript:      "Here is the transcript of your chat with %s:",
	},
	hello:   "Hello,",
	helloTo: "Hello %s,",
	expect:  "You can expect a reply by %s.",
	request: "Your message:",
	you:     "You",
	regards: "Best regards,",
	when: func(t time.Time) string {
		return t.Format("Monday, 2 January 2006 at 15:04 MST")
	},
	stamp: func(t time.Time) string { return t.Format("2 Jan 2006 15:04") },
}

var polish = texts{
	tag: "pl",
	subject: map[chat.NoticeKind]string{
		chat.NoticeOfflineReceived: "Otrzymaliśmy Twoją wiadomość – %s",
		chat.NoticeReply:           "Nowa odpowiedź – %s",
		chat.NoticeTranscript:      "Zapis rozmowy – %s",
	},
	intro: map[chat.NoticeKind]string{
		chat.NoticeOfflineReceived: "Dziękujemy za kontakt ze sklepem %s. Otrzymaliśmy Twoją wiadomość i odpowiemy na nią e-mailem.",
		chat.NoticeReply:           "Masz nową odpowiedź od sklepu %s:",
		chat.NoticeTranscript:      "Oto zapis Twojej rozmowy ze sklepem %s:",
	},
	hello:   "Dzień dobry!",
	helloTo: "Dzień dobry, %s!",
	expect:  "Przewidywany czas odpowiedzi: %s.",
	request: "Twoja wiadomość:",
	you:     "Ty",
	regards: "Pozdrawiamy",
	when: func(t time.Time) string {
		return fmt.Sprintf("%s, %d %s %d, godz. %s",
			[...]string{"niedziela", "poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota"}[t.Weekday()],
			t.Day(),
			[...]string{"stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września", "października", "listopada", "grudnia"}[t.Month()-1],
			t.Year(), t.Format("15:04 MST"))
	},
	stamp: func(t time.Time) string { return t.Format("02.01.2006 15:04") },
}

var finnish = texts{
	tag: "fi",
	subject: map[chat.NoticeKind]string{
		chat.NoticeOfflineReceived: "Olemme vastaanottaneet viestisi – %s",
		chat.NoticeReply:           "Uusi vastaus – %s",
		chat.NoticeTranscript:      "Keskustelusi tallenne – %s",
	},
	intro: map[chat.NoticeKind]string{
		chat.NoticeOfflineReceived: "Kiitos yhteydenotostasi (%s). Olemme vastaanottaneet viestisi ja vastaamme siihen sähköpostitse.",
		chat.NoticeReply:           "Olet saanut uuden vastauksen (%s):",
		chat.NoticeTranscript:      "Tässä on keskustelusi tallenne (%s):",
	},
	hello:   "Hei,",
	helloTo: "Hei %s,",
	expect:  "Voit odottaa vastausta viimeistään %s.",
	request: "Viestisi:",
	you:     "Sinä",
	regards: "Ystävällisin terveisin",
	when: func(t time.Time) string {
		return fmt.Sprintf("%s %d. %s %d klo %s",
			[...]string{"sunnuntaina", "maanantaina", "tiistaina", "keskiviikkona", "torstaina", "perjantaina", "lauantaina"}[t.Weekday()],
			t.Day(),
			[...]string{"tammikuuta", "helmikuuta", "maaliskuuta", "huhtikuuta", "toukokuuta", "kesäkuuta", "heinäkuuta", "elokuuta", "syyskuuta", "lokakuuta", "marraskuuta", "joulukuuta"}[t.Month()-1],
			t.Year(), t.Format("15.04 MST"))
	},
	stamp: func(t time.Time) string { return t.Format("2.1.2006 15.04") },
}

var russian = texts{
	tag: "ru",
	subject: map[chat.NoticeKind]string{
		chat.NoticeOfflineReceived: "Мы получили ваше сообщение – %s",
		chat.NoticeReply:           "Новый ответ – %s",
		chat.NoticeTranscript:      "Запись вашего чата – %s",
	},
	intro: map[chat.NoticeKind]string{
		chat.NoticeOfflineReceived: "Спасибо, что обратились в магазин «%s». Мы получили ваше сообщение и ответим на него по электронной почте.",
		chat.NoticeReply:           "Вы получили новый ответ от магазина «%s»:",
		chat.NoticeTranscript:      "Запись вашего чата с магазином «%s»:",
	},
	hello:   "Здравствуйте!",
	helloTo: "Здравствуйте, %s!",
	expect:  "Ожидаемое время ответа: %s.",
	request: "Ваше сообщение:",
	you:     "Вы",
	regards: "С уважением,",
	when: func(t time.Time) string {
		return fmt.Sprintf("%s, %d %s %d г., %s",
			[...]string{"воскресенье", "понедельник", "вторник", "среда", "четверг", "пятница", "суббота"}[t.Weekday()],
			t.Day(),
			[...]string{"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"}[t.Month()-1],
			t.Year(), t.Format("15:04 MST"))
	},
	stamp: func(t time.Time) string { return t.Format("02.01.2006 15:04") },
}

// languageFor picks the texts for a BCP 47 locale by its language prefix:
// "pl-PL" and "pl" give Polish. Unknown or empty locales give English.
func languageFor(locale string) *texts {
	lang, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(locale)), "-")
	lang, _, _ = strings.Cut(lang, "_")
	switch lang {
	case "pl":
		return &polish
	case "fi":
		return &finnish
	case "ru":
		return &russian
	}
	return &english
}
