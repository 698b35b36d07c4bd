// The helpers every Museion script uses, loaded before them (base.html, the visitor viewer) as
// window.Museion: $ (an element by id), make (an element with a class and text), sentence (a
// server message as a sentence), csrfToken (for the API's session calls), and gettext, ngettext
// and interpolate: the page's language from Django's JavaScript catalog (/i18n/catalog.js, loaded
// before this), or English where it did not load (an old copy kept offline); onChosen (a file
// input's choices, those made before the page's scripts ran included).
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);

  function make(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Server messages are lower-case phrases ("the file is not an image; ..."): make a sentence.
  function sentence(text) {
    const s = String(text).trim();
    return s.charAt(0).toUpperCase() + s.slice(1) + (/[.!?]$/.test(s) ? "" : ".");
  }

  // The cookie, else the hidden field of a form on the page (a cookie-less browser).
  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // Looked up at each call: the catalog defines window.gettext and friends when it has loaded.
  function gettext(text) {
    return window.gettext ? window.gettext(text) : text;
  }

  function ngettext(singular, plural, count) {
    if (window.ngettext) return window.ngettext(singular, plural, count);
    return count === 1 ? singular : plural;
  }

  // Named placeholders only, "%(name)s", as Django's interpolate(format, values, true).
  function interpolate(format, values) {
    return String(format).replace(/%\((\w+)\)s/g, (whole, key) => (key in values ? String(values[key]) : whole));
  }

  // Calls `handle` with the files of each choice in a file input, and at once with files chosen
  // while the page's scripts were still loading (a slow phone line), which no change event brings.
  // The input is emptied after each: choosing the same file again is a change.
  function onChosen(input, handle) {
    const take = () => {
      const files = Array.from(input.files || []);
      input.value = "";
      if (files.length) handle(files);
    };
    input.addEventListener("change", take);
    if (input.files && input.files.length) take();
  }

  window.Museion = Object.freeze({ $, make, sentence, csrfToken, gettext, ngettext, interpolate, onChosen });
})();
