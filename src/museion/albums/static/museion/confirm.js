// Forms marked data-confirm ask before they are sent (deleting an album, a class, a member).
(function () {
  "use strict";
  document.addEventListener("submit", (e) => {
    const form = e.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      e.preventDefault();
    }
  });
})();
