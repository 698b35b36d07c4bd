// A stored prediction's page: its boxes drawn again over the photo, and the list's colours.
(function () {
  "use strict";

  const { color, draw } = window.MuseionBoxes;
  const data = document.getElementById("prediction-answer");
  const photo = document.getElementById("prediction-photo");
  const canvas = document.getElementById("prediction-boxes");
  if (!data || !photo || !canvas) return;
  const answer = JSON.parse(data.textContent);

  for (const swatch of document.querySelectorAll(".found .swatch[data-index]")) {
    swatch.style.background = color(Number(swatch.dataset.index));
  }
  const redraw = () => draw(canvas, photo, answer, answer.detections);
  if (photo.complete) redraw();
  photo.addEventListener("load", redraw);
  if (window.ResizeObserver) new ResizeObserver(redraw).observe(photo);
})();
