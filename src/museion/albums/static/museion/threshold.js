// The version page's threshold slider: as it moves, the shares of the album's works refused, named
// right, and of other things refused are computed from the version's validation scores (the JSON
// beside each slider) and said in words. The same arithmetic as museion.vision.head.rates_at and the
// same words as museion.albums.versions.sentences, so the saved setting reads as the slider did.
(function () {
  "use strict";

  const NICE = [2, 3, 4, 5, 10, 20];

  function ratesAt(scores, threshold) {
    const globalThreshold = scores.global_threshold + threshold - scores.threshold;
    const known = scores.known;
    const outside = scores.unknown.map((s) => s < threshold).concat((scores.others || []).map((s) => s < globalThreshold));
    const refused = known.map(([s]) => s < threshold);
    const mean = (xs) => (xs.length ? xs.filter(Boolean).length / xs.length : null);
    return {
      known_refused: mean(refused),
      answered_right: mean(known.map(([, right], i) => right === 1 && !refused[i])),
      unknown_refused: mean(outside),
      known_photos: known.length,
    };
  }

  function fraction(rate) {
    for (const m of NICE) {
      const k = Math.round(rate * m);
      if (k > 0 && k < m && Math.abs(k / m - rate) <= 0.1 * Math.min(rate, 1 - rate) + 0.002) return [k, m];
    }
    if (rate < 0.5) return [1, Math.max(2, Math.round(1 / rate))];
    const m = Math.max(2, Math.round(1 / (1 - rate)));
    return [m - 1, m];
  }

  function share(rate, what, total) {
    if (rate <= 0) return total ? "none of the " + total + " photos " + what + " is" : "no photo " + what + " is";
    if (rate >= 1) return "all the photos " + what + " are";
    const [k, m] = fraction(rate);
    return "about " + k + " photo" + (k > 1 ? "s" : "") + " in " + m + " " + what + " " + (k === 1 ? "is" : "are");
  }

  const capital = (s) => s.charAt(0).toUpperCase() + s.slice(1);

  function sentences(point) {
    if (!point.known_photos || point.known_refused === null) {
      return ["There were no validation photos, so nothing can be said of how this version will do."];
    }
    const out = ["At this setting, " + share(point.known_refused, "of your works", point.known_photos) + " refused as not one of the album's works."];
    if (point.unknown_refused !== null) out.push(capital(share(point.unknown_refused, "of other things")) + " refused.");
    if (point.answered_right !== null) out.push(capital(share(point.answered_right, "of your works")) + " named right.");
    return out;
  }

  function render(form) {
    const slider = form.querySelector("input[type=range]");
    const data = document.getElementById("scores-v" + form.dataset.threshold);
    if (!slider || !data) return;
    const threshold = Number(slider.value);
    const lines = sentences(ratesAt(JSON.parse(data.textContent), threshold));
    const box = document.getElementById(slider.id + "-rates");
    box.replaceChildren(...lines.map((line) => Object.assign(document.createElement("p"), { textContent: line })));
    document.getElementById(slider.id + "-value").textContent = threshold.toFixed(3);
  }

  function renderAll() {
    document.querySelectorAll("form.threshold[data-threshold]").forEach(render);
  }

  document.addEventListener("input", (e) => {
    const form = e.target.closest && e.target.closest("form.threshold[data-threshold]");
    if (form) render(form);
  });
  window.MuseionThresholds = { renderAll };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", renderAll);
  else renderAll();
})();
