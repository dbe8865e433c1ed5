package main

import (
	"github.com/parleychat/parley/advisor"
	"github.com/parleychat/parley/advisor/faq"
)

// newAdvisor returns the shop's virtual advisor, which answers every new
// chat before an agent does: questions about delivery, returns and the
// status of an order, in English, Polish, Finnish and Russian. Anything
// else, a request for a person, a repeated question or a fifth message
// goes to the agents, or becomes an offline request when none is online.
// Close the FAQ when the shop stops.
func newAdvisor() (*advisor.Advisor, *faq.FAQ, error) {
	answers, err := faq.New(faq.Config{Entries: shopQuestions})
	if err != nil {
		return nil, nil, err
	}
	adv, err := advisor.New(advisor.Config{Bot: answers, Name: "Oakwood helper"})
	if err != nil {
		_ = answers.Close()
		return nil, nil, err
	}
	return adv, answers, nil
}

// shopQuestions are what the advisor knows.
var shopQuestions = []faq.Entry{
	{Language: "en", Questions: []string{"How long does delivery take?", "When will my parcel arrive?", "How much is shipping?"},
		Answer:       "We ship within one working day; parcels arrive in 2 to 3 working days. Shipping is free from €50.",
		QuickReplies: []string{"How do I return an item?"}},
	{Language: "en", Questions: []string{"How do I return an item?", "Can I send a product back?", "What is your returns policy?"},
		Answer: "You can return anything within 30 days, free: print the label under Account, Orders, and drop the parcel at any post office."},
	{Language: "en", Questions: []string{"Where is my order?", "What is the status of my order?", "Has my order shipped?"},
		Answer:       "Your orders and their tracking links are under Account, Orders. Log in first if you have not.",
		QuickReplies: []string{"How long does delivery take?"}},

	{Language: "pl", Questions: []string{"Ile trwa dostawa?", "Kiedy dotrze moja paczka?", "Ile kosztuje wysyłka?"},
		Answer:       "Wysyłamy w ciągu jednego dnia roboczego; paczki docierają w 2–3 dni robocze. Od 50 € wysyłka jest bezpłatna.",
		QuickReplies: []string{"Jak zwrócić towar?"}},
	{Language: "pl", Questions: []string{"Jak zwrócić towar?", "Czy mogę odesłać produkt?", "Jakie są zasady zwrotów?"},
		Answer: "Możesz zwrócić każdy towar w ciągu 30 dni, bezpłatnie: wydrukuj etykietę w zakładce Konto, Zamówienia i nadaj paczkę na dowolnej poczcie."},
	{Language: "pl", Questions: []string{"Gdzie jest moje zamówienie?", "Jaki jest status mojego zamówienia?", "Czy moje zamówienie zostało wysłane?"},
		Answer: "Twoje zamówienia i linki do śledzenia przesyłek znajdziesz w zakładce Konto, Zamówienia. Najpierw się zaloguj."},

	{Language: "fi", Questions: []string{"Kuinka kauan toimitus kestää?", "Milloin pakettini saapuu?", "Paljonko toimitus maksaa?"},
		Answer: "Lähetämme yhden arkipäivän kuluessa; paketit saapuvat 2–3 arkipäivässä. Yli 50 euron tilaukset toimitetaan ilmaiseksi."},
	{Language: "fi", Questions: []string{"Miten palautan tuotteen?", "Voinko palauttaa tuotteen?"},
		Answer: "Voit palauttaa minkä tahansa tuotteen 30 päivän kuluessa maksutta: tulosta osoitekortti kohdasta Tili, Tilaukset."},
	{Language: "fi", Questions: []string{"Missä tilaukseni on?", "Mikä on tilaukseni tila?"},
		Answer: "Tilauksesi ja niiden seurantalinkit ovat kohdassa Tili, Tilaukset. Kirjaudu ensin sisään."},

	{Language: "ru", Questions: []string{"Сколько длится доставка?", "Когда придёт моя посылка?", "Сколько стоит доставка?"},
		Answer: "Мы отправляем заказ в течение рабочего дня; посылки приходят за 2–3 рабочих дня. От 50 € доставка бесплатная."},
	{Language: "ru", Questions: []string{"Как вернуть товар?", "Можно ли вернуть покупку?"},
		Answer: "Любой товар можно вернуть бесплатно в течение 30 дней: распечатайте ярлык в разделе Аккаунт, Заказы."},
	{Language: "ru", Questions: []string{"Где мой заказ?", "Какой статус у моего заказа?"},
		Answer: "Ваши заказы и ссылки для отслеживания — в разделе Аккаунт, Заказы. Сначала войдите в аккаунт."},
}
