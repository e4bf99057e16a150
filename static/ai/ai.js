// Behaviour every page shares, without inline handlers (the Content-Security-Policy allows
// no inline script): <button data-print> prints the page, <button data-confirm="…"> asks
// before it submits its form.
"use strict";
document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  if (!target) return;
  const printer = target.closest("[data-print]");
  if (printer) {
    event.preventDefault();
    window.print();
    return;
  }
  const asker = target.closest("[data-confirm]");
  if (asker && !window.confirm(asker.dataset.confirm)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
});
// Read-only mode (tenants.ReadOnlyMiddleware): htmx does not show a 503, so a refused save
// made through htmx shows the refusal's message at the top of the page instead.
document.addEventListener("htmx:responseError", (event) => {
  const xhr = event.detail && event.detail.xhr;
  if (!xhr || xhr.status !== 503) return;
  const page = new DOMParser().parseFromString(xhr.responseText, "text/html");
  const refusal = page.querySelector(".readonly-refusal p");
  const main = document.getElementById("main");
  if (!refusal || !main) return;
  const note = document.createElement("div");
  note.className = "msg msg-error";
  note.setAttribute("role", "alert");
  note.textContent = refusal.textContent;
  main.prepend(note);
  note.scrollIntoView({ block: "nearest" });
});

// 「/」 moves the focus to the search box (the page's own, e.g. the attendance page's jump to
// a roll number, else the menu's), as on the web's big sites; not while typing in a field.
document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const active = document.activeElement;
  if (active && (active.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName))) return;
  const boxes = document.querySelectorAll("[data-shortcut='/']");
  const box = boxes.length ? boxes[boxes.length - 1] : null;
  if (!box) return;
  event.preventDefault();
  box.focus();
  box.select();
});
