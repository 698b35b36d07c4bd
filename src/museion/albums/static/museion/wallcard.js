// The wall card's Print button (a button rather than a bare link to window.print, for keyboards).
(function () {
  "use strict";
  const button = document.getElementById("print");
  if (button) button.addEventListener("click", () => window.print());
})();
