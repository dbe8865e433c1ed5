package notify

import "fmt"

// confirmTexts are the words of a NoticeConfirmEmail per language tag: it
// has its own table so that it says nothing but the shop's words and the
// link.
var confirmTexts = map[string]struct{ subject, intro, ignore string }{
	"en": {
		"Confirm your email address – %s",
		"Someone asked %s to send a chat transcript to this address. To confirm that it is yours, open this link:",
		"If it was not you, ignore this email: nothing more will be sent.",
	},
	"pl": {
		"Potwierdź swój adres e-mail – %s",
		"Ktoś poprosił sklep %s o wysłanie zapisu rozmowy na ten adres. Aby potwierdzić, że należy do Ciebie, otwórz ten link:",
		"Jeśli to nie Ty, zignoruj tę wiadomość: nic więcej nie wyślemy.",
	},
	"fi": {
		"Vahvista sähköpostiosoitteesi – %s",
		"Joku pyysi kauppaa %s lähettämään keskustelun tallenteen tähän osoitteeseen. Vahvista, että osoite on sinun, avaamalla tämä linkki:",
		"Jos et pyytänyt tätä, voit jättää viestin huomiotta: emme lähetä mitään muuta.",
	},
	"ru": {
		"Подтвердите адрес электронной почты – %s",
		"Кто-то попросил магазин «%s» прислать запись чата на этот адрес. Чтобы подтвердить, что адрес ваш, откройте ссылку:",
		"Если это были не вы, просто проигнорируйте письмо: больше ничего не придёт.",
	},
}

// confirm fills c for a confirmation of an address with link, in c's
// language.
func (c *content) confirm(link string) {
	t, ok := confirmTexts[c.Lang]
	if !ok {
		t = confirmTexts["en"]
	}
	c.Subject = fmt.Sprintf(t.subject, c.Shop)
	c.Intro = fmt.Sprintf(t.intro, c.Shop)
	c.Link, c.Expected = link, t.ignore
}
