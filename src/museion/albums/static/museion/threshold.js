// The version page's threshold slider: as it moves, the shares of the album's works refused, named
// right, and of other things refused are computed from the version's validation scores (the JSON
// beside each slider) and said in words. The same arithmetic as museion.vision.head.rates_at and the
// same words as museion.albums.versions.sentences, so the saved setting reads as the slider did.
(function () {
  "use strict";

  const NICE = [2, 3, 4, 5, 10, 20];
  const { gettext, ngettext, interpolate } = window.Museion;

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

  // Whole sentences per case (none, all, about k in m), as museion.albums.versions writes them, so
  // that a translation need not follow English word order.
  function share(rate, none, every, some) {
    if (rate <= 0) return none;
    if (rate >= 1) return every;
    const [k, m] = fraction(rate);
    return interpolate(some(k), { k, m });
  }

  function sentences(point) {
    if (!point.known_photos || point.known_refused === null) {
      return [gettext("There were no validation photos, so nothing can be said of how this version will do.")];
    }
    const out = [share(
      point.known_refused,
      interpolate(gettext("At this setting, none of the %(total)s photos of your works is refused as not one of the album's works."), { total: point.known_photos }),
      gettext("At this setting, all the photos of your works are refused as not one of the album's works."),
      (k) => ngettext("At this setting, about %(k)s photo in %(m)s of your works is refused as not one of the album's works.",
        "At this setting, about %(k)s photos in %(m)s of your works are refused as not one of the album's works.", k),
    )];
    if (point.unknown_refused !== null) {
      out.push(share(
        point.unknown_refused,
        gettext("No photo of other things is refused."),
        gettext("All the photos of other things are refused."),
        (k) => ngettext("About %(k)s photo in %(m)s of other things is refused.", "About %(k)s photos in %(m)s of other things are refused.", k),
      ));
    }
    if (point.answered_right !== null) {
      out.push(share(
        point.answered_right,
        gettext("No photo of your works is named right."),
        gettext("All the photos of your works are named right."),
        (k) => ngettext("About %(k)s photo in %(m)s of your works is named right.", "About %(k)s photos in %(m)s of your works are named right.", k),
      ));
    }
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
