// Copy buttons: <button data-copy="ID"> copies the text of element ID (an input's value) and says
// so in the element named by data-copy-status. Without the clipboard API (a page that is not
// HTTPS) the text is selected for the keyboard instead. A copy button comes disabled and is enabled
// here once it works: clicked before this script ran, it would do nothing and say nothing.
(function () {
  "use strict";

  const { gettext } = window.Museion;

  function select(element) {
    if (element.select) return element.select();
    const range = document.createRange();
    range.selectNodeContents(element);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function wire(button) {
    const source = document.getElementById(button.dataset.copy);
    const status = document.getElementById(button.dataset.copyStatus || "");
    const say = (text) => status && (status.textContent = text);
    button.addEventListener("click", async () => {
      const text = source.value !== undefined ? source.value : source.textContent.trim();
      try {
        await navigator.clipboard.writeText(text);
        say(gettext("Copied."));
      } catch (e) {
        select(source);
        say(gettext("Selected: copy it with your keyboard."));
      }
    });
    button.disabled = false;
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("button[data-copy]").forEach(wire);
  });
})();
