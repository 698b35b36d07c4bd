// Footer indicator: asks the health endpoint every 15 s and says online / offline.
(function () {
  const el = document.getElementById("status");
  if (!el) return;
  const { gettext } = window.Museion;
  async function check() {
    try {
      const r = await fetch(el.dataset.health, { cache: "no-store" });
      const ok = r.ok && (await r.json()).status === "ok";
      el.className = "status " + (ok ? "online" : "offline");
      el.textContent = ok ? gettext("online") : gettext("offline");
    } catch (e) {
      el.className = "status offline";
      el.textContent = gettext("offline");
    }
  }
  check();
  setInterval(check, 15000);
})();
