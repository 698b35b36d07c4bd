// Visitors' page: the phone's camera shows what it sees and the page shows the
// recognized work's card, or "not one of this collection's works" with what to try.
// Where the phone can run the model (WebAssembly), the live version's model.onnx is
// downloaded once (recognizer.js; the service worker keeps it) and every frame is
// recognised on the phone, several a second, the card following the answer held
// by most of the last frames; nothing is sent anywhere. Otherwise (no WebAssembly,
// the model does not load) twice a second a small JPEG of the picture goes to the
// album's public predict endpoint (never more than one at a time). A photo can be taken instead (and
// is the only way without a camera: none, not allowed, or not HTTPS); the picture
// each answer is for is shown beside it. "Choose it from the list" lists the
// album's works with their pictures. Everything from the server is shown with
// textContent: class texts are user text.
// A card is shown in the visitor's language (the page's ?lang=, then navigator.languages)
// where the work is written in it, field by field falling back to the album's default
// language; the works list and the recognizer carry every language, so offline too. The
// card element gets that lang (and dir="rtl" for Arabic, Hebrew, Persian, Urdu...), and
// "Read aloud" speaks it with the browser's own speech synthesis, in that language.
(function () {
  "use strict";

  const INTERVAL_MS = 500; // one frame per half second at most, to the server
  const DEVICE_INTERVAL_MS = 150; // on the phone: several frames a second, the rest left to the page
  const STEADY_OVER = 5; // frames the steady answer is taken over
  const STEADY_BY = 3; // of them, how many must agree before the card changes
  const LONG_SIDE = 480; // pixels of the longest side sent while the camera runs
  const PHOTO_SIDE = 1024; // pixels of the longest side of a chosen photo
  const JPEG_QUALITY = 0.8;
  const TIMEOUT_MS = 15000;
  const UNKNOWN_AFTER = 2; // camera answers in a row before a shown card gives way to "not one of..."
  const { $, make, sentence, gettext } = window.Museion;
  const POINT = gettext("Point the camera at a work.");

  const root = $("viewer");
  if (!root) return;

  const el = {
    camera: $("camera"), video: $("preview"), fallback: $("fallback"), reason: $("fallback-reason"),
    photo: $("photo"), photoLabel: $("photo-label"), card: $("card"), shot: $("shot"), shotImage: $("shot-image"),
    shotCaption: $("shot-caption"), hint: $("hint"), work: $("work"), picture: $("work-picture"),
    title: $("work-title"), description: $("work-description"), link: $("work-link"), unknown: $("unknown"),
    resumeRow: $("resume-row"), resume: $("resume"), status: $("status"), chooseOpen: $("choose-open"),
    works: $("works"), worksStatus: $("works-status"), read: $("read-aloud"),
  };
  // `chosen`: a card the visitor picked from the list (or a wall card opened) stays until they ask
  // to recognize again; `answers` counts answers shown, so that each one is seen to arrive.
  const state = { misses: 0, backoff: 0, running: false, chosen: false, answers: 0, shotUrl: "", works: null,
    device: null, recent: [], steady: undefined, labels: [], shown: null, text: null };

  // ---- the visitor's language ------------------------------------------------

  // Languages: chosen as albums/languages.py chooses them (recognizer.js, shared with a bundle's viewer).
  const { normal, isRtl, cased, cardText } = MuseionRecognizer.languages;
  const pageLang = normal(new URLSearchParams(location.search).get("lang"));
  const asked = [pageLang, ...(navigator.languages || [navigator.language])].map(normal).filter(Boolean);
  const defaultLang = normal(root.dataset.defaultLang) || "en";

  // A card's title, description and language for this visitor. The server's answers come already
  // in the visitor's language (`lang`); the works list and the recognizer carry `translations`.
  const textOf = (card) => cardText(card, asked, defaultLang);

  // ---- showing answers -------------------------------------------------------

  function only(part) {
    el.hint.hidden = part !== el.hint;
    el.work.hidden = part !== el.work;
    el.unknown.hidden = part !== el.unknown;
  }

  function showHint(text) {
    el.hint.textContent = text;
    only(el.hint);
  }

  // A new answer is seen to arrive even when it says the same as the last one.
  function arrived() {
    state.answers += 1;
    el.card.dataset.answers = String(state.answers);
    el.card.classList.remove("fresh");
    void el.card.offsetWidth; // restart the animation
    el.card.classList.add("fresh");
  }

  function pictureFor(card) {
    if (card.picture_url) return card.picture_url;
    if (typeof card.picture === "string") return card.picture;
    const known = (state.works || []).find((w) => w.name === card.label);
    return known ? known.picture_url : null;
  }

  function showWork(card) {
    const text = textOf(card);
    stopReading();
    state.shown = card;
    state.text = text;
    el.work.lang = cased(text.lang);
    if (isRtl(text.lang)) el.work.dir = "rtl";
    else el.work.removeAttribute("dir"); // the page's own direction
    el.title.textContent = text.title;
    el.description.textContent = text.description;
    el.description.hidden = !text.description;
    // Only web links: a `javascript:` URL typed into a class must never run here.
    const url = String(card.url || "");
    if (/^https?:\/\//i.test(url)) {
      el.link.href = url;
      el.link.hidden = false;
    } else {
      el.link.removeAttribute("href");
      el.link.hidden = true;
    }
    setPicture(pictureFor(card));
    if (!pictureFor(card) && !state.works) {
      // The answer names the work; its picture comes from the list, loaded once.
      loadWorks().then(() => state.shown === card && setPicture(pictureFor(card)), () => {});
    }
    only(el.work);
    arrived();
  }

  function setPicture(url) {
    el.picture.hidden = !url;
    if (url) el.picture.src = url;
    else el.picture.removeAttribute("src");
  }

  // ---- reading the card aloud --------------------------------------------------

  // The browser's own voices (nothing is sent to any service); no button where there are none.
  const speech = window.speechSynthesis && typeof window.SpeechSynthesisUtterance === "function" ? window.speechSynthesis : null;
  const readLabel = el.read ? el.read.textContent : "";
  if (el.read) el.read.hidden = !speech;

  function stopReading() {
    if (!speech || !el.read) return;
    if (el.read.dataset.reading) speech.cancel();
    delete el.read.dataset.reading;
    el.read.textContent = readLabel;
  }

  function readAloud() {
    if (!speech || !state.text) return;
    if (el.read.dataset.reading) {
      stopReading();
      return;
    }
    const lang = cased(state.text.lang);
    const primary = lang.split("-")[0].toLowerCase();
    const voices = speech.getVoices ? speech.getVoices() : [];
    const voice = voices.find((v) => normal(v.lang) === normal(lang)) || voices.find((v) => normal(v.lang).split("-")[0] === primary);
    const parts = [state.text.title, state.text.description].filter(Boolean);
    speech.cancel();
    el.read.dataset.reading = "1";
    el.read.textContent = el.read.dataset.stop || readLabel;
    parts.forEach((part, i) => {
      const utterance = new SpeechSynthesisUtterance(part);
      utterance.lang = lang;
      if (voice) utterance.voice = voice;
      if (i === parts.length - 1) utterance.onend = utterance.onerror = () => stopReading();
      speech.speak(utterance);
    });
  }

  function showUnknown() {
    stopReading();
    only(el.unknown);
    arrived();
  }

  // `live`: an answer for a camera frame; a single unknown frame does not hide the card.
  function show(answer, live) {
    const best = answer.predictions && answer.predictions[0];
    el.card.dataset.unknown = String(Boolean(answer.unknown || !best));
    el.card.dataset.label = best ? best.label : "";
    el.card.dataset.similarity = String(answer.decision_score);
    el.card.dataset.by = answer.by || "server";
    if (answer.unknown || !best) {
      state.misses += 1;
      if (!live || state.misses >= UNKNOWN_AFTER) showUnknown();
    } else {
      state.misses = 0;
      showWork(best);
    }
  }

  // The picture the next answer is for: the visitor's photo, or the camera's frame.
  function showShot(blob, caption) {
    if (state.shotUrl) URL.revokeObjectURL(state.shotUrl);
    state.shotUrl = URL.createObjectURL(blob);
    el.shotImage.src = state.shotUrl;
    el.shotCaption.textContent = caption;
    el.shot.hidden = false;
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
      // The page's ?lang= goes along; otherwise the browser's Accept-Language says it.
      const address = root.dataset.api + (pageLang ? "?lang=" + encodeURIComponent(pageLang) : "");
      const response = await fetch(address, {
        method: "POST", body, signal: abort.signal, credentials: "omit", cache: "no-store",
      });
      const data = await response.json().catch(() => null);
      state.unreachable = false;
      if (response.ok && data && Array.isArray(data.predictions)) {
        setStatus("");
        state.backoff = 0;
        if (!state.chosen) show(data, live);
        return data;
      }
      if (response.status === 429) state.backoff = Math.min(10000, (state.backoff || 1000) * 2);
      if (response.status === 409) setStatus(gettext("This album has no trained model yet. Come back soon."));
      else setStatus(data && data.error ? sentence(data.error.message) : gettext("The server could not answer. Trying again…"));
    } catch (e) {
      state.unreachable = true;
      setStatus(state.device ? "" : gettext("Cannot reach the server. Check the connection."));
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

  // ---- recognising on the phone ----------------------------------------------

  // The recognizer, or null where the phone cannot run it (then the server answers): said
  // nowhere on the page, the visitor sees the same cards either way.
  const deviceReady = (async () => {
    const Recognizer = window.MuseionRecognizer;
    root.dataset.mode = "server"; // until the model is loaded
    if (!Recognizer || !Recognizer.supported() || !root.dataset.recognizer) return null;
    try {
      const response = await fetch(root.dataset.recognizer, { credentials: "omit" });
      if (!response.ok) return null;
      const description = await response.json();
      if (description.threshold === null) return null;
      root.dataset.mode = "loading";
      const [recognizer] = await Promise.all([
        Recognizer.create({ runtime: root.dataset.runtime, description, model: description.model_url }),
        loadWorks(),
      ]);
      state.device = recognizer;
      // Each output's card in every language, for a work the works list does not have.
      state.labels = (description.labels || []).map((l) => ({ ...l, lang: description.default_language }));
      root.dataset.mode = "device";
      return recognizer;
    } catch (e) {
      root.dataset.mode = "server";
      root.dataset.why = String(e && e.message);
      return null;
    }
  })();

  // The device's answer in the server's words, each work's card from the works list (live text).
  async function recognizeHere(source) {
    const found = await state.device.recognize(source);
    const byId = new Map((state.works || []).map((w) => [w.id, w]));
    const predictions = found.outputs.slice(0, 3).map((o) => ({
      ...(state.labels[o.index] || {}), ...(byId.get(o.work) || {}),
      label: o.name, class_id: o.work, score: o.probability, similarity: o.similarity,
    }));
    return { unknown: found.unknown, decision_score: found.similarity, threshold: found.threshold, predictions, by: "device", ms: found.ms };
  }

  // The answer most of the last frames gave; the card changes only when it does.
  function steady(answer) {
    const key = answer.unknown ? "unknown" : String(answer.predictions[0].class_id);
    state.recent.push(key);
    if (state.recent.length > STEADY_OVER) state.recent.shift();
    const count = state.recent.filter((k) => k === key).length;
    if (count < STEADY_BY || key === state.steady) return;
    state.steady = key;
    show(answer, false);
    tell(answer);
  }

  // For the album's statistics: fire and forget, where the server counts answers at all.
  function tell(answer) {
    if (!root.dataset.answers) return;
    const body = JSON.stringify({ work: answer.unknown ? null : answer.predictions[0].class_id, ms: Math.round(answer.ms || 0) });
    fetch(root.dataset.answers, {
      method: "POST", body, credentials: "omit", headers: { "Content-Type": "application/json" }, keepalive: true,
    }).catch(() => {});
  }

  // ---- the camera ------------------------------------------------------------

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  // Where the network reaches the server, the server answers: its keypoint check makes it far
  // surer than model.onnx alone (on the hard set the phone's model refused 36-52% of photos of
  // known works, the server 4-11%). The phone's recognizer answers offline, or when the server
  // cannot be reached.
  const here = () => (state.device && !navigator.onLine ? state.device : null);

  // One frame, one request, then wait out the rest of the half second: never two at once.
  async function loop() {
    state.running = true;
    while (state.running) {
      const started = performance.now();
      const video = el.video;
      let onPhone = here();
      if (!state.chosen && !document.hidden && video.readyState >= 2 && video.videoWidth) {
        if (!onPhone) {
          const blob = await toJpeg(video, video.videoWidth, video.videoHeight, LONG_SIDE);
          const sent = blob ? await send(blob, true) : null;
          if (sent && !state.chosen) showShot(blob, gettext("What the camera saw"));
          if (!sent && state.device && state.unreachable) onPhone = state.device;
        }
        if (onPhone) {
          const answer = await recognizeHere(video).catch(() => null);
          if (answer && !state.chosen) steady(answer);
        }
      }
      const interval = onPhone ? DEVICE_INTERVAL_MS : INTERVAL_MS;
      await sleep(Math.max(0, interval - (performance.now() - started)) + (onPhone ? 0 : state.backoff));
    }
  }

  function reasonFor(error) {
    const name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return gettext("The camera is not allowed for this page. Allow it in the browser's settings and reload, or take a photo instead.");
    }
    if (name === "NotFoundError" || name === "OverconstrainedError") return gettext("No camera was found. Take a photo instead.");
    if (name === "NotReadableError") return gettext("The camera is busy in another app. Close it and reload, or take a photo instead.");
    return gettext("The camera could not be started. Take a photo instead.");
  }

  function fallback(reason) {
    state.running = false;
    el.camera.hidden = true;
    el.reason.textContent = reason;
    el.fallback.hidden = false;
    if (!state.chosen) showHint(gettext("Take a photo of a work to learn about it."));
  }

  async function startCamera() {
    if (!window.isSecureContext) {
      fallback(gettext("The live camera needs a secure connection: open this page over HTTPS. You can still take a photo."));
      return;
    }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      fallback(gettext("This browser cannot show the camera on a web page. Take a photo instead."));
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
    el.photoLabel.textContent = gettext("Or take a photo");
    el.photoLabel.classList.add("secondary");
    if (!state.chosen) showHint(POINT);
    try {
      await el.video.play();
    } catch (e) {
      // autoplay of a muted inline video is allowed; frames are read once it plays anyway
    }
    await deviceReady; // the first frame goes where it will be answered
    loop();
  }

  // ---- a photo ---------------------------------------------------------------

  async function sendPhoto(file) {
    if (!file) return;
    resume();
    setStatus(gettext("Recognizing…"));
    showHint(gettext("Recognizing your photo…"));
    el.photo.disabled = true;
    try {
      let blob = file;
      let bitmap = null;
      try {
        bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
        blob = (await toJpeg(bitmap, bitmap.width, bitmap.height, PHOTO_SIDE)) || file;
      } catch (e) {
        blob = file; // a format this browser cannot read (HEIC): the server reads it
      }
      showShot(blob, gettext("Your photo"));
      // The photo itself, full size and upright, is what the phone's recognizer reads (the
      // server is sent the smaller JPEG).
      await deviceReady;
      const sent = here() ? null : await send(blob, false);
      if (!sent && bitmap && state.device && (here() || state.unreachable)) {
        const answer = await recognizeHere(bitmap).catch(() => null);
        if (answer) {
          setStatus("");
          if (!state.chosen) show(answer, false);
        }
      }
      if (bitmap) bitmap.close();
    } finally {
      el.photo.disabled = false;
    }
  }

  // ---- choosing a work from the list -----------------------------------------

  // The album's works, asked for once (a failed ask is asked again next time).
  let worksAsked = null;
  function loadWorks() {
    if (!worksAsked) {
      worksAsked = fetch(root.dataset.works, { credentials: "omit", cache: "no-store" })
        .then((response) => (response.ok ? response.json() : Promise.reject(new Error("works " + response.status))))
        .then((works) => (state.works = works))
        .catch((error) => {
          worksAsked = null;
          throw error;
        });
    }
    return worksAsked;
  }

  function workButton(work) {
    const button = make("button", "work-choice");
    button.type = "button";
    button.dataset.work = work.id;
    if (work.picture_url) {
      const img = make("img");
      img.src = work.picture_url;
      img.alt = "";
      img.loading = "lazy";
      button.append(img);
    } else {
      button.append(make("span", "no-picture", gettext("No picture")));
    }
    const text = textOf(work);
    const title = make("span", "work-choice-title", text.title);
    title.lang = cased(text.lang);
    if (isRtl(text.lang)) title.dir = "rtl";
    button.append(title);
    button.addEventListener("click", () => choose(work));
    return button;
  }

  // The chosen card stays until the visitor takes a photo or asks to recognize again.
  function choose(work) {
    state.chosen = true;
    el.shot.hidden = true;
    setStatus("");
    showWork(work);
    el.resumeRow.hidden = false;
    el.card.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  function resume() {
    state.chosen = false;
    state.misses = 0;
    state.recent = [];
    state.steady = undefined;
    el.resumeRow.hidden = true;
  }

  async function openList() {
    const open = el.works.hidden;
    el.chooseOpen.setAttribute("aria-expanded", String(open));
    el.works.hidden = !open;
    if (!open || el.works.childElementCount) return;
    el.worksStatus.textContent = gettext("Loading the works…");
    try {
      const works = await loadWorks();
      el.works.replaceChildren(...works.map((w) => {
        const item = make("li");
        item.append(workButton(w));
        return item;
      }));
      el.worksStatus.textContent = works.length ? "" : gettext("This collection has no works yet.");
    } catch (e) {
      el.worksStatus.textContent = gettext("The list could not be loaded. Check the connection and try again.");
      el.works.hidden = true;
      el.chooseOpen.setAttribute("aria-expanded", "false");
    }
  }

  // A work's wall card opens this page on its card (`?work=ID`).
  async function openWallCard(id) {
    state.chosen = true;
    try {
      const work = (await loadWorks()).find((w) => String(w.id) === id);
      if (work) choose(work);
      else resume();
    } catch (e) {
      resume();
    }
  }

  el.photo.addEventListener("change", () => {
    sendPhoto(el.photo.files[0]);
    el.photo.value = ""; // the same photo again is a change too
  });
  el.chooseOpen.addEventListener("click", openList);
  if (el.read) el.read.addEventListener("click", readAloud);
  el.resume.addEventListener("click", () => {
    resume();
    el.shot.hidden = true;
    showHint(state.running ? POINT : gettext("Take a photo of a work to learn about it."));
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
  if (root.dataset.work) openWallCard(root.dataset.work);
  // Kept on the phone for the next visit without a connection (secure contexts only).
  if ("serviceWorker" in navigator && root.dataset.worker) {
    navigator.serviceWorker.register(root.dataset.worker).catch(() => {});
  }
  startCamera();
})();
