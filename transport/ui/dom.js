// dom.js: the DOM helpers the widget and the console share. The handler
// serves it inside each client's script, so it adds no global.

// el builds an element. Text always goes in as text nodes, never markup.
function el(tag, attrs, kids) {
  "use strict";
  var e = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (k) {
    var v = attrs[k];
    if (v == null || v === false) return;
    if (k === "text") e.textContent = v;
    else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  });
  (kids || []).forEach(function (c) { if (c != null) e.append(c); });
  return e;
}

// linkify renders text with http(s) links made clickable; anything else,
// markup and javascript: URLs included, stays literal text.
function linkify(parent, text) {
  "use strict";
  var re = /\bhttps?:\/\/[^\s<>"']+/gi, last = 0, m;
  while ((m = re.exec(text))) {
    var u = m[0].replace(/[.,;:!?)\]]+$/, "");
    parent.append(text.slice(last, m.index));
    var ok = false;
    try { ok = /^https?:$/.test(new URL(u).protocol); } catch (e) { ok = false; }
    parent.append(ok ? el("a", {href: u, target: "_blank", rel: "noopener noreferrer", text: u}) : u);
    last = m.index + u.length;
    re.lastIndex = last;
  }
  parent.append(text.slice(last));
}

// safeURL returns u resolved against the page when it is an http or https
// URL, and "" otherwise: javascript:, data: and the rest are never used.
function safeURL(u) {
  "use strict";
  if (typeof u !== "string" || !u) return "";
  try {
    var x = new URL(u, location.href);
    return /^https?:$/.test(x.protocol) ? x.href : "";
  } catch (e) { return ""; }
}

// money formats {amount, currency} (amount in cents) for lang, or "".
function money(m, lang) {
  "use strict";
  if (!m || !m.currency || typeof m.amount !== "number") return "";
  try {
    return new Intl.NumberFormat(lang || undefined, {style: "currency", currency: m.currency}).format(m.amount / 100);
  } catch (e) { return (m.amount / 100).toFixed(2) + " " + m.currency; }
}

// cardNode draws a product card from its fields as text and attributes:
// the picture and links only when their URLs are http or https. button,
// if given, is the "add to cart" element to put at the end.
function cardNode(c, lang, button) {
  "use strict";
  var img = safeURL(c.image_url), href = safeURL(c.url);
  var name = String(c.name || "");
  return el("div", {"class": "card", "data-product": String(c.product_id || "")}, [
    img ? el("img", {src: img, alt: name, loading: "lazy", referrerpolicy: "no-referrer"}) : null,
    href ? el("a", {"class": "name", href: href, target: "_blank", rel: "noopener noreferrer", text: name}) : el("span", {"class": "name", text: name}),
    c.price ? el("span", {"class": "price", text: money(c.price, lang)}) : null,
    button || null
  ]);
}
