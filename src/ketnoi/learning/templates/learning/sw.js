{% autoescape off %}/* Kết Nối – Học: the service worker of /learning/ (built by learning.views_offline). It keeps the
   lessons she opened or downloaded, their pictures and the site's files, so she can go on learning
   without a connection. Answers given offline wait in the page's outbox (offline.js), not here. */
"use strict";
var C = {{ config }};
var CONTENT_ADDRESSED = /\.[0-9a-f]{12}\.[a-z0-9]+$/;  // ManifestStaticFilesStorage names

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(C.shell_cache).then(function (cache) {
    return cache.addAll(C.shell);  // from the HTTP cache when it has them: no second download
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf(C.shell_prefix) === 0 && name !== C.shell_cache;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function keep(cacheName, request, response) {
  if (response.ok && response.type === "basic") {
    var copy = response.clone();
    caches.open(cacheName).then(function (cache) { return cache.put(request.url.split("#")[0], copy); });
  }
  return response;
}

function saved(request) {
  return caches.match(request.url.split("#")[0], {ignoreVary: true, ignoreSearch: false});
}

function offlinePage() {
  return caches.match(C.offline_url, {ignoreVary: true}).then(function (page) {
    return page || new Response("", {status: 503, statusText: "Offline"});
  });
}

/* Network first; her saved copy when the network fails, or after timeout_ms on a crawling line
   (the network answer still refreshes the copy when it comes). */
function pageFirstFromNetwork(event, keepIt) {
  var request = event.request;
  var network = fetch(request).then(function (response) {
    return keepIt ? keep(C.pages_cache, request, response) : response;
  });
  event.waitUntil(network.catch(function () {}));
  return new Promise(function (resolve) {
    var done = false;
    function fromCache() {
      return saved(request).then(function (copy) {
        if (copy && !done) { done = true; resolve(copy); }
        return copy;
      });
    }
    var timer = setTimeout(fromCache, C.timeout_ms);
    network.then(function (response) {
      clearTimeout(timer);
      if (!done) { done = true; resolve(response); }
    }, function () {
      clearTimeout(timer);
      fromCache().then(function (copy) {
        if (!copy && !done) { done = true; resolve(offlinePage()); }
      });
    });
  });
}

function fileFirstFromCache(request, immutable) {
  return saved(request).then(function (copy) {
    if (copy && immutable) { return copy; }
    var network = fetch(request).then(function (response) { return keep(C.files_cache, request, response); });
    // A file whose name does not change with its bytes: fresh when online, the copy when not.
    return copy ? network.catch(function () { return copy; }) : network;
  });
}

function keptPage(path) {
  // Course list, course and lesson pages, her own page; not trainers' or certificate pages.
  var rest = path.slice(C.scope.length);
  return rest === "" || rest === "mine/" || /^courses\/[^/]+\/([^/]+\/)?$/.test(rest);
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate") {
    if (url.pathname.indexOf(C.scope) === 0) {
      event.respondWith(pageFirstFromNetwork(event, keptPage(url.pathname)));
    }
    return;
  }
  if (url.pathname.indexOf(C.media_url) === 0) {
    event.respondWith(fileFirstFromCache(request, true));
  } else if (url.pathname.indexOf(C.static_url) === 0) {
    event.respondWith(fileFirstFromCache(request, CONTENT_ADDRESSED.test(url.pathname)));
  }
});
{% endautoescape %}
