// The visitors' page's service worker (scope: this album's /v/<slug>/): keeps the page, its scripts,
// onnxruntime-web, the recognizer's description, the model, the works list and the works' pictures,
// so that after one visit the page opens and recognises with no connection. With a connection the
// page, the description and the works are asked for first (a new version, a title edited since:
// the ETag says whether anything changed), the kept copy answering only when the network cannot.
// The model's address names its version: kept as it is, a new version is a new address.
"use strict";
const CACHE = "museion-visitor-{{ album.slug }}";
const FILES = {{ files|safe }};
const API = "/api/v1/v/{{ album.slug }}/";

// Everything the page needs offline, the model and the works' pictures included: the page asked
// for them before this worker controlled it.
async function keepAll() {
  const cache = await caches.open(CACHE);
  await cache.addAll(FILES);
  try {
    const recognizer = await fetch(API + "recognizer");
    if (recognizer.ok) {
      await cache.put(API + "recognizer", recognizer.clone());
      await cache.add((await recognizer.json()).model_url);
    }
    const works = await (await cache.match(API + "works")).json();
    await cache.addAll(works.map((work) => work.picture_url).filter(Boolean));
  } catch (error) {
    // no model yet (or a picture gone): the page still opens, and asks the server
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil(keepAll().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

function kept(request) {
  return caches.open(CACHE).then((cache) => cache.match(request, { ignoreVary: true }));
}

async function networkFirst(request) {
  try {
    const response = await fetch(request);
    if (response.ok) {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(request, copy));
    }
    return response;
  } catch (error) {
    const found = await kept(request);
    if (found) return found;
    throw error;
  }
}

async function keptFirst(request) {
  const found = await kept(request);
  if (found) return found;
  const response = await fetch(request);
  if (response.ok) {
    const copy = response.clone();
    const cache = await caches.open(CACHE);
    // One model kept: the one of the version the page asked for last.
    for (const old of await cache.keys()) if (old.url.includes(API + "model")) await cache.delete(old);
    await cache.put(request, copy);
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname === API + "model") event.respondWith(keptFirst(request));
  else event.respondWith(networkFirst(request));
});
