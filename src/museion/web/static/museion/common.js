// The helpers every Museion script uses, loaded before them (base.html, the visitor viewer) as
// window.Museion: $ (an element by id), make (an element with a class and text), sentence (a
// server message as a sentence) and csrfToken (for the API's session calls).
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

  window.Museion = Object.freeze({ $, make, sentence, csrfToken });
})();
