// Museion's on-device recognizer: a published version's model.onnx run with onnxruntime-web, with
// the server's preprocessing to the pixel and the server's decision (the best work's similarity
// against the threshold in use). The visitors' page and a bundle's viewer/index.html share this file.
//
//   const recognizer = await MuseionRecognizer.create({ runtime: "ort/", description, model });
//   const answer = await recognizer.recognize(imageBitmapOrVideoOrCanvas);
//   // { unknown, similarity, outputs: [{ index, name, work, similarity, probability }], ms }
//
// `description` is what `GET /api/v1/v/{slug}/recognizer` answers (version, threshold, labels with
// their work ids, preprocess); a bundle's viewer builds the same from labels.json, preprocess.json
// and metrics.json. `model` is model.onnx's URL or its bytes.
(function (global) {
  "use strict";

  // ---- the server's resize: Pillow's BILINEAR (a triangle filter widened when shrinking) ----------

  const PRECISION_BITS = 32 - 8 - 2; // Pillow's fixed point for 8-bit images (Resample.c)

  function triangle(x) {
    const a = Math.abs(x);
    return a < 1 ? 1 - a : 0;
  }

  // Per output pixel, the first input pixel and its integer weights (Resample.c's precompute_coeffs
  // and normalize_coeffs_8bpc): rounding as Pillow rounds is what makes the pixels equal.
  function coefficients(inSize, outSize, from, to) {
    const scale = (to - from) / outSize;
    const filterscale = Math.max(scale, 1);
    const support = filterscale;
    const bounds = new Int32Array(outSize * 2);
    const size = Math.ceil(support) * 2 + 1;
    const weights = new Float64Array(outSize * size);
    for (let xx = 0; xx < outSize; xx++) {
      const center = from + (xx + 0.5) * scale;
      const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
      const count = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
      let total = 0;
      const raw = new Float64Array(count);
      for (let x = 0; x < count; x++) {
        raw[x] = triangle((x + xmin - center + 0.5) / filterscale);
        total += raw[x];
      }
      for (let x = 0; x < count; x++) {
        const k = total ? raw[x] / total : 0;
        weights[xx * size + x] = k < 0 ? Math.trunc(-0.5 + k * (1 << PRECISION_BITS)) : Math.trunc(0.5 + k * (1 << PRECISION_BITS));
      }
      bounds[xx * 2] = xmin;
      bounds[xx * 2 + 1] = count;
    }
    return { bounds, weights, size };
  }

  function clip8(value) {
    const v = Math.floor(value / (1 << PRECISION_BITS));
    return v < 0 ? 0 : v > 255 ? 255 : v;
  }

  // preprocess.json's framing (museion.vision.preprocess.fit, "crop"): the short side to
  // `short_side`, the centre `size` cut out; as the box of the picture that lands in it.
  function cropBox(width, height, pre) {
    const [outW, outH] = pre.size;
    const ratio = pre.resize.short_side / Math.min(width, height);
    const scaledW = Math.max(outW, pyRound(width * ratio));
    const scaledH = Math.max(outH, pyRound(height * ratio));
    const left = Math.floor((scaledW - outW) / 2), top = Math.floor((scaledH - outH) / 2);
    const sx = width / scaledW, sy = height / scaledH;
    return { scaledW, scaledH, left, top, box: [left * sx, top * sy, (left + outW) * sx, (top + outH) * sy] };
  }

  // Python's round(): halves to even.
  function pyRound(x) {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  }

  // The uint8 RGB pixels the model sees for a picture (anything drawImage takes, already upright).
  function pixels(source, pre) {
    const width = source.videoWidth || source.naturalWidth || source.width;
    const height = source.videoHeight || source.naturalHeight || source.height;
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(source, 0, 0, width, height);
    const data = ctx.getImageData(0, 0, width, height).data;
    const [outW, outH] = pre.size;
    const frame = cropBox(width, height, pre);
    return resampleCrop(data, width, height, frame, outW, outH);
  }

  // Pillow resizes the whole picture to the scaled size, then crops (a box only for panoramas): the
  // whole picture's coefficients, kept for the crop's columns and rows only, give the same pixels.
  function resampleCrop(data, width, height, frame, outW, outH) {
    const { scaledW, scaledH, left, top } = frame;
    const h = coefficients(width, scaledW, 0, width);
    const v = coefficients(height, scaledH, 0, height);
    const slice = (c, first, n) => ({
      bounds: c.bounds.slice(first * 2, (first + n) * 2), weights: c.weights.slice(first * c.size, (first + n) * c.size), size: c.size,
    });
    return resampleWith(data, width, slice(h, left, outW), slice(v, top, outH), outW, outH);
  }

  // RGBA `data` through the horizontal weights `h`, rounded to 8 bits, then the vertical `v`, as
  // Pillow does: RGB uint8 outW x outH.
  function resampleWith(data, width, h, v, outW, outH) {
    const firstRow = v.bounds[0];
    const rowLast = v.bounds[(outH - 1) * 2] + v.bounds[(outH - 1) * 2 + 1];
    const rows = rowLast - firstRow;
    const temp = new Uint8Array(rows * outW * 3);
    const half = 1 << (PRECISION_BITS - 1);
    for (let y = 0; y < rows; y++) {
      const line = (y + firstRow) * width * 4;
      for (let xx = 0; xx < outW; xx++) {
        const xmin = h.bounds[xx * 2], count = h.bounds[xx * 2 + 1], k = xx * h.size;
        let r = half, g = half, b = half;
        for (let x = 0; x < count; x++) {
          const w = h.weights[k + x], p = line + (xmin + x) * 4;
          r += data[p] * w;
          g += data[p + 1] * w;
          b += data[p + 2] * w;
        }
        const o = (y * outW + xx) * 3;
        temp[o] = clip8(r);
        temp[o + 1] = clip8(g);
        temp[o + 2] = clip8(b);
      }
    }
    const out = new Uint8Array(outW * outH * 3);
    for (let yy = 0; yy < outH; yy++) {
      const ymin = v.bounds[yy * 2] - firstRow, count = v.bounds[yy * 2 + 1], k = yy * v.size;
      for (let xx = 0; xx < outW; xx++) {
        let r = half, g = half, b = half;
        for (let y = 0; y < count; y++) {
          const w = v.weights[k + y], p = ((ymin + y) * outW + xx) * 3;
          r += temp[p] * w;
          g += temp[p + 1] * w;
          b += temp[p + 2] * w;
        }
        const o = (yy * outW + xx) * 3;
        out[o] = clip8(r);
        out[o + 1] = clip8(g);
        out[o + 2] = clip8(b);
      }
    }
    return out;
  }

  // ---- the runtime -------------------------------------------------------------------------

  function loadScript(url) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.onload = resolve;
      script.onerror = () => reject(new Error("could not load " + url));
      document.head.append(script);
    });
  }

  function supported() {
    return typeof WebAssembly === "object" && typeof WebAssembly.instantiate === "function";
  }

  // WebAssembly threads need SharedArrayBuffer, which a browser gives only to a cross-origin isolated
  // page (COOP/COEP, as the visitors' page is served). Half the cores, at most two: on a busy 2-core
  // machine's chromium two threads made a frame slower than one (148 against 108 ms, 237 against
  // 136: benchmarks/visitor_page.py), the threads waiting on each other for a core; a phone keeps
  // the other cores for the camera and the page. Without isolation, one thread.
  const MAX_THREADS = 2;
  const WORKER = "ort-wasm-simd-threaded.mjs"; // the threads' script: the runtime's own module

  // An isolated page starts a worker only when its script is served with COEP too; without it
  // onnxruntime-web waits for its threads for ever. A static host that does not say so (a bundle's
  // viewer anywhere) gets one thread.
  async function defaultThreads(runtime) {
    if (!global.crossOriginIsolated) return 1;
    try {
      const response = await fetch(runtime + WORKER, { credentials: "same-origin" });
      if (response.headers.get("cross-origin-embedder-policy") !== "require-corp") return 1;
    } catch (e) {
      return 1;
    }
    return Math.max(1, Math.min(MAX_THREADS, Math.floor((navigator.hardwareConcurrency || 1) / 2)));
  }

  // onnxruntime-web's WebAssembly build from `runtime` (a folder URL ending in "/"), loaded once:
  // its thread count is fixed when its WebAssembly starts, so the first `create` sets it.
  let runtimeLoaded = null;
  function loadRuntime(runtime, threads) {
    if (!runtimeLoaded) {
      const count = threads ? Promise.resolve(threads) : defaultThreads(runtime);
      const script = global.ort ? Promise.resolve() : loadScript(runtime + "ort.wasm.min.js");
      runtimeLoaded = Promise.all([count, script]).then(([n]) => {
        const ort = global.ort;
        ort.env.wasm.wasmPaths = new URL(runtime, document.baseURI).href;
        ort.env.wasm.numThreads = n;
        return ort;
      });
    }
    return runtimeLoaded;
  }

  // `threads`: onnxruntime-web's thread count (default: defaultThreads above).
  async function create({ runtime, description, model, threads }) {
    if (!supported()) throw new Error("WebAssembly is not available");
    const ort = await loadRuntime(runtime, threads);
    const bytes = typeof model === "string"
      ? new Uint8Array(await (await fetch(model, { credentials: "omit" })).arrayBuffer())
      : model;
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
    const pre = description.preprocess;
    const input = session.inputNames[0];
    const [width, height] = pre.size;

    async function recognize(source) {
      const started = performance.now();
      const rgb = pixels(source, pre);
      const prepared = performance.now();
      const feeds = { [input]: new ort.Tensor("uint8", rgb, [1, height, width, 3]) };
      const out = await session.run(feeds);
      const similarity = out.similarity.data, probability = out.probabilities.data;
      const outputs = description.labels.map((label, index) => ({
        index, name: label.name, work: label.work, similarity: similarity[index], probability: probability[index],
      }));
      // As the server: the best output decides; a work deleted since training is not recognized.
      let best = 0;
      for (let i = 1; i < similarity.length; i++) if (similarity[i] > similarity[best]) best = i;
      const ranked = outputs.filter((o) => o.work !== null).sort((a, b) => b.similarity - a.similarity || a.index - b.index);
      const threshold = description.threshold;
      return {
        unknown: similarity[best] < threshold || outputs[best].work === null,
        similarity: similarity[best],
        threshold,
        outputs: ranked,
        ms: performance.now() - started,
        pixelsMs: prepared - started, // of `ms`: reading and resizing the picture, the rest the model
      };
    }

    const threadsUsed = ort.env.wasm.numThreads;
    return { recognize, session, description, threads: threadsUsed, pixels: (source) => pixels(source, pre) };
  }

  // ---- the card's language, chosen as albums/languages.py chooses it --------------------------

  // Written right to left: these languages, or any language in these scripts.
  const RTL_LANGUAGES = ["ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv", "ckb", "iw"];
  const RTL_SCRIPTS = ["arab", "hebr", "thaa", "syrc", "nkoo", "adlm"];
  const ZH_SCRIPT = { cn: "hans", sg: "hans", my: "hans", tw: "hant", hk: "hant", mo: "hant" };
  const normal = (tag) => String(tag || "").trim().replace(/_/g, "-").toLowerCase();

  function isRtl(tag) {
    const parts = normal(tag).split("-");
    if (parts.slice(1).some((p) => RTL_SCRIPTS.includes(p))) return true;
    return RTL_LANGUAGES.includes(parts[0]) && !parts.slice(1).some((p) => /^[a-z]{4}$/.test(p));
  }

  // `zh-hans-cn` -> `zh-Hans-CN`: how speech voices and `lang` attributes are usually written.
  function cased(tag) {
    return normal(tag).split("-").map((p, i) => {
      if (i === 0) return p;
      if (/^[a-z]{4}$/.test(p)) return p[0].toUpperCase() + p.slice(1);
      return /^([a-z]{2}|\d{3})$/.test(p) ? p.toUpperCase() : p;
    }).join("-");
  }

  // The tag and the more general ones that serve it (`candidates` in albums/languages.py).
  function candidates(tag) {
    let parts = tag.split("-");
    if (parts[0] === "zh" && parts.length > 1 && ZH_SCRIPT[parts[1]]) parts = ["zh", ZH_SCRIPT[parts[1]], ...parts.slice(1)];
    const general = parts.map((_, i) => parts.slice(0, parts.length - i).join("-"));
    if (general[0] !== tag) general.splice(general.length - 1, 0, tag);
    return general;
  }

  // The best of the `available` languages (and `fallback`) for a visitor who `asked`, best first.
  function choose(asked, available, fallback) {
    const have = new Set([...available, fallback]);
    for (const tag of asked) {
      const found = candidates(tag).find((c) => have.has(c));
      if (found) return found;
      const near = [...have].filter((t) => t.split("-")[0] === tag.split("-")[0]).sort();
      if (near.length) return near[0];
    }
    return fallback;
  }

  // A card's title, description and `lang` for a visitor who asked for these languages: each field
  // from the chosen language, else the card's own (written in `card.lang`, else `defaultLang`).
  function cardText(card, asked, defaultLang) {
    const own = { title: card.title || card.label || card.name, description: card.description || "" };
    const fallback = normal(card.lang) || normal(defaultLang) || "en";
    const translations = card.translations && typeof card.translations === "object" ? card.translations : {};
    const lang = choose(asked, Object.keys(translations), fallback);
    const other = lang !== fallback ? translations[lang] || {} : {};
    return { title: other.title || own.title, description: other.description || own.description, lang };
  }

  const languages = { normal, isRtl, cased, choose, cardText };
  global.MuseionRecognizer = { create, supported, pixels, languages };
})(window);
