// Album page: uploads with a progress bar per file, jobs with live progress (each
// unfinished job polled every second), Train and Cancel, "try it", and the visitor
// link's Copy button. It talks to the JSON API with the session and the CSRF
// header. When a job ends well, the parts of the page marked data-live (class
// counts and covers, model versions) are replaced by those of a fresh copy of the
// page. Everything from the server is shown with textContent.
(function () {
  "use strict";

  const POLL_MS = 1000;
  const FINAL = ["succeeded", "failed", "cancelled"];
  const { $, make, sentence, csrfToken, gettext, ngettext, interpolate, onChosen } = window.Museion;
  const STATUS = {
    queued: gettext("Queued"), running: gettext("Running"), succeeded: gettext("Done"),
    failed: gettext("Failed"), cancelled: gettext("Cancelled"),
  };
  const root = $("album");
  if (!root) return;
  const API = root.dataset.api;
  const albumPath = "/albums/" + root.dataset.album;
  const canEdit = root.dataset.canEdit === "1";
  const maxBytes = Number(root.dataset.maxBytes) || Infinity;

  // ---- helpers ---------------------------------------------------------------

  function percent(x) {
    return x === null || x === undefined ? "—" : (x * 100).toFixed(1) + "%";
  }

  function framesKept(n) {
    return interpolate(ngettext("%(n)s frame kept", "%(n)s frames kept", n), { n });
  }

  // A call to the JSON API: resolves with { ok, status, data }; rejects when the server is unreachable.
  async function call(method, path, body) {
    const init = { method, credentials: "same-origin", cache: "no-store", headers: { "X-CSRFToken": csrfToken() } };
    if (body !== undefined) init.body = body;
    const response = await fetch(API + path, init);
    const data = await response.json().catch(() => null);
    return { ok: response.ok, status: response.status, data };
  }

  function errorOf(result, otherwise) {
    const error = result.data && result.data.error;
    return error && error.message ? sentence(error.message) : otherwise;
  }

  function setBar(bar, fraction) {
    const pct = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
    bar.firstElementChild.style.width = pct + "%";
    bar.setAttribute("aria-valuenow", String(pct));
  }

  function progressBar(label) {
    const bar = make("div", "progress");
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-label", label);
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    bar.append(make("div"));
    return bar;
  }

  // ---- live parts of the page ------------------------------------------------

  let refreshTimer = 0;

  function refreshSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, 250);
  }

  async function refresh() {
    try {
      const response = await fetch(location.pathname, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const node of document.querySelectorAll("[data-live][id]")) {
        const replacement = fresh.getElementById(node.id);
        if (replacement) node.replaceWith(document.adoptNode(replacement));
      }
      if (window.MuseionThresholds) window.MuseionThresholds.renderAll();
    } catch (e) {
      // the next finished job refreshes again
    }
  }

  // ---- jobs ------------------------------------------------------------------

  const jobList = $("jobs");
  const noJobs = $("no-jobs");
  const jobsMessage = $("jobs-message");
  const jobs = new Map(); // id -> { job, row, status, bar, stage, cancel }

  function jobTitle(job, name) {
    return job.kind === "train" ? gettext("Training") : interpolate(gettext("Frames of %(name)s"), { name: name || gettext("a video") });
  }

  function jobText(job) {
    const result = job.result || {};
    if (job.status === "failed") return interpolate(gettext("Failed: %(reason)s"), { reason: job.error || gettext("unknown error") });
    if (job.status === "cancelled") return gettext("Cancelled.");
    if (job.status === "succeeded" && job.kind === "video") return framesKept(result.frames || 0);
    if (job.status === "succeeded") {
      return interpolate(gettext("Version %(version)s · accuracy %(accuracy)s"), { version: result.version, accuracy: percent(result.accuracy) });
    }
    return job.stage || STATUS[job.status] || job.status;
  }

  function addJob(job, name, first) {
    const row = make("li", "job");
    row.dataset.job = job.id;
    const head = make("div", "job-head");
    const status = make("span", "job-status");
    head.append(make("strong", "job-title", jobTitle(job, name)), status);
    const bar = progressBar(jobTitle(job, name));
    const stage = make("p", "job-stage");
    row.append(head, bar, stage);
    let cancel = null;
    if (canEdit) {
      cancel = make("button", "secondary small job-cancel", gettext("Cancel"));
      cancel.type = "button";
      cancel.addEventListener("click", () => cancelJob(job.id));
      row.append(cancel);
    }
    if (first) jobList.prepend(row);
    else jobList.append(row);
    const entry = { job, row, status, bar, stage, cancel };
    jobs.set(job.id, entry);
    noJobs.hidden = true;
    renderJob(entry, job);
  }

  function renderJob(entry, job) {
    const before = entry.job.status;
    entry.job = job;
    entry.row.dataset.status = job.status;
    entry.status.textContent = STATUS[job.status] || job.status;
    setBar(entry.bar, job.status === "succeeded" ? 1 : job.progress);
    entry.bar.classList.toggle("finished", FINAL.includes(job.status));
    entry.stage.textContent = jobText(job);
    entry.stage.className = "job-stage " + (job.status === "failed" ? "error" : "muted");
    if (entry.cancel) entry.cancel.hidden = FINAL.includes(job.status);
    if (!FINAL.includes(before) && job.status === "succeeded") refreshSoon();
  }

  // Every second, ask for each unfinished job; the next round starts when this one is answered.
  async function poll() {
    for (const entry of jobs.values()) {
      if (FINAL.includes(entry.job.status)) continue;
      try {
        const result = await call("GET", "/jobs/" + entry.job.id);
        if (result.ok) renderJob(entry, result.data);
      } catch (e) {
        // offline for a moment: the next round asks again
      }
    }
    setTimeout(poll, POLL_MS);
  }

  async function cancelJob(id) {
    const entry = jobs.get(id);
    entry.cancel.disabled = true;
    try {
      const result = await call("POST", "/jobs/" + id + "/cancel");
      if (result.ok) renderJob(entry, result.data);
      else jobsMessage.textContent = errorOf(result, gettext("The job could not be cancelled."));
    } catch (e) {
      jobsMessage.textContent = gettext("Could not reach the server.");
    } finally {
      entry.cancel.disabled = false;
    }
  }

  function wireTrain() {
    const button = $("train");
    if (!button) return;
    button.addEventListener("click", async () => {
      button.disabled = true;
      jobsMessage.textContent = "";
      try {
        const result = await call("POST", albumPath + "/train");
        if (result.ok) addJob(result.data.job, "", true);
        else jobsMessage.textContent = errorOf(result, gettext("Training could not start."));
      } catch (e) {
        jobsMessage.textContent = gettext("Could not reach the server.");
      } finally {
        button.disabled = false;
      }
    });
  }

  // ---- uploads: one file at a time, each with its own progress bar -----------

  const queue = [];
  let uploading = false;

  function addFiles(zone, list, files) {
    for (const file of files) {
      const row = make("li", "upload-row");
      const status = make("span", "file-status", gettext("Waiting…"));
      const bar = progressBar(interpolate(gettext("Uploading %(name)s"), { name: file.name }));
      row.append(make("span", "file-name", file.name), status, bar);
      list.append(row);
      const task = { url: zone.dataset.url, file, row, status, bar };
      if (file.size > maxBytes) refuse(task, interpolate(gettext("the file is over the upload limit of %(mb)s MB"), { mb: Math.round(maxBytes / 1e6) }));
      else queue.push(task);
    }
    pump();
  }

  function refuse(task, reason) {
    task.row.classList.add("refused");
    task.bar.hidden = true;
    task.status.textContent = interpolate(gettext("Refused: %(reason)s"), { reason });
  }

  async function pump() {
    if (uploading) return;
    const task = queue.shift();
    if (!task) return;
    uploading = true;
    try {
      await upload(task);
    } finally {
      uploading = false;
      pump();
    }
  }

  function upload(task) {
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      const body = new FormData();
      body.append("file", task.file, task.file.name);
      xhr.open("POST", task.url);
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.responseType = "json";
      task.status.textContent = gettext("Uploading…");
      xhr.upload.onprogress = (e) => e.lengthComputable && setBar(task.bar, e.loaded / e.total);
      xhr.upload.onload = () => {
        setBar(task.bar, 1);
        task.status.textContent = gettext("Checking…");
      };
      xhr.onload = () => resolve(received(task, xhr));
      xhr.onerror = () => resolve(refuse(task, gettext("the server could not be reached")));
      xhr.send(body);
    });
  }

  // A video's line in the upload list says how its frames job ended (the job list says it too).
  async function followJob(task, id) {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      let result;
      try {
        result = await call("GET", "/jobs/" + id);
      } catch (e) {
        continue; // offline for a moment: ask again
      }
      if (!result.ok) return;
      const job = result.data;
      if (!FINAL.includes(job.status)) continue;
      if (job.status === "succeeded") task.status.textContent = interpolate(gettext("Done: %(what)s"), { what: framesKept((job.result || {}).frames || 0) });
      else if (job.status === "cancelled") task.status.textContent = gettext("Cancelled");
      else {
        task.row.classList.remove("accepted");
        task.row.classList.add("refused");
        task.status.textContent = interpolate(gettext("Refused: %(reason)s"), { reason: job.error || gettext("the video could not be read") });
      }
      return;
    }
  }

  // The server is busy with this user's (or workspace's) earlier zips or videos: wait as it says, send again.
  function later(task, xhr) {
    const seconds = Math.min(60, Math.max(1, parseInt(xhr.getResponseHeader("Retry-After"), 10) || 5));
    task.retries = (task.retries || 0) + 1;
    setBar(task.bar, 0);
    task.status.textContent = interpolate(gettext("Waiting: %(reason)s (trying again in %(seconds)s s)"), { reason: reasonOf(xhr), seconds });
    return new Promise((resolve) => setTimeout(() => resolve(upload(task)), seconds * 1000));
  }

  function reasonOf(xhr) {
    const error = xhr.response && xhr.response.error;
    if (error && error.message) return error.message;
    if (xhr.status === 413) return gettext("the file is too large for the server");
    if (xhr.status >= 500) return gettext("the server failed; try again in a moment");
    return interpolate(gettext("the server refused it (%(status)s)"), { status: xhr.status });
  }

  function received(task, xhr) {
    const data = xhr.response;
    if (xhr.status === 429 && (task.retries || 0) < 40) return later(task, xhr);
    if (xhr.status !== 202 || !data) return refuse(task, reasonOf(xhr));
    setBar(task.bar, 1);
    task.bar.classList.add("finished");
    task.row.classList.add("accepted");
    if (data.job) {
      task.status.textContent = gettext("Received: frames are taken in a job below");
      addJob(data.job, task.file.name, true);
      followJob(task, data.job.id);
    } else {
      task.status.textContent = interpolate(ngettext("Added %(n)s photo", "Added %(n)s photos", data.items.length), { n: data.items.length });
      if (data.items.length) refreshSoon();
    }
    if (data.problems && data.problems.length) {
      const problems = make("ul", "problems");
      for (const p of data.problems) problems.append(make("li", "refused", p.file + ": " + p.reason));
      task.row.append(problems);
      if (!data.items.length && !data.job) task.row.classList.add("refused");
    }
  }

  function wireUploads() {
    for (const zone of document.querySelectorAll(".dropzone.upload")) {
      const input = zone.querySelector("input[type=file]");
      const list = zone.parentElement.querySelector(".uploads");
      onChosen(input, (files) => addFiles(zone, list, files));
      const over = (on) => (e) => {
        e.preventDefault();
        zone.classList.toggle("over", on);
      };
      zone.addEventListener("dragenter", over(true));
      zone.addEventListener("dragover", over(true));
      zone.addEventListener("dragleave", over(false));
      zone.addEventListener("drop", (e) => {
        over(false)(e);
        const files = e.dataTransfer ? Array.from(e.dataTransfer.files) : [];
        if (files.length) addFiles(zone, list, files);
      });
    }
    // A drop beside a zone must not navigate away from the page.
    window.addEventListener("dragover", (e) => e.preventDefault());
    window.addEventListener("drop", (e) => e.preventDefault());
  }

  // ---- try it ----------------------------------------------------------------

  // The decision and the score it was taken on, never a probability beside a decision taken on another.
  function decisionLine(data, best) {
    const numbers = { similarity: data.decision_score.toFixed(2), needs: data.threshold.toFixed(2) };
    if (data.unknown || !best) {
      return make("p", "decision", interpolate(gettext("Not recognized (similarity %(similarity)s, needs %(needs)s)"), numbers));
    }
    return make("p", "decision", interpolate(gettext("Recognized: %(title)s (similarity %(similarity)s, needs %(needs)s)"), { ...numbers, title: best.title }));
  }

  function renderAnswer(data, file) {
    const best = data.predictions && data.predictions[0];
    const card = make("div", "visitor-card preview");
    card.append(decisionLine(data, best));
    if (data.unknown || !best) {
      card.append(make("h3", "not-recognized", gettext("Not recognized")));
      if (best) {
        const closest = interpolate(gettext("Closest work: %(title)s (similarity %(similarity)s)"), { title: best.title, similarity: best.similarity.toFixed(2) });
        card.append(make("p", "muted", closest));
      }
    } else {
      card.append(make("h3", "work-title", best.title));
      if (best.description) card.append(make("p", "prewrap", best.description));
      if (/^https?:\/\//i.test(best.url || "")) {
        const link = make("a", null, best.url);
        link.href = best.url;
        link.rel = "noopener noreferrer";
        link.target = "_blank";
        const line = make("p");
        line.append(link);
        card.append(line);
      }
      card.append(make("p", "muted", interpolate(gettext("%(label)s · model v%(version)s"), { label: best.label, version: data.model_version })));
    }
    if (canEdit) card.append(addToClass(file, best));
    return card;
  }

  // "Add this photo to class X": the tried photo becomes a training picture, through the upload endpoint.
  function addToClass(file, best) {
    const row = make("div", "copy-row add-to-class");
    const select = make("select");
    select.id = "try-class";
    select.setAttribute("aria-label", gettext("Class to add the photo to"));
    for (const node of document.querySelectorAll(".class-card[data-class]")) {
      const option = make("option", null, node.dataset.name);
      option.value = node.dataset.class;
      if (best && String(best.class_id) === node.dataset.class) option.selected = true;
      select.append(option);
    }
    const button = make("button", "small secondary", gettext("Add this photo to the class"));
    button.type = "button";
    button.id = "try-add";
    const status = make("p", "muted");
    status.setAttribute("role", "status");
    button.addEventListener("click", async () => {
      button.disabled = true;
      const body = new FormData();
      body.append("file", file, file.name || "tried photo.jpg");
      try {
        const result = await call("POST", albumPath + "/classes/" + select.value + "/media", body);
        const name = select.options[select.selectedIndex].textContent;
        status.textContent = result.ok
          ? interpolate(gettext("Added to %(name)s: train again to use it."), { name })
          : errorOf(result, gettext("The photo could not be added."));
        if (result.ok) refreshSoon();
      } catch (e) {
        status.textContent = gettext("Could not reach the server.");
      } finally {
        button.disabled = false;
      }
    });
    const box = make("div");
    row.append(select, button);
    box.append(row, status);
    if (!select.options.length) box.hidden = true;
    return box;
  }

  function wireTry() {
    const input = $("try-file");
    const answer = $("try-answer");
    const progress = $("try-progress");
    if (!input) return; // the class page uploads and follows jobs, but has no "try it"
    onChosen(input, async ([file]) => {
      answer.replaceChildren();
      progress.hidden = false;
      const body = new FormData();
      body.append("image", file, file.name || "photo.jpg");
      try {
        const result = await call("POST", albumPath + "/predict", body);
        answer.append(result.ok ? renderAnswer(result.data, file) : make("p", "error", errorOf(result, gettext("The photo could not be recognized."))));
      } catch (e) {
        answer.append(make("p", "error", gettext("Could not reach the server.")));
      } finally {
        progress.hidden = true;
      }
    });
  }

  // ---- the visitor link ------------------------------------------------------

  // ---- start -----------------------------------------------------------------

  for (const job of JSON.parse($("jobs-data").textContent)) addJob(job, job.name, false);
  wireTrain();
  wireUploads();
  wireTry();
  poll();
})();
