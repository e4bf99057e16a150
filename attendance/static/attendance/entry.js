// Daily attendance entry: keyboard marks, live counts, unsaved-changes warning.
// Works on top of a plain form (radio buttons); htmx posts it and shows the result in #save-status
// and, where the teacher is looking, in a toast next to the save button.
// The row being marked is always the row that has the focus (Tab, click, arrows, jump).
(function () {
  "use strict";
  let dirty = false;
  let toastTimer = null;

  function form() { return document.getElementById("att-form"); }
  function rows() { return Array.from(document.querySelectorAll("#att-form .att-row")); }
  function currentIndex() {
    const list = rows();
    const active = document.activeElement;
    const focused = active && active.closest ? active.closest("#att-form .att-row") : null;
    if (focused) return list.indexOf(focused);
    const i = list.findIndex((r) => r.classList.contains("current"));
    return i < 0 ? 0 : i;
  }
  function markCurrent(row) { rows().forEach((r) => r.classList.toggle("current", r === row)); }
  // Keep the row clear of the sticky bars (counts above, save button below).
  function reveal(row) {
    const box = row.getBoundingClientRect();
    const bar = document.getElementById("att-bar");
    const save = document.querySelector(".att-save");
    const head = document.querySelector(".att-table thead");
    let top = bar ? bar.getBoundingClientRect().bottom : 0;
    if (head) top = Math.max(top, Math.min(head.getBoundingClientRect().bottom, top + head.offsetHeight));
    const bottom = save ? save.getBoundingClientRect().top : window.innerHeight;
    if (box.top < top + 2) window.scrollBy(0, box.top - top - 6);
    else if (box.bottom > bottom - 2) window.scrollBy(0, box.bottom - bottom + 6);
  }
  function focusRow(i) {
    const list = rows();
    if (!list.length) return;
    i = Math.max(0, Math.min(list.length - 1, i));
    markCurrent(list[i]);
    const checked = list[i].querySelector("input[type=radio]:checked") || list[i].querySelector("input[type=radio]");
    if (checked) checked.focus({ preventScroll: true });
    reveal(list[i]);
  }
  function jumpTo(roll) {
    const list = rows();
    const i = list.findIndex((r) => r.dataset.roll === String(parseInt(roll, 10)));
    const input = document.getElementById("jump-roll");
    if (i < 0) {
      if (input) { input.setCustomValidity("その番号の児童生徒はいません。"); input.reportValidity(); }
      return false;
    }
    if (input) { input.setCustomValidity(""); input.value = ""; }
    focusRow(i);
    return true;
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
  function toast(text, isError) {
    const el = document.getElementById("save-toast");
    if (!el) return;
    el.textContent = text;
    el.classList.toggle("is-error", !!isError);
    el.hidden = !text;
    if (toastTimer) clearTimeout(toastTimer);
    if (!isError) toastTimer = setTimeout(() => { el.hidden = true; }, 8000);
  }

  document.addEventListener("keydown", (ev) => {
    const f = form();
    if (!f || !f.dataset.editable || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const target = ev.target;
    if (target.id === "jump-roll") {
      if (ev.key === "Escape") { focusRow(currentIndex()); ev.preventDefault(); }
      return;  // Enter submits the jump form
    }
    const inText = target.matches && target.matches("input[type=text], input[type=date], textarea, select");
    if (inText) {
      if (ev.key === "Escape") { focusRow(currentIndex()); ev.preventDefault(); }
      return;  // Enter in a note submits the form natively
    }
    if (ev.key === "/" && (f.contains(target) || target === document.body)) {
      const input = document.getElementById("jump-roll");
      if (input) { input.focus(); ev.preventDefault(); }
      return;
    }
    if (!f.contains(target) && target !== document.body) return;
    const onSummary = target.tagName === "SUMMARY" || target.tagName === "BUTTON";
    const list = rows();
    const i = currentIndex();
    if (ev.key === "ArrowDown" || ev.key === "j") { focusRow(i + 1); ev.preventDefault(); }
    else if (ev.key === "ArrowUp" || ev.key === "k") { focusRow(i - 1); ev.preventDefault(); }
    else if (ev.key === "Enter") { if (!onSummary) { ev.preventDefault(); f.requestSubmit(); } }
    else if (ev.key === " " || ev.key === "0") {
      if (ev.key === " " && onSummary) return;  // Space opens the memo
      if (setMark(list[i], "0")) ev.preventDefault();
    }
    else if (/^[1-9]$/.test(ev.key)) { if (setMark(list[i], ev.key)) ev.preventDefault(); }
  });

  // Whatever gets the focus (Tab, click, a screen reader) makes its row the current one.
  document.addEventListener("focusin", (ev) => {
    const row = ev.target.closest && ev.target.closest("#att-form .att-row");
    if (!row) return;
    markCurrent(row);
    requestAnimationFrame(() => reveal(row));
  });
  document.addEventListener("submit", (ev) => {
    if (ev.target && ev.target.dataset && ev.target.dataset.jump) {
      ev.preventDefault();
      const input = document.getElementById("jump-roll");
      if (input && input.value.trim()) jumpTo(input.value.trim());
    }
  });
  document.addEventListener("input", (ev) => {
    if (ev.target.id === "jump-roll") ev.target.setCustomValidity("");
  });
  // Opening a memo puts the cursor in it.
  document.addEventListener("toggle", (ev) => {
    const d = ev.target;
    if (d.classList && d.classList.contains("memo") && d.open) {
      const input = d.querySelector("input[type=text]");
      if (input) input.focus();
    }
  }, true);

  document.addEventListener("change", (ev) => {
    if (!form() || !form().contains(ev.target)) return;
    const row = ev.target.closest(".att-row");
    if (row) markCurrent(row);
    counts();
    setDirty(true);
  });
  document.addEventListener("input", (ev) => {
    if (form() && form().contains(ev.target) && ev.target.type === "text") setDirty(true);
  });
  // A plain (non-htmx) submit navigates away on purpose: no warning then.
  let submitting = false;
  document.addEventListener("submit", (ev) => { if (ev.target === form()) submitting = true; });
  // After an htmx save the page stays: what was saved becomes the new baseline.
  document.addEventListener("htmx:afterSwap", (ev) => {
    if (!ev.detail.target || ev.detail.target.id !== "save-status") return;
    submitting = false;
    const saved = ev.detail.target.querySelector("[data-saved]");
    if (!saved) {  // errors: still unsaved
      const error = ev.detail.target.querySelector("[data-save-error]");
      if (error) toast("保存できませんでした: " + error.textContent.trim().replace(/\s+/g, " "), true);
      return;
    }
    toast("✓ " + saved.textContent.trim(), false);
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
  document.addEventListener("htmx:sendError", () => { submitting = false; toast("保存できませんでした (通信できません)。もう一度保存してください。", true); });
  document.addEventListener("htmx:responseError", () => { submitting = false; toast("保存できませんでした。もう一度保存してください。", true); });
  window.addEventListener("beforeunload", (ev) => {
    if (dirty && !submitting) { ev.preventDefault(); ev.returnValue = ""; }
  });
  function init() {
    setDirty(false);
    if (form() && form().dataset.editable) focusRow(0);
  }
  document.addEventListener("DOMContentLoaded", init);
})();
