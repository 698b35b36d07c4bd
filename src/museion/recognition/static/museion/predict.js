// Predict page: take a photo (picker, drag and drop, or phone camera), shrink it
// in the browser, upload it, and show the top labels (classifier) or labelled
// boxes (detector, filtered by the score slider without asking the server again).
// "Occlude" copies the photo onto a canvas the user paints over, so both
// answers can be compared side by side with the change in confidence; its heat
// map mode asks the server for an occlusion map (one request, a 7 x 7 grid).
//
// History: a new photo is stored (signed in); predicting it again with another
// model, or a painted copy, is a preview (store=false) until gettext("Save to history").
(function () {
  "use strict";

  const MAX_SIDE = 1600; // longest side sent to the server, in pixels
  const JPEG_QUALITY = 0.9;
  const TOP = 5;
  const ALL_LABELS = 1000; // a painted copy asks for every label, to compare any of the original's top
  const LOWEST_THRESHOLD = 0.1; // detectors are asked down to the slider's lowest setting
  const HEAT_GRID = 7;
  const SMALL_DROP = 0.005; // below half a point, greying a square "changes nothing"
  const TIMEOUT_MS = 120000;

  const { $, make, sentence, csrfToken, gettext, ngettext, interpolate, onChosen } = window.Museion;
  const { color, percent, draw } = window.MuseionBoxes;
  const form = $("predict-form");
  if (!form) return;

  const el = {
    model: $("model"), file: $("file"), camera: $("camera"), dropzone: $("dropzone"),
    message: $("message"), results: $("results"), photo: $("photo"), noPreview: $("no-preview"),
    occlude: $("occlude"), occluded: $("occluded"), paint: $("paint"), brush: $("brush"),
    clear: $("clear"), again: $("again"), threshold: $("threshold"), thresholdValue: $("threshold-value"),
    thresholdTools: $("threshold-tools"), saveRow: $("save-row"), save: $("save"), saveNote: $("save-note"),
    paintMode: $("paint-mode"), heatMode: $("heat-mode"), heat: $("heat"), heatRun: $("heat-run"),
    heatPhoto: $("heat-photo"), heatCanvas: $("heat-canvas"), heatCaption: $("heat-caption"),
    heatProgress: $("heat-progress"),
  };
  const signedIn = form.dataset.signedIn === "true";

  // A pane shows one picture with its answer: the original photo, or the occluded copy.
  const original = pane(el.photo, "photo-boxes", "progress", "answer");
  const occluded = pane(el.paint, "paint-boxes", "occluded-progress", "occluded-answer");
  const state = { upload: null, url: null, turn: 0, heat: null };

  function pane(source, boxes, progress, answer) {
    return { source, boxes: $(boxes), progress: $(progress), answer: $(answer), xhr: null, result: null };
  }

  // ---- messages -------------------------------------------------------------

  function showMessage(text) {
    el.message.textContent = text;
  }

  function clearMessage() {
    el.message.textContent = "";
  }

  // ---- preparing the photo --------------------------------------------------

  // Decode with the EXIF orientation applied; null when this browser cannot (e.g. HEIC).
  async function decode(file) {
    try {
      const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
      return { image: bitmap, width: bitmap.width, height: bitmap.height, close: () => bitmap.close() };
    } catch (e) {
      return decodeWithImg(file);
    }
  }

  // Fallback for browsers without createImageBitmap options; <img> applies EXIF
  // orientation itself (CSS image-orientation: from-image is the default).
  async function decodeWithImg(file) {
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.src = url;
    try {
      await img.decode();
      return { image: img, width: img.naturalWidth, height: img.naturalHeight, close: () => URL.revokeObjectURL(url) };
    } catch (e) {
      URL.revokeObjectURL(url);
      return null;
    }
  }

  function toJpeg(canvas) {
    return new Promise((resolve, reject) => {
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("toBlob failed"))), "image/jpeg", JPEG_QUALITY);
    });
  }

  // What to upload: { blob, name, preview }. A JPEG of at most MAX_SIDE pixels, the
  // small JPEG as it is, or (when the browser cannot read it) the file unchanged:
  // the server reads more formats than some browsers do.
  async function prepare(file) {
    const unchanged = { blob: file, name: file.name || "photo", preview: false };
    const decoded = await decode(file);
    if (!decoded || !decoded.width || !decoded.height) return unchanged;
    try {
      const scale = Math.min(1, MAX_SIDE / Math.max(decoded.width, decoded.height));
      if (scale === 1 && file.type === "image/jpeg") return { blob: file, name: unchanged.name, preview: true };
      const canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(decoded.width * scale));
      canvas.height = Math.max(1, Math.round(decoded.height * scale));
      const ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff"; // JPEG has no transparency: white, as the server would do
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(decoded.image, 0, 0, canvas.width, canvas.height);
      return { blob: await toJpeg(canvas), name: "photo.jpg", preview: true };
    } catch (e) {
      return unchanged; // e.g. a canvas too large for a phone's memory
    } finally {
      decoded.close();
    }
  }

  // ---- uploading -------------------------------------------------------------

  // A readable message for a failed answer: the API's own when it sent one.
  function errorText(xhr) {
    const error = xhr.response && xhr.response.error;
    if (error && error.message) return sentence(error.message);
    if (xhr.status === 413) return gettext("The photo is too large for the server.");
    if (xhr.status === 429) return gettext("Too many requests: wait a moment and try again.");
    if (xhr.status >= 500) return gettext("The server could not answer just now. Try again in a moment.");
    if (xhr.status >= 200 && xhr.status < 300) return gettext("The server's answer could not be read. Reload the page and try again.");
    return gettext("The server refused the photo. Reload the page and try again.");
  }

  function isDetector() {
    const option = el.model.selectedOptions[0];
    return Boolean(option && option.dataset.task === "detect");
  }

  // The form fields of a prediction: `options.store` keeps it in the history, `options.all` asks
  // a classifier for every label.
  function fields(options) {
    const extra = { store: options.store ? "true" : "false" };
    if (isDetector()) extra.threshold = String(LOWEST_THRESHOLD);
    else if (options.all) extra.top_k = String(ALL_LABELS);
    return extra;
  }

  // POST the photo; resolves with the answer, rejects with an Error whose message is for people.
  function send(xhr, blob, name, onProgress, extra = {}, url = form.dataset.api, check = (r) => r.task) {
    return new Promise((resolve, reject) => {
      const body = new FormData();
      body.append("image", blob, name);
      body.append("model", el.model.value);
      for (const [key, value] of Object.entries(extra)) body.append(key, value);
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.responseType = "json"; // anything not JSON (a proxy's error page) becomes null
      xhr.timeout = TIMEOUT_MS;
      xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
      xhr.upload.onload = () => onProgress(null); // all sent: now the server is working
      xhr.onload = () => {
        const ok = xhr.status >= 200 && xhr.status < 300 && xhr.response && check(xhr.response);
        ok ? resolve(xhr.response) : reject(new Error(errorText(xhr)));
      };
      xhr.onerror = () => reject(new Error(gettext("Could not reach the server. Check your connection and try again.")));
      xhr.ontimeout = () => reject(new Error(gettext("The server took too long to answer. Try again.")));
      xhr.onabort = () => reject(new DOMException("replaced by a newer request", "AbortError"));
      xhr.send(body);
    });
  }

  // fraction in [0, 1): upload progress; null: the upload is done, waiting for the answer.
  function showProgress(bar, fraction) {
    const fill = bar.firstElementChild;
    bar.hidden = false;
    if (fraction === null || fraction >= 1) {
      bar.classList.add("busy");
      bar.removeAttribute("aria-valuenow");
      bar.setAttribute("aria-valuetext", gettext("Recognizing…"));
      fill.style.width = "";
    } else {
      const percent = Math.round(fraction * 100);
      bar.classList.remove("busy");
      bar.setAttribute("aria-valuenow", String(percent));
      bar.setAttribute("aria-valuetext", interpolate(gettext("Uploading, %(percent)s"), { percent: percent + "%" }));
      fill.style.width = percent + "%";
    }
  }

  function hideProgress(bar) {
    bar.hidden = true;
    bar.classList.remove("busy");
    bar.firstElementChild.style.width = "";
  }

  // Send `blob` and show the answer in pane `p`; resolves with the answer, or null.
  async function run(p, blob, name, options) {
    if (p.xhr) p.xhr.abort(); // a newer photo or model wins
    const xhr = new XMLHttpRequest();
    p.xhr = xhr;
    p.result = null;
    p.answer.replaceChildren();
    drawBoxes(p);
    showProgress(p.progress, 0);
    try {
      p.result = await send(xhr, blob, name, (fraction) => showProgress(p.progress, fraction), fields(options));
      render(p);
      return p.result;
    } catch (err) {
      if (err.name !== "AbortError") showMessage(err.message);
      return null;
    } finally {
      // An aborted request must not hide the progress of the one that replaced it.
      if (p.xhr === xhr) {
        p.xhr = null;
        hideProgress(p.progress);
      }
    }
  }

  // ---- showing answers -------------------------------------------------------

  // The detections scoring at least the slider's value.
  function shown(answer) {
    const least = Number(el.threshold.value) / 100;
    return (answer.detections || []).filter((d) => d.score >= least);
  }

  function render(p) {
    const answer = p.result;
    const isClassify = answer.task === "classify";
    const items = (isClassify ? answer.predictions : shown(answer)) || [];
    p.answer.replaceChildren(make("h3", null, isClassify ? gettext("Most likely") : gettext("Objects found")));
    if (p === occluded && original.result) p.answer.append(change(original.result, answer));
    if (!items.length) p.answer.append(make("p", "muted", gettext("Nothing found.")));
    else p.answer.append(isClassify ? bars(items.slice(0, TOP), p === occluded ? original.result : null) : found(items));
    drawBoxes(p);
  }

  // A translated sentence with an element in it: the text before `key`'s placeholder, the element, the rest.
  function around(format, values, key, element) {
    const [before, after = ""] = interpolate(format, { ...values, [key]: "\u0000" }).split("\u0000");
    return [before, element, after];
  }

  // A change in points, as "+3.2" or "−41.0": of a score from `before` to `after`.
  function points(before, after) {
    const delta = (after - before) * 100;
    return interpolate(gettext("%(delta)s pts"), { delta: (delta < 0 ? "−" : "+") + Math.abs(delta).toFixed(1) });
  }

  // The occluded photo against the original: the original's top label (classifier), or the
  // number of objects (detector), before and after.
  function change(before, after) {
    const line = make("p", "change");
    if (after.task === "classify") {
      const top = before.predictions && before.predictions[0];
      if (!top) return line;
      const now = (after.predictions || []).find((q) => q.index === top.index);
      const score = now ? now.score : 0;
      line.append(make("strong", null, top.label), ": " + percent(top.score) + " → " + percent(score) + " ");
      line.append(make("span", score < top.score ? "down" : "up", "(" + points(top.score, score) + ")"));
    } else {
      const was = shown(before).length;
      const is = shown(after).length;
      line.textContent = interpolate(ngettext("%(is)s object found; %(was)s on the original.", "%(is)s objects found; %(was)s on the original.", is), { is, was });
    }
    return line;
  }

  // Classifier: label, percentage and a bar for each of the top labels; against `before`, each
  // label's change too.
  function bars(predictions, before) {
    const list = make("ul", "bars");
    for (const p of predictions) {
      const row = make("div", "row");
      const label = make("span", "label", p.label);
      if (p.full_label && p.full_label !== p.label) label.title = p.full_label;
      const score = make("span", "score", percent(p.score));
      if (before) {
        const was = (before.predictions || []).find((q) => q.index === p.index);
        const moved = !was ? "" : p.score < was.score ? " down" : " up";
        score.append(make("span", "delta" + moved, " " + (was ? points(was.score, p.score) : gettext("new"))));
      }
      row.append(label, score);
      const track = make("div", "track");
      track.setAttribute("aria-hidden", "true"); // the percentage says it in words
      const fill = make("div", "fill");
      fill.style.width = Math.max(0, Math.min(100, p.score * 100)) + "%";
      track.append(fill);
      const item = make("li");
      item.append(row, track);
      list.append(item);
    }
    return list;
  }

  // Detector: the found objects, each with the colour of its box.
  function found(detections) {
    const list = make("ul", "found");
    for (const d of detections) {
      const swatch = make("span", "swatch");
      swatch.style.background = color(d.index);
      swatch.setAttribute("aria-hidden", "true");
      const item = make("li");
      item.append(swatch, make("span", "label", d.label), make("span", "score", percent(d.score)));
      list.append(item);
    }
    return list;
  }

  // The answer's boxes on the overlay, at the size the picture is shown (boxes.js).
  function drawBoxes(p) {
    const answer = p.result;
    const detections = answer && answer.task === "detect" ? shown(answer) : [];
    draw(p.boxes, p.source, answer || {}, detections);
  }

  function showThreshold() {
    el.thresholdValue.textContent = el.threshold.value + "%";
    for (const p of [original, occluded]) if (p.result) render(p);
  }

  // ---- the original photo ----------------------------------------------------

  function showPhoto(upload) {
    if (state.url) URL.revokeObjectURL(state.url);
    state.url = upload.preview ? URL.createObjectURL(upload.blob) : null;
    if (state.url) el.photo.src = state.url;
    else el.photo.removeAttribute("src");
    el.photo.parentElement.hidden = !upload.preview;
    el.noPreview.hidden = upload.preview;
  }

  async function handleFile(file) {
    if (!file) return;
    const turn = ++state.turn; // a photo chosen while this one is prepared replaces it
    if (original.xhr) original.xhr.abort();
    original.xhr = null; // so the aborted request leaves the progress bar to this one
    original.result = null;
    clearMessage();
    closeOcclusion();
    el.occlude.hidden = true;
    el.saveRow.hidden = true;
    el.photo.parentElement.hidden = true;
    el.noPreview.hidden = true;
    original.answer.replaceChildren();
    el.results.hidden = false;
    showProgress(original.progress, 0);
    const upload = await prepare(file);
    if (turn !== state.turn) return;
    state.upload = upload;
    showPhoto(upload);
    await predictOriginal(true);
  }

  // `store`: keep the answer in the history. A new photo is kept; the same photo with another
  // model is a preview the user may save.
  async function predictOriginal(store) {
    const upload = state.upload;
    el.thresholdTools.hidden = !isDetector();
    el.saveRow.hidden = true;
    const answer = await run(original, upload.blob, upload.name, { store });
    // Occlusion paints on the shown photo, so it needs one the browser can show.
    el.occlude.hidden = !(answer && upload.preview && upload === state.upload);
    if (answer && signedIn && !store) {
      el.save.disabled = false;
      el.save.textContent = gettext("Save to history");
      el.saveNote.textContent = gettext("A preview: this answer is not in your history.");
      el.saveRow.hidden = false;
    }
  }

  async function saveOriginal() {
    el.save.disabled = true;
    const answer = await run(original, state.upload.blob, state.upload.name, { store: true });
    if (answer && answer.id) {
      el.save.textContent = gettext("Saved");
      el.saveNote.textContent = "";
      el.saveNote.append(...around(gettext("In your %(history)s."), {}, "history", Object.assign(make("a", null, gettext("history")), { href: "/history/" + answer.id + "/" })));
    } else {
      el.save.disabled = false;
    }
  }

  // ---- occlusion -------------------------------------------------------------

  const painting = { last: null };

  async function openOcclusion() {
    await el.photo.decode().catch(() => {}); // drawn below, so it must be loaded
    el.paint.width = el.photo.naturalWidth; // the uploaded pixels, so boxes line up
    el.paint.height = el.photo.naturalHeight;
    resetPaint();
    occluded.result = null;
    occluded.answer.replaceChildren(make("p", "muted", gettext("Paint, then press “Predict again”.")));
    el.occluded.hidden = false;
    el.occlude.hidden = true;
    el.paintMode.checked = true;
    setMode(false);
    el.occluded.scrollIntoView({ behavior: "smooth", block: "nearest" });
  }

  function closeOcclusion() {
    if (occluded.xhr) occluded.xhr.abort();
    occluded.result = null;
    el.occluded.hidden = true;
  }

  function resetPaint() {
    el.paint.getContext("2d").drawImage(el.photo, 0, 0, el.paint.width, el.paint.height);
    occluded.result = null;
    drawBoxes(occluded);
  }

  // Pointer position in the canvas's own pixels (it is shown scaled down).
  function canvasPoint(e) {
    const rect = el.paint.getBoundingClientRect();
    return {
      x: ((e.clientX - rect.left) * el.paint.width) / rect.width,
      y: ((e.clientY - rect.top) * el.paint.height) / rect.height,
      scale: el.paint.width / rect.width,
    };
  }

  // The brush size is in screen pixels, so it feels the same at any photo size.
  function paintStroke(from, to) {
    const ctx = el.paint.getContext("2d");
    const size = Number(el.brush.value) * to.scale;
    ctx.fillStyle = ctx.strokeStyle = "#000";
    ctx.lineWidth = size;
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.beginPath();
    if (from === to) {
      ctx.arc(to.x, to.y, size / 2, 0, 2 * Math.PI); // a tap paints a dot
      ctx.fill();
    } else {
      ctx.moveTo(from.x, from.y);
      ctx.lineTo(to.x, to.y);
      ctx.stroke();
    }
  }

  function onPaintStart(e) {
    if (!e.isPrimary || e.button !== 0) return;
    e.preventDefault();
    el.paint.setPointerCapture(e.pointerId);
    if (occluded.result) {
      occluded.result = null; // the boxes no longer match what is painted
      drawBoxes(occluded);
    }
    painting.last = canvasPoint(e);
    paintStroke(painting.last, painting.last);
  }

  function onPaintMove(e) {
    if (!painting.last || !e.isPrimary) return;
    const point = canvasPoint(e);
    paintStroke(painting.last, point);
    painting.last = point;
  }

  function onPaintEnd() {
    painting.last = null;
  }

  async function predictOccluded() {
    clearMessage();
    let blob;
    try {
      blob = await toJpeg(el.paint);
    } catch (e) {
      showMessage(gettext("This browser could not export the painted photo."));
      return;
    }
    await run(occluded, blob, "occluded.jpg", { store: false, all: true });
  }

  // ---- the heat map ------------------------------------------------------------

  function setMode(heat) {
    el.heat.hidden = !heat;
    state.heat = null;
    for (const node of el.occluded.querySelectorAll(".paint-only")) node.hidden = heat;
    if (heat) {
      el.heatPhoto.src = el.photo.src;
      const canMap = !isDetector();
      el.heatRun.disabled = !canMap;
      el.heatCaption.textContent = canMap ? "" : gettext("A heat map needs a classifier: choose one above.");
      drawHeat(null);
    }
  }

  async function predictHeat() {
    clearMessage();
    el.heatRun.disabled = true;
    el.heatCaption.textContent = "";
    drawHeat(null);
    const xhr = new XMLHttpRequest();
    const progress = (fraction) => showProgress(el.heatProgress, fraction);
    try {
      const upload = state.upload;
      const map = await send(xhr, upload.blob, upload.name, progress, { grid: String(HEAT_GRID) },
        form.dataset.heatmap, (r) => r.scores);
      el.heatCaption.replaceChildren(heatCaption(map));
      drawHeat(map);
      state.heat = map;
    } catch (err) {
      if (err.name !== "AbortError") showMessage(err.message);
    } finally {
      hideProgress(el.heatProgress);
      el.heatRun.disabled = isDetector();
    }
  }

  // The largest drop of the score over the map's cells, and where.
  function largestDrop(map) {
    let worst = { drop: 0, score: map.score };
    for (const row of map.scores) for (const score of row) {
      if (map.score - score > worst.drop) worst = { drop: map.score - score, score };
    }
    return worst;
  }

  function heatCaption(map) {
    const worst = largestDrop(map);
    const text = make("span");
    const label = make("strong", null, map.label);
    if (worst.drop < SMALL_DROP) {
      text.append(...around(gettext("Greying any one square leaves the score for %(label)s at about %(score)s: the model finds it in every part of the photo."),
        { score: percent(map.score) }, "label", label));
    } else {
      text.append(...around(gettext("Each square was greyed in turn. The redder, the more it matters: greying the reddest lowers the score for %(label)s from %(score)s to %(worst)s. Blue: greying it raises the score."),
        { score: percent(map.score), worst: percent(worst.score) }, "label", label));
    }
    return text;
  }

  // Tint each cell of the region the model sees: red as deep as its drop against the map's
  // largest one, blue where greying it raises the score.
  function drawHeat(map) {
    const canvas = el.heatCanvas;
    const width = el.heatPhoto.clientWidth;
    const height = el.heatPhoto.clientHeight;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    if (!map || !width) return;
    const ctx = canvas.getContext("2d");
    ctx.scale(ratio, ratio);
    const sx = width / map.width;
    const sy = height / map.height;
    const [x0, y0, x1, y1] = map.region;
    const cw = ((x1 - x0) * sx) / map.grid;
    const ch = ((y1 - y0) * sy) / map.grid;
    const scale = Math.max(largestDrop(map).drop, SMALL_DROP);
    map.scores.forEach((row, r) => row.forEach((score, c) => {
      const change = (score - map.score) / scale; // -1: the largest drop
      const depth = Math.min(1, Math.abs(change));
      ctx.fillStyle = change < 0 ? `rgba(214, 39, 40, ${0.7 * depth})` : `rgba(31, 119, 180, ${0.5 * depth})`;
      ctx.fillRect(x0 * sx + c * cw, y0 * sy + r * ch, cw, ch);
    }));
    ctx.strokeStyle = "rgba(255, 255, 255, .6)";
    ctx.strokeRect(x0 * sx, y0 * sy, x1 * sx - x0 * sx, y1 * sy - y0 * sy);
  }

  // ---- wiring ----------------------------------------------------------------

  function onInput(input) {
    onChosen(input, (files) => handleFile(files[0]));
  }

  function wireDropzone() {
    const zone = el.dropzone;
    const over = (on) => (e) => {
      e.preventDefault(); // without this the browser opens the dropped file itself
      zone.classList.toggle("over", on);
    };
    zone.addEventListener("dragenter", over(true));
    zone.addEventListener("dragover", over(true));
    zone.addEventListener("dragleave", over(false));
    zone.addEventListener("drop", (e) => {
      over(false)(e);
      const file = e.dataTransfer && e.dataTransfer.files[0];
      if (file) handleFile(file);
      else showMessage(gettext("Drop a photo file (not a link or text)."));
    });
    // A drop that misses the zone must not navigate away from the page.
    window.addEventListener("dragover", (e) => e.preventDefault());
    window.addEventListener("drop", (e) => e.preventDefault());
  }

  function wirePaint() {
    el.paint.addEventListener("pointerdown", onPaintStart);
    el.paint.addEventListener("pointermove", onPaintMove);
    el.paint.addEventListener("pointerup", onPaintEnd);
    el.paint.addEventListener("pointercancel", onPaintEnd);
    el.occlude.addEventListener("click", openOcclusion);
    el.clear.addEventListener("click", resetPaint);
    el.again.addEventListener("click", predictOccluded);
    el.paintMode.addEventListener("change", () => setMode(false));
    el.heatMode.addEventListener("change", () => setMode(true));
    el.heatRun.addEventListener("click", predictHeat);
  }

  onInput(el.file);
  if (el.camera) onInput(el.camera);
  wireDropzone();
  wirePaint();
  form.addEventListener("submit", (e) => e.preventDefault()); // Enter in the select must not reload
  el.threshold.addEventListener("input", showThreshold);
  el.save.addEventListener("click", saveOriginal);
  el.model.addEventListener("change", () => {
    el.thresholdTools.hidden = !isDetector();
    if (!state.upload) return;
    clearMessage();
    predictOriginal(false); // the same photo again: a preview, saved only when asked
    if (!el.occluded.hidden && el.heat.hidden) predictOccluded();
    if (!el.heat.hidden) setMode(true);
  });
  // Boxes follow the picture when the layout changes (rotation, window size).
  if (window.ResizeObserver) {
    const observer = new ResizeObserver(() => {
      [original, occluded].forEach(drawBoxes);
      if (!el.heat.hidden) drawHeat(state.heat);
    });
    observer.observe(el.photo);
    observer.observe(el.paint);
    observer.observe(el.heatPhoto);
  }
})();
