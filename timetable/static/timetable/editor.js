// The class week editor: move a lesson to another cell by drag and drop, by tapping two
// grips (tablets), or with the keyboard (arrow keys on a focused grip). A move swaps the
// two cells' subject, teachers and room; the form's one-request save then stores the week
// and shows the recomputed clashes. Static file (the CSP allows no inline script).
(function () {
  "use strict";
  const table = document.querySelector("table.tt-editor");
  if (!table) return;
  const status = document.getElementById("tt-move-status");
  let picked = null;

  const cellOf = (el) => el && el.closest("td[data-slot]");
  const selects = (td) => Array.from(td.querySelectorAll("select"));
  const label = (td) => td.dataset.label || td.dataset.slot;
  const subject = (td) => {
    const s = td.querySelector("select[name^='s-']");
    return s && s.value ? s.options[s.selectedIndex].text : "空き";
  };
  const say = (text) => { if (status) status.textContent = text; };

  function swap(from, to) {
    if (!from || !to || from === to) return;
    const a = selects(from), b = selects(to);
    const what = subject(from);
    for (let i = 0; i < a.length && i < b.length; i++) {
      const v = a[i].value; a[i].value = b[i].value; b[i].value = v;
    }
    [from, to].forEach((td) => {
      td.classList.add("tt-moved");
      td.querySelector(".tt-grip").setAttribute("aria-label", gripLabel(td));
    });
    table.closest("form").classList.add("tt-dirty");
    say(`${what}を${label(from)}から${label(to)}へ移動しました。保存すると重なりを確認します。`);
  }

  function gripLabel(td) { return `${label(td)} ${subject(td)}を移動`; }

  function pick(td) {
    if (picked) picked.classList.remove("tt-picked");
    picked = td;
    if (td) {
      td.classList.add("tt-picked");
      say(`${label(td)}の${subject(td)}を選びました。移動先のつまみを押してください（矢印キーでも移動できます）。`);
    }
  }

  table.querySelectorAll("td[data-slot]").forEach((td) => {
    const grip = td.querySelector(".tt-grip");
    grip.setAttribute("aria-label", gripLabel(td));
    grip.addEventListener("dragstart", (e) => {
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", td.dataset.slot);
      td.classList.add("tt-dragging");
    });
    grip.addEventListener("dragend", () => td.classList.remove("tt-dragging"));
    td.addEventListener("dragover", (e) => { e.preventDefault(); td.classList.add("tt-over"); });
    td.addEventListener("dragleave", () => td.classList.remove("tt-over"));
    td.addEventListener("drop", (e) => {
      e.preventDefault();
      td.classList.remove("tt-over");
      const from = table.querySelector(`td[data-slot="${e.dataTransfer.getData("text/plain")}"]`);
      swap(from, td);
    });
    grip.addEventListener("click", (e) => {
      e.preventDefault();
      if (picked && picked !== td) { swap(picked, td); pick(null); }
      else if (picked === td) { pick(null); say("選択を取り消しました。"); }
      else pick(td);
    });
    grip.addEventListener("keydown", (e) => {
      const [wd, p] = td.dataset.slot.split("-").map(Number);
      const step = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[e.key];
      if (e.key === "Escape") { pick(null); return; }
      if (!step) return;
      e.preventDefault();
      const to = table.querySelector(`td[data-slot="${wd + step[0]}-${p + step[1]}"]`);
      if (!to) return;
      swap(td, to);
      pick(null);
      to.querySelector(".tt-grip").focus();
    });
  });
})();
