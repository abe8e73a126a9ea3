/* Kết Nối: "read aloud" speaks the page's help text in the page's language.
   Help text is any element marked [data-help]; without any, the main heading
   and the first paragraphs are read. No framework, no build step. */
(function () {
  "use strict";
  function helpText() {
    var marked = document.querySelectorAll("[data-help]");
    var nodes = marked.length ? marked : document.querySelectorAll("main h1, main p");
    return Array.prototype.map.call(nodes, function (n) { return n.textContent.trim(); })
      .filter(Boolean).join(". ");
  }
  function voiceFor(lang) {
    var voices = window.speechSynthesis.getVoices();
    return voices.find(function (v) { return v.lang && v.lang.toLowerCase().indexOf(lang) === 0; }) || null;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector("[data-read-aloud]");
    if (!button || !("speechSynthesis" in window)) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var synth = window.speechSynthesis;
      if (synth.speaking) { synth.cancel(); return; }
      var lang = document.documentElement.lang === "en" ? "en-US" : "vi-VN";
      var utterance = new SpeechSynthesisUtterance(helpText());
      utterance.lang = lang;
      utterance.rate = 0.9;
      var voice = voiceFor(lang.slice(0, 2));
      if (voice) { utterance.voice = voice; }
      synth.speak(utterance);
    });
  });
})();
