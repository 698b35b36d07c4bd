// Class page: select pictures to move or delete together, and turn a picture, or every frame of
// a clip, a quarter clockwise. Each change goes through the JSON API (the same services as the
// album page), then the page is read again. Uploads and their jobs are album.js's.
(function () {
  "use strict";

  const { $, sentence, csrfToken, gettext, ngettext, interpolate } = window.Museion;
  const root = $("album");
  if (!root) return;
  const albumApi = root.dataset.api + "/albums/" + root.dataset.album;

  async function post(path, body) {
    const response = await fetch(albumApi + path, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const error = data && data.error;
      throw new Error(error && error.message ? sentence(error.message) : interpolate(gettext("The server refused it (%(status)s)."), { status: response.status }));
    }
    return data;
  }

  function say(text) {
    const line = $("bulk-message");
    if (line) line.textContent = text;
    else window.alert(text);
  }

  function picked() {
    return Array.from(document.querySelectorAll("#media .pick:checked"), (box) => Number(box.value));
  }

  function updateBar() {
    const ids = picked();
    const count = $("picked");
    if (!count) return;
    count.textContent = ids.length
      ? interpolate(ngettext("%(count)s selected", "%(count)s selected", ids.length), { count: ids.length })
      : gettext("None selected");
    $("bulk-move").disabled = !ids.length || !$("bulk-to").value;
    $("bulk-delete").disabled = !ids.length;
  }

  // A change, then the page as it now is (the buttons stay disabled meanwhile: no double sends).
  async function change(button, path, body) {
    button.disabled = true;
    try {
      await post(path, body);
      location.reload();
    } catch (error) {
      say(error.message || gettext("Could not reach the server."));
      button.disabled = false;
    }
  }

  // Delegated: album.js replaces the #media section when uploads add pictures.
  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target.id === "pick-all") {
      for (const box of document.querySelectorAll("#media .pick")) box.checked = target.checked;
    }
    if (target.id === "pick-all" || target.id === "bulk-to" || target.classList.contains("pick")) updateBar();
  });
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.id === "bulk-move") {
      change(button, "/media/move", { items: picked(), to_class: Number($("bulk-to").value) });
    } else if (button.id === "bulk-delete") {
      const ids = picked();
      if (window.confirm(interpolate(ngettext("Delete %(count)s picture?", "Delete %(count)s pictures?", ids.length), { count: ids.length }))) {
        change(button, "/media/delete", { items: ids });
      }
    } else if (button.classList.contains("rotate")) {
      change(button, "/media/" + button.dataset.media + "/rotate", { degrees: 90 });
    } else if (button.classList.contains("rotate-video")) {
      change(button, "/videos/" + button.dataset.video + "/rotate", { degrees: 90 });
    }
  });
  updateBar();
})();
