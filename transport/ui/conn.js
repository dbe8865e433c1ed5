// conn.js: one Parley protocol connection (docs/protocol.md), shared by the
// widget and the console. The handler serves it inside each client's
// script, so it adds no global.
//
// parleyConnect(o) connects to o.prefix (the handler's URL, no trailing
// slash) over WebSocket, or over Server-Sent Events with POSTs when
// WebSocket fails twice in a row, and keeps reconnecting with backoff
// (0.5 s doubling to 30 s, with jitter) until close() is called.
//   o.hello():      the hello frame to send on each connection
//   o.welcome(f):   a connection was welcomed
//   o.frame(f):     any later server frame (answers included)
//   o.state(s):     "connecting", "open" or "down"
//   o.refused(f):   the hello was refused with this error frame
// request(frame) sends a frame with a fresh id and resolves with the
// answer, or rejects with the error body ({code, message}).
function parleyConnect(o) {
  "use strict";
  var ws = null, es = null, session = "", open = false, stopped = false;
  var wsFails = 0, attempt = 0, retryTimer = 0, lastIn = 0, timeoutMs = 50000;
  var nextID = 1, pending = {}, postChain = Promise.resolve(), gen = 0;
  var useSSE = !!o.sse || typeof WebSocket === "undefined";

  function setState(s) { if (o.state) o.state(s); }

  function connect() {
    retryTimer = 0;
    if (stopped) return;
    var g = ++gen;
    setState("connecting");
    var hello = o.hello();
    hello.type = "hello";
    hello.v = 1;
    hello.id = "hello";
    if (useSSE) connectSSE(g, hello); else connectWS(g, hello);
  }

  function connectWS(g, hello) {
    var welcomed = false, answered = false, sock;
    try {
      sock = new WebSocket(o.prefix.replace(/^http/, "ws") + "/ws");
    } catch (e) {
      useSSE = true;
      return down(g);
    }
    ws = sock;
    sock.onopen = function () { sock.send(JSON.stringify(hello)); };
    sock.onmessage = function (e) {
      if (g !== gen) return;
      answered = true;
      var f;
      try { f = JSON.parse(e.data); } catch (err) { return; }
      if (!welcomed) {
        if (f.type !== "welcome") { refused(f); return; }
        welcomed = true;
        wsFails = 0;
        welcome(f);
        return;
      }
      receive(f);
    };
    sock.onclose = function () {
      if (g !== gen) return;
      // A socket that never carried a frame is blocked on the way.
      if (!answered && ++wsFails >= 2) useSSE = true;
      down(g);
    };
  }

  function connectSSE(g, hello) {
    fetch(o.prefix + "/sse", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(hello)})
      .then(function (r) { return r.json(); })
      .then(function (f) {
        if (g !== gen) return;
        if (f.type !== "welcome") { refused(f); return down(g); }
        session = f.session;
        var src = new EventSource(o.prefix + "/sse/" + encodeURIComponent(session));
        es = src;
        welcome(f);
        src.onmessage = function (e) {
          if (g !== gen) return;
          try { receive(JSON.parse(e.data)); } catch (err) { /* not a frame */ }
        };
        src.onerror = function () { if (g === gen) down(g); };
      })
      .catch(function () { if (g === gen) down(g); });
  }

  function welcome(f) {
    open = true;
    attempt = 0;
    lastIn = Date.now();
    if (f.timeout_ms) timeoutMs = f.timeout_ms;
    setState("open");
    o.welcome(f);
  }

  function refused(f) {
    if (o.refused) o.refused(f);
  }

  function receive(f) {
    lastIn = Date.now();
    if (f.type === "ping") { raw({type: "pong"}); return; }
    if (f.type === "reconnect") { drop(); return; }
    if (f.id && pending[f.id]) {
      var p = pending[f.id];
      delete pending[f.id];
      if (f.type === "error") p.reject(f.error || {code: "internal"});
      else p.resolve(f);
    }
    o.frame(f);
  }

  // down tears the connection of generation g down and schedules the next.
  function down(g) {
    if (g !== gen || retryTimer) return;
    gen++;
    open = false;
    if (ws) { ws.onclose = ws.onmessage = null; try { ws.close(); } catch (e) { /* already closed */ } ws = null; }
    if (es) { es.close(); es = null; }
    session = "";
    Object.keys(pending).forEach(function (id) { pending[id].reject({code: "disconnected"}); });
    pending = {};
    if (stopped) return;
    setState("down");
    var delay = Math.min(30000, 500 * Math.pow(2, attempt++));
    retryTimer = setTimeout(connect, delay / 2 + Math.random() * delay / 2);
  }

  function drop() { down(gen); }

  function raw(f) {
    if (!open) return false;
    var data = JSON.stringify(f);
    if (ws) {
      ws.send(data);
      return true;
    }
    var url = o.prefix + "/sse/" + encodeURIComponent(session), g = gen;
    // POSTs go one at a time: the server handles frames in the order sent.
    postChain = postChain.then(function () {
      if (g !== gen) return;
      return fetch(url, {method: "POST", headers: {"Content-Type": "application/json"}, body: data})
        .then(function (r) { if (!r.ok) down(g); }, function () { down(g); });
    });
    return true;
  }

  var watchdog = setInterval(function () {
    if (open && Date.now() - lastIn > timeoutMs) drop();
  }, 2000);

  window.addEventListener("online", function () {
    if (!open && retryTimer) { clearTimeout(retryTimer); connect(); }
  });

  connect();
  return {
    request: function (f) {
      if (!open) return Promise.reject({code: "disconnected"});
      f.id = String(nextID++);
      return new Promise(function (resolve, reject) {
        pending[f.id] = {resolve: resolve, reject: reject};
        raw(f);
      });
    },
    // send sends a frame whose answer does not matter.
    send: function (f) { return raw(f); },
    isOpen: function () { return open; },
    reconnect: drop,
    close: function () { stopped = true; clearInterval(watchdog); down(gen); }
  };
}

// parleyBytes counts the UTF-8 bytes of s, the unit of the server's limits
// (the welcome's limits): 4,500 Cyrillic letters are 9,000 bytes.
function parleyBytes(s) {
  "use strict";
  return new TextEncoder().encode(String(s)).length;
}

// parleyRefusal says what a client does with a request the server did not
// take: "later" when it is sent again on the next connection, "wait" when it
// may be sent again as it is after a pause (retry_after_ms), and "failed"
// when sending it again as it is cannot help by itself.
function parleyRefusal(e) {
  "use strict";
  var code = e && e.code;
  if (code === "disconnected" || code === "unavailable") return "later";
  if (code === "rate_limited" || code === "conflict") return "wait";
  return "failed";
}

// parleyUnsent handles a refused send of a queued message o ({key, body}):
// it is left for the next connection, or sent again by flush after a pause
// (three times at most), or marked o.failed with the code, when it returns
// true, for the client to show it as not delivered.
function parleyUnsent(o, e, flush) {
  "use strict";
  var r = parleyRefusal(e);
  if (r === "later") return false;
  if (r === "wait" && (o.tries = (o.tries || 0) + 1) <= 3) {
    setTimeout(flush, e.retry_after_ms || 1000);
    return false;
  }
  o.failed = e.code || "internal";
  return true;
}
