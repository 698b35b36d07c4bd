// Layout on small screens: the menu button that folds the nav away, and the labels that let
// tables reflow into one card a row (museion.css shows each cell's data-label before it).
(function () {
  "use strict";

  function wireMenu() {
    const button = document.getElementById("menu-button");
    const nav = document.getElementById("site-nav");
    if (!button || !nav) return;
    const set = (open) => {
      nav.classList.toggle("open", open);
      button.setAttribute("aria-expanded", String(open));
    };
    button.addEventListener("click", () => set(!nav.classList.contains("open")));
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && nav.classList.contains("open")) {
        set(false);
        button.focus();
      }
    });
  }

  // Each cell is labelled with its column's heading, unless the template labelled it already.
  function labelCells(table) {
    const heads = Array.from(table.querySelectorAll("thead th"), (th) => th.textContent.trim());
    for (const row of table.querySelectorAll("tbody tr")) {
      Array.from(row.cells).forEach((cell, i) => {
        if (!cell.hasAttribute("data-label") && heads[i]) cell.dataset.label = heads[i];
      });
    }
  }

  wireMenu();
  document.querySelectorAll("main table").forEach(labelCells);
})();
