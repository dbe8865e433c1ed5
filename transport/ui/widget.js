// widget.js: the visitors' chat window. A shop page loads it with
//   <script src="/chat/widget.js" async data-lang="pl" data-prechat="name,email"></script>
// and it talks to the handler it was loaded from. Everything it draws lives
// in the shadow root of a <parley-chat> element, so the shop's CSS does not
// reach it and its CSS does not leak out, and it is shown in the browser's
// top layer, above whatever the page stacks; see docs/architecture.md.
//
// Settings come from the script's data- attributes or, winning over them,
// from window.Parley.config set before the script:
//   lang        en, pl, fi, ru or any language added to Parley.i18n
//   title       the window's title
//   position    "right" (default) or "left"
//   color       the accent colour, a CSS colour
//   prechat     the pre-chat form's fields: "name", "email", or "name,email"
//   topics      topics to choose from: "delivery:Delivery|returns:Returns"
//               (value:label pairs; the value is sent as the department)
//   phone, phoneHours, email, gg, whatsapp, viber, telegram, skype
//               contact options of the contact panel; they win over the
//               server's (transport.Config.Contact)
//   identity    a signed customer identity from transport.SignIdentity
//   greeting    the first line shown before a chat starts
// The page talks to it through window.Parley: open(), close(), toggle(),
// send(text), prefill(text), setTopic(topic), on(event, fn), off(event, fn),
// with events "ready", "open", "close", "message", "invite" and
// "conversation-closed", reset() when the customer logs out,
// page(url, title) when a single-page shop shows another route, and
// refresh() when its customer logs in or out without a page load.
(function (P) {
  "use strict";
  if (P.open) return; // loaded twice
  var script = document.currentScript || {};
  var ds = script.dataset || {};
  var pc = P.config || {};
  var opt = function (k) { return pc[k] != null ? pc[k] : ds[k]; };
  var prefix = String(opt("endpoint") || String(script.src || "").replace(/\/widget\.js([?#].*)?$/, "") || location.origin + "/chat");
  var storeKey = "parley:" + prefix;
  var lang = "en", conn = null, listeners = {}, localeRefused = false;

  // --- state, kept across page loads in localStorage ---
  var saved = load();
  var st = {
    token: saved.token || "", known: saved.visitor || "", convID: saved.conv || "", outbox: saved.outbox || [], start: saved.start || null,
    conv: null, early: [], msgs: {}, lastSeq: 0, readSent: 0, agentRead: 0, visitor: null, names: {},
    open: sessionGet("open") === "1", unread: 0, pageSent: false, lastPage: location.href, connState: "connecting",
    topic: "", ended: false, rated: false, limits: null, lost: false, startErr: null
  };
  st.unfold = {}; // long messages the visitor unfolded, by seq

  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey)) || {}; } catch (e) { return {}; }
  }
  function save() {
    try {
      var outbox = st.outbox.map(function (o) { return {key: o.key, body: o.body, conv: o.conv}; });
      localStorage.setItem(storeKey, JSON.stringify({token: st.token, visitor: st.known, conv: st.convID, outbox: outbox, start: st.start}));
    } catch (e) { /* storage off: the chat lasts one page */ }
    setCookie(st.token);
  }
  // setCookie keeps the visitor's token in a cookie of the whole site too,
  // so that the shop's server knows whose page a request is for (see
  // transport.TrackPages); an empty token removes it.
  function setCookie(token) {
    var c = "parley_visitor=" + (token ? encodeURIComponent(token) + "; max-age=31536000" : "; max-age=0") + "; path=/; samesite=lax";
    if (location.protocol === "https:") c += "; secure";
    try { document.cookie = c; } catch (e) { /* cookies off */ }
  }
  function sessionGet(k) { try { return sessionStorage.getItem(storeKey + ":" + k); } catch (e) { return null; } }
  function sessionSet(k, v) { try { sessionStorage.setItem(storeKey + ":" + k, v); } catch (e) { /* ignore */ } }

  function emit(ev, data) {
    (listeners[ev] || []).slice().forEach(function (fn) {
      try { fn(data); } catch (e) { setTimeout(function () { throw e; }); }
    });
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16)), h = [];
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    for (var i = 0; i < 16; i++) h.push((b[i] + 256).toString(16).slice(1));
    h = h.join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function pickLang() {
    var c = [opt("lang"), document.documentElement.lang].concat(navigator.languages || [navigator.language]);
    for (var i = 0; i < c.length; i++) {
      if (!c[i]) continue;
      var l = String(c[i]).toLowerCase();
      if (P.i18n[l]) return l;
      if (P.i18n[l.split("-")[0]]) return l.split("-")[0];
    }
    return "en";
  }
  function t(key, vars) { return P.translate(lang, key, vars); }



  // --- the DOM ---
  var ui = {};
  function build() {
    lang = pickLang();
    // A custom element: page rules about divs do not match it, and its
    // :host rules win over the page's (see widget.css).
    if (window.customElements && !customElements.get("parley-chat")) customElements.define("parley-chat", class extends HTMLElement {});
    var host = el("parley-chat", {id: "parley-chat", "data-parley": ""});
    var root = ui.root = host.attachShadow({mode: "open"});
    var css = typeof PARLEY_WIDGET_CSS === "string" ? PARLEY_WIDGET_CSS : "";
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      root.append(el("style", {text: css}));
    }
    var side = opt("position") === "left" ? "left" : "right";
    ui.wrap = el("div", {"class": "pw " + side, lang: lang, popover: "manual"});
    if (opt("color")) ui.wrap.style.setProperty("--accent", String(opt("color")));

    ui.invite = el("div", {"class": "invite", role: "alertdialog", "aria-labelledby": "pw-inv-who", "aria-describedby": "pw-inv-msg", hidden: true}, [
      ui.invWho = el("p", {"class": "who", id: "pw-inv-who"}),
      ui.invMsg = el("p", {"class": "text", id: "pw-inv-msg"}),
      el("div", {"class": "row"}, [
        ui.invYes = el("button", {type: "button", "class": "primary", text: t("accept"), onclick: function () { inviteReply(true); }}),
        el("button", {type: "button", text: t("dismiss"), onclick: function () { inviteReply(false); }})
      ])
    ]);

    ui.title = el("h2", {id: "pw-title", text: opt("title") || t("title")});
    ui.avail = el("p", {"class": "avail", id: "pw-avail", hidden: true});
    ui.contactBtn = el("button", {type: "button", "class": "contact-btn", "aria-label": t("contactShort"), title: t("contactShort"),
      "aria-controls": "pw-contact", "aria-expanded": "false", hidden: true, text: "\u260e", onclick: function () { st.showContact = !st.showContact; render(); }});
    ui.contact = el("section", {"class": "contact", id: "pw-contact", "aria-labelledby": "pw-contact-h", hidden: true}, [
      ui.contactIntro = el("p", {text: t("offlineContact")}),
      el("h3", {id: "pw-contact-h", text: t("contact")}), ui.contactList = el("ul", {"class": "contacts"})
    ]);
    ui.status = el("p", {"class": "status", role: "status", "aria-live": "polite"});
    ui.endBtn = el("button", {type: "button", "class": "end", text: t("end"), hidden: true, onclick: confirmEnd});
    ui.min = el("button", {type: "button", "class": "min", "aria-label": t("minimize"), text: "\u2013", onclick: function () { setOpen(false); ui.launcher.focus(); }});
    ui.banner = el("div", {"class": "banner", role: "status", "aria-live": "polite", hidden: true});
    ui.offline = buildOffline();
    ui.log = el("div", {"class": "log", role: "log", "aria-live": "polite", "aria-labelledby": "pw-title", tabindex: "0"});
    ui.typing = el("p", {"class": "typing", "aria-live": "polite"});
    ui.prechat = buildPrechat();
    ui.endView = buildEnd();
    ui.input = el("textarea", {id: "pw-input", rows: "1", placeholder: t("placeholder"), "aria-label": t("placeholder"), "aria-describedby": "pw-too-long"});
    ui.input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
    });
    ui.input.addEventListener("input", onTyping);
    ui.input.addEventListener("input", checkLength);
    ui.tooLong = el("p", {"class": "err too-long", id: "pw-too-long", role: "alert", hidden: true});
    ui.composer = el("form", {"class": "composer", onsubmit: function (e) { e.preventDefault(); submit(); }}, [
      ui.input,
      el("button", {type: "submit", "class": "send", "aria-label": t("send"), title: t("send")}, [icon("M3 20l18-8L3 4v6l12 2-12 2z")])
    ]);
    ui.panel = el("section", {"class": "panel", id: "pw-panel", part: "panel", role: "dialog", "aria-modal": "true", "aria-labelledby": "pw-title", hidden: true}, [
      el("header", {part: "header"}, [ui.headAv = el("span", {"class": "av", hidden: true}), el("div", {"class": "head"}, [ui.title, ui.status, ui.avail]), ui.contactBtn, ui.endBtn, ui.min]),
      ui.banner, ui.offline, ui.contact, ui.log, ui.typing, ui.prechat, ui.endView, ui.tooLong, ui.composer
    ]);
    buildAttach();
    ui.panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { setOpen(false); ui.launcher.focus(); }
      if (e.key === "Tab") keepFocus(e);
    });
    ui.badge = el("span", {"class": "badge", "aria-hidden": "true", hidden: true});
    ui.dot = el("span", {"class": "dot", hidden: true});
    var face = opt("launcherIcon") ? el("img", {"class": "i-open", src: String(opt("launcherIcon")), alt: ""}) : icon("M4 4h16v12H7l-3 3z", "i-open");
    ui.launcher = el("button", {type: "button", "class": "launcher", part: "launcher", "aria-controls": "pw-panel", "aria-expanded": "false", "aria-label": t("launcher"),
      "aria-describedby": "pw-avail", onclick: function () { setOpen(!st.open); }},
      [face, icon("M5 6.4L6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12z", "i-close"), ui.badge, ui.dot]);
    ui.wrap.append(ui.invite, ui.panel, ui.launcher);
    ui.launcher.before(buildPreview());
    ui.banner.before(buildConfirm());
    ui.log.before(buildPast());
    ui.contactBtn.before(ui.pastBtn);
    root.append(ui.wrap);
    document.body.append(host);
    raise();
    document.addEventListener("visibilitychange", markRead);
    ui.hasContacts = renderContacts();
    render();
    if (st.open) setOpen(true, true);
  }

  // raise puts the widget in the browser's top layer, above anything the
  // page stacks with z-index (and, shown again, above what the page put
  // there since). Without the Popover API, z-index is all there is.
  function raise() {
    try {
      if (ui.wrap.matches(":popover-open")) ui.wrap.hidePopover();
      ui.wrap.showPopover();
    } catch (e) { /* no Popover API */ }
  }

  // keepFocus keeps Tab and Shift+Tab inside the open window, as in any
  // modal dialog; Escape or the window's own buttons leave it.
  function keepFocus(e) {
    var all = Array.prototype.filter.call(ui.panel.querySelectorAll("button,input,select,textarea,a[href],[tabindex]"), function (x) {
      return !x.disabled && x.tabIndex >= 0 && x.getClientRects().length > 0;
    });
    if (!all.length) return;
    var first = all[0], last = all[all.length - 1], at = ui.root.activeElement;
    if (e.shiftKey ? at === first || !ui.panel.contains(at) : at === last) {
      e.preventDefault();
      (e.shiftKey ? last : first).focus();
    }
  }

  function icon(d, cls) {
    var ns = "http://www.w3.org/2000/svg";
    var s = document.createElementNS(ns, "svg"), p = document.createElementNS(ns, "path");
    s.setAttribute("viewBox", "0 0 24 24");
    s.setAttribute("aria-hidden", "true");
    if (cls) s.setAttribute("class", cls);
    p.setAttribute("d", d);
    s.append(p);
    return s;
  }

  function field(name, label, type, attrs) {
    var id = "pw-f-" + name;
    return el("label", {"for": id}, [el("span", {text: label}), el(type === "select" ? "select" : "input",
      Object.assign({id: id, name: name, type: type === "select" ? null : type}, attrs || {}))]);
  }

  function prechatFields() {
    return String(opt("prechat") || "").split(",").map(function (s) { return s.trim(); }).filter(function (s) { return s === "name" || s === "email"; });
  }
  function topics() {
    var tp = opt("topics");
    if (Array.isArray(tp)) return tp.map(function (x) { return typeof x === "string" ? {value: x, label: x} : x; });
    return String(tp || "").split("|").filter(Boolean).map(function (s) {
      var i = s.indexOf(":");
      return i < 0 ? {value: s.trim(), label: s.trim()} : {value: s.slice(0, i).trim(), label: s.slice(i + 1).trim()};
    });
  }

  function buildPrechat() {
    var f = el("form", {"class": "prechat", hidden: true, novalidate: true}, [el("p", {text: t("prechat")})]);
    prechatFields().forEach(function (n) {
      f.append(field(n, t(n), n === "email" ? "email" : "text", {required: true, autocomplete: n}));
    });
    var tp = topics();
    if (tp.length) {
      var lab = field("topic", t("topic"), "select", {required: true});
      var sel = lab.querySelector("select");
      sel.append(el("option", {value: "", text: t("chooseTopic")}));
      tp.forEach(function (x) { sel.append(el("option", {value: x.value, text: x.label})); });
      f.append(lab);
    }
    f.append(ui.preErr = el("p", {"class": "err", role: "alert"}), el("button", {type: "submit", "class": "primary", text: t("start")}));
    f.addEventListener("input", function (e) { clearFieldError(e.target); });
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      var v = {};
      ["name", "email", "topic"].forEach(function (n) { if (f.elements[n]) { clearFieldError(f.elements[n]); v[n] = f.elements[n].value.trim(); } });
      for (var n in v) {
        if (!v[n]) { fieldError(n, t("required")); return; }
      }
      if (v.email != null && !validEmail(v.email)) { fieldError("email", t("invalidEmail")); return; }
      if (v.name && st.limits && parleyBytes(v.name) > st.limits.name) { fieldError("name", t("nameTooLong")); return; }
      ui.preErr.textContent = "";
      st.startErr = null;
      st.prechat = v;
      if (v.topic) st.topic = v.topic;
      startConversation();
      render();
      ui.input.focus();
    });
    return f;
  }

  // validEmail is the server's rule (chat.CheckEmail): a bare address
  // whose two sides are atoms joined by single dots, within the server's
  // limit. The server's answer still decides.
  function validEmail(s) {
    var atom = "[\\w!#$%&'*+/=?^`{|}~\\-\\u0080-\\uffff]+", dots = atom + "(\\." + atom + ")*";
    return new RegExp("^" + dots + "@" + dots + "$").test(s) && (!st.limits || parleyBytes(s) <= st.limits.email);
  }

  // fieldError shows why a field of the pre-chat form was refused, under
  // the field, until the visitor changes it.
  function fieldError(name, text) {
    var input = ui.prechat.elements[name === "department" ? "topic" : name];
    if (!input) { ui.preErr.textContent = text; return; }
    var id = "pw-e-" + input.name, p = ui.prechat.querySelector("#" + id);
    if (!p) {
      p = el("p", {"class": "err", id: id, role: "alert"});
      input.parentNode.after(p);
    }
    p.textContent = text;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", id);
    input.focus();
  }
  function clearFieldError(input) {
    var p = ui.prechat.querySelector("#pw-e-" + input.name);
    if (p) p.remove();
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  }

  function buildOffline() {
    var box = el("div", {"class": "offline", hidden: true}, [
      el("h3", {text: t("offlineTitle")}), el("p", {text: t("offlineText")})
    ]);
    ui.replyForm = el("form", {"class": "reply", novalidate: true}, [
      field("reply", t("replyTo"), "email", {autocomplete: "email", placeholder: t("email")}),
      el("button", {type: "submit", text: t("save")})
    ]);
    ui.replyForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var v = ui.replyForm.elements.reply.value.trim();
      ui.replyForm.elements.reply.setCustomValidity(""); // a refusal shown before
      if (!validEmail(v)) { ui.replyForm.elements.reply.setCustomValidity(t("invalidEmail")); ui.replyForm.reportValidity(); return; }
      var saved = function () {
        st.prechat = Object.assign(st.prechat || {}, {email: v});
        st.replyEmail = v;
        render();
      };
      // Starting the same conversation again is idempotent; it carries
      // the address to reply to. The form stays, with the address, until
      // the server has it.
      if (!st.convID) return saved();
      request({type: "start", conversation_id: st.convID, email: v, name: (st.prechat || {}).name || undefined})
        .then(saved, function (err) {
          if (err && err.code === "blocked") return blocked();
          fieldRefused(ui.replyForm, "reply", err);
        });
    });
    ui.replyForm.elements.reply.addEventListener("input", function (e) { e.target.setCustomValidity(""); });
    box.append(ui.replyForm);
    return box;
  }

  // --- the contact panel ---
  // contacts returns the shop's contact options: the server's
  // (transport.Config.Contact, in the welcome), with the page's own
  // settings winning.
  function contacts() {
    var c = Object.assign({}, st.contact || {});
    [["phone", "phone"], ["phoneHours", "phone_hours"], ["email", "email"], ["gg", "gadu_gadu"], ["whatsapp", "whatsapp"],
      ["viber", "viber"], ["telegram", "telegram"], ["skype", "skype"]].forEach(function (p) { if (opt(p[0])) c[p[1]] = String(opt(p[0])); });
    return c;
  }

  // renderContacts lists the contact options and reports whether there
  // are any.
  function renderContacts() {
    var c = contacts(), items = [];
    var add = function (label, href, text, extra) {
      items.push(el("li", {}, [el("span", {text: label + ": "}), el("a", {href: href, target: "_blank", rel: "noopener noreferrer", text: text}), extra ? el("small", {text: " " + extra}) : null]));
    };
    var digits = function (s) { return String(s).replace(/\D/g, ""); };
    if (c.phone) add(t("phone"), "tel:" + c.phone.replace(/[^+\d]/g, ""), c.phone, typeof c.phone_hours === "object" ? weekText(c.phone_hours) : c.phone_hours);
    if (c.email) add(t("email"), "mailto:" + encodeURIComponent(c.email).replace("%40", "@"), c.email);
    if (c.whatsapp) add("WhatsApp", "https://wa.me/" + digits(c.whatsapp), c.whatsapp);
    if (c.telegram) add("Telegram", "https://t.me/" + encodeURIComponent(c.telegram.replace(/^@/, "")), c.telegram);
    if (c.skype) add("Skype", "skype:" + encodeURIComponent(c.skype) + "?chat", c.skype);
    if (c.gadu_gadu) add("Gadu-Gadu", "gg:" + digits(c.gadu_gadu), c.gadu_gadu);
    if (c.viber) add("Viber", "viber://chat?number=%2B" + digits(c.viber), c.viber);
    ui.contactList.replaceChildren.apply(ui.contactList, items);
    return items.length > 0;
  }

  // weekText writes a week of opening hours (wire.Week) in the visitor's
  // language, Monday first, days with the same hours together: "pon.–pt.
  // 09:00–17:00". The zone is named when it is not the visitor's.
  function weekText(w) {
    var fmt, names = [], out = [], order = [1, 2, 3, 4, 5, 6, 0], here = "";
    try {
      fmt = new Intl.DateTimeFormat(lang, {weekday: "short", timeZone: "UTC"});
      here = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (e) { return ""; }
    for (var d = 0; d < 7; d++) names.push(fmt.format(new Date(Date.UTC(2023, 0, 1 + d)))); // a Sunday, then the week
    var spans = function (i) { return (w.days[order[i]] || []).join(", ").replace(/-/g, "\u2013"); };
    for (var i = 0; i < 7; i++) {
      var j = i;
      while (j < 6 && spans(j + 1) === spans(i)) j++;
      if (spans(i)) out.push(names[order[i]] + (j > i ? "\u2013" + names[order[j]] : "") + " " + spans(i));
      i = j;
    }
    return out.join(", ") + (w.zone && w.zone !== here ? " (" + w.zone + ")" : "");
  }

  function buildEnd() {
    var v = el("div", {"class": "endview", hidden: true});
    var rating = 0, resolved = null;
    var yn = el("div", {"class": "row", role: "group", "aria-labelledby": "pw-resolved"});
    [["yes", true], ["no", false]].forEach(function (p) {
      yn.append(el("button", {type: "button", "aria-pressed": "false", "data-v": p[0], text: t(p[0]), onclick: function (e) {
        resolved = p[1];
        yn.querySelectorAll("button").forEach(function (b) { b.setAttribute("aria-pressed", String(b === e.currentTarget)); });
      }}));
    });
    var stars = el("div", {"class": "stars", role: "radiogroup", "aria-labelledby": "pw-rate"});
    for (var i = 1; i <= 5; i++) {
      (function (n) {
        stars.append(el("button", {type: "button", role: "radio", "aria-checked": "false", "aria-label": t("stars", {n: n}), "data-n": String(n), text: "\u2605", onclick: function () {
          rating = n;
          stars.querySelectorAll("button").forEach(function (b, j) {
            b.setAttribute("aria-checked", String(j + 1 === n));
            b.classList.toggle("on", j < n);
          });
        }}));
      })(i);
    }
    ui.rateForm = el("div", {"class": "rate"}, [
      el("p", {id: "pw-resolved", text: t("resolved")}), yn,
      el("p", {id: "pw-rate", text: t("rate")}), stars,
      el("button", {type: "button", "class": "primary", text: t("send"), onclick: function () {
        var f = {type: "rate", conversation_id: st.convID, rating: rating};
        if (resolved !== null) f.resolved = resolved;
        request(f).then(function () { st.rated = true; render(); }, function () { /* shown as not sent */ });
      }})
    ]);
    ui.thanks = el("p", {"class": "thanks", role: "status", text: t("thanks"), hidden: true});
    ui.trForm = el("form", {"class": "transcript", novalidate: true}, [
      field("tr", t("transcript"), "email", {autocomplete: "email", placeholder: t("email")}),
      el("button", {type: "submit", text: t("send")})
    ]);
    ui.trDone = el("p", {role: "status", hidden: true});
    ui.trForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var email = ui.trForm.elements.tr.value.trim();
      ui.trForm.elements.tr.setCustomValidity(""); // a refusal shown before
      if (!validEmail(email)) { ui.trForm.elements.tr.setCustomValidity(t("invalidEmail")); ui.trForm.reportValidity(); return; }
      request({type: "transcript", conversation_id: st.convID, email: email}).then(function () {
        ui.trForm.hidden = true;
        ui.trDone.hidden = false;
        ui.trDone.textContent = t("transcriptSent", {email: email});
      }, function (err) { transcriptRefused(err, email); });
    });
    ui.trForm.elements.tr.addEventListener("input", function (e) { e.target.setCustomValidity(""); });
    v.append(el("p", {"class": "ended", text: t("ended")}), ui.rateForm, ui.thanks, ui.trForm, ui.trDone,
      el("button", {type: "button", "class": "primary new", text: t("newChat"), onclick: newChat}));
    return v;
  }

  // transcriptRefused tells the visitor why no transcript was sent: a
  // confirmation link waits in their inbox, or the email rules refused.
  // Other failures show at the address field, which keeps the address.
  function transcriptRefused(err, email) {
    var key = {email_confirm: "emailConfirm", email_limit: "emailLimit", email_suppressed: "emailRefused", email_unproven: "emailRefused"}[err && err.code];
    if (!key) return fieldRefused(ui.trForm, "tr", err);
    ui.trForm.hidden = key !== "emailRefused";
    ui.trDone.hidden = false;
    ui.trDone.textContent = t(key, {email: email});
  }

  // fieldRefused shows at a form's address field why the server did not
  // take it, keeping what was typed: the address itself, when the server
  // names it, or a failure to try again.
  function fieldRefused(form, name, err) {
    var input = form.elements[name];
    input.setCustomValidity(t(err && err.field === "email" ? "invalidEmail" : "notSaved"));
    form.reportValidity();
  }

  // --- rendering ---
  function statusText() {
    if (st.connState !== "open") return t(st.lost ? "reconnecting" : "connecting");
    var c = st.conv;
    if (c && c.status === "open") return c.agent_id && st.names[c.agent_id] ? st.names[c.agent_id] : t("support");
    if (c && c.status === "waiting") return t("offlineTitle");
    if (c && c.status === "bot") return t("advisorTitle");
    return "";
  }

  function render() {
    if (!ui.wrap) return;
    var c = st.conv, status = c ? c.status : "";
    var closed = status === "closed" || st.ended;
    ui.status.textContent = statusText();
    var needPre = !st.convID && (!st.prechat || !!st.startErr) && (prechatFields().length > 0 || topics().length > 0);
    var away = !!st.avail && !st.avail.online && !st.convID, mode = away ? st.avail.when_offline : "";
    var contactOnly = mode === "contact" && ui.hasContacts;
    ui.prechat.hidden = !needPre || contactOnly;
    ui.composer.hidden = needPre || closed || contactOnly;
    ui.endView.hidden = !closed;
    ui.rateForm.hidden = st.rated;
    ui.thanks.hidden = !st.rated;
    ui.endBtn.hidden = !st.convID || closed;
    ui.offline.hidden = status !== "waiting" && !(away && !contactOnly);
    renderAvailability(away, mode, contactOnly, status);
    ui.replyForm.hidden = !!(st.replyEmail || (st.prechat && st.prechat.email) || (st.visitor && st.visitor.email));
    var email = (st.prechat && st.prechat.email) || (st.visitor && st.visitor.email) || "";
    if (email && !ui.trForm.elements.tr.value) ui.trForm.elements.tr.value = email;
    if (status === "queued" && st.queue && st.queue.conversation_id === st.convID) {
      var mins = Math.max(1, Math.round((st.queue.wait_ms || 0) / 60000));
      ui.banner.textContent = t("queue", {position: st.queue.position}) + " " + (st.queue.wait_ms ? t("wait", {minutes: mins}) : "");
      ui.banner.hidden = false;
    } else if (status === "queued") {
      ui.banner.textContent = t("waitSoon");
      ui.banner.hidden = false;
    } else {
      ui.banner.hidden = true;
    }
    ui.badge.hidden = !st.unread;
    ui.badge.textContent = st.unread > 9 ? "9+" : String(st.unread);
    ui.launcher.setAttribute("aria-label", st.open ? t("closeWindow") : st.unread ? t("launcher") + ", " + t("unread", {n: st.unread}) : t("launcher"));
    if (st.blocked) renderBlocked();
    renderLog();
    renderAgent();
  }

  // renderAvailability says, before the visitor writes, whether anyone is
  // there and how fast they usually answer, and does what the shop chose
  // for when nobody is: the offline form, the contact panel instead of the
  // chat, or no launcher. The contact panel opens from the header at any
  // time.
  function renderAvailability(away, mode, contactOnly, status) {
    var a = st.avail;
    ui.wrap.hidden = mode === "hide";
    ui.dot.hidden = !a;
    ui.dot.className = "dot " + (a && a.online ? "on" : "off");
    ui.avail.hidden = !a || !!st.convID;
    ui.avail.textContent = !a ? "" : !a.online ? t("offlineTitle") : t("online") + (a.reply_ms ? " \u00b7 " + replyText(a.reply_ms) : "");
    ui.contactBtn.hidden = !ui.hasContacts || contactOnly;
    ui.contactBtn.setAttribute("aria-expanded", String(!!st.showContact));
    ui.contact.hidden = !ui.hasContacts || !(st.showContact || contactOnly || status === "waiting");
    ui.contactIntro.hidden = !contactOnly;
    ui.contact.classList.toggle("only", contactOnly);
    ui.log.hidden = ui.typing.hidden = contactOnly;
  }

  function replyText(ms) {
    var mins = Math.max(1, Math.round(ms / 60000));
    return mins < 60 ? t("replyMinutes", {n: mins}) : t("replyHours", {n: Math.round(mins / 60)});
  }

  function renderLog() {
    var atBottom = ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 40;
    var frag = document.createDocumentFragment();
    var seqs = Object.keys(st.msgs).map(Number).sort(function (a, b) { return a - b; });
    if (!seqs.length && !st.outbox.length) {
      frag.append(el("div", {"class": "msg system"}, [el("p", {text: opt("greeting") || t("greeting")})]));
    }
    var shown = {};
    seqs.forEach(function (s) {
      var m = st.msgs[s];
      if (m.idempotency_key) shown[m.idempotency_key] = true;
      frag.append(bubble(m, m.author && m.author.kind === "visitor" ? (s <= st.agentRead ? "read" : "sent") : ""));
    });
    st.outbox.forEach(function (o) {
      if (o.conv === st.convID && !shown[o.key]) frag.append(o.failed ? failedBubble(o) : bubble({author: {kind: "visitor"}, body: o.body, key: o.key}, "sending"));
    });
    ui.log.replaceChildren(frag);
    decorateLog();
    if (atBottom || st.scrollDown) ui.log.scrollTop = ui.log.scrollHeight;
    st.scrollDown = false;
  }

  function bubble(m, state) {
    var kind = (m.author && m.author.kind) || "system";
    var b = el("div", {"class": "msg " + kind, "data-seq": m.seq || null});
    if (kind === "agent" || kind === "bot") b.append(el("span", {"class": "who", text: m.author.name || t("support")}));
    if (m.body || !m.card && !(m.attachments || []).length) {
      var p = el("p");
      linkify(p, m.body || "");
      b.append(p);
    }
    richNodes(m).forEach(function (n) { b.append(n); });
    parleyFiles(b, prefix, m.attachments, "Bearer " + st.token);
    if (state) b.append(el("span", {"class": "state " + state, text: t(state)}));
    return b;
  }

  // --- the transcript's look ---
  // decorateLog shapes the bubbles renderLog drew: a day's first message
  // comes after a separator with the date, consecutive messages of one
  // author (within five minutes) show the name on the first and the time
  // on the last, only the visitor's last message keeps its Sent or Read
  // mark, a long message is folded behind "Show more", and every text
  // takes its direction from its own letters.
  function decorateLog() {
    var prev = {}, day = "", marks = ui.log.querySelectorAll(".msg.visitor .state.sent, .msg.visitor .state.read");
    for (var i = 0; i < marks.length - 1; i++) marks[i].remove();
    ui.log.querySelectorAll(".msg").forEach(function (b) {
      var m = st.msgs[b.dataset.seq], a = m && m.author || {};
      b.querySelectorAll("p").forEach(function (p) { p.dir = "auto"; });
      if (!m) { prev = {}; return; }
      if (!m.created_at) m.created_at = new Date().toISOString(); // just acked: now
      var at = new Date(m.created_at), who = a.kind + ":" + (a.id || "");
      if (at.toDateString() !== day) {
        day = at.toDateString();
        b.before(el("p", {"class": "day", text: dayText(at)}));
        prev = {};
      }
      if (prev.who === who && at - prev.at < 300000) {
        b.classList.add("cont");
        prev.b.classList.add("grouped");
      }
      prev = {who: who, at: at, b: b};
      var meta = el("span", {"class": "meta"}, [el("time", {datetime: m.created_at, text: fmt(at, {hour: "numeric", minute: "2-digit"})})]);
      var mark = b.querySelector(".state");
      if (mark) meta.append(" \u00b7 ", mark);
      b.append(meta);
      if ((m.body || "").length > 600 || (m.body || "").split("\n").length > 12) fold(b, m.seq);
    });
  }

  // fold shows a long message's first lines with a button for the rest.
  function fold(b, seq) {
    var open = !!st.unfold[seq];
    b.classList.toggle("long", !open);
    b.querySelector("p").after(el("button", {type: "button", "class": "fold", "aria-expanded": String(open), text: t(open ? "showLess" : "showMore"),
      onclick: function () { st.unfold[seq] = !open; renderLog(); }}));
  }

  function fmt(d, o) {
    try { return new Intl.DateTimeFormat(lang, o).format(d); } catch (e) { return d.toLocaleString(); }
  }

  // dayText names a day as the visitor's language does: "Today",
  // "Yesterday", or the date.
  function dayText(d) {
    var days = Math.round((new Date(d).setHours(0, 0, 0, 0) - new Date().setHours(0, 0, 0, 0)) / 864e5), s;
    try { s = days > -2 && days < 1 ? new Intl.RelativeTimeFormat(lang, {numeric: "auto"}).format(days, "day") : ""; } catch (e) { s = ""; }
    s = s || fmt(d, {dateStyle: "medium"});
    return s.charAt(0).toUpperCase() + s.slice(1);
  }

  // --- rich messages: product cards and quick replies ---
  // st.carts keeps, by message id, what became of its "add to cart".
  function richNodes(m) {
    var out = [];
    if (m.card) out.push(cardNode(m.card, lang, m.card.add_to_cart && m.id ? addButton(m) : null));
    var open = st.conv && st.conv.status !== "closed";
    if (m.quick_replies && m.quick_replies.length && m.seq && m.seq === st.lastSeq && open) {
      out.push(el("div", {"class": "quick", role: "group", "aria-label": t("quickReplies")}, m.quick_replies.map(function (q) {
        return el("button", {type: "button", text: String(q), onclick: function () { sendText(String(q)); }});
      })));
    }
    return out;
  }

  function addButton(m) {
    st.carts = st.carts || {};
    var state = st.carts[m.id] || "";
    var text = {adding: t("adding"), added: t("added"), failed: t("addFailed")}[state] || t("addToCart");
    return el("button", {type: "button", "class": "add" + (state ? " " + state : ""), disabled: state === "adding" || state === "added",
      text: text, onclick: function () { addToCart(m); }});
  }

  // addToCart posts the card's product to the shop's own cart endpoint,
  // a path of the page's own site, with the visitor's cookies.
  function addToCart(m) {
    var c = m.card, url = safeURL(c.add_to_cart);
    if (!url || new URL(url).origin !== location.origin) return;
    var done = function (state) { st.carts[m.id] = state; renderLog(); };
    done("adding");
    fetch(url, {method: "POST", credentials: "same-origin", body: new URLSearchParams({product_id: String(c.product_id), quantity: "1"})})
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        done("added");
        request({type: "cart"}); // agents see the new cart
        emit("cart", {product_id: c.product_id});
      }, function () { done("failed"); })
      .catch(function () { done("failed"); });
  }

  // --- attachments: a button in the composer, uploads with their progress or error ---
  function buildAttach() {
    ui.fileInput = el("input", {type: "file", hidden: true, onchange: function () {
      var f = ui.fileInput.files[0];
      ui.fileInput.value = "";
      if (f) attach(f);
    }});
    ui.attachBtn = el("button", {type: "button", "class": "attach", hidden: true, "aria-label": t("attach"), title: t("attach"),
      onclick: function () { ui.fileInput.click(); }}, [icon("M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6z")]);
    ui.upload = el("p", {"class": "upload", role: "status", "aria-live": "polite", hidden: true});
    ui.composer.insertBefore(ui.attachBtn, ui.input);
    ui.composer.append(ui.fileInput);
    ui.panel.insertBefore(ui.upload, ui.composer);
  }
  // attachReady shows the button when the server takes uploads.
  function attachReady() {
    var l = st.limits || {};
    ui.attachBtn.hidden = !l.file;
    if (l.file_types) ui.fileInput.setAttribute("accept", l.file_types.join(","));
  }
  function uploadStatus(text, err) {
    ui.upload.hidden = !text;
    ui.upload.className = "upload" + (err ? " err" : "");
    ui.upload.setAttribute("role", err ? "alert" : "status");
    ui.upload.textContent = text;
  }
  // attach uploads a file and sends it as a message of its own; the text
  // in the box stays there.
  function attach(file) {
    var l = st.limits || {}, tries = 0;
    if (l.file && file.size > l.file) return uploadStatus(t("fileTooLarge"), true);
    if (!st.convID) startConversation();
    (function go() {
      if (st.start || !conn || !conn.isOpen()) {
        if (++tries < 100) setTimeout(go, 100); else uploadStatus(t("uploadFailed"), true);
        return;
      }
      var show = function (p) { uploadStatus(t("uploading", {name: file.name, pct: Math.round(p * 100)})); };
      show(0);
      parleyUpload(prefix, st.convID, file, "Bearer " + st.token, show).then(function (a) {
        var key = uuid();
        return request({type: "send", conversation_id: st.convID, key: key, files: [a.file_id]}).then(function (ack) {
          if (!st.msgs[ack.seq]) st.msgs[ack.seq] = {seq: ack.seq, id: ack.message_id, author: {kind: "visitor"}, body: "", attachments: [a], idempotency_key: key};
          uploadStatus("");
          st.scrollDown = true;
          render();
        });
      }).catch(function (e) {
        var k = {too_large: "fileTooLarge", file_type: "fileType", file_refused: "fileRefused"}[e && e.code] || "uploadFailed";
        uploadStatus(t(k) + (k === "fileRefused" && e.message ? " (" + e.message + ")" : ""), true);
      });
    })();
  }

  // --- opening and closing ---
  function setOpen(open, quiet) {
    st.open = open;
    sessionSet("open", open ? "1" : "0");
    if (!ui.panel) return;
    ui.panel.hidden = !open;
    ui.launcher.setAttribute("aria-expanded", String(open));
    ui.wrap.classList.toggle("is-open", open);
    if (open) {
      raise();
      st.unread = 0;
      ui.invite.hidden = true;
      st.scrollDown = true;
    }
    render(); // the launcher's label follows
    if (open) {
      var first = !ui.prechat.hidden ? ui.prechat.querySelector("input,select") : !ui.composer.hidden ? ui.input : ui.contact.querySelector("a");
      if (first && !quiet) first.focus();
      markRead();
    }
    if (!quiet) emit(open ? "open" : "close");
  }

  // --- talking to the server ---
  function request(f) {
    if (!conn) return Promise.reject({code: "disconnected"});
    var p = conn.request(f);
    p.catch(function () { /* callers that care handle it */ });
    return p;
  }

  function connect() {
    conn = parleyConnect({
      prefix: prefix,
      sse: opt("transport") === "sse",
      hello: function () {
        // The server writes its own messages in the shown language and the browser's zone,
        // unless it refused them (a zone its database lacks): then it uses the shop's.
        var h = {};
        if (!localeRefused) {
          h.lang = lang;
          try { h.tz = Intl.DateTimeFormat().resolvedOptions().timeZone || undefined; } catch (e) { /* no Intl */ }
        }
        if (st.token) h.token = st.token;
        if (opt("identity")) h.identity = String(opt("identity"));
        return h;
      },
      state: function (s) {
        st.connState = s;
        if (s !== "connecting") st.lost = s === "down"; // a retry is still a reconnection
        render();
      },
      refused: function (f) {
        if (f.error && f.error.code === "blocked") return blocked();
        if (f.error && f.error.code === "invalid") localeRefused = true;
        // A token from another server or secret: start over as a new visitor.
        if (f.error && (f.error.code === "unauthorized" || f.error.code === "token_expired") && st.token) {
          st.token = "";
          save();
        }
      },
      welcome: onWelcome,
      frame: onFrame
    });
  }

  function onWelcome(w) {
    noteVisitor(w.visitor);
    st.token = w.token || st.token;
    st.visitor = w.visitor || null;
    st.limits = w.limits || st.limits;
    attachReady();
    st.avail = w.availability || null;
    st.contact = w.contact || null;
    ui.hasContacts = renderContacts();
    loadPast();
    var convs = (w.conversations || []).filter(function (c) { return c.status !== "closed"; });
    if (st.start && st.start.conversation_id === st.convID) {
      sendStart(); // its answer was lost: the same id starts it once
    } else {
      var cur = convs.filter(function (c) { return c.id === st.convID; })[0] ||
        convs.sort(function (a, b) { return a.created_at < b.created_at ? 1 : -1; })[0];
      if (!cur) {
        if (st.convID) resetConversation("");
      } else {
        if (cur.id !== st.convID) resetConversation(cur.id);
        st.conv = cur;
        sync();
      }
    }
    save();
    if (!st.pageSent) {
      st.pageSent = true;
      conn.send({type: "page", url: location.href, title: document.title, referrer: document.referrer});
    }
    if (st.page) { conn.send(st.page); st.page = null; }
    render();
    if (!st.ready) { st.ready = true; emit("ready"); }
  }

  // noteVisitor remembers whom the server takes this browser for. When it
  // is not the visitor the stored chat belongs to (a customer logged out,
  // or another one logged in), that chat is dropped unseen and unsent.
  function noteVisitor(v) {
    var id = v ? v.id : "";
    if (st.known && id !== st.known) forgetVisitor();
    st.known = id;
  }

  // forgetVisitor drops what the widget holds of a visitor: their chat,
  // what they wrote and have not sent, and what they typed into its forms.
  function forgetVisitor() {
    resetConversation("");
    st.outbox = [];
    st.start = null;
    st.prechat = null;
    st.replyEmail = null;
    st.invite = null;
    st.names = {};
    st.unread = 0;
    if (!ui.wrap) return;
    [ui.prechat, ui.replyForm, ui.trForm, ui.composer].forEach(function (f) { f.reset(); });
    ui.trForm.hidden = false;
    ui.trDone.hidden = true;
    ui.typing.textContent = "";
    ui.invite.hidden = true;
    forgetPast();
  }

  // reset forgets this browser's visitor, for a customer who logs out,
  // and reconnects as a new anonymous visitor.
  function reset() {
    forgetVisitor();
    st.token = "";
    st.known = "";
    st.visitor = null;
    st.pageSent = false;
    try { localStorage.removeItem(storeKey); } catch (e) { /* storage off */ }
    setCookie("");
    render();
    if (conn) conn.reconnect();
  }

  // follow goes on as the visitor another tab of this site stored: when a
  // customer logs in or out there, or another one logs in, this tab drops
  // what it shows of the visitor it was and reconnects, and the server
  // tells who the browser is now.
  function follow(e) {
    if (e.key !== storeKey && e.key !== null) return;
    var s = load();
    if ((s.visitor || "") === st.known) return;
    forgetVisitor();
    st.token = s.token || "";
    st.known = s.visitor || "";
    st.visitor = null;
    render();
    if (conn) conn.reconnect();
  }
  window.addEventListener("storage", follow);

  // refresh reconnects, so that the server reads the shop's session again:
  // for a single-page shop whose customer logged in or out without a page
  // load.
  function refresh() {
    if (conn) conn.reconnect();
  }

  // page tells the server the visitor opened a page that the browser did
  // not load: a route of a single-page shop.
  function page(url, title) {
    var u = String(url == null ? location.href : url);
    try { u = new URL(u, location.href).href; } catch (e) { /* sent as given */ }
    st.page = {type: "page", url: u, title: title == null ? document.title : String(title), referrer: st.lastPage};
    st.lastPage = u;
    if (conn && conn.isOpen() && st.ready) { conn.send(st.page); st.page = null; }
  }

  function resetConversation(id) {
    st.convID = id;
    st.conv = null;
    st.msgs = {};
    st.lastSeq = 0;
    st.readSent = 0;
    st.agentRead = 0;
    st.ended = false;
    st.rated = false;
    st.queue = null;
    st.early = [];
    st.outbox = st.outbox.filter(function (o) { return o.conv === id; });
  }

  function sync() {
    request({type: "sync", conversation_id: st.convID, after_seq: st.lastSeq}).then(function () { flush(); markRead(); }, function (e) {
      if (e.code === "not_found") { resetConversation(""); save(); render(); }
    });
  }

  function startConversation() {
    if (st.convID) return;
    var pre = st.prechat || {}, id = uuid();
    // Messages kept from a refused start go with the new one.
    st.outbox.forEach(function (o) { if (!o.conv) { o.conv = id; o.failed = ""; } });
    resetConversation(id);
    st.start = {type: "start", conversation_id: st.convID, department: st.topic || undefined, name: pre.name || undefined, email: pre.email || undefined};
    save();
    sendStart();
  }

  function sendStart() {
    if (!conn || !conn.isOpen()) return;
    var f = Object.assign({}, st.start);
    request(f).then(function (a) {
      if (f.conversation_id !== st.convID) return;
      // The id sent is only the start's key; the server names the
      // conversation in its answer. What the server said about it before
      // (its assignment, its place in the queue) is applied now, then the
      // answer's state unless an event was newer.
      var id = a.conversation_id, early = st.early;
      st.outbox.forEach(function (o) { if (o.conv === st.convID) o.conv = id; });
      st.convID = id;
      st.start = null;
      st.startTries = 0;
      st.early = [];
      early.forEach(function (e) { if (e.conversation_id === id) onFrame(e); });
      if (a.conversation && !(st.conv && st.conv.version > a.conversation.version)) st.conv = a.conversation;
      save();
      render();
      flush();
    }, function (e) {
      var r = parleyRefusal(e);
      if (r === "wait" && (st.startTries = (st.startTries || 0) + 1) <= 3) setTimeout(sendStart, e.retry_after_ms || 1000);
      else if (r !== "later") startRefused(e);
      // "later": resent on the next welcome
    });
  }

  // startRefused handles a start the server will not take as it is.
  // Nothing was created, so it is forgotten, in localStorage too; what was
  // typed stays: the pre-chat form shows again, filled in, with the reason
  // at the field the server names, and the messages wait for the corrected
  // start. Without a form they show as not delivered, to retry.
  function startRefused(e) {
    var id = st.convID, form = prechatFields().length > 0 || topics().length > 0, sent = st.start || {};
    st.start = null;
    st.startTries = 0;
    st.startErr = e;
    st.outbox.forEach(function (o) { if (o.conv === id) { o.conv = ""; o.failed = form ? "" : e.code; } });
    resetConversation("");
    save();
    render();
    if (!form) return;
    [["name", sent.name], ["email", sent.email], ["topic", sent.department]].forEach(function (p) {
      var input = ui.prechat.elements[p[0]];
      if (input && !input.value && p[1]) input.value = p[1];
    });
    var texts = {email: t("invalidEmail"), name: t("nameTooLong"), department: t("chooseTopic")};
    if (texts[e.field]) fieldError(e.field, texts[e.field]);
    else ui.preErr.textContent = t("startFailed");
  }

  function submit() {
    var text = ui.input.value.trim();
    if (!text || checkLength()) return;
    ui.input.value = "";
    stopTyping();
    sendText(text);
  }

  function sendText(text) {
    text = String(text).trim();
    if (!text || st.ended || (st.conv && st.conv.status === "closed")) return;
    if (!st.convID) startConversation();
    st.outbox.push({key: uuid(), body: text, conv: st.convID});
    save();
    st.scrollDown = true;
    render();
    flush();
  }

  // flush sends every message not yet acked, with its original key, so a
  // resend after a lost ack is stored once.
  function flush() {
    if (st.start || !conn || !conn.isOpen()) return;
    st.outbox.forEach(function (o) {
      if (o.conv !== st.convID || o.inflight || o.failed) return;
      if (st.limits && parleyBytes(o.body) > st.limits.body) return sendRefused(o, {code: "too_large"});
      o.inflight = true;
      request({type: "send", conversation_id: o.conv, key: o.key, body: o.body}).then(function (a) {
        o.inflight = false;
        st.outbox = st.outbox.filter(function (x) { return x.key !== o.key; });
        if (!st.msgs[a.seq]) {
          st.msgs[a.seq] = {seq: a.seq, id: a.message_id, author: {kind: "visitor"}, body: o.body, idempotency_key: o.key};
        }
        save();
        render();
      }, function (e) {
        o.inflight = false;
        sendRefused(o, e);
      });
    });
  }

  // sendRefused shows a message the server did not take as not delivered,
  // with its text kept for the visitor to retry, unless it is sent again.
  function sendRefused(o, e) {
    if (!parleyUnsent(o, e, flush)) return;
    save();
    render();
  }

  // failedBubble shows a message that was not delivered, with a button
  // that sends it again with the same key.
  function failedBubble(o) {
    var b = bubble({author: {kind: "visitor"}, body: o.body});
    b.classList.add("failed");
    b.append(el("span", {"class": "state failed"}, [t("notDelivered") + " — ",
      el("button", {type: "button", "class": "retry", text: t("retry"), onclick: function () { retrySend(o); }})]));
    return b;
  }
  function retrySend(o) {
    if (o.failed === "key_reused") o.key = uuid(); // the key is another message's
    o.failed = "";
    o.tries = 0;
    if (!o.conv) startConversation(); // its start was refused: start again
    save();
    render();
    flush();
  }

  // checkLength warns, before anything is sent, that the text in the box
  // is over the server's limit, and reports whether it is.
  function checkLength() {
    var over = !!st.limits && parleyBytes(ui.input.value.trim()) > st.limits.body;
    ui.tooLong.textContent = over ? t("tooLong") : "";
    ui.tooLong.hidden = !over;
    ui.input.setAttribute("aria-invalid", String(over));
    return over;
  }

  function onFrame(f) {
    var c = f.conversation;
    if (f.type === "message" && pastMessage(f)) return;
    // Until a start is answered, the id of the conversation it created is
    // unknown: frames about other conversations are kept for the answer.
    if (st.start && f.conversation_id && f.conversation_id !== st.convID && f.type !== "started") {
      st.early = st.early.slice(-19).concat([f]);
      return;
    }
    switch (f.type) {
      case "message":
        if (f.conversation_id !== st.convID) return;
        addMessage(f.message);
        break;
      case "started":
      case "assigned":
      case "status":
      case "rated":
        if (!c) return;
        if (!st.convID && c.status !== "closed" && c.visitor_id === (st.visitor && st.visitor.id)) {
          resetConversation(c.id); // a chat an agent started, or an accepted invitation
          save();
          if (f.type !== "started") sync();
        }
        if (c.id !== st.convID) return;
        if (f.type === "assigned" && f.author && f.author.id && f.author.name) st.names[f.author.id] = f.author.name;
        var was = st.conv ? st.conv.status : "";
        st.conv = c;
        if (c.status === "closed" && was !== "closed") {
          st.ended = true;
          st.rated = !!c.rating;
          emit("conversation-closed", c);
        }
        if (c.status !== "queued") st.queue = null;
        render();
        break;
      case "queue":
        if (f.conversation_id === st.convID) { st.queue = f; render(); }
        break;
      case "typing":
        if (f.conversation_id !== st.convID || !f.author || f.author.kind === "visitor") return;
        clearTimeout(st.typingTimer);
        ui.typing.textContent = f.typing ? t("typing", {name: f.author.name || t("support")}) : "";
        if (f.typing) st.typingTimer = setTimeout(function () { ui.typing.textContent = ""; }, 6000);
        break;
      case "read":
        if (f.conversation_id === st.convID && f.author && f.author.kind !== "visitor" && f.seq > st.agentRead) {
          st.agentRead = f.seq;
          render();
        }
        break;
      case "invite":
        showInvite(f);
        break;
      case "availability":
        st.avail = f.availability || null;
        render();
        break;
      case "error":
        if (f.error && f.error.code === "blocked") blocked();
        break;
    }
  }

  function addMessage(m) {
    if (!m || m.internal || st.msgs[m.seq] && st.msgs[m.seq].id === m.id) return;
    st.msgs[m.seq] = m;
    if (m.seq > st.lastSeq) st.lastSeq = m.seq;
    if (m.author && m.author.kind === "agent" && m.author.id && m.author.name) st.names[m.author.id] = m.author.name;
    var mine = m.author && m.author.kind === "visitor";
    if (!mine && (!st.open || document.hidden)) st.unread++;
    if (mine) st.outbox = st.outbox.filter(function (o) { return o.key !== m.idempotency_key; });
    if (!mine) ui.typing.textContent = "";
    render();
    markRead();
    emit("message", m);
    notify(m);
  }

  function markRead() {
    if (!st.open || document.hidden || !st.convID || st.lastSeq <= st.readSent || !conn || !conn.isOpen()) return;
    st.readSent = st.lastSeq;
    request({type: "read", conversation_id: st.convID, seq: st.lastSeq});
  }

  function onTyping() {
    if (!st.convID || !conn || !conn.isOpen()) return;
    var now = Date.now();
    if (!st.typingSince || now - st.typingSince > 3000) {
      st.typingSince = now;
      conn.send({type: "typing", conversation_id: st.convID, typing: true});
    }
    clearTimeout(st.idleTimer);
    st.idleTimer = setTimeout(stopTyping, 4000);
  }
  function stopTyping() {
    clearTimeout(st.idleTimer);
    if (st.typingSince && st.convID && conn && conn.isOpen()) conn.send({type: "typing", conversation_id: st.convID, typing: false});
    st.typingSince = 0;
  }

  function endChat() {
    if (!st.convID) return;
    request({type: "close", conversation_id: st.convID});
  }

  function newChat() {
    resetConversation("");
    st.prechat = null;
    st.start = null;
    save();
    render();
    var first = !ui.prechat.hidden ? ui.prechat.querySelector("input,select") : ui.input;
    if (first) first.focus();
  }

  function showInvite(f) {
    if (st.convID && st.conv && st.conv.status !== "closed") return;
    st.invite = f;
    var who = f.author && f.author.name;
    ui.invWho.textContent = who ? t("invitation", {name: who}) : "";
    ui.invWho.hidden = !who;
    ui.invMsg.replaceChildren();
    linkify(ui.invMsg, f.body || "");
    ui.invite.hidden = st.open;
    if (!st.open) ui.invYes.focus({preventScroll: true});
    emit("invite", {id: f.invitation_id, body: f.body, author: f.author});
  }

  // inviteReply accepts an invitation, which starts a conversation whose
  // first message is the invitation's text, or dismisses it.
  function inviteReply(accept) {
    var f = st.invite;
    ui.invite.hidden = true;
    st.invite = null;
    if (!f) return;
    var reply = {type: "invite_reply", invitation_id: f.invitation_id};
    if (accept) reply.accept = true;
    request(reply).then(function (a) {
      var c = a.conversation;
      if (!accept || !c) return;
      if (st.convID !== c.id) resetConversation(c.id);
      st.conv = c;
      save();
      sync();
      render();
    });
    if (accept) setOpen(true);
  }

  // --- a blocked visitor ---
  // blocked is called when the server refuses the visitor with the
  // blocked code: the widget says so, stops connecting and takes no more
  // input until the page is loaded again.
  function blocked() {
    if (st.blocked) return;
    st.blocked = true;
    if (conn) conn.close();
    render();
    emit("blocked");
  }

  function renderBlocked() {
    ui.prechat.hidden = ui.composer.hidden = ui.endView.hidden = ui.offline.hidden = ui.endBtn.hidden = true;
    ui.status.textContent = "";
    ui.banner.textContent = t("blocked");
    ui.banner.className = "banner blocked";
    ui.banner.hidden = false;
  }

  // --- an agent's message while the visitor looks elsewhere ---
  // An agent's message that arrives while the window is closed (the first
  // one of a chat an agent started among them) shows as a card over the
  // launcher with the agent's picture and name; a short sound plays unless
  // the shop turned it off (sound: "off"), and while the tab is in the
  // background its title flashes until the visitor comes back.
  function buildPreview() {
    ui.preview = el("section", {"class": "invite preview", part: "preview", "aria-labelledby": "pw-pv-who", hidden: true}, [
      el("div", {"class": "pv-head"}, [ui.pvAv = el("span", {"class": "av"}), ui.pvWho = el("p", {"class": "who", id: "pw-pv-who"}),
        el("button", {type: "button", "class": "x", "aria-label": t("dismiss"), text: "\u00d7", onclick: function () { ui.preview.hidden = true; }})]),
      ui.pvMsg = el("p", {"class": "text", "aria-live": "polite", dir: "auto"}),
      el("button", {type: "button", "class": "primary", text: t("accept"), onclick: function () { setOpen(true); }})
    ]);
    return ui.preview;
  }

  // avatar fills a picture element for an author: the page's picture for
  // the agent (avatars: {agentID: url}), or the initials of their name.
  function avatar(node, a) {
    var pics = opt("avatars") || {}, url = a && a.id ? safeURL(pics[a.id]) : "";
    var name = (a && a.name) || t("support");
    node.replaceChildren(url ? el("img", {src: url, alt: ""}) : name.split(/\s+/).slice(0, 2).map(function (w) { return w.charAt(0); }).join("").toUpperCase());
    node.setAttribute("aria-hidden", "true");
    return name;
  }

  // notify tells the visitor about an agent's message they have not been
  // told about yet: which one was the last is kept in localStorage, so a
  // page load or another tab replaying the conversation stays quiet.
  function notify(m) {
    if (!m.author || m.author.kind !== "agent" || m.seq <= heard()) return;
    try { localStorage.setItem("parley-heard:" + prefix, st.convID + " " + m.seq); } catch (e) { /* storage off */ }
    var away = !st.open || document.hidden;
    if (!st.open) {
      ui.pvWho.textContent = avatar(ui.pvAv, m.author);
      ui.pvMsg.replaceChildren();
      linkify(ui.pvMsg, m.body || "");
      ui.preview.hidden = false;
    }
    if (away) ding();
    if (document.hidden) flashTitle(t("newFrom", {name: ui.pvWho.textContent || m.author.name || t("support")}));
  }
  function heard() {
    var h = "";
    try { h = localStorage.getItem("parley-heard:" + prefix) || ""; } catch (e) { /* storage off */ }
    h = h.split(" ");
    return h[0] === st.convID ? Number(h[1]) || 0 : 0;
  }

  // ding plays a short tone with the Web Audio API. Browsers let a page
  // play sound only after the visitor has interacted with it.
  function ding() {
    var on = opt("sound");
    if (on === false || on === "off" || on === "false") return;
    try {
      var ac = st.audio = st.audio || new (window.AudioContext || window.webkitAudioContext)();
      var o = ac.createOscillator(), g = ac.createGain(), now = ac.currentTime;
      o.frequency.value = 880;
      g.gain.setValueAtTime(0.2, now);
      g.gain.exponentialRampToValueAtTime(0.001, now + 0.35);
      o.connect(g);
      g.connect(ac.destination);
      if (ac.state === "suspended") ac.resume();
      o.start(now);
      o.stop(now + 0.35);
    } catch (e) { /* no Web Audio */ }
  }

  // flashTitle alternates the page's title with text until the tab is
  // visible again.
  function flashTitle(text) {
    if (st.flash) return;
    var title = document.title, n = 0;
    st.flash = setInterval(function () { document.title = n++ % 2 ? title : text; }, 1000);
    document.title = text;
    var back = function () {
      if (document.hidden) return;
      clearInterval(st.flash);
      st.flash = 0;
      document.title = title;
      document.removeEventListener("visibilitychange", back);
    };
    document.addEventListener("visibilitychange", back);
  }

  // renderAgent puts the assigned agent's picture in the header, and
  // takes the preview card away once the window is open. At the chat's
  // end the window scrolls as one, so the rating card follows the
  // transcript instead of taking room from it.
  function renderAgent() {
    var c = st.conv, id = c && c.status === "open" && c.agent_id, closed = st.ended || (c && c.status === "closed");
    if (st.open) ui.preview.hidden = true;
    if (closed && !ui.panel.classList.contains("over")) {
      setTimeout(function () { ui.panel.scrollTop = ui.panel.scrollHeight; });
      loadPast();
    }
    ui.panel.classList.toggle("over", !!closed);
    if (closed || !st.convID) ui.confirm.hidden = true;
    if (st.pastShown) ui.log.hidden = ui.typing.hidden = ui.composer.hidden = ui.endView.hidden = ui.prechat.hidden = true;
    ui.headAv.hidden = !id;
    if (id) avatar(ui.headAv, {id: id, name: st.names[id]});
  }

  // --- ending a chat ---
  // "End chat" asks first, in a bar under the header.
  function buildConfirm() {
    ui.confirm = el("div", {"class": "confirm", role: "alertdialog", "aria-labelledby": "pw-confirm", hidden: true}, [
      el("p", {id: "pw-confirm", text: t("endConfirm")}),
      el("div", {"class": "row"}, [
        el("button", {type: "button", "class": "primary", text: t("end"), onclick: function () { ui.confirm.hidden = true; endChat(); }}),
        ui.keep = el("button", {type: "button", text: t("cancel"), onclick: function () { ui.confirm.hidden = true; ui.input.focus(); }})
      ])
    ]);
    return ui.confirm;
  }
  function confirmEnd() {
    ui.confirm.hidden = false;
    ui.keep.focus();
  }

  // --- earlier conversations ---
  // The header's clock lists the visitor's earlier conversations (the
  // server's history of their own); one opens read-only in place of the
  // chat, until Back or Close.
  function buildPast() {
    ui.pastBtn = el("button", {type: "button", "class": "past-btn", "aria-label": t("past"), title: t("past"), "aria-controls": "pw-past", hidden: true,
      onclick: function () { showPast(st.pastShown ? null : ""); }}, [icon("M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zm1 4v5l4 2-1 2-5-3V7z")]);
    ui.past = el("section", {"class": "past", id: "pw-past", "aria-labelledby": "pw-past-h", hidden: true}, [
      el("div", {"class": "row"}, [ui.pastBack = el("button", {type: "button", text: t("back"), onclick: function () { showPast(ui.pastList.hidden ? "" : null); }}),
        el("h3", {id: "pw-past-h", tabindex: "-1", text: t("past")})]),
      ui.pastList = el("ul", {"class": "contacts"}), ui.pastLog = el("div", {role: "log"})
    ]);
    return ui.past;
  }

  function loadPast() {
    if (!st.visitor) return;
    request({type: "history", visitor_id: st.visitor.id}).then(function (a) {
      st.pastList = (a.conversations || []).filter(function (c) { return c.status === "closed"; });
      ui.pastBtn.hidden = !st.pastList.length;
      if (st.pastShown) showPast(st.pastID ? st.pastID : "");
    });
  }

  // showPast shows the list ("") or one conversation (its id), or goes
  // back to the chat (null).
  function showPast(id) {
    st.pastShown = id != null;
    st.pastID = id || "";
    ui.past.hidden = !st.pastShown;
    ui.log.hidden = ui.composer.hidden = st.pastShown || ui.log.hidden;
    ui.pastList.hidden = !!id;
    ui.pastBtn.setAttribute("aria-expanded", String(st.pastShown));
    if (!st.pastShown) { render(); return; }
    var h = ui.past.querySelector("h3");
    h.textContent = t("past");
    ui.pastList.replaceChildren.apply(ui.pastList, st.pastList.map(function (c) {
      var label = fmt(new Date(c.created_at), {dateStyle: "medium", timeStyle: "short"}) + (c.rating ? " \u00b7 " + "\u2605".repeat(c.rating) : "");
      if (c.id === id) h.textContent = label;
      return el("li", {}, [el("button", {type: "button", "class": "fold", text: label, onclick: function () { showPast(c.id); }})]);
    }));
    if (id && st.pastSeen !== id) {
      st.pastSeen = id;
      st.pastMsgs = {};
      request({type: "sync", conversation_id: id, after_seq: 0});
    }
    renderPast();
    h.focus();
  }

  // forgetPast drops the list and any transcript on screen of a visitor
  // the widget forgets (a customer who logged out).
  function forgetPast() {
    st.pastList = [];
    st.pastSeen = "";
    ui.pastBtn.hidden = true;
    ui.pastLog.replaceChildren();
    if (st.pastShown) showPast(null);
  }

  function pastMessage(f) {
    if (!st.pastID || f.conversation_id !== st.pastID || !f.message || f.message.internal) return false;
    st.pastMsgs[f.message.seq] = f.message;
    renderPast();
    return true;
  }

  function renderPast() {
    ui.pastLog.replaceChildren.apply(ui.pastLog, !st.pastID ? [] : Object.keys(st.pastMsgs).map(Number).sort(function (a, b) { return a - b; }).map(function (q) {
      var b = bubble(st.pastMsgs[q]);
      b.querySelectorAll("p").forEach(function (p) { p.dir = "auto"; });
      return b;
    }));
  }

  // --- the page's API ---
  P.open = function () { setOpen(true); };
  P.close = function () { setOpen(false); };
  P.toggle = function () { setOpen(!st.open); };
  P.send = function (text) { sendText(text); };
  P.prefill = function (text) { if (ui.input) ui.input.value = String(text); };
  P.setTopic = function (topic) { st.topic = String(topic || ""); };
  P.on = function (ev, fn) { (listeners[ev] = listeners[ev] || []).push(fn); };
  P.off = function (ev, fn) { listeners[ev] = (listeners[ev] || []).filter(function (x) { return x !== fn; }); };
  P.language = function () { return lang; };
  P.reset = reset;
  P.page = page;
  P.refresh = refresh;

  function boot() {
    build();
    connect();
  }
  if (document.body) boot(); else document.addEventListener("DOMContentLoaded", boot);
})(window.Parley);
