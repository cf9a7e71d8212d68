// iallocd console: sortable tables, the fleet filter, and a cluster's counts and balancing plan
// fetched after the page. The pages read fine without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // One after the other, in page order: the group counts first, then the balancing plan, so
  // that a long plan never holds up the counts in the engine.
  let before = Promise.resolve();
  for (const box of document.querySelectorAll("[data-report]")) {
    before = before.then(() => fetch(box.dataset.report, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.text() : Promise.reject(new Error(`HTTP ${r.status}`))))
      .then((html) => { box.innerHTML = html; box.removeAttribute("data-report"); })
      .catch((e) => {
        const note = box.querySelector(".pending");
        if (note) note.textContent = `This could not be fetched (${e.message}); reload to try again.`;
      }));
  }
  const value = (row, i, type) => {
    const cell = row.cells[i];
    const raw = cell ? (cell.dataset.value ?? cell.textContent.trim()) : "";
    return type === "number" ? parseFloat(raw) || 0 : raw.toLowerCase();
  };
  for (const table of document.querySelectorAll("table.sortable")) {
    const body = table.tBodies[0];
    table.querySelectorAll("thead th").forEach((th, i) => {
      th.classList.add("sort");
      th.addEventListener("click", () => {
        const asc = !th.classList.contains("asc");
        table.querySelectorAll("thead th").forEach((h) => h.classList.remove("asc", "desc"));
        th.classList.add(asc ? "asc" : "desc");
        const type = th.dataset.type;
        const rows = [...body.rows].filter((r) => r.cells.length > 1);
        rows.sort((a, b) => {
          const x = value(a, i, type), y = value(b, i, type);
          return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
        });
        rows.forEach((r) => body.appendChild(r));
      });
    });
  }
  for (const input of document.querySelectorAll("input[data-filter]")) {
    const table = document.getElementById(input.dataset.filter);
    input.hidden = false;
    input.addEventListener("input", () => {
      const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      for (const row of table.tBodies[0].rows) {
        const text = row.textContent.toLowerCase();
        row.hidden = !words.every((w) => text.includes(w));
      }
    });
  }
});
