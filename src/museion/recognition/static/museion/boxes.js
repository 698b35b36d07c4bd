// Detector boxes drawn over a photo, shared by the Predict page and a stored prediction's page
// (window.MuseionBoxes). Tags are placed so that they never cover one another: each, best
// first, takes the first free spot among above the box, below it, or inside its top or bottom
// edge; a tag is at most its box's width or 140 px, and where it finds no spot it is shortened
// to its box's width (56 px at the least) and tried again; text cut is ended with "…"; a tag with no free spot is left off (the list beside the photo names every box by colour).
(function () {
  "use strict";

  // Dark enough for white label text on top.
  const COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#e6550d", "#8c564b", "#e377c2", "#17becf", "#7f7f00", "#393b79"];
  const TAG_HEIGHT = 18;
  // px: a tag may be wider than its box, up to MAX_TAG_WIDTH where there is room, else MIN_TAG_WIDTH.
  const MAX_TAG_WIDTH = 140;
  const MIN_TAG_WIDTH = 56;
  const FONT = "600 13px system-ui, sans-serif";

  function color(index) {
    return COLORS[index % COLORS.length];
  }

  function percent(score) {
    return score < 0.0005 ? "<0.1%" : (score * 100).toFixed(1) + "%";
  }

  // `text`, cut with an ellipsis to fit in `room` pixels.
  function fit(ctx, text, room) {
    if (ctx.measureText(text).width <= room) return text;
    let cut = text;
    while (cut.length > 1 && ctx.measureText(cut + "…").width > room) cut = cut.slice(0, -1);
    return cut + "…";
  }

  function overlaps(a, b) {
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
  }

  // Where a tag of w x h may go for a box (x0, y0)-(x1, y1), in order of preference.
  function spots(box, w, h, width, height) {
    const left = Math.max(0, Math.min(box.x0, width - w));
    const right = Math.max(0, Math.min(box.x1 - w, width - w));
    return [
      { x: left, y: box.y0 - h }, { x: right, y: box.y0 - h }, // above, outside
      { x: left, y: box.y1 }, { x: right, y: box.y1 }, // below, outside
      { x: left, y: box.y0 }, { x: left, y: box.y1 - h }, // inside, top or bottom edge
    ].filter((s) => s.y >= 0 && s.y + h <= height).map((s) => ({ ...s, w, h }));
  }

  // Tags for `detections` (best first), each { text, x, y, w, h, index }, none overlapping another.
  function placeTags(ctx, detections, sx, sy, width, height) {
    const placed = [];
    for (const d of detections) {
      const box = { x0: d.box[0] * sx, y0: d.box[1] * sy, x1: d.box[2] * sx, y1: d.box[3] * sy };
      const whole = d.label + " " + percent(d.score);
      // The whole tag where it fits among the others, else one shortened to its box.
      const boxWidth = box.x1 - box.x0;
      const texts = [MAX_TAG_WIDTH, MIN_TAG_WIDTH].map((most) => fit(ctx, whole, Math.min(width, Math.max(boxWidth, most)) - 8));
      for (const text of texts) {
        const w = ctx.measureText(text).width + 8;
        const spot = spots(box, w, TAG_HEIGHT, width, height).find((s) => !placed.some((p) => overlaps(s, p)));
        if (spot) {
          placed.push({ ...spot, text, index: d.index });
          break;
        }
      }
    }
    return placed;
  }

  // Draw `detections` over `canvas`, sized to the shown picture `source`; boxes come in the
  // pixels of the uploaded image (`size`: { width, height }).
  function draw(canvas, source, size, detections) {
    const width = source.clientWidth;
    const height = source.clientHeight;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio); // also clears it
    canvas.height = Math.round(height * ratio);
    if (!detections || !detections.length || !width || !size.width) return;
    const ctx = canvas.getContext("2d");
    ctx.scale(ratio, ratio); // draw in CSS pixels, sharp on high-density screens
    const sx = width / size.width;
    const sy = height / size.height;
    ctx.lineWidth = 2;
    for (const d of detections.slice().reverse()) { // worst first: the best boxes' lines on top
      ctx.strokeStyle = color(d.index);
      ctx.strokeRect(d.box[0] * sx, d.box[1] * sy, (d.box[2] - d.box[0]) * sx, (d.box[3] - d.box[1]) * sy);
    }
    ctx.font = FONT;
    ctx.textBaseline = "middle";
    for (const tag of placeTags(ctx, detections, sx, sy, width, height)) {
      ctx.fillStyle = color(tag.index);
      ctx.fillRect(tag.x, tag.y, tag.w, tag.h);
      ctx.fillStyle = "#fff";
      ctx.fillText(tag.text, tag.x + 4, tag.y + tag.h / 2);
    }
  }

  window.MuseionBoxes = Object.freeze({ color, percent, draw, placeTags });
})();
