// What the pages share: element helpers and the language (Indonesian by default, English on
// request or as chosen before on this phone). Text goes in with textContent only.
"use strict";

var Antrian = (function () {
  function $(id) { return document.getElementById(id); }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function pickLanguage() {
    var q = new URLSearchParams(location.search).get("lang");
    if (q === "en" || q === "id") return q;
    try { var s = localStorage.getItem("antrian-lang"); if (s === "en" || s === "id") return s; } catch (e) {}
    return "id";
  }

  function rememberLanguage(lang) {
    try { localStorage.setItem("antrian-lang", lang); } catch (e) {}
  }

  // Every [data-i18n] element's text, [data-i18n-placeholder]'s placeholder and the language
  // button from texts[lang] (the button offers the other language).
  function translate(texts, lang) {
    var t = texts[lang];
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach(function (n) { n.textContent = t[n.dataset.i18n]; });
    document.querySelectorAll("[data-i18n-placeholder]").forEach(function (n) {
      n.placeholder = t[n.dataset.i18nPlaceholder];
    });
    var button = $("lang");
    if (button) {
      button.textContent = t.lang_button;
      button.setAttribute("aria-label", t.lang_label);
    }
  }

  return { $: $, el: el, pickLanguage: pickLanguage, rememberLanguage: rememberLanguage,
           translate: translate };
})();
