// console.js: the agents' console. It is served at the agents' handler's
// root, so the protocol endpoints are beside it. Everything that comes from
// visitors or the shop is rendered as text (textContent), never as markup.
(function () {
  "use strict";
  var prefix = location.href.replace(/[?#].*$/, "").replace(/\/+$/, "");
  var $ = function (id) { return document.getElementById(id); };
  var S = {
    me: null, convs: {}, visitors: {}, selected: "", canned: [], waitWarn: 0, conn: null,
    pending: [], audio: null, typingSince: 0, history: null, limits: null, lost: false
  };

  // --- language ---
  // The console speaks the language the agent chose in its header (kept in
  // localStorage), else the first of the browser's languages it has, else
  // English. Its texts are in console_i18n.js.
  var P = window.Parley, langKey = "parley-console-lang", lang = pickLang();

  function pickLang() {
    var stored = "";
    try { stored = localStorage.getItem(langKey) || ""; } catch (e) { /* no storage: the browser decides */ }
    var tags = [stored].concat(navigator.languages || [navigator.language]).filter(Boolean);
    var known = tags.map(function (x) {
      var l = String(x).toLowerCase(), base = l.split("-")[0];
      return P.consoleI18n[l] ? l : P.consoleI18n[base] ? base : "";
    }).filter(Boolean);
    return known[0] || "en";
  }

  function t(key, vars) { return P.translate(lang, key, vars, P.consoleI18n); }

  // unit writes an amount of time the short way of the language: 5s, 5 s, 5 с.
  function unit(n, name) {
    return new Intl.NumberFormat(lang, {style: "unit", unit: name, unitDisplay: "narrow"}).format(n);
  }

  // translatePage writes the page's own texts in the language: an element
  // with data-t gets that text (data-n being the number of a plural text),
  // data-t-label its aria-label and data-t-placeholder its placeholder.
  // The language list offers every language in its own name.
  function translatePage() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-t]").forEach(function (e) {
      e.textContent = t(e.getAttribute("data-t"), {n: e.getAttribute("data-n")});
    });
    document.querySelectorAll("[data-t-label]").forEach(function (e) { e.setAttribute("aria-label", t(e.getAttribute("data-t-label"))); });
    document.querySelectorAll("[data-t-placeholder]").forEach(function (e) { e.placeholder = t(e.getAttribute("data-t-placeholder")); });
    var sel = $("lang");
    sel.replaceChildren.apply(sel, Object.keys(P.consoleI18n).map(function (l) {
      return el("option", {value: l, lang: l, text: P.consoleI18n[l].languageName || l});
    }));
    sel.value = lang;
  }

  // setLang switches the console to another language and remembers it.
  function setLang(l) {
    lang = l;
    try { localStorage.setItem(langKey, l); } catch (e) { /* kept for this page only */ }
    translatePage();
    render();
    renderVisitors();
    if (S.stats) drawStats(S.stats);
    renderTags();
    renderResults();
  }

  // errorText is what the console says about a refused request: a text of
  // its own for the codes an agent meets, else the server's message.
  function errorText(e) {
    var own = P.consoleI18n.en["err_" + e.code] != null;
    return own ? t("err_" + e.code) : e.message || e.code;
  }



  function uuid() { return crypto.randomUUID(); }

  function ago(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return unit(s, "second");
    if (s < 3600) return unit(Math.floor(s / 60), "minute") + " " + unit(s % 60, "second");
    return unit(Math.floor(s / 3600), "hour") + " " + unit(Math.floor(s % 3600 / 60), "minute");
  }

  // round shows a histogram bound: 30s, 5m, 1h.
  function round(ms) {
    var s = Math.round(ms / 1000);
    return s < 60 ? unit(s, "second") : s < 3600 ? unit(Math.round(s / 60), "minute") : unit(Math.round(s / 3600), "hour");
  }

  function request(f) {
    var p = S.conn ? S.conn.request(f) : Promise.reject({code: "disconnected"});
    p.catch(function (e) { if (e && e.code !== "disconnected") flash(errorText(e)); });
    return p;
  }

  function flash(text) {
    $("conn").textContent = text;
    clearTimeout(S.flashTimer);
    S.flashTimer = setTimeout(function () { $("conn").textContent = ""; }, 5000);
  }

  // --- conversations ---
  function conv(id) {
    if (!S.convs[id]) S.convs[id] = {id: id, info: null, msgs: {}, lastSeq: 0, unread: 0, seenByVisitor: 0, queue: null};
    return S.convs[id];
  }

  function visitorOf(c) {
    var vid = c.info && c.info.visitor_id;
    return vid ? S.visitors[vid] || null : null;
  }
  function visitorName(c) {
    var v = visitorOf(c);
    var name = v && v.visitor && v.visitor.name;
    if (name) return name;
    if (c.visitorName) return c.visitorName;
    return anonymous(c.info ? c.info.visitor_id : c.id);
  }

  // anonymous names a visitor without a name by the end of their id: ids
  // begin with the time they were made, so their starts look alike.
  function anonymous(id) { return t("anonymous", {id: String(id).slice(-6)}); }

  // setInfo records a conversation's state, unless an event or summary
  // already brought a later one.
  function setInfo(info) {
    var c = conv(info.id), was = c.info ? c.info.status : "";
    if (c.info && c.info.version > info.version) return c;
    c.info = info;
    if (!was && info.status === "queued") notify(t("newInQueue"), visitorName(c));
    if (!was && info.status === "waiting") notify(t("newOffline"), visitorName(c));
    return c;
  }

  function addMessage(m) {
    if (!m) return;
    var c = conv(m.conversation_id);
    if (c.msgs[m.seq]) return;
    c.msgs[m.seq] = m;
    if (m.seq > c.lastSeq) c.lastSeq = m.seq;
    if (m.author && m.author.kind === "visitor" && m.author.name) c.visitorName = m.author.name;
    S.pending = S.pending.filter(function (p) { return p.key !== m.idempotency_key; });
    var fromVisitor = m.author && m.author.kind === "visitor";
    if (fromVisitor && c.synced) {
      if (S.selected !== c.id || document.hidden) {
        c.unread++;
        notify(t("messageFrom", {name: visitorName(c)}), m.body);
      }
    }
    if (fromVisitor && S.selected === c.id) $("typing").textContent = "";
  }

  function mine(c) { return !!(c.info && S.me && c.info.agent_id === S.me.id); }

  // follow keeps the connection following what the console needs: the
  // agent's own conversations and the one on screen. A sync of another
  // agent's or a queued conversation watches it until unwatch; one that
  // left the agent is no longer followed, and is synced again when it is
  // on screen or next opened.
  function follow(c) {
    var need = mine(c) || c.id === S.selected;
    if (need && (!c.following || c.watched === false && !mine(c))) syncConv(c.id);
    else if (!need && c.watched === false) c.following = c.synced = false;
  }

  function syncConv(id) {
    var c = conv(id);
    c.following = true;
    c.watched = !mine(c);
    return request({type: "sync", conversation_id: id, after_seq: c.lastSeq}).then(function () {
      c.synced = true;
      render();
      markRead();
    });
  }

  // --- notifications: a short tone and, when allowed, a desktop notice ---
  function notify(title, body) {
    beep();
    if (window.Notification && Notification.permission === "granted" && document.hidden) {
      try { new Notification(title, {body: String(body || "").slice(0, 120)}); } catch (e) { /* not allowed here */ }
    }
  }
  function beep() {
    var a = S.audio;
    if (!a) return;
    try {
      var o = a.createOscillator(), g = a.createGain();
      o.frequency.value = 880;
      g.gain.setValueAtTime(0.08, a.currentTime);
      g.gain.exponentialRampToValueAtTime(0.0001, a.currentTime + 0.25);
      o.connect(g);
      g.connect(a.destination);
      o.start();
      o.stop(a.currentTime + 0.25);
    } catch (e) { /* no sound */ }
  }
  document.addEventListener("click", function () {
    if (!S.audio && window.AudioContext) S.audio = new AudioContext();
  }, {once: true});

  // --- rendering ---
  function render() {
    renderLists();
    renderConv();
    renderInfo();
  }

  function renderLists() {
    var lists = {queue: [], waiting: [], mine: [], others: []}, unread = 0, now = Date.now();
    Object.keys(S.convs).forEach(function (id) {
      var c = S.convs[id], i = c.info;
      if (!i || i.status === "closed" && S.selected !== id) return;
      unread += c.unread;
      var key = i.status === "queued" ? "queue" : i.status === "waiting" ? "waiting" : i.agent_id === (S.me && S.me.id) ? "mine" : "others";
      if (i.status === "closed") key = i.agent_id === (S.me && S.me.id) ? "mine" : "others";
      lists[key].push(c);
    });
    Object.keys(lists).forEach(function (k) {
      var ul = $(k), items = lists[k].sort(function (a, b) { return a.info.created_at < b.info.created_at ? -1 : 1; });
      // Items are updated in place, so that the list can be redrawn every
      // second without taking the focus or a click away from its buttons.
      items = items.map(function (c) { return convItem(ul, c, now); });
      items.forEach(function (li, i) { if (ul.children[i] !== li) ul.insertBefore(li, ul.children[i] || null); });
      while (ul.children.length > items.length) ul.lastChild.remove();
    });
    $("queue-count").textContent = String(lists.queue.length);
    $("unread-total").hidden = !unread;
    $("unread-total").textContent = String(unread);
    document.title = (unread ? "(" + unread + ") " : "") + t("title");
  }

  function convItem(ul, c, now) {
    var li = ul.querySelector('li[data-id="' + c.id + '"]');
    if (!li) {
      li = el("li", {"data-id": c.id}, [el("button", {type: "button", onclick: function () { select(c.id); }}, [
        el("span", {"class": "name"}), el("span", {"class": "pill unread-count"}), el("span", {"class": "meta"}), el("span", {"class": "preview"})
      ])]);
    }
    var waited = now - Date.parse(c.info.created_at);
    var warn = (c.info.status === "queued" || c.info.status === "waiting") && S.waitWarn > 0 && waited > S.waitWarn;
    var last = c.msgs[c.lastSeq];
    li.className = "conv-item" + (c.id === S.selected ? " selected" : "") + (warn ? " warn" : "") + (c.unread ? " unread" : "");
    var b = li.firstChild, parts = b.children;
    if (c.id === S.selected) b.setAttribute("aria-current", "true"); else b.removeAttribute("aria-current");
    // Only changed text is touched: a click that lands while the list
    // ticks keeps its target.
    var put = function (n, text) {
      if (n.textContent !== text) n.textContent = text;
      n.hidden = !text;
    };
    put(parts[0], visitorName(c));
    put(parts[1], c.unread ? String(c.unread) : "");
    parts[1].setAttribute("aria-label", t("unread", {n: c.unread}));
    put(parts[2], [c.info.department, c.info.status === "closed" ? t("status_closed") : "", ago(waited) + (warn ? " " + t("waitingLong") : "")].filter(Boolean).join(" · "));
    put(parts[3], last ? last.body : "");
    return li;
  }

  function select(id) {
    var before = S.selected && S.convs[S.selected];
    if (before && before.id !== id && before.watched) {
      // No longer on screen: stop watching it, unless it became the
      // agent's own meanwhile.
      before.watched = false;
      request({type: "unwatch", conversation_id: before.id});
      if (!mine(before)) before.following = before.synced = false;
    }
    S.selected = id;
    var c = conv(id);
    c.unread = 0;
    $("transfer-form").hidden = true;
    $("block-form").hidden = true;
    S.history = null;
    loadTags(id);
    if (!c.following) syncConv(id);
    render();
    markRead();
    $("input").focus();
  }

  function renderConv() {
    var c = S.selected && S.convs[S.selected];
    $("empty").hidden = !!c;
    $("conv-body").hidden = !c;
    if (!c || !c.info) return;
    var i = c.info, mine = i.agent_id === (S.me && S.me.id);
    $("conv-title").textContent = visitorName(c) + (i.department ? " · " + i.department : "");
    var st = c.queue && i.status === "queued" ? t("queuedAt", {position: c.queue.position}) : t("status_" + i.status);
    if (i.rating) st += " · " + t("rated", {n: i.rating});
    $("conv-status").textContent = st;
    $("pick-btn").hidden = !(i.status === "queued" || i.status === "waiting") && mine;
    $("pick-btn").textContent = i.status === "open" && !mine ? t("takeOver") : t("pick");
    $("close-btn").hidden = i.status === "closed";
    $("block-btn").hidden = !!blockOf(i.visitor_id);
    $("transfer-btn").hidden = i.status === "closed";
    $("shop-actions").hidden = i.status === "closed" || !(S.actions || []).length;
    if (i.status === "closed") $("action-form").hidden = true;
    $("composer").hidden = i.status === "closed";
    var log = $("log"), atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    var seqs = Object.keys(c.msgs).map(Number).sort(function (a, b) { return a - b; });
    var frag = document.createDocumentFragment();
    seqs.forEach(function (s) { frag.append(bubble(c.msgs[s], c)); });
    S.pending.forEach(function (p) {
      if (p.conv === c.id) frag.append(p.failed ? failedBubble(p, c) : bubble({author: {kind: "agent", name: S.me.name}, body: p.body, internal: p.note}, c, t("sending")));
    });
    log.replaceChildren(frag);
    if (atBottom || S.scrollDown) log.scrollTop = log.scrollHeight;
    S.scrollDown = false;
    applyRole(i);
  }

  function bubble(m, c, state) {
    var kind = (m.author && m.author.kind) || "system";
    var b = el("div", {"class": "msg " + kind + (m.internal ? " note" : ""), "data-seq": m.seq || null});
    var who = m.internal ? t("note") + " · " : "";
    who += kind === "visitor" ? visitorName(c) : (m.author && m.author.name) || t(kind);
    var time = m.created_at ? new Date(m.created_at).toLocaleTimeString(lang, {hour: "2-digit", minute: "2-digit"}) : "";
    b.append(el("span", {"class": "who", text: who + (time ? " · " + time : "")}));
    if (m.body || !m.card && !(m.attachments || []).length) {
      var p = el("p");
      linkify(p, m.body || "");
      b.append(p);
    }
    if (m.card) b.append(cardNode(m.card));
    if (m.quick_replies && m.quick_replies.length) {
      b.append(el("ul", {"class": "quick", "aria-label": "Quick replies offered"}, m.quick_replies.map(function (q) { return el("li", {text: String(q)}); })));
    }
    parleyFiles(b, prefix, m.attachments, "");
    if (state) b.append(el("span", {"class": "state", text: state}));
    else if (kind === "agent" && !m.internal && m.seq <= c.seenByVisitor) b.append(el("span", {"class": "state", text: t("seen")}));
    return b;
  }

  function dl(pairs) {
    var d = el("dl");
    pairs.forEach(function (p) {
      if (p[1] == null || p[1] === "") return;
      d.append(el("dt", {text: p[0]}), el("dd", {}, [p[1] instanceof Node ? p[1] : String(p[1])]));
    });
    return d;
  }

  // contextNode shows the shop's free-form context as nested lists, with
  // times in the agent's zone; never as markup.
  function contextNode(ctx) {
    if (ctx == null) return null;
    if (Array.isArray(ctx)) return el("ul", {"class": "ctx"}, ctx.map(function (v) { return el("li", {}, [contextNode(v)]); }));
    if (typeof ctx !== "object") return String(when(ctx));
    return dl(Object.keys(ctx).map(function (k) { return [k, contextNode(ctx[k])]; }));
  }

  // when shows an RFC 3339 time as a date and time in the agent's zone,
  // and leaves anything else as it is.
  function when(v) {
    if (typeof v !== "string" || !/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(v) || isNaN(Date.parse(v))) return v;
    return new Date(v).toLocaleString([], {dateStyle: "medium", timeStyle: "short"});
  }

  // adminLink links text to the shop's back office when the URL is http
  // or https.
  function adminLink(text, url, cls) {
    var href = safeURL(url);
    return href ? el("a", {href: href, target: "_blank", rel: "noopener noreferrer", "class": cls || null, text: text}) : el("span", {"class": cls || null, text: text});
  }

  // shopNode shows what the shop tells about the visitor: the customer
  // with their latest orders, and the cart, as lists.
  function shopNode(shop) {
    var kids = [], cu = shop.customer, cart = shop.cart;
    if (cu) {
      kids.push(el("h3", {text: "Customer"}), el("p", {"class": "customer"}, [adminLink(cu.name || cu.id, cu.admin_url), cu.email ? " · " + cu.email : null]));
      if (cu.orders && cu.orders.length) {
        kids.push(el("h3", {text: "Last orders"}), el("ul", {"class": "orders"}, cu.orders.map(function (o) {
          return el("li", {}, [adminLink("#" + o.number, o.admin_url, "number"), " · ",
            el("time", {datetime: o.placed_at, text: when(o.placed_at)}), " · ", el("span", {"class": "total", text: money(o.total)}),
            " · ", el("span", {"class": "status", text: o.status || ""})]);
        })));
      }
    }
    if (cart) {
      kids.push(el("h3", {}, [adminLink("Cart", cart.admin_url), " ", el("span", {"class": "cart-value", text: money(cart.value)})]));
      kids.push(el("ul", {"class": "cart"}, (cart.items || []).map(function (it) {
        var href = safeURL(it.url);
        return el("li", {}, [String(it.quantity) + " × ", href ? el("a", {href: href, target: "_blank", rel: "noopener noreferrer", text: it.name}) : it.name,
          " · ", money(it.total)]);
      })));
      if (!(cart.items || []).length) kids.push(el("p", {text: "Empty."}));
    }
    return el("div", {"class": "shop"}, kids);
  }

  // shopSummary is the visitors table's short note of the shop's context.
  function shopSummary(v) {
    if (!v.shop) return contextNode(v.context);
    var parts = [];
    if (v.shop.customer) parts.push(v.shop.customer.name || v.shop.customer.id);
    if (v.shop.cart) parts.push("cart " + money(v.shop.cart.value) + " (" + (v.shop.cart.items || []).length + ")");
    return parts.join(" · ");
  }

  function pageLink(p) {
    if (!p || !p.url) return null;
    var ok = /^https?:\/\//i.test(p.url);
    var text = p.title ? p.title + " — " + p.url : p.url;
    return ok ? el("a", {href: p.url, target: "_blank", rel: "noopener noreferrer", text: text}) : el("span", {text: text});
  }

  function renderInfo() {
    var box = $("info"), c = S.selected && S.convs[S.selected];
    if (!c || !c.info) { box.replaceChildren(); return; }
    var v = visitorOf(c) || {};
    var who = v.visitor || {};
    var kids = [el("h2", {text: visitorName(c)}), dl([
      [t("email"), who.email], [t("customerId"), who.customer_id],
      [t("currentPage"), pageLink(v.page)],
      [t("onSite"), v.online_since ? ago(Date.now() - Date.parse(v.online_since)) : ""],
      [t("returning"), v.returning == null ? "" : v.returning ? t("yes") : t("no")],
      [t("onlineNow"), S.visitors[c.info.visitor_id] ? t("yes") : t("no")]
    ])];
    var blk = blockInfo(c.info.visitor_id);
    if (blk) kids.push(blk);
    if (v.pages && v.pages.length) {
      kids.push(el("h3", {text: t("pagesVisited")}), el("ol", {"class": "pages"}, v.pages.map(function (p) { return el("li", {}, [pageLink(p)]); })));
    }
    if (v.shop) kids.push(shopNode(v.shop));
    if (v.context != null) kids.push(el("h3", {text: t("shopContext")}), contextNode(v.context));
    if (v.invitations && v.invitations.length) {
      kids.push(el("h3", {text: t("invitations")}), el("ul", {"class": "invitations"}, v.invitations.map(function (x) {
        return el("li", {text: x.rule + ": " + x.status + " — " + x.body});
      })));
    }
    if (S.history) {
      kids.push(el("h3", {text: t("earlier")}));
      var list = S.history.filter(function (h) { return h.id !== c.id; });
      if (!list.length) kids.push(el("p", {text: t("none")}));
      kids.push(el("ul", {"class": "history"}, list.map(function (h) {
        return el("li", {}, [el("button", {type: "button", onclick: function () {
          setInfo(h);
          select(h.id);
        }, text: new Date(h.created_at).toLocaleString(lang) + " · " + t("status_" + h.status) + (h.rating ? " · " + h.rating + "/5" : "")})]);
      })));
    }
    box.replaceChildren.apply(box, kids);
  }

  function renderVisitors() {
    var body = document.querySelector("#visitors tbody"), now = Date.now();
    var ids = Object.keys(S.visitors);
    $("visitor-count").textContent = String(ids.length);
    $("no-visitors").hidden = ids.length > 0;
    body.replaceChildren.apply(body, ids.map(function (id) {
      var v = S.visitors[id], who = v.visitor || {id: id};
      var chatting = v.conversation_id || v.chatting || "";
      return el("tr", {"data-visitor": id}, [
        el("td", {}, [el("span", {"class": "name", text: who.name || anonymous(id)}), who.email ? el("small", {text: " " + who.email}) : null]),
        el("td", {}, [pageLink(v.page)]),
        el("td", {"class": "since", "data-since": v.online_since || "", text: v.online_since ? ago(now - Date.parse(v.online_since)) : ""}),
        el("td", {text: String((v.pages || []).length)}),
        el("td", {text: chatting ? t("chatting") : v.returning ? t("returningVisitor") : ""}),
        el("td", {}, [shopSummary(v)]),
        el("td", {}, [chatting ? el("button", {type: "button", text: t("openChat"), onclick: function () { show("chats"); select(chatting); }}) :
          el("button", {type: "button", "class": "primary start-chat", text: t("startChat"), onclick: function () { startChat(id); }})])
      ]);
    }));
  }

  function startChat(visitorID) {
    request({type: "start", visitor_id: visitorID}).then(function (a) {
      if (a.conversation) setInfo(a.conversation);
      var c = conv(a.conversation_id);
      c.following = c.synced = true;
      c.watched = false;
      show("chats");
      select(a.conversation_id);
    });
  }

  // --- actions ---
  function markRead() {
    var c = S.selected && S.convs[S.selected];
    if (!c || document.hidden || !c.lastSeq || c.readSent >= c.lastSeq || !S.conn || !S.conn.isOpen()) return;
    c.readSent = c.lastSeq;
    request({type: "read", conversation_id: c.id, seq: c.lastSeq});
  }
  document.addEventListener("visibilitychange", function () {
    var c = S.selected && S.convs[S.selected];
    if (c && !document.hidden) { c.unread = 0; markRead(); renderLists(); }
  });

  function fill(text, c) {
    var v = visitorOf(c);
    var name = (v && v.visitor && v.visitor.name) || c.visitorName || "";
    return text.replace(/\{name\}/g, name).replace(/\{agent\}/g, S.me ? S.me.name : "");
  }

  function submit() {
    var c = S.selected && S.convs[S.selected];
    var input = $("input"), body = input.value.trim();
    if (!c || !body) return;
    var canned = expandCanned(body, c);
    if (canned !== null) { input.value = canned; return; }
    if (checkLength()) return;
    input.value = "";
    stopTyping();
    var note = $("note-mode").checked;
    S.pending.push({key: uuid(), conv: c.id, body: body, note: note});
    S.scrollDown = true;
    flush();
    renderConv();
  }

  // --- attachments: a button in the composer's bar; the file goes as a message of its own ---
  function buildAttach() {
    var input = el("input", {type: "file", id: "attach-input", hidden: true, onchange: function () {
      var f = input.files[0], c = S.selected && S.convs[S.selected];
      input.value = "";
      if (f && c) attach(f, c);
    }});
    var btn = el("button", {type: "button", id: "attach-btn", hidden: true, "data-t": "attachFile", text: t("attachFile"), onclick: function () { input.click(); }});
    var bar = $("composer").querySelector(".bar");
    bar.insertBefore(btn, bar.lastElementChild);
    bar.append(input);
    $("composer").insertBefore(el("p", {id: "upload", "class": "hint", role: "status", "aria-live": "polite", hidden: true}), bar);
  }
  function attachReady() {
    var l = S.limits || {};
    $("attach-btn").hidden = !l.file;
    if (l.file_types) $("attach-input").setAttribute("accept", l.file_types.join(","));
  }
  function uploadStatus(text, err) {
    var u = $("upload");
    u.hidden = !text;
    u.classList.toggle("err", !!err);
    u.textContent = text;
  }
  function attach(file, c) {
    var l = S.limits || {};
    if (l.file && file.size > l.file) return uploadStatus(file.name + ": over the limit of " + Math.floor(l.file / 1048576) + " MB", true);
    var show = function (p) { uploadStatus("Sending " + file.name + "… " + Math.round(p * 100) + "%"); };
    show(0);
    parleyUpload(prefix, c.id, file, "", show).then(function (a) {
      return request({type: "send", conversation_id: c.id, key: uuid(), files: [a.file_id]});
    }).then(function () { uploadStatus(""); S.scrollDown = true; }, function (e) {
      uploadStatus(file.name + " was not sent: " + ((e && e.message) || "try again"), true);
    });
  }

  function flush() {
    if (!S.conn || !S.conn.isOpen()) return;
    S.pending.forEach(function (p) {
      if (p.inflight || p.failed) return;
      if (S.limits && parleyBytes(p.body) > S.limits.body) return sendRefused(p, {code: "too_large"});
      p.inflight = true;
      request({type: p.note ? "note" : "send", conversation_id: p.conv, key: p.key, body: p.body}).then(function () {
        p.inflight = false;
      }, function (e) {
        p.inflight = false;
        sendRefused(p, e);
      });
    });
  }

  // sendRefused shows a reply the server did not take as not delivered,
  // with its text kept to retry, unless it is sent again.
  function sendRefused(p, e) {
    if (parleyUnsent(p, e, flush)) renderConv();
  }

  // failedBubble shows a reply that was not delivered, with a button that
  // sends it again with the same key.
  function failedBubble(p, c) {
    var b = bubble({author: {kind: "agent", name: S.me.name}, body: p.body, internal: p.note}, c, "");
    b.classList.add("failed");
    b.append(el("span", {"class": "state failed"}, [t("notDelivered"), el("button", {type: "button", "class": "retry", text: t("retry"), onclick: function () {
      if (p.failed === "key_reused") p.key = uuid(); // the key is another message's
      p.failed = "";
      p.tries = 0;
      flush();
      renderConv();
    }})]));
    return b;
  }

  // checkLength warns, before anything is sent, that the reply is over the
  // server's limit, and reports whether it is.
  function checkLength() {
    var n = S.limits ? parleyBytes($("input").value.trim()) : 0, over = !!S.limits && n > S.limits.body;
    $("too-long").textContent = over ? t("tooLong", {n: n, limit: S.limits.body}) : "";
    $("too-long").hidden = !over;
    $("input").setAttribute("aria-invalid", String(over));
    return over;
  }

  // expandCanned turns "/shortcut" into its text, or returns null.
  function expandCanned(body, c) {
    if (body[0] !== "/") return null;
    var cut = body.slice(1).toLowerCase();
    var hit = S.canned.filter(function (x) { return String(x.shortcut).replace(/^\//, "").toLowerCase() === cut; })[0];
    return hit ? fill(hit.text, c) : null;
  }

  function cannedHint() {
    var v = $("input").value, hint = $("canned-hint");
    if (v[0] !== "/") { hint.textContent = ""; return; }
    var cut = v.slice(1).toLowerCase();
    var hits = S.canned.filter(function (x) { return String(x.shortcut).replace(/^\//, "").toLowerCase().indexOf(cut) === 0; });
    hint.textContent = hits.slice(0, 5).map(function (x) { return "/" + String(x.shortcut).replace(/^\//, "") + " → " + x.text; }).join("   ");
  }

  function onTyping() {
    cannedHint();
    var c = S.selected && S.convs[S.selected];
    if (!c || $("note-mode").checked || !S.conn || !S.conn.isOpen()) return;
    var now = Date.now();
    if (now - S.typingSince > 3000) {
      S.typingSince = now;
      S.conn.send({type: "typing", conversation_id: c.id, typing: true});
    }
    clearTimeout(S.idle);
    S.idle = setTimeout(stopTyping, 4000);
  }
  function stopTyping() {
    clearTimeout(S.idle);
    var c = S.selected && S.convs[S.selected];
    if (S.typingSince && c && S.conn && S.conn.isOpen()) S.conn.send({type: "typing", conversation_id: c.id, typing: false});
    S.typingSince = 0;
  }

  function show(view) {
    ["chats", "visitors", "stats", "search"].forEach(function (v) {
      $("view-" + v).hidden = v !== view;
      $("tab-" + v).setAttribute("aria-selected", String(v === view));
    });
    if (view === "stats" && !$("stats").childNodes.length) loadStats();
  }

  // --- statistics, drawn as inline SVG ---
  function loadStats() {
    var f = $("stats-form"), from = f.elements.from.value, to = f.elements.to.value;
    var tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var start = new Date(from + "T00:00:00"), end = new Date(to + "T00:00:00");
    end.setDate(end.getDate() + 1);
    request({type: "stats", from: start.toISOString(), to: end.toISOString(), tz: tz, tag: f.elements.tag.value.trim()}).then(function (a) {
      S.stats = a.stats || {};
      drawStats(S.stats);
      exportReport(S.stats);
    });
  }

  // drawStats shows the service report of the stats frame: figures for
  // the period, charts per day, per hour and of the ratings, and a table
  // per agent. Durations arrive in nanoseconds.
  function drawStats(r) {
    var box = $("stats"), total = r.total || {};
    var dur = function (d) { return d && d.count ? ago(d.median / 1e6) : "–"; };
    var avg = function (x) {
      var n = 0, sum = 0;
      (x.ratings || []).forEach(function (c, stars) { if (stars > 0) { n += c; sum += c * stars; } });
      var one = new Intl.NumberFormat(lang, {minimumFractionDigits: 1, maximumFractionDigits: 1});
      return n ? t("ratingAverage", {average: one.format(sum / n), n: n}) : "–";
    };
    var share = function (x) {
      var n = (x.resolved || 0) + (x.unresolved || 0);
      return n ? Math.round(100 * x.resolved / n) + "%" : "–";
    };
    var tiles = el("div", {"class": "tiles"}, [
      [t("conversations"), total.conversations], [t("answered"), total.answered], [t("missed"), total.missed], [t("offlineRequests"), total.offline],
      [t("messages"), total.messages], [t("medianQueue"), dur(total.queue_wait)], [t("medianFirst"), dur(total.first_response)],
      [t("medianClose"), dur(total.resolution)], [t("rating"), avg(total)], [t("resolved"), share(total)]
    ].map(function (x) {
      return el("div", {"class": "tile"}, [el("span", {"class": "v", text: String(x[1] == null ? 0 : x[1])}), el("span", {"class": "k", text: x[0]})]);
    }));
    var days = (r.days || []).map(function (d) { return [String(d.date).slice(5), d.conversations || 0]; });
    var hours = (r.by_hour || []).map(function (n, h) { return [String(h), n]; });
    var stars = (total.ratings || []).slice(1).map(function (n, i) { return [(i + 1) + "★", n]; });
    // A histogram's buckets hold durations up to up_to (nanoseconds); the
    // last, with up_to 0, holds the longer ones.
    var bars = function (d) {
      var hs = (d && d.histogram) || [], prev = 0;
      return hs.map(function (b) {
        var label = b.up_to ? "≤" + round(b.up_to / 1e6) : ">" + round(prev / 1e6);
        prev = b.up_to || prev;
        return [label, b.count];
      });
    };
    var agents = el("table", {"class": "agents"}, [
      el("thead", {}, [el("tr", {}, ["agent", "conversations", "answered", "missed", "medianFirst", "rating", "resolved"].map(function (h) {
        return el("th", {scope: "col", text: t(h)});
      }))]),
      el("tbody", {}, (r.agents || []).map(function (a) {
        return el("tr", {}, [a.agent_id || t("noAgent"), a.conversations, a.answered, a.missed, dur(a.first_response), avg(a), share(a)].map(function (v) {
          return el("td", {text: String(v == null ? 0 : v)});
        }));
      }))
    ]);
    box.replaceChildren(
      el("p", {"class": "period", text: new Date(r.from).toLocaleDateString(lang) + " – " + new Date(new Date(r.to) - 1).toLocaleDateString(lang) + (r.location ? " (" + r.location + ")" : "")}),
      tiles,
      chart(t("perDay"), days),
      chart(t("byHour"), hours),
      chart(t("waitInQueue"), bars(total.queue_wait)),
      chart(t("firstResponse"), bars(total.first_response)),
      chart(t("ratings"), stars),
      el("h3", {text: t("agents")}), agents
    );
  }

  function chart(title, rows) {
    var ns = "http://www.w3.org/2000/svg", w = 640, h = 220, pad = 30;
    var max = Math.max.apply(null, rows.map(function (r) { return r[1]; }).concat([1]));
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 " + w + " " + h);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", title);
    var bw = (w - pad * 2) / Math.max(rows.length, 1);
    var mk = function (tag, a, text) {
      var n = document.createElementNS(ns, tag);
      Object.keys(a).forEach(function (k) { n.setAttribute(k, a[k]); });
      if (text != null) n.textContent = text;
      svg.append(n);
      return n;
    };
    mk("line", {x1: pad, y1: h - pad, x2: w - pad, y2: h - pad, "class": "axis"});
    rows.forEach(function (r, i) {
      var bh = (h - pad * 2) * r[1] / max, x = pad + i * bw;
      var bar = mk("rect", {x: x + bw * 0.15, y: h - pad - bh, width: bw * 0.7, height: Math.max(bh, 0), "class": "bar"});
      var tip = document.createElementNS(ns, "title");
      tip.textContent = r[0] + ": " + r[1];
      bar.append(tip);
      if (rows.length <= 31) mk("text", {x: x + bw / 2, y: h - pad + 14, "class": "lbl"}, r[0]);
      if (r[1] && rows.length <= 24) mk("text", {x: x + bw / 2, y: h - pad - bh - 4, "class": "val"}, String(Math.round(r[1] * 10) / 10));
    });
    return el("figure", {"class": "chart"}, [el("figcaption", {text: title}), svg]);
  }

  // --- frames from the server ---
  function onWelcome(w) {
    S.limits = w.limits || S.limits;
    attachReady();
    S.me = w.agent;
    S.role = w.role || "";
    document.body.setAttribute("data-role", S.role);
    $("stats-scope").hidden = S.role !== "agent";
    $("me-name").textContent = w.agent.name || w.agent.id;
    $("presence").value = w.agent.status === "away" ? "away" : "online";
    document.body.setAttribute("data-presence", $("presence").value);
    S.canned = w.canned || [];
    S.waitWarn = w.wait_warning_ms || 0;
    setActions(w.actions || []);
    var sel = $("canned");
    sel.replaceChildren(el("option", {value: "", "data-t": "cannedPick", text: t("cannedPick")}));
    S.canned.forEach(function (x, i) { sel.append(el("option", {value: String(i), text: "/" + String(x.shortcut).replace(/^\//, "") + " — " + x.text})); });
    if (w.visitors) {
      S.visitors = {};
      w.visitors.forEach(function (v) { S.visitors[vid(v)] = v; });
    }
    (w.conversations || []).forEach(function (i) { setInfo(i); });
    loadBlocks();
    // The agent's own conversations and the one on screen are followed;
    // the rest of the shop arrives in conversations summaries.
    Object.keys(S.convs).forEach(function (id) {
      var c = S.convs[id];
      c.following = c.synced = false;
      c.watched = undefined;
      if (mine(c) && c.info.status !== "closed" || id === S.selected) syncConv(id);
    });
    flush();
    render();
    renderVisitors();
  }

  function vid(v) { return (v.visitor && v.visitor.id) || v.visitor_id || v.id; }

  function onFrame(f) {
    switch (f.type) {
      case "message":
        addMessage(f.message);
        break;
      case "assigned":
      case "status":
      case "rated":
        if (f.conversation) {
          var c = setInfo(f.conversation);
          follow(c);
          if (f.type === "assigned" && f.conversation.agent_id === S.me.id && f.previous_agent_id && f.previous_agent_id !== S.me.id) {
            notify(t("transferredToYou"), visitorName(c));
          }
        }
        break;
      case "queue":
        conv(f.conversation_id).queue = f;
        break;
      case "conversations":
        // A summary of the shop's changed conversations, at most a few a
        // second: each in its newest state, and the queue places.
        (f.conversations || []).forEach(function (i) { follow(setInfo(i)); });
        (f.queue || []).forEach(function (q) { conv(q.conversation_id).queue = q; });
        break;
      case "typing":
        if (f.conversation_id === S.selected && f.author && f.author.kind === "visitor") {
          clearTimeout(S.typingTimer);
          $("typing").textContent = f.typing ? t("typing", {name: visitorName(conv(f.conversation_id))}) : "";
          if (f.typing) S.typingTimer = setTimeout(function () { $("typing").textContent = ""; }, 6000);
        }
        return;
      case "read":
        if (f.author && f.author.kind === "visitor") {
          var rc = conv(f.conversation_id);
          if (f.seq > rc.seenByVisitor) rc.seenByVisitor = f.seq;
        }
        break;
      case "visitor":
        if (f.state) S.visitors[f.visitor_id || vid(f.state)] = f.state;
        renderVisitors();
        break;
      case "visitor_left":
        delete S.visitors[f.visitor_id];
        renderVisitors();
        break;
      default:
        return;
    }
    render();
  }

  // --- the shop's actions ---
  // setActions makes a button per action of the shop. One that asks for
  // a value opens a small form first.
  function setActions(list) {
    S.actions = list;
    $("shop-actions").replaceChildren.apply($("shop-actions"), list.map(function (a) {
      return el("button", {type: "button", "data-action": a.name, text: a.label, onclick: function () {
        if (!a.input) return runAction(a, "");
        var f = $("action-form");
        f.setAttribute("data-action", a.name);
        $("action-prompt").textContent = a.input;
        f.hidden = false;
        f.elements.value.focus();
      }});
    }));
  }

  // runAction asks the server to run the shop's action on the conversation
  // on screen; its result arrives as a message.
  function runAction(a, value) {
    var c = S.convs[S.selected];
    if (!c) return;
    var fr = {type: "action", conversation_id: c.id, action: a.name, key: uuid()};
    if (value) fr.input = value;
    S.scrollDown = true;
    request(fr).then(function () { flash(a.label + ": done"); });
  }

  function wireActions() {
    var f = $("action-form");
    $("action-cancel").addEventListener("click", function () { f.hidden = true; f.reset(); });
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      var name = f.getAttribute("data-action");
      var a = (S.actions || []).filter(function (x) { return x.name === name; })[0];
      if (!a) return;
      runAction(a, f.elements.value.value.trim());
      f.hidden = true;
      f.reset();
    });
  }

  // --- blocking visitors ---
  // S.blocks are the blocks in force, read when the console connects and
  // kept up to date with the ones this console makes and lifts.
  function loadBlocks() {
    request({type: "blocks"}).then(function (a) { S.blocks = a.blocks || []; render(); });
  }

  function blockOf(visitorID) {
    var now = Date.now();
    return (S.blocks || []).filter(function (b) {
      return b.visitor_id === visitorID && (!b.expires_at || Date.parse(b.expires_at) > now);
    })[0];
  }

  // blockInfo is the visitor panel's note on a block, with its Unblock button.
  function blockInfo(visitorID) {
    var b = blockOf(visitorID);
    if (!b) return null;
    var until = b.expires_at ? t("blockedUntil", {time: new Date(b.expires_at).toLocaleString(lang)}) : t("blockedForever");
    return el("p", {"class": "blocked-note"}, [
      until + (b.reason ? " · " + b.reason : "") + " ",
      el("button", {type: "button", id: "unblock-btn", text: t("unblock"), onclick: function () {
        request({type: "unblock", block_id: b.id}).then(function () {
          S.blocks = S.blocks.filter(function (x) { return x.id !== b.id; });
          flash(t("visitorUnblocked"));
          render();
        });
      }})
    ]);
  }

  // The Block visitor form asks for a duration and a reason, then for a
  // confirmation before anything is sent.
  function wireBlock() {
    var f = $("block-form"), confirmText = $("block-confirm"), submitBtn = $("block-submit");
    var disarm = function () {
      f.removeAttribute("data-armed");
      confirmText.hidden = true;
      submitBtn.textContent = t("block");
      submitBtn.classList.remove("armed");
    };
    $("block-btn").addEventListener("click", function () {
      disarm();
      f.hidden = false;
      f.elements.duration.focus();
    });
    $("block-cancel").addEventListener("click", function () { disarm(); f.hidden = true; });
    f.addEventListener("input", disarm);
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      var c = S.convs[S.selected];
      if (!c || !c.info) return;
      var sel = f.elements.duration, label = sel.options[sel.selectedIndex].text;
      if (!f.hasAttribute("data-armed")) {
        f.setAttribute("data-armed", "");
        confirmText.textContent = t("blockConfirm", {name: visitorName(c), duration: label.toLocaleLowerCase(lang)});
        confirmText.hidden = false;
        submitBtn.textContent = t("yesBlock");
        submitBtn.classList.add("armed");
        submitBtn.focus();
        return;
      }
      var fr = {type: "block", visitor_id: c.info.visitor_id, reason: f.elements.reason.value.trim()};
      if (Number(sel.value) > 0) fr.duration_ms = Number(sel.value);
      request(fr).then(function (a) {
        S.blocks = (S.blocks || []).concat([a.block]);
        disarm();
        f.hidden = true;
        f.reset();
        flash(t("visitorBlocked"));
        render();
      });
    });
  }

  // --- roles ---
  // When the shop names supervisors, the welcome says whether this agent
  // is one. An agent ("agent") may not change another agent's chat: the
  // server refuses it, and the console offers no controls for it.
  function applyRole(i) {
    var held = S.role === "agent" && i.agent_id && i.agent_id !== S.me.id && i.status !== "closed";
    var hint = $("role-hint");
    hint.hidden = !held;
    hint.textContent = held ? t("othersChat", {agent: i.agent_id}) : "";
    if (!held) return;
    ["pick-btn", "close-btn", "transfer-btn", "composer"].forEach(function (id) { $(id).hidden = true; });
  }

  // --- tags, the search of past conversations, and CSV export ---
  // S.tags holds the tags of the conversation on screen, read when it is
  // opened; S.results the conversations the last search found.
  function loadTags(id) {
    S.tags = {id: id, list: []};
    renderTags();
    request({type: "tags", conversation_id: id}).then(function (a) { showTags(a); });
  }

  function showTags(a) {
    if (S.tags && S.tags.id === a.conversation_id) S.tags.list = a.tags || [];
    renderTags();
  }

  function renderTags() {
    var ul = $("tag-list"), list = (S.tags && S.tags.id === S.selected && S.tags.list) || [];
    ul.replaceChildren.apply(ul, list.map(function (tag) {
      return el("li", {"class": "tag-chip"}, [el("span", {text: tag}), el("button", {type: "button", "class": "untag", text: "×",
        "aria-label": t("removeTag", {tag: tag}), onclick: function () {
          request({type: "untag", conversation_id: S.tags.id, tag: tag}).then(showTags);
        }})]);
    }));
  }

  function wireSearch() {
    var tf = $("tag-form");
    tf.addEventListener("submit", function (e) {
      e.preventDefault();
      var tag = tf.elements.tag.value.trim();
      if (!tag || !S.selected) return;
      request({type: "tag", conversation_id: S.selected, tag: tag}).then(function (a) { tf.reset(); showTags(a); });
    });
    $("search-form").addEventListener("submit", function (e) { e.preventDefault(); search(false); });
    $("search-more").addEventListener("click", function () { search(true); });
  }

  // search asks for the conversations the form describes, newest first;
  // older asks for the page after the last one shown.
  function search(older) {
    var f = $("search-form"), fr = {type: "search", text: f.elements.text.value.trim(), visitor: f.elements.visitor.value.trim(), tag: f.elements.tag.value.trim()};
    var day = function (v, next) {
      if (!v) return undefined;
      var d = new Date(v + "T00:00:00");
      if (next) d.setDate(d.getDate() + 1);
      return d.toISOString();
    };
    fr.from = day(f.elements.from.value, false);
    fr.to = day(f.elements.to.value, true);
    var shown = older && S.results ? S.results.list : [];
    if (shown.length) fr.before = shown[shown.length - 1].conversation.id;
    request(fr).then(function (a) {
      S.results = {list: shown.concat(a.results || []), more: !!a.more};
      renderResults();
    });
  }

  function renderResults() {
    var r = S.results, body = document.querySelector("#results tbody");
    if (!r) return;
    $("results").hidden = !r.list.length;
    $("no-results").hidden = r.list.length > 0;
    $("search-more").hidden = !r.more;
    body.replaceChildren.apply(body, r.list.map(function (x) {
      var c = x.conversation, v = x.visitor || {};
      return el("tr", {"data-id": c.id}, [
        el("td", {text: new Date(c.created_at).toLocaleString(lang)}),
        el("td", {text: v.name || anonymous(c.visitor_id)}),
        el("td", {text: v.email || ""}),
        el("td", {text: t("status_" + c.status)}),
        el("td", {text: c.agent_id || ""}),
        el("td", {"class": "result-tags", text: (x.tags || []).join(", ")}),
        el("td", {text: c.rating ? c.rating + "/5" : ""}),
        el("td", {}, [el("button", {type: "button", text: t("open"), onclick: function () {
          setInfo(c);
          show("chats");
          select(c.id);
        }})])
      ]);
    }));
    setDownload($("search-export"), r.list.length ? [["id", "started_at", "status", "department", "agent_id", "visitor_name", "visitor_email",
      "customer_id", "rating", "resolved", "tags"]].concat(r.list.map(function (x) {
      var c = x.conversation, v = x.visitor || {};
      return [c.id, c.created_at, c.status, c.department, c.agent_id, v.name, v.email, v.customer_id, c.rating || "",
        c.resolved == null ? "" : c.resolved, (x.tags || []).join(" ")];
    })) : null);
  }

  // exportReport offers the report on screen as CSV: a row for the whole
  // period, one per day and one per agent; durations are medians in
  // seconds.
  function exportReport(r) {
    var secs = function (d) { return d && d.count ? Math.round(d.median / 1e9) : ""; };
    var row = function (scope, key, x) {
      var stars = x.ratings || [], n = 0, sum = 0;
      stars.forEach(function (k, i) { if (i > 0) { n += k; sum += k * i; } });
      return [scope, key, x.conversations || 0, x.answered || 0, x.missed || 0, x.offline || 0, x.messages || 0,
        secs(x.queue_wait), secs(x.first_response), secs(x.resolution), n, n ? (sum / n).toFixed(2) : "", x.resolved || 0, x.unresolved || 0];
    };
    setDownload($("stats-export"), [["scope", "key", "conversations", "answered", "missed", "offline", "messages", "median_queue_wait_s",
      "median_first_response_s", "median_resolution_s", "ratings", "rating_average", "resolved", "unresolved"],
    row("total", r.location || "", r.total || {})]
      .concat((r.days || []).map(function (d) { return row("day", d.date, d); }))
      .concat((r.agents || []).map(function (a) { return row("agent", a.agent_id, a); })));
  }

  // setDownload points a link at rows as a CSV file (UTF-8 with a byte
  // order mark, which spreadsheets need to read it as UTF-8), or hides it
  // when rows is null.
  function setDownload(a, rows) {
    a.hidden = !rows;
    if (rows) a.href = "data:text/csv;charset=utf-8," + encodeURIComponent("\ufeff" + csv(rows));
    else a.removeAttribute("href");
  }

  // csv writes rows as RFC 4180 CSV. A cell that a spreadsheet would run
  // as a formula (starting with =, +, -, @, a tab or a carriage return)
  // gets an apostrophe in front, so a visitor's name cannot become one.
  function csv(rows) {
    return rows.map(function (r) {
      return r.map(function (v) {
        var s = v == null ? "" : String(v);
        if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
        return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
      }).join(",");
    }).join("\r\n") + "\r\n";
  }

  // --- wiring ---
  function init() {
    translatePage();
    $("lang").addEventListener("change", function (e) { setLang(e.target.value); });
    document.querySelectorAll("[role=tab]").forEach(function (b) {
      b.addEventListener("click", function () { show(b.getAttribute("data-view")); });
    });
    $("presence").addEventListener("change", function (e) {
      var v = e.target.value;
      request({type: "presence", presence: v}).then(function () { document.body.setAttribute("data-presence", v); });
    });
    $("notify-btn").hidden = !window.Notification || Notification.permission !== "default";
    $("notify-btn").addEventListener("click", function () {
      Notification.requestPermission().then(function () { $("notify-btn").hidden = Notification.permission !== "default"; });
    });
    $("composer").addEventListener("submit", function (e) { e.preventDefault(); submit(); });
    buildAttach();
    $("input").addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
      if (e.key === "Tab" && $("input").value[0] === "/") {
        var c = S.convs[S.selected], x = c && expandCanned($("input").value.trim(), c);
        if (x != null) { e.preventDefault(); $("input").value = x; cannedHint(); }
      }
    });
    $("input").addEventListener("input", onTyping);
    $("input").addEventListener("input", checkLength);
    $("canned").addEventListener("change", function (e) {
      var x = S.canned[Number(e.target.value)], c = S.convs[S.selected];
      if (x && c) $("input").value = fill(x.text, c);
      e.target.value = "";
      $("input").focus();
    });
    $("note-mode").addEventListener("change", function (e) { $("composer").classList.toggle("noting", e.target.checked); });
    $("pick-btn").addEventListener("click", function () { request({type: "assign", conversation_id: S.selected}); });
    $("close-btn").addEventListener("click", function () { request({type: "close", conversation_id: S.selected}); });
    $("transfer-btn").addEventListener("click", function () { $("transfer-form").hidden = false; $("transfer-form").elements.agent.focus(); });
    $("transfer-cancel").addEventListener("click", function () { $("transfer-form").hidden = true; });
    $("transfer-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var f = e.target, a = f.elements.agent.value.trim(), d = f.elements.department.value.trim();
      if (!a && !d) return;
      var fr = {type: "transfer", conversation_id: S.selected};
      if (a) fr.agent_id = a; else fr.department = d;
      request(fr).then(function () { f.hidden = true; f.reset(); });
    });
    wireBlock();
    wireSearch();
    wireActions();
    $("history-btn").addEventListener("click", function () {
      var c = S.convs[S.selected];
      if (!c || !c.info) return;
      request({type: "history", visitor_id: c.info.visitor_id}).then(function (a) {
        S.history = a.conversations || [];
        renderInfo();
      });
    });
    var sf = $("stats-form"), today = new Date(), weekAgo = new Date(Date.now() - 6 * 864e5);
    var day = function (d) { return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0"); };
    sf.elements.from.value = day(weekAgo);
    sf.elements.to.value = day(today);
    sf.addEventListener("submit", function (e) { e.preventDefault(); loadStats(); });
    // Times tick in place; the lists are rebuilt only when they change.
    setInterval(function () {
      renderLists();
      var now = Date.now();
      document.querySelectorAll("#visitors td.since").forEach(function (td) {
        var since = td.getAttribute("data-since");
        if (since) td.textContent = ago(now - Date.parse(since));
      });
    }, 1000);

    S.conn = parleyConnect({
      prefix: prefix,
      hello: function () { return {}; },
      state: function (s) {
        if (s !== "connecting") S.lost = s === "down"; // a retry is still a reconnection
        $("conn").textContent = s === "open" ? "" : S.lost ? t("connectionLost") : t("connecting");
      },
      refused: function (f) { if (f.error && f.error.code === "unauthorized") flash(t("notLoggedIn")); },
      welcome: onWelcome,
      frame: onFrame
    });
  }
  init();
})();
