// Visitor viewer: the phone's camera shows what it sees; twice a second a small
// JPEG of the picture goes to the album's public predict endpoint (never more
// than one at a time), and the page shows the recognized work's card. Without a
// camera (none, not allowed, or not HTTPS) it falls back to sending one photo.
// Everything from the server is shown with textContent: class texts are user text.
(function () {
  "use strict";

  const INTERVAL_MS = 500; // one frame per half second at most
  const LONG_SIDE = 480; // pixels of the longest side sent while the camera runs
  const PHOTO_SIDE = 1024; // pixels of the longest side of a chosen photo
  const JPEG_QUALITY = 0.8;
  const TIMEOUT_MS = 15000;
  const UNKNOWN_AFTER = 2; // answers in a row before a shown card gives way to the hint
  const POINT = "Point the camera at a work.";

  const { $, sentence } = window.Museion;
  const root = $("viewer");
  if (!root) return;

  const el = {
    camera: $("camera"), video: $("preview"), fallback: $("fallback"), reason: $("fallback-reason"),
    photo: $("photo"), hint: $("hint"), work: $("work"), title: $("work-title"),
    description: $("work-description"), link: $("work-link"), status: $("status"),
  };
  const state = { misses: 0, backoff: 0, running: false };

  // ---- showing answers -------------------------------------------------------

  function showHint(text) {
    el.work.hidden = true;
    el.hint.hidden = false;
    el.hint.textContent = text;
  }

  function showWork(card) {
    el.title.textContent = card.title || card.label;
    el.description.textContent = card.description || "";
    el.description.hidden = !card.description;
    // Only web links: a `javascript:` URL typed into a class must never run here.
    const url = String(card.url || "");
    if (/^https?:\/\//i.test(url)) {
      el.link.href = url;
      el.link.hidden = false;
    } else {
      el.link.removeAttribute("href");
      el.link.hidden = true;
    }
    el.hint.hidden = true;
    el.work.hidden = false;
  }

  // `live`: an answer for a camera frame; a single unknown frame does not hide the card.
  function show(answer, live) {
    const best = answer.predictions && answer.predictions[0];
    if (answer.unknown || !best) {
      state.misses += 1;
      if (!live || state.misses >= UNKNOWN_AFTER || el.work.hidden) showHint(POINT);
    } else {
      state.misses = 0;
      showWork(best);
    }
  }

  function setStatus(text) {
    el.status.textContent = text || "";
  }

  // ---- talking to the server -------------------------------------------------

  // POST one picture; resolves with the answer, or null after saying what went wrong.
  async function send(blob, live) {
    const body = new FormData();
    body.append("image", blob, "frame.jpg");
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    try {
      const response = await fetch(root.dataset.api, {
        method: "POST", body, signal: abort.signal, credentials: "omit", cache: "no-store",
      });
      const data = await response.json().catch(() => null);
      if (response.ok && data && Array.isArray(data.predictions)) {
        setStatus("");
        state.backoff = 0;
        show(data, live);
        return data;
      }
      if (response.status === 429) state.backoff = Math.min(10000, (state.backoff || 1000) * 2);
      if (response.status === 409) setStatus("This album has no trained model yet. Come back soon.");
      else setStatus(data && data.error ? sentence(data.error.message) : "The server could not answer. Trying again…");
    } catch (e) {
      setStatus("Cannot reach the server. Check the connection.");
      state.backoff = Math.min(10000, (state.backoff || 1000) * 2);
    } finally {
      clearTimeout(timer);
    }
    return null;
  }

  function toJpeg(source, width, height, side) {
    const scale = Math.min(1, side / Math.max(width, height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", JPEG_QUALITY));
  }

  // ---- the camera ------------------------------------------------------------

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  // One frame, one request, then wait out the rest of the half second: never two at once.
  async function loop() {
    state.running = true;
    while (state.running) {
      const started = performance.now();
      const video = el.video;
      if (!document.hidden && video.readyState >= 2 && video.videoWidth) {
        const blob = await toJpeg(video, video.videoWidth, video.videoHeight, LONG_SIDE);
        if (blob) await send(blob, true);
      }
      await sleep(Math.max(0, INTERVAL_MS - (performance.now() - started)) + state.backoff);
    }
  }

  function reasonFor(error) {
    const name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return "The camera is not allowed for this page. Allow it in the browser's settings and reload, or take a photo instead.";
    }
    if (name === "NotFoundError" || name === "OverconstrainedError") return "No camera was found. Take a photo instead.";
    if (name === "NotReadableError") return "The camera is busy in another app. Close it and reload, or take a photo instead.";
    return "The camera could not be started. Take a photo instead.";
  }

  function fallback(reason) {
    state.running = false;
    el.camera.hidden = true;
    el.reason.textContent = reason;
    el.fallback.hidden = false;
    showHint("Take a photo of a work to learn about it.");
  }

  async function startCamera() {
    if (!window.isSecureContext) {
      fallback("The live camera needs a secure connection: open this page over HTTPS. You can still take a photo.");
      return;
    }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      fallback("This browser cannot show the camera on a web page. Take a photo instead.");
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
      });
    } catch (error) {
      fallback(reasonFor(error));
      return;
    }
    el.video.srcObject = stream;
    el.camera.hidden = false;
    showHint(POINT);
    try {
      await el.video.play();
    } catch (e) {
      // autoplay of a muted inline video is allowed; frames are read once it plays anyway
    }
    loop();
  }

  // ---- the photo fallback ----------------------------------------------------

  async function sendPhoto(file) {
    if (!file) return;
    setStatus("Recognizing…");
    el.photo.disabled = true;
    try {
      let blob = file;
      try {
        const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
        blob = (await toJpeg(bitmap, bitmap.width, bitmap.height, PHOTO_SIDE)) || file;
        bitmap.close();
      } catch (e) {
        blob = file; // a format this browser cannot read (HEIC): the server reads it
      }
      await send(blob, false);
    } finally {
      el.photo.disabled = false;
    }
  }

  el.photo.addEventListener("change", () => {
    sendPhoto(el.photo.files[0]);
    el.photo.value = ""; // the same photo again is a change too
  });
  window.addEventListener("pagehide", () => {
    state.running = false;
    const stream = el.video.srcObject;
    if (stream) stream.getTracks().forEach((t) => t.stop());
    el.video.srcObject = null;
  });
  window.addEventListener("pageshow", (e) => {
    if (e.persisted && !state.running && el.fallback.hidden) startCamera(); // back from the page cache
  });
  startCamera();
})();
