// files.js: attachments, shared by the widget and the console. Images are
// shown as thumbnails that the browser scales (the server sends each
// image's width and height, so the log does not jump while they load);
// other files are links. auth is the Authorization header a request
// needs: the visitor's token in the widget, "" in the console, whose
// requests carry the agent's own session.

// parleyFileURL is where an attachment's file is fetched from.
function parleyFileURL(prefix, a) {
  "use strict";
  return /^files\//.test(a.url || "") ? prefix + "/" + a.url : a.url;
}

// parleyFetchFile fetches a file with auth and returns a blob URL for it.
function parleyFetchFile(url, auth) {
  "use strict";
  return fetch(url, {headers: {Authorization: auth}}).then(function (r) {
    if (!r.ok) throw new Error("HTTP " + r.status);
    return r.blob();
  }).then(function (b) { return URL.createObjectURL(b); });
}

// parleyFiles appends a message's attachments to parent.
function parleyFiles(parent, prefix, atts, auth) {
  "use strict";
  (atts || []).forEach(function (a) {
    var url = parleyFileURL(prefix, a);
    if (/^image\//.test(a.content_type || "")) {
      // Without dimensions (WebP, which the server does not read) the
      // stylesheet's maximum size applies.
      var k = a.width && a.height ? Math.min(1, 240 / a.width, 180 / a.height) : 0;
      var img = el("img", {"class": "pf-thumb", alt: a.name, width: k ? String(Math.round(a.width * k)) : null, height: k ? String(Math.round(a.height * k)) : null});
      var link = el("a", {"class": "pf-file", href: auth ? "#" : url, target: "_blank", rel: "noopener", title: a.name}, [img]);
      if (!auth) img.src = url;
      else parleyFetchFile(url, auth).then(function (u) { img.src = u; link.href = u; }, function () { img.alt = a.name + " ⚠"; });
      parent.append(link);
      return;
    }
    var size = a.size ? " (" + (a.size < 1048576 ? Math.ceil(a.size / 1024) + " KB" : (a.size / 1048576).toFixed(1) + " MB") + ")" : "";
    var ln = el("a", {"class": "pf-file", href: url, download: a.name, rel: "noopener", text: "\ud83d\udcce " + a.name + size});
    if (auth) {
      ln.addEventListener("click", function (e) {
        if (ln.dataset.ready) return;
        e.preventDefault();
        parleyFetchFile(url, auth).then(function (u) { ln.href = u; ln.dataset.ready = "1"; ln.click(); });
      });
    }
    parent.append(ln);
  });
}

// parleyUpload posts file to the conversation, calling progress with the
// share sent (0 to 1), and resolves with the attachment to send, or
// rejects with the server's error body ({code, message}).
function parleyUpload(prefix, convID, file, auth, progress) {
  "use strict";
  return new Promise(function (resolve, reject) {
    var x = new XMLHttpRequest();
    x.open("POST", prefix + "/files?conversation_id=" + encodeURIComponent(convID) + "&name=" + encodeURIComponent(file.name || "file"));
    x.setRequestHeader("Content-Type", "application/octet-stream");
    if (auth) x.setRequestHeader("Authorization", auth);
    x.upload.onprogress = function (e) { if (e.lengthComputable) progress(e.loaded / e.total); };
    x.onload = function () {
      var body = null;
      try { body = JSON.parse(x.responseText); } catch (e) { body = null; }
      if (x.status === 201 && body) resolve(body);
      else reject((body && body.error) || {code: x.status === 413 ? "too_large" : "internal", message: "HTTP " + x.status});
    };
    x.onerror = function () { reject({code: "unavailable", message: "network error"}); };
    x.send(file);
  });
}
