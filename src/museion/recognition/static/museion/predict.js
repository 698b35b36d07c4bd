// Predict page: take a photo (picker, drag and drop, or phone camera), shrink it
// in the browser, upload it, and show the top labels (classifier) or labelled
// boxes (detector). "Occlude" copies the photo onto a canvas the user paints
// black over, so both answers can be compared side by side.
(function () {
  "use strict";

  const MAX_SIDE = 1600; // longest side sent to the server, in pixels
  const JPEG_QUALITY = 0.9;
  const TOP = 5;
  const TIMEOUT_MS = 120000;
  // Dark enough for white label text on top.
  const COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#e6550d", "#8c564b", "#e377c2", "#17becf", "#7f7f00", "#393b79"];

  const { $, make, sentence, csrfToken } = window.Museion;
  const form = $("predict-form");
  if (!form) return;

  const el = {
    model: $("model"), file: $("file"), camera: $("camera"), dropzone: $("dropzone"),
    message: $("message"), results: $("results"), photo: $("photo"), noPreview: $("no-preview"),
    occlude: $("occlude"), occluded: $("occluded"), paint: $("paint"), brush: $("brush"),
    clear: $("clear"), again: $("again"),
  };

  // A pane shows one picture with its answer: the original photo, or the occluded copy.
  const original = pane(el.photo, "photo-boxes", "progress", "answer");
  const occluded = pane(el.paint, "paint-boxes", "occluded-progress", "occluded-answer");
  const state = { upload: null, url: null, turn: 0 };

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
    if (xhr.status === 413) return "The photo is too large for the server.";
    if (xhr.status === 429) return "Too many requests: wait a moment and try again.";
    if (xhr.status >= 500) return "The server could not answer just now. Try again in a moment.";
    if (xhr.status >= 200 && xhr.status < 300) return "The server's answer could not be read. Reload the page and try again.";
    return "The server refused the photo. Reload the page and try again.";
  }

  // POST the photo; resolves with the answer, rejects with an Error whose message is for people.
  function send(xhr, blob, name, onProgress) {
    return new Promise((resolve, reject) => {
      const body = new FormData();
      body.append("image", blob, name);
      body.append("model", el.model.value);
      xhr.open("POST", form.dataset.api);
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.responseType = "json"; // anything not JSON (a proxy's error page) becomes null
      xhr.timeout = TIMEOUT_MS;
      xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
      xhr.upload.onload = () => onProgress(null); // all sent: now the server is working
      xhr.onload = () => {
        const ok = xhr.status >= 200 && xhr.status < 300 && xhr.response && xhr.response.task;
        ok ? resolve(xhr.response) : reject(new Error(errorText(xhr)));
      };
      xhr.onerror = () => reject(new Error("Could not reach the server. Check your connection and try again."));
      xhr.ontimeout = () => reject(new Error("The server took too long to answer. Try again."));
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
      bar.setAttribute("aria-valuetext", "Recognizing…");
      fill.style.width = "";
    } else {
      const percent = Math.round(fraction * 100);
      bar.classList.remove("busy");
      bar.setAttribute("aria-valuenow", String(percent));
      bar.setAttribute("aria-valuetext", "Uploading, " + percent + "%");
      fill.style.width = percent + "%";
    }
  }

  function hideProgress(bar) {
    bar.hidden = true;
    bar.classList.remove("busy");
    bar.firstElementChild.style.width = "";
  }

  // Send `blob` and show the answer in pane `p`; resolves with the answer, or null.
  async function run(p, blob, name) {
    if (p.xhr) p.xhr.abort(); // a newer photo or model wins
    const xhr = new XMLHttpRequest();
    p.xhr = xhr;
    p.result = null;
    p.answer.replaceChildren();
    drawBoxes(p);
    showProgress(p.progress, 0);
    try {
      p.result = await send(xhr, blob, name, (fraction) => showProgress(p.progress, fraction));
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

  function percent(score) {
    return score < 0.0005 ? "<0.1%" : (score * 100).toFixed(1) + "%";
  }

  function color(index) {
    return COLORS[index % COLORS.length];
  }

  function render(p) {
    const answer = p.result;
    const isClassify = answer.task === "classify";
    const items = (isClassify ? answer.predictions : answer.detections) || [];
    p.answer.replaceChildren(make("h3", null, isClassify ? "Most likely" : "Objects found"));
    if (!items.length) p.answer.append(make("p", "muted", "Nothing found."));
    else p.answer.append(isClassify ? bars(items.slice(0, TOP)) : found(items));
    drawBoxes(p);
  }

  // Classifier: label, percentage and a bar for each of the top labels.
  function bars(predictions) {
    const list = make("ul", "bars");
    for (const p of predictions) {
      const row = make("div", "row");
      row.append(make("span", "label", p.label), make("span", "score", percent(p.score)));
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

  // Draw the answer's boxes on the overlay, at the size the picture is shown. Boxes
  // come in the uploaded image's pixels (answer.width x answer.height).
  function drawBoxes(p) {
    const canvas = p.boxes;
    const width = p.source.clientWidth;
    const height = p.source.clientHeight;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio); // also clears it
    canvas.height = Math.round(height * ratio);
    const answer = p.result;
    if (!answer || answer.task !== "detect" || !width || !answer.width) return;
    const ctx = canvas.getContext("2d");
    ctx.scale(ratio, ratio); // draw in CSS pixels, sharp on high-density screens
    const sx = width / answer.width;
    const sy = height / answer.height;
    // Worst first, so where tags overlap the most likely objects' stay readable.
    for (const d of (answer.detections || []).slice().reverse()) drawBox(ctx, d, sx, sy, width);
  }

  function drawBox(ctx, d, sx, sy, width) {
    const [x0, y0, x1, y1] = d.box;
    const x = x0 * sx;
    const y = y0 * sy;
    ctx.lineWidth = 2;
    ctx.strokeStyle = color(d.index);
    ctx.strokeRect(x, y, (x1 - x0) * sx, (y1 - y0) * sy);
    const text = d.label + " " + percent(d.score);
    ctx.font = "600 13px system-ui, sans-serif";
    const tagWidth = ctx.measureText(text).width + 8;
    const tagHeight = 18;
    const tx = Math.max(0, Math.min(x, width - tagWidth)); // keep the tag inside the picture
    const ty = y >= tagHeight ? y - tagHeight : y; // above the box, or inside it at the top edge
    ctx.fillStyle = color(d.index);
    ctx.fillRect(tx, ty, tagWidth, tagHeight);
    ctx.fillStyle = "#fff";
    ctx.textBaseline = "middle";
    ctx.fillText(text, tx + 4, ty + tagHeight / 2);
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
    el.photo.parentElement.hidden = true;
    el.noPreview.hidden = true;
    original.answer.replaceChildren();
    el.results.hidden = false;
    showProgress(original.progress, 0);
    const upload = await prepare(file);
    if (turn !== state.turn) return;
    state.upload = upload;
    showPhoto(upload);
    await predictOriginal();
  }

  async function predictOriginal() {
    const upload = state.upload;
    const answer = await run(original, upload.blob, upload.name);
    // Occlusion paints on the shown photo, so it needs one the browser can show.
    el.occlude.hidden = !(answer && upload.preview && upload === state.upload);
  }

  // ---- occlusion -------------------------------------------------------------

  const painting = { last: null };

  async function openOcclusion() {
    await el.photo.decode().catch(() => {}); // drawn below, so it must be loaded
    el.paint.width = el.photo.naturalWidth; // the uploaded pixels, so boxes line up
    el.paint.height = el.photo.naturalHeight;
    resetPaint();
    occluded.result = null;
    occluded.answer.replaceChildren(make("p", "muted", "Paint, then press “Predict again”."));
    el.occluded.hidden = false;
    el.occlude.hidden = true;
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
      showMessage("This browser could not export the painted photo.");
      return;
    }
    await run(occluded, blob, "occluded.jpg");
  }

  // ---- wiring ----------------------------------------------------------------

  function onInput(input) {
    input.addEventListener("change", () => {
      handleFile(input.files[0]);
      input.value = ""; // choosing the same file again still counts as a change
    });
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
      else showMessage("Drop a photo file (not a link or text).");
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
  }

  onInput(el.file);
  if (el.camera) onInput(el.camera);
  wireDropzone();
  wirePaint();
  form.addEventListener("submit", (e) => e.preventDefault()); // Enter in the select must not reload
  el.model.addEventListener("change", () => {
    if (!state.upload) return;
    clearMessage();
    predictOriginal();
    if (!el.occluded.hidden) predictOccluded();
  });
  // Boxes follow the picture when the layout changes (rotation, window size).
  if (window.ResizeObserver) {
    const observer = new ResizeObserver(() => [original, occluded].forEach(drawBoxes));
    observer.observe(el.photo);
    observer.observe(el.paint);
  }
})();
