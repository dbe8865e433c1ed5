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
