// Times in the reader's own time zone: the server writes <time class="local" datetime="ISO">
// in UTC, and this rewrites the text with the browser's locale and zone (the full moment stays
// in the title). Without scripts the UTC text stays, and says it is UTC.
(function () {
  "use strict";

  const format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  const full = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "long" });

  for (const node of document.querySelectorAll("time.local[datetime]")) {
    const moment = new Date(node.getAttribute("datetime"));
    if (Number.isNaN(moment.getTime())) continue;
    node.textContent = format.format(moment);
    node.title = full.format(moment);
  }
})();
