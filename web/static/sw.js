// The service worker of near-turn alerts (web/static/remind.js): shows a Web Push sent by the
// server (web/push.py) while the page is closed, and opens the ticket's page when tapped.
"use strict";

self.addEventListener("push", function (event) {
  var d = {};
  try { d = event.data ? event.data.json() : {}; } catch (e) { d = { body: event.data ? event.data.text() : "" }; }
  event.waitUntil(self.registration.showNotification(d.title || "Antrean", {
    body: d.body || "", tag: d.tag || "antrian", renotify: true, icon: "/static/icon.svg",
    vibrate: [400, 200, 400, 200, 400], requireInteraction: d.kind === "called",
    data: { url: typeof d.url === "string" && d.url.charAt(0) === "/" ? d.url : "/" }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/";
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (list) {
    for (var i = 0; i < list.length; i++) {
      if (new URL(list[i].url).pathname === url.split("?")[0] && list[i].focus) return list[i].focus();
    }
    return self.clients.openWindow(url);
  }));
});
