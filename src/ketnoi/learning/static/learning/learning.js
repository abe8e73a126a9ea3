/* Kết Nối learning: large-text mode (remembered on the phone), read-aloud of one part of a lesson, print.
   Loaded in <head> without defer so the large-text class is set before the page is drawn. */
(function () {
  "use strict";
  var KEY = "ketnoi-large-text";
  var root = document.documentElement;
  function stored() { try { return localStorage.getItem(KEY) === "1"; } catch (e) { return false; } }
  if (stored()) { root.classList.add("large-text"); }

  function speak(text) {
    var synth = window.speechSynthesis;
    if (synth.speaking) { synth.cancel(); return; }
    var lang = root.lang === "en" ? "en-US" : "vi-VN";
    var utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = lang;
    utterance.rate = 0.9;
    var voice = synth.getVoices().find(function (v) { return v.lang && v.lang.toLowerCase().indexOf(lang.slice(0, 2)) === 0; });
    if (voice) { utterance.voice = voice; }
    synth.speak(utterance);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-large-text]"), function (button) {
      button.setAttribute("aria-pressed", String(root.classList.contains("large-text")));
      button.addEventListener("click", function () {
        var on = root.classList.toggle("large-text");
        button.setAttribute("aria-pressed", String(on));
        try { localStorage.setItem(KEY, on ? "1" : "0"); } catch (e) { /* private mode: not remembered */ }
      });
    });
    if ("speechSynthesis" in window) {
      Array.prototype.forEach.call(document.querySelectorAll("[data-read]"), function (button) {
        button.hidden = false;
        button.addEventListener("click", function () {
          var text = button.getAttribute("data-read").split(" ").map(function (id) {
            var node = document.getElementById(id);
            return node ? node.innerText.trim() : "";
          }).filter(Boolean).join(". ");
          speak(text);
        });
      });
    }
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
