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

// 「/」 moves the focus to the search box (the page's own, else the menu's), as on the
// web's big sites; not while typing in a field.
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const active = document.activeElement;
  if (active && (active.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName))) return;
  const boxes = document.querySelectorAll("[data-shortcut='/']");
  const box = boxes.length ? boxes[boxes.length - 1] : null;
  if (!box) return;
  event.preventDefault();
  box.focus();
  box.select();
});
