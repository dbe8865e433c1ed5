// Parley widget translations. The widget picks a language from the
// script's data-lang, then <html lang>, then the browser's languages, and
// falls back to English. To add a language, or change a string, give the
// page an object before or after the widget's script tag:
//
//   window.Parley = window.Parley || {};
//   Parley.i18n = Object.assign(Parley.i18n || {}, {de: {title: "Chat mit uns", ...}});
//
// Missing keys fall back to English. {name}-style placeholders are filled in.
// A text that depends on a number {n} is given as its plural forms, keyed
// by the categories of Intl.PluralRules for the language (Polish and
// Russian: one, few, many and other, for fractions; Finnish and English:
// one and other):
//
//   unread: {one: "{n} nowa wiadomość", few: "{n} nowe wiadomości", many: "{n} nowych wiadomości", other: "{n} wiadomości"}
(function (P) {
  "use strict";
  var builtin = {
    en: {
      attach: "Attach a file", uploading: "Sending {name}… {pct}%", fileTooLarge: "This file is too large to send.",
      fileType: "This type of file cannot be sent. Send an image or a PDF.", fileRefused: "This file was refused.",
      uploadFailed: "The file could not be sent. Please try again.",
      title: "Chat with us", launcher: "Open chat", minimize: "Minimize chat",
      placeholder: "Type your message…", send: "Send",
      connecting: "Connecting…", reconnecting: "Connection lost. Reconnecting…",
      greeting: "Hi! How can we help you today?",
      queue: "You are number {position} in the queue.", wait: "Estimated wait: about {minutes} min.",
      waitSoon: "An agent will be with you shortly.",
      typing: "{name} is typing…", support: "Support",
      notDelivered: "Not delivered", retry: "Retry", nameTooLong: "This name is too long.",
      tooLong: "This message is too long. Please shorten it or split it into several messages.",
      startFailed: "The chat could not start. Please check the form and try again.",
      notSaved: "That did not work. Please try again.",
      sending: "Sending…", sent: "Sent", read: "Read",
      prechat: "Tell us a little about yourself before we start.",
      name: "Name", email: "Email", topic: "Topic", chooseTopic: "Choose a topic", start: "Start chat",
      invalidEmail: "Please enter a valid email address.", required: "Please fill in this field.",
      offlineTitle: "We are offline",
      advisorTitle: "Virtual advisor",
      offlineText: "Nobody is available right now. Leave a message and we will reply by email.",
      replyTo: "Where should we reply?", save: "Save",
      contact: "Other ways to reach us", phone: "Phone",
      end: "End chat", ended: "The chat has ended.",
      resolved: "Was your issue resolved?", yes: "Yes", no: "No",
      rate: "How would you rate this chat?", stars: "{n} of 5",
      thanks: "Thank you for your feedback!",
      transcript: "Email me the transcript", transcriptSent: "The transcript is on its way to {email}.",
      emailConfirm: "Check your inbox: open the link we sent to {email} to get the transcript.",
      emailLimit: "No more emails today. Please try again tomorrow.", emailRefused: "We cannot send email to {email}. Try another address.",
      newChat: "Start a new chat", accept: "Reply", dismiss: "No, thanks",
      invitation: "Message from {name}", unread: {one: "{n} new message", other: "{n} new messages"},
      closeWindow: "Close chat window", online: "We are online", contactShort: "Contact us",
      replyMinutes: {one: "Usually replies within {n} minute", other: "Usually replies within {n} minutes"},
      replyHours: {one: "Usually replies within {n} hour", other: "Usually replies within {n} hours"},
      offlineContact: "Nobody is available to chat right now. You can reach us here:",
      addToCart: "Add to cart", adding: "Adding…", added: "Added to cart", addFailed: "Could not add. Try again", quickReplies: "Quick replies",
      blocked: "Sorry, you cannot chat with us here. If you think this is a mistake, please contact the shop another way."
    },
    pl: {
      attach: "Dołącz plik", uploading: "Wysyłanie {name}… {pct}%", fileTooLarge: "Ten plik jest za duży, by go wysłać.",
      fileType: "Nie można wysłać pliku tego rodzaju. Wyślij zdjęcie lub PDF.", fileRefused: "Ten plik został odrzucony.",
      uploadFailed: "Nie udało się wysłać pliku. Spróbuj ponownie.",
      title: "Porozmawiaj z nami", launcher: "Otwórz czat", minimize: "Zminimalizuj czat",
      placeholder: "Napisz wiadomość…", send: "Wyślij",
      connecting: "Łączenie…", reconnecting: "Utracono połączenie. Ponowne łączenie…",
      greeting: "Cześć! W czym możemy pomóc?",
      queue: "Jesteś {position}. w kolejce.", wait: "Przewidywany czas oczekiwania: około {minutes} min.",
      waitSoon: "Konsultant wkrótce się odezwie.",
      typing: "{name} pisze…", support: "Obsługa klienta",
      notDelivered: "Nie dostarczono", retry: "Ponów", nameTooLong: "To imię jest za długie.",
      tooLong: "Ta wiadomość jest za długa. Skróć ją lub podziel na kilka wiadomości.",
      startFailed: "Nie udało się rozpocząć czatu. Sprawdź formularz i spróbuj ponownie.",
      notSaved: "Nie udało się. Spróbuj ponownie.",
      sending: "Wysyłanie…", sent: "Wysłano", read: "Przeczytano",
      prechat: "Zanim zaczniemy, powiedz nam coś o sobie.",
      name: "Imię", email: "E-mail", topic: "Temat", chooseTopic: "Wybierz temat", start: "Rozpocznij czat",
      invalidEmail: "Podaj poprawny adres e-mail.", required: "Wypełnij to pole.",
      offlineTitle: "Jesteśmy offline",
      advisorTitle: "Wirtualny doradca",
      offlineText: "Nikt nie jest teraz dostępny. Zostaw wiadomość, a odpowiemy e-mailem.",
      replyTo: "Na jaki adres odpowiedzieć?", save: "Zapisz",
      contact: "Inne sposoby kontaktu", phone: "Telefon",
      end: "Zakończ czat", ended: "Rozmowa została zakończona.",
      resolved: "Czy Twoja sprawa została rozwiązana?", yes: "Tak", no: "Nie",
      rate: "Jak oceniasz tę rozmowę?", stars: "{n} z 5",
      thanks: "Dziękujemy za opinię!",
      transcript: "Wyślij mi zapis rozmowy", transcriptSent: "Zapis rozmowy wysłaliśmy na adres {email}.",
      emailConfirm: "Sprawdź skrzynkę: otwórz link, który wysłaliśmy na adres {email}, aby otrzymać zapis rozmowy.",
      emailLimit: "Na dziś to już wszystkie wiadomości. Spróbuj jutro.", emailRefused: "Nie możemy wysłać wiadomości na adres {email}. Podaj inny adres.",
      newChat: "Rozpocznij nowy czat", accept: "Odpowiedz", dismiss: "Nie, dziękuję",
      invitation: "Wiadomość od: {name}", unread: {one: "{n} nowa wiadomość", few: "{n} nowe wiadomości", many: "{n} nowych wiadomości", other: "{n} wiadomości"},
      closeWindow: "Zamknij okno czatu", online: "Jesteśmy online", contactShort: "Kontakt",
      replyMinutes: {one: "Odpowiadamy zwykle w {n} minutę", few: "Odpowiadamy zwykle w {n} minuty", many: "Odpowiadamy zwykle w {n} minut", other: "Odpowiadamy zwykle w {n} minuty"},
      replyHours: {one: "Odpowiadamy zwykle w {n} godzinę", few: "Odpowiadamy zwykle w {n} godziny", many: "Odpowiadamy zwykle w {n} godzin", other: "Odpowiadamy zwykle w {n} godziny"},
      offlineContact: "Nikt nie może teraz rozmawiać na czacie. Skontaktuj się z nami:",
      addToCart: "Dodaj do koszyka", adding: "Dodaję…", added: "Dodano do koszyka", addFailed: "Nie udało się dodać. Spróbuj ponownie", quickReplies: "Szybkie odpowiedzi",
      blocked: "Przepraszamy, nie możesz tu z nami rozmawiać. Jeśli to pomyłka, skontaktuj się ze sklepem w inny sposób."
    },
    fi: {
      attach: "Liitä tiedosto", uploading: "Lähetetään {name}… {pct} %", fileTooLarge: "Tiedosto on liian suuri lähetettäväksi.",
      fileType: "Tämäntyyppistä tiedostoa ei voi lähettää. Lähetä kuva tai PDF.", fileRefused: "Tiedosto hylättiin.",
      uploadFailed: "Tiedoston lähetys epäonnistui. Yritä uudelleen.",
      title: "Keskustele kanssamme", launcher: "Avaa chat", minimize: "Pienennä chat",
      placeholder: "Kirjoita viesti…", send: "Lähetä",
      connecting: "Yhdistetään…", reconnecting: "Yhteys katkesi. Yhdistetään uudelleen…",
      greeting: "Hei! Miten voimme auttaa?",
      queue: "Olet jonossa sijalla {position}.", wait: "Arvioitu odotusaika: noin {minutes} min.",
      waitSoon: "Asiakaspalvelija vastaa pian.",
      typing: "{name} kirjoittaa…", support: "Asiakaspalvelu",
      notDelivered: "Ei toimitettu", retry: "Yritä uudelleen", nameTooLong: "Nimi on liian pitkä.",
      tooLong: "Viesti on liian pitkä. Lyhennä sitä tai jaa se useampaan viestiin.",
      startFailed: "Chatin aloittaminen epäonnistui. Tarkista lomake ja yritä uudelleen.",
      notSaved: "Se ei onnistunut. Yritä uudelleen.",
      sending: "Lähetetään…", sent: "Lähetetty", read: "Luettu",
      prechat: "Kerro meille hieman itsestäsi ennen kuin aloitamme.",
      name: "Nimi", email: "Sähköposti", topic: "Aihe", chooseTopic: "Valitse aihe", start: "Aloita chat",
      invalidEmail: "Anna kelvollinen sähköpostiosoite.", required: "Täytä tämä kenttä.",
      offlineTitle: "Emme ole nyt paikalla",
      advisorTitle: "Virtuaalinen neuvoja",
      offlineText: "Kukaan ei ole juuri nyt tavoitettavissa. Jätä viesti, niin vastaamme sähköpostilla.",
      replyTo: "Mihin osoitteeseen vastaamme?", save: "Tallenna",
      contact: "Muut yhteystavat", phone: "Puhelin",
      end: "Lopeta chat", ended: "Keskustelu on päättynyt.",
      resolved: "Ratkesiko asiasi?", yes: "Kyllä", no: "Ei",
      rate: "Millaisen arvosanan annat keskustelulle?", stars: "{n}/5",
      thanks: "Kiitos palautteestasi!",
      transcript: "Lähetä keskustelu sähköpostiini", transcriptSent: "Keskustelu lähetetään osoitteeseen {email}.",
      emailConfirm: "Tarkista sähköpostisi: avaa osoitteeseen {email} lähettämämme linkki, niin saat keskustelun.",
      emailLimit: "Tänään ei voi lähettää enempää viestejä. Yritä huomenna uudelleen.", emailRefused: "Osoitteeseen {email} ei voi lähettää viestejä. Kokeile toista osoitetta.",
      newChat: "Aloita uusi chat", accept: "Vastaa", dismiss: "Ei kiitos",
      invitation: "Viesti henkilöltä {name}", unread: {one: "{n} uusi viesti", other: "{n} uutta viestiä"},
      closeWindow: "Sulje chat-ikkuna", online: "Olemme paikalla", contactShort: "Ota yhteyttä",
      replyMinutes: {one: "Tyypillinen vastausaika: {n} minuutti", other: "Tyypillinen vastausaika: {n} minuuttia"},
      replyHours: {one: "Tyypillinen vastausaika: {n} tunti", other: "Tyypillinen vastausaika: {n} tuntia"},
      offlineContact: "Kukaan ei ole nyt tavoitettavissa chatissa. Tavoitat meidät näin:",
      addToCart: "Lisää ostoskoriin", adding: "Lisätään…", added: "Lisätty ostoskoriin", addFailed: "Lisääminen ei onnistunut. Yritä uudelleen", quickReplies: "Pikavastaukset",
      blocked: "Valitettavasti et voi keskustella kanssamme täällä. Jos tämä on mielestäsi virhe, ota yhteyttä kauppaan muulla tavalla."
    },
    ru: {
      attach: "Прикрепить файл", uploading: "Отправка {name}… {pct}%", fileTooLarge: "Этот файл слишком большой для отправки.",
      fileType: "Файлы такого типа отправить нельзя. Отправьте изображение или PDF.", fileRefused: "Этот файл отклонён.",
      uploadFailed: "Не удалось отправить файл. Попробуйте ещё раз.",
      title: "Напишите нам", launcher: "Открыть чат", minimize: "Свернуть чат",
      placeholder: "Введите сообщение…", send: "Отправить",
      connecting: "Подключение…", reconnecting: "Связь потеряна. Переподключение…",
      greeting: "Здравствуйте! Чем можем помочь?",
      queue: "Вы {position}-й в очереди.", wait: "Примерное время ожидания: около {minutes} мин.",
      waitSoon: "Оператор скоро ответит.",
      typing: "{name} печатает…", support: "Поддержка",
      notDelivered: "Не доставлено", retry: "Повторить", nameTooLong: "Имя слишком длинное.",
      tooLong: "Сообщение слишком длинное. Сократите его или разделите на несколько сообщений.",
      startFailed: "Не удалось начать чат. Проверьте форму и попробуйте ещё раз.",
      notSaved: "Не получилось. Попробуйте ещё раз.",
      sending: "Отправка…", sent: "Отправлено", read: "Прочитано",
      prechat: "Прежде чем начать, расскажите немного о себе.",
      name: "Имя", email: "Эл. почта", topic: "Тема", chooseTopic: "Выберите тему", start: "Начать чат",
      invalidEmail: "Введите правильный адрес эл. почты.", required: "Заполните это поле.",
      offlineTitle: "Мы сейчас не в сети",
      advisorTitle: "Виртуальный консультант",
      offlineText: "Сейчас никого нет на месте. Оставьте сообщение, и мы ответим по эл. почте.",
      replyTo: "Куда прислать ответ?", save: "Сохранить",
      contact: "Другие способы связи", phone: "Телефон",
      end: "Завершить чат", ended: "Чат завершён.",
      resolved: "Ваш вопрос решён?", yes: "Да", no: "Нет",
      rate: "Как вы оцениваете этот чат?", stars: "{n} из 5",
      thanks: "Спасибо за отзыв!",
      transcript: "Прислать переписку на почту", transcriptSent: "Переписка отправлена на адрес {email}.",
      emailConfirm: "Проверьте почту: откройте ссылку, которую мы отправили на {email}, чтобы получить переписку.",
      emailLimit: "На сегодня письма закончились. Попробуйте завтра.", emailRefused: "Мы не можем отправить письмо на {email}. Укажите другой адрес.",
      newChat: "Начать новый чат", accept: "Ответить", dismiss: "Нет, спасибо",
      invitation: "Сообщение от: {name}", unread: {one: "{n} новое сообщение", few: "{n} новых сообщения", many: "{n} новых сообщений", other: "{n} нового сообщения"},
      closeWindow: "Закрыть окно чата", online: "Мы на связи", contactShort: "Связаться с нами",
      replyMinutes: {one: "Обычно отвечаем за {n} минуту", few: "Обычно отвечаем за {n} минуты", many: "Обычно отвечаем за {n} минут", other: "Обычно отвечаем за {n} минуты"},
      replyHours: {one: "Обычно отвечаем за {n} час", few: "Обычно отвечаем за {n} часа", many: "Обычно отвечаем за {n} часов", other: "Обычно отвечаем за {n} часа"},
      offlineContact: "Сейчас никто не может ответить в чате. Свяжитесь с нами:",
      addToCart: "В корзину", adding: "Добавляем…", added: "Добавлено в корзину", addFailed: "Не удалось добавить. Попробуйте ещё раз", quickReplies: "Быстрые ответы",
      blocked: "К сожалению, вы не можете писать нам в этот чат. Если это ошибка, свяжитесь с магазином другим способом."
    }
  };
  // The conversation's own texts: notices of new messages, its end.
  var talk = {
    en: {newFrom: "New message from {name}", showMore: "Show more", showLess: "Show less", endConfirm: "End this chat?", cancel: "Cancel", past: "Earlier conversations", back: "Back"},
    pl: {newFrom: "Nowa wiadomość od: {name}", showMore: "Pokaż więcej", showLess: "Pokaż mniej", endConfirm: "Zakończyć tę rozmowę?", cancel: "Anuluj", past: "Wcześniejsze rozmowy", back: "Wstecz"},
    fi: {newFrom: "Uusi viesti: {name}", showMore: "Näytä lisää", showLess: "Näytä vähemmän", endConfirm: "Lopetetaanko keskustelu?", cancel: "Peruuta", past: "Aiemmat keskustelut", back: "Takaisin"},
    ru: {newFrom: "Новое сообщение: {name}", showMore: "Показать полностью", showLess: "Свернуть", endConfirm: "Завершить этот чат?", cancel: "Отмена", past: "Прошлые разговоры", back: "Назад"}
  };
  Object.keys(talk).forEach(function (k) { Object.assign(builtin[k], talk[k]); });
  // Parley.translate returns the text of key in lang, falling back to
  // English, with {name} placeholders filled from vars; plural forms are
  // chosen by vars.n. The texts are looked up in table, Parley.i18n when
  // it is not given.
  P.translate = function (lang, key, vars, table) {
    table = table || P.i18n;
    var s = (table[lang] || {})[key];
    if (s == null) { s = table.en[key]; lang = "en"; }
    if (s == null) return key;
    if (typeof s === "object") {
      var form = "other";
      try { form = new Intl.PluralRules(lang).select(Number(vars && vars.n)); } catch (e) { /* no Intl: other */ }
      s = s[form] != null ? s[form] : s.other;
    }
    return String(s).replace(/\{(\w+)\}/g, function (m, k) { return vars && vars[k] != null ? vars[k] : m; });
  };
  var own = P.i18n || {};
  P.i18n = {};
  Object.keys(builtin).forEach(function (k) { P.i18n[k] = builtin[k]; });
  Object.keys(own).forEach(function (k) { P.i18n[k] = Object.assign({}, builtin[k] || {}, own[k]); });
})(window.Parley = window.Parley || {});
