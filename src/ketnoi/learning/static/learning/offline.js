/* Kết Nối – Học, offline: installs the service worker (/learning/sw.js); keeps every answer in an
   outbox on the phone (IndexedDB) BEFORE sending it, so nothing is lost if the line drops or the tab
   closes; sends the outbox to answers/sync now, when the phone is back online, on every learning page
   and every 30 s; shows the server's grading (a resend of the same id is never counted twice);
   downloads a whole course for offline use. Words come from the <script> tag's data-* (translated). */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || !window.Promise) { return; }
  var T = me.dataset, learner = T.learner;
  var PAGES = "ketnoi-learn-pages", FILES = "ketnoi-learn-files";  // as in learning/views_offline.py
  var STORE = "outbox", BATCH = 20, RETRY_MS = 30000, SEND_TIMEOUT_MS = 60000, LONG_SIDE = 1600, SHORT_SIDE = 1000;
  var idb = window.indexedDB, sending = false, again = false, problem = "", congratulated = false;
  var statusBox = document.getElementById("outbox-status");
  function noop() {}

  if ("serviceWorker" in navigator) { navigator.serviceWorker.register(T.sw, {scope: T.scope}).catch(noop); }

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text != null) { node.textContent = text; }
    return node;
  }
  function uuid() {  // crypto.randomUUID needs https and a recent browser; old Android WebViews lack it
    var c = window.crypto, b = new Uint8Array(16), i;
    if (c && c.randomUUID) { return c.randomUUID(); }
    if (c && c.getRandomValues) { c.getRandomValues(b); } else { for (i = 0; i < 16; i++) { b[i] = Math.random() * 256; } }
    b[6] = b[6] & 15 | 64; b[8] = b[8] & 63 | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }
  function token() {
    var m = /(?:^|;\s*)csrftoken=([^;]+)/.exec(document.cookie), input = document.querySelector("[name=csrfmiddlewaretoken]");
    return m ? decodeURIComponent(m[1]) : input ? input.value : "";
  }

  /* The outbox: one IndexedDB store, keyed by the answer's client id. */
  var opened;
  function store(mode, work) {
    opened = opened || new Promise(function (ok, ko) {
      var r = idb.open("ketnoi-learning", 1);
      r.onupgradeneeded = function () { r.result.createObjectStore(STORE, {keyPath: "client_id"}); };
      r.onsuccess = function () { ok(r.result); };
      r.onerror = function () { ko(r.error); };
    });
    return opened.then(function (db) {
      return new Promise(function (ok, ko) {
        var t = db.transaction(STORE, mode), req = work(t.objectStore(STORE));
        t.oncomplete = function () { ok(req && req.result); };
        t.onerror = t.onabort = function () { ko(t.error); };
      });
    });
  }
  function waiting() {  // her answers not yet on the server, oldest first
    return store("readonly", function (s) { return s.getAll(); }).then(function (all) {
      return (all || []).filter(function (item) { return item.learner === learner; })
        .sort(function (a, b) { return a.seq - b.seq; });
    });
  }
  function count() {
    return waiting().then(function (items) {
      if (statusBox) {
        statusBox.hidden = !items.length;
        statusBox.textContent = items.length ? fill(T.waiting, {n: items.length}) + (problem ? " " + problem : "") : "";
      }
      return items;
    }, noop);
  }

  /* Under a question: "saved on the phone", the grading, or why the server refused it. */
  function slot(activity) { return document.querySelector('[data-result-for="' + activity + '"]'); }
  function note(activity, text, cls) {
    var s = slot(activity);
    if (s) { s.textContent = ""; s.appendChild(el("p", "result " + cls, text)); }
  }
  function graded(r) {
    var s = slot(r.activity), form = document.querySelector('form[data-activity="' + r.activity + '"]');
    if (!s) { return; }
    var choice = !form || /choice|scam/.test(form.getAttribute("data-kind") || "");
    var box = el("div", "result " + (r.correct ? "right" : "wrong")), line = el("p"), list;
    line.appendChild(el("strong", "", r.correct ? (choice ? T.right : T.passed) : (choice ? T.wrong : T.failed)));
    line.appendChild(document.createTextNode(" " + fill(T.points, {score: r.score, points: r.points})));
    box.appendChild(line);
    if (r.feedback && r.feedback.length) {
      list = box.appendChild(el("ul", "feedback"));
      r.feedback.forEach(function (text) { list.appendChild(el("li", "", text)); });
    }
    if (r.explanation) { box.appendChild(el("p", "explanation", r.explanation)); }
    if (s.parentNode && s.parentNode.id) { box.setAttribute("data-testid", "result-" + s.parentNode.id.replace(/^act-/, "")); }
    s.textContent = "";
    s.appendChild(box);
  }
  function congratulate(number) {
    var main = document.querySelector("main"), item = el("li", "success", T.congrats + " "), link = el("a", "", T.seeCertificate);
    if (congratulated || !main) { return; }
    congratulated = true;
    link.href = T.certificate.replace("/0/", "/" + encodeURIComponent(number) + "/");
    item.appendChild(link);
    main.insertBefore(el("ul", "messages"), main.firstChild).appendChild(item);
  }

  /* A photo is made small enough to travel (the server's own checks still see its real size class). */
  function photoData(file) {
    return new Promise(function (ok, ko) {
      var reader = new FileReader();
      reader.onload = function () { ok(reader.result); };
      reader.onerror = function () { ko(reader.error); };
      reader.readAsDataURL(file);
    }).then(function (data) {
      if (!window.createImageBitmap) { return data; }
      return createImageBitmap(file).then(function (img) {
        var w = img.width, h = img.height, scale = Math.min(1, LONG_SIDE / Math.max(w, h)), canvas;
        scale = Math.max(scale, Math.min(1, SHORT_SIDE / Math.min(w, h)));
        if (scale >= 1 && data.length < 1500000) { return data; }
        canvas = el("canvas");
        canvas.width = Math.round(w * scale); canvas.height = Math.round(h * scale);
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        return canvas.toDataURL("image/jpeg", 0.9);
      }, function () { return data; });
    });
  }
  function response(form) {
    var r = {}, photo = null;
    Array.prototype.forEach.call(form.elements, function (field) {
      var name = field.name;
      if (!name || field.disabled) { return; }
      if (name === "choice") { r.choices = r.choices || []; if (field.checked) { r.choices.push(field.value); } }
      else if (name === "text") { r.text = field.value; }
      else if (name.indexOf("answer_") === 0) { (r.answers = r.answers || {})[name.slice(7)] = field.value; }
      else if (name === "photo") { photo = field.files && field.files[0]; }
    });
    return photo ? photoData(photo).then(function (data) { r.photo = data; return r; }) : Promise.resolve(r);
  }

  /* Sending: what the server says about each item decides; an item leaves the outbox only then. */
  function post(batch) {
    var stop = window.AbortController && new AbortController();  // a line that hangs is a line that failed
    if (stop) { setTimeout(function () { stop.abort(); }, SEND_TIMEOUT_MS); }
    return fetch(T.sync, {
      method: "POST",
      credentials: "same-origin",
      signal: stop ? stop.signal : undefined,
      headers: {"Content-Type": "application/json", "X-CSRFToken": token()},
      body: JSON.stringify({items: batch.map(function (i) {
        return {client_id: i.client_id, activity: i.activity, response: i.response, answered_at: i.answered_at};
      })})
    }).then(function (res) {
      return res.json().catch(noop).then(function (body) {
        body = body || {};
        if (res.status === 413 && batch.length === 1) {  // this answer can never fit: say so, drop it
          body = {results: [{client_id: batch[0].client_id, status: "refused", error: {detail: body.detail || ""}}]};
        } else if (!res.ok || !body.results) {
          problem = body.detail || "";  // e.g. signed out: kept until she signs in again
          return 0;
        }
        problem = "";
        var done = body.results.map(function (r) {
          var item = batch.filter(function (i) { return i.client_id === r.client_id; })[0];
          if (r.status === "refused") { if (item) { note(item.activity, T.refused + " " + r.error.detail, "wrong"); } }
          else { graded(r); if (r.certificate && r.status === "recorded") { congratulate(r.certificate); } }
          return r.client_id;
        });
        return store("readwrite", function (s) { done.forEach(function (id) { s.delete(id); }); })
          .then(function () { return done.length; });
      });
    });
  }
  function send() {
    if (sending) { again = true; return Promise.resolve(); }
    if (!learner || !window.fetch || !idb) { return Promise.resolve(); }
    sending = true;
    var sent = 0;
    function loop(items) {
      if (!items.length || navigator.onLine === false) { return; }
      var batch = items[0].response.photo ? items.slice(0, 1)
        : items.filter(function (i) { return !i.response.photo; }).slice(0, BATCH);
      return post(batch).then(function (removed) {
        sent += removed;
        return removed ? waiting().then(loop) : null;
      });
    }
    return waiting().then(loop).catch(noop).then(function () {
      sending = false;
      if (sent) { refreshCopy(); }
      if (again) { again = false; return send(); }
      return count();
    });
  }
  /* Her saved copy of this page now shows what the server recorded. */
  function refreshCopy() {
    var url = location.href.split("#")[0];
    if (!window.caches) { return; }
    caches.open(PAGES).then(function (cache) {
      return cache.match(url, {ignoreVary: true}).then(function (hit) {
        return hit && fetch(url, {credentials: "same-origin", headers: {Purpose: "prefetch"}}).then(function (res) {
          return res.ok && cache.put(url, res);
        });
      });
    }).catch(noop);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target, button = form.querySelector("[type=submit]");
    if (!form.hasAttribute("data-activity") || !learner || !idb || !window.fetch) { return; }
    event.preventDefault();
    if (button) { button.disabled = true; }
    var activity = Number(form.getAttribute("data-activity"));
    response(form).then(function (answer) {
      var item = {client_id: uuid(), activity: activity, response: answer, answered_at: new Date().toISOString(),
        learner: learner, seq: Date.now()};
      return store("readwrite", function (s) { return s.put(item); }).then(function () { return item.client_id; });
    }).then(function (id) {
      note(activity, navigator.onLine === false ? T.saved : T.sending, "pending");
      return send().then(waiting).then(function (items) {
        if (items.some(function (i) { return i.client_id === id; })) { note(activity, T.saved, "pending"); }
      }, noop);
    }, function () {
      form.submit();  // no outbox on this phone: post the form the plain way
    }).then(function () { if (button) { button.disabled = false; } });
  });

  /* "Download for offline": the course list, this course, each lesson page and every file they show. */
  var box = document.querySelector("[data-download]");
  if (box && window.caches && window.fetch && "serviceWorker" in navigator) {
    var state = box.querySelector("[data-download-state]"), button = box.querySelector("[data-download-button]");
    var links = [T.scope, location.pathname].concat(Array.prototype.map.call(
      document.querySelectorAll("ol.lessons a[href]"), function (a) { return a.pathname; }));
    var ours = function (src) {
      var url = new URL(src, location.href);
      return url.origin === location.origin && !/\.webmanifest$/.test(url.pathname);
    };
    box.hidden = false;
    Promise.all(links.map(function (url) { return caches.match(url, {ignoreVary: true}); })).then(function (hits) {
      if (hits.every(Boolean)) { state.textContent = box.dataset.done; }
    });
    button.addEventListener("click", function () {
      var files = {}, done = 0;
      button.disabled = true;
      state.textContent = fill(box.dataset.progress, {done: 0, total: links.length});
      caches.open(PAGES).then(function (pages) {
        return links.reduce(function (chain, url) {
          return chain.then(function () {
            return fetch(url, {credentials: "same-origin", headers: {Purpose: "prefetch"}});
          }).then(function (res) {
            if (!res.ok) { throw new Error(res.status); }
            return res.clone().text().then(function (html) {
              html.replace(/<(?:img|audio|source|link|script)\b[^>]*?\b(?:src|href)="([^"]+)"/g, function (all, src) {
                files[src.replace(/&amp;/g, "&")] = 1;
                return all;
              });
              return pages.put(url, res);
            });
          }).then(function () { state.textContent = fill(box.dataset.progress, {done: ++done, total: links.length}); });
        }, Promise.resolve());
      }).then(function () {
        return caches.open(FILES).then(function (cache) {
          return Promise.all(Object.keys(files).filter(ours).map(function (src) {
            return caches.match(src, {ignoreVary: true}).then(function (hit) { return hit || cache.add(src); });
          }));
        });
      }).then(function () { state.textContent = box.dataset.done; }, function () { state.textContent = box.dataset.failed; })
        .then(function () { button.disabled = false; });
    });
  }

  /* The offline page lists the pages kept on the phone. */
  var kept = document.querySelector("[data-offline-pages]");
  if (kept && window.caches) {
    caches.open(PAGES).then(function (cache) {
      return cache.keys().then(function (requests) {
        return Promise.all(requests.map(function (request) {
          return cache.match(request).then(function (res) { return res.text(); }).then(function (html) {
            var title = /<title>([^<]*)<\/title>/.exec(html), item = el("li"), link;
            title = title ? new DOMParser().parseFromString(title[1], "text/html").documentElement.textContent : request.url;
            link = item.appendChild(el("a", "card", title.split(" · ")[0]));
            link.href = request.url;
            kept.appendChild(item);
          });
        }));
      });
    }).catch(noop);
  }

  if (learner && idb) {
    count().then(function (items) {
      (items || []).forEach(function (item) { note(item.activity, T.saved, "pending"); });
      send();
    });
    window.addEventListener("online", send);
    setInterval(function () { if (document.visibilityState !== "hidden") { send(); } }, RETRY_MS);
  }
})();
