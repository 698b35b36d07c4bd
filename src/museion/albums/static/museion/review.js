// The review page: one click (or key) per visitor's photo: assign to a guess or a picked class, "not a
// work", discard; checkboxes with bulk actions. Each decision is one call to the review API; a photo
// decided on leaves the grid and the focus moves to the next one.
(function () {
  "use strict";

  const { $, sentence, csrfToken, gettext, interpolate } = window.Museion;
  const root = $("review");
  if (!root || root.dataset.canEdit !== "1") return;
  const API = root.dataset.api;
  const grid = $("review-grid");
  const message = $("review-message");
  const total = $("review-total");

  async function send(path, body) {
    message.textContent = "";
    const response = await fetch(API + path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    }).catch(() => null);
    if (!response) {
      message.textContent = gettext("The server cannot be reached; try again.");
      return false;
    }
    if (!response.ok) {
      const data = await response.json().catch(() => null);
      const error = data && data.error;
      message.textContent = error && error.message ? sentence(error.message) : interpolate(gettext("That did not work (%(status)s)."), { status: response.status });
      return false;
    }
    return true;
  }

  function items() {
    return grid ? Array.from(grid.querySelectorAll(".review-item")) : [];
  }

  function done(ids) {
    const list = items();
    const current = document.activeElement && document.activeElement.closest(".review-item");
    let next = null;
    if (current && ids.includes(current.dataset.item)) {
      const at = list.indexOf(current);
      next = list.slice(at + 1).concat(list.slice(0, at).reverse()).find((li) => !ids.includes(li.dataset.item));
    }
    for (const li of list) if (ids.includes(li.dataset.item)) li.remove();
    const left = Math.max(0, parseInt(total.textContent, 10) - ids.length);
    total.textContent = interpolate(gettext("%(n)s waiting"), { n: left });
    if (next) next.focus();
    if (!items().length) location.reload(); // the next page, or the empty queue's words
  }

  async function decide(li, action, classId) {
    const body = action === "assign" ? { action, class: Number(classId) } : { action };
    if (await send("/" + li.dataset.item, body)) done([li.dataset.item]);
  }

  function guessButton(li, n) {
    return li.querySelectorAll('.guesses button[data-action="assign"]')[n] || null;
  }

  if (grid) {
    grid.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (!button) return;
      const li = button.closest(".review-item");
      const action = button.dataset.action;
      if (action === "assign") decide(li, "assign", button.dataset.class);
      else if (action === "assign-picked") decide(li, "assign", li.querySelector(".pick-class").value);
      else decide(li, action);
    });

    grid.addEventListener("keydown", (event) => {
      const li = event.target.closest(".review-item");
      if (!li || event.target.tagName === "SELECT" || event.altKey || event.ctrlKey || event.metaKey) return;
      const list = items();
      const at = list.indexOf(li);
      const key = event.key;
      if (key >= "1" && key <= "3") {
        const button = guessButton(li, Number(key) - 1);
        if (button) decide(li, "assign", button.dataset.class);
      } else if (key === "n") decide(li, "negative");
      else if (key === "d" || key === "x") decide(li, "discard");
      else if (key === "ArrowRight" || key === "ArrowDown") (list[at + 1] || li).focus();
      else if (key === "ArrowLeft" || key === "ArrowUp") (list[at - 1] || li).focus();
      else if (key === " " && event.target === li) {
        const box = li.querySelector(".select");
        box.checked = !box.checked;
      } else return;
      event.preventDefault();
    });
  }

  const all = $("select-all");
  if (all) all.addEventListener("change", () => items().forEach((li) => (li.querySelector(".select").checked = all.checked)));

  document.querySelectorAll("button[data-bulk]").forEach((button) =>
    button.addEventListener("click", async () => {
      const ids = items().filter((li) => li.querySelector(".select").checked).map((li) => li.dataset.item);
      if (!ids.length) {
        message.textContent = gettext("Select photos first.");
        return;
      }
      const action = button.dataset.bulk;
      const body = { ids: ids.map(Number), action };
      if (action === "assign") body.class = Number($("bulk-class").value);
      if (await send("", body)) done(ids);
    })
  );

  const first = items()[0];
  if (first) first.focus();
})();
