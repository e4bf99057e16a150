// Daily attendance entry: keyboard marks, live counts, unsaved-changes warning.
// Works on top of a plain form (radio buttons); htmx posts it and shows the result in #save-status.
(function () {
  "use strict";
  let dirty = false;

  function form() { return document.getElementById("att-form"); }
  function rows() { return Array.from(document.querySelectorAll("#att-form .att-row")); }
  function currentIndex() {
    const list = rows();
    const i = list.findIndex((r) => r.classList.contains("current"));
    return i < 0 ? 0 : i;
  }
  function focusRow(i) {
    const list = rows();
    if (!list.length) return;
    i = Math.max(0, Math.min(list.length - 1, i));
    list.forEach((r, j) => r.classList.toggle("current", j === i));
    const checked = list[i].querySelector("input[type=radio]:checked") || list[i].querySelector("input[type=radio]");
    if (checked) checked.focus({ preventScroll: true });
    list[i].scrollIntoView({ block: "nearest" });
  }
  function counts() {
    const total = rows().length;
    const c = { enrolled: total, present: total, absent: 0, late: 0, early: 0, suspended: 0 };
    document.querySelectorAll("#att-form input[type=radio]:checked").forEach((input) => {
      const f = input.dataset.figure;
      if (f === "absent") { c.absent++; c.present--; }
      else if (f === "suspended") { c.suspended++; c.present--; }
      else if (f === "late") c.late++;
      else if (f === "early") c.early++;
    });
    Object.entries(c).forEach(([k, v]) => {
      const el = document.querySelector(`[data-count="${k}"]`);
      if (el) el.textContent = v;
    });
  }
  function setDirty(value) {
    dirty = value;
    const note = document.querySelector(".dirty-note");
    if (note) note.hidden = !value;
  }
  function setMark(row, key) {
    const input = Array.from(row.querySelectorAll("input[type=radio]")).find((i) => i.dataset.key === key);
    if (!input || input.disabled) return false;
    input.checked = true;
    input.focus({ preventScroll: true });
    counts();
    setDirty(true);
    return true;
  }

  document.addEventListener("keydown", (ev) => {
    const f = form();
    if (!f || !f.dataset.editable || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const target = ev.target;
    const inText = target.matches && target.matches("input[type=text], input[type=date], textarea, select");
    if (inText) {
      if (ev.key === "Escape") { focusRow(currentIndex()); ev.preventDefault(); }
      return;  // Enter in a note submits the form natively
    }
    if (!f.contains(target) && target !== document.body) return;
    const list = rows();
    const i = currentIndex();
    if (ev.key === "ArrowDown" || ev.key === "j") { focusRow(i + 1); ev.preventDefault(); }
    else if (ev.key === "ArrowUp" || ev.key === "k") { focusRow(i - 1); ev.preventDefault(); }
    else if (ev.key === "Enter") { ev.preventDefault(); f.requestSubmit(); }
    else if (ev.key === " " || ev.key === "0") { if (setMark(list[i], "0")) ev.preventDefault(); }
    else if (/^[1-9]$/.test(ev.key)) { if (setMark(list[i], ev.key)) ev.preventDefault(); }
  });

  document.addEventListener("change", (ev) => {
    if (!form() || !form().contains(ev.target)) return;
    const row = ev.target.closest(".att-row");
    if (row) rows().forEach((r) => r.classList.toggle("current", r === row));
    counts();
    setDirty(true);
  });
  document.addEventListener("input", (ev) => {
    if (form() && form().contains(ev.target) && ev.target.type === "text") setDirty(true);
  });
  document.addEventListener("click", (ev) => {
    const row = ev.target.closest && ev.target.closest("#att-form .att-row");
    if (row) rows().forEach((r) => r.classList.toggle("current", r === row));
  });
  // A plain (non-htmx) submit navigates away on purpose: no warning then.
  let submitting = false;
  document.addEventListener("submit", (ev) => { if (ev.target === form()) submitting = true; });
  // After an htmx save the page stays: what was saved becomes the new baseline.
  document.addEventListener("htmx:afterSwap", (ev) => {
    if (!ev.detail.target || ev.detail.target.id !== "save-status") return;
    submitting = false;
    if (!ev.detail.target.querySelector("[data-saved]")) return;  // errors: still unsaved
    rows().forEach((row) => {
      const eid = row.dataset.eid;
      const checked = row.querySelector("input[type=radio]:checked");
      const note = row.querySelector(`input[name="n${eid}"]`);
      const base = row.querySelector(`input[name="b${eid}"]`);
      const baseNote = row.querySelector(`input[name="bn${eid}"]`);
      if (base) base.value = checked ? checked.value : "";
      if (baseNote && note) baseNote.value = note.value;
    });
    setDirty(false);
  });
  document.addEventListener("htmx:sendError", () => { submitting = false; });
  document.addEventListener("htmx:responseError", () => { submitting = false; });
  window.addEventListener("beforeunload", (ev) => {
    if (dirty && !submitting) { ev.preventDefault(); ev.returnValue = ""; }
  });
  function init() {
    setDirty(false);
    if (form() && form().dataset.editable) focusRow(0);
  }
  document.addEventListener("DOMContentLoaded", init);
})();
