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
