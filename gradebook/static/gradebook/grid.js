/* Score grid (成績入力): spreadsheet keys, paste from Excel, live derived columns, one-request save.
 * The derivation repeats gradebook/rules.py for instant feedback; the server's answer is stored. */
(function () {
  "use strict";
  var table = document.getElementById("scoregrid");
  if (!table) return;
  var data = JSON.parse(document.getElementById("grid-data").textContent);
  var status = document.getElementById("grid-status");
  var dirtyLabel = document.getElementById("grid-dirty");
  var writable = table.dataset.writable === "1";
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var byId = {};
  data.assessments.forEach(function (a) { byId[a.id] = a; });
  var ABSENT = ["欠", "欠席", "/"];
  var LEVEL_POINTS = { A: 3, B: 2, C: 1 };

  function inputs(row) { return Array.prototype.slice.call(row.querySelectorAll("input[data-a]")); }
  var grid = rows.map(inputs);

  function fmtMax(n) { return String(n).replace(/\.0$/, ""); }

  // parse a cell like rules.parse_score: {value: number|"absent"|null} or {error: "...", short: "..."}
  // (short: the reason shown under the cell itself)
  function parse(text, max) {
    var v = (text || "").normalize("NFKC").trim();
    if (v === "") return { value: null };
    if (ABSENT.indexOf(v) >= 0) return { value: "absent" };
    if (/^-\d+(\.\d)?$/.test(v)) return { error: "0 から " + fmtMax(max) + " までの数で入力してください。", short: "0〜" + fmtMax(max) + " の数" };
    if (!/^\d+(\.\d)?$/.test(v)) return { error: "「" + text + "」は点数として読めません。数字、空欄 (未入力)、欠 (欠席) のいずれかです。", short: "数字・空欄・欠のどれか" };
    var n = parseFloat(v);
    if (n > max) return { error: fmtMax(n) + " は満点 " + fmtMax(max) + " を超えています。", short: "満点 " + fmtMax(max) + " を超えています" };
    return { value: n };
  }

  // The reason of an invalid cell, written under the cell (and read with it by screen readers).
  function note(input, text) {
    var span = input.parentNode.querySelector(".cell-error");
    if (!text) {
      if (span) span.remove();
      input.removeAttribute("aria-describedby");
      return;
    }
    if (!span) {
      span = document.createElement("span");
      span.className = "cell-error";
      span.id = "err-" + input.closest("tr").dataset.student + "-" + input.dataset.a;
      input.insertAdjacentElement("afterend", span);
    }
    span.textContent = text;
    input.setAttribute("aria-describedby", span.id);
  }

  function level(pct) {
    if (pct === null) return null;
    var p = Math.round(pct * 1e6) / 1e6; // 80 % stays 80 %, not 79.9999
    if (p >= data.thresholds.a) return "A";
    if (p >= data.thresholds.b) return "B";
    return "C";
  }

  function rating(levels) {
    var rule = data.rule;
    if (!rule || levels.some(function (l) { return !LEVEL_POINTS[l]; })) return null;
    if (rule.kind === "table") return rule.table[levels.slice().sort().join("")];
    var mean = levels.reduce(function (s, l) { return s + LEVEL_POINTS[l]; }, 0) / 3;
    mean = Math.round(mean * 1e6) / 1e6;
    for (var i = 0; i < rule.bands.length; i++) if (mean >= rule.bands[i][0]) return rule.bands[i][1];
    return rule.bands[rule.bands.length - 1][1];
  }

  function recompute(r) {
    var row = rows[r];
    var sums = {};
    data.viewpoints.forEach(function (vp) { sums[vp] = [0, 0]; });
    var total = 0, totalMax = 0, scored = 0;
    grid[r].forEach(function (input) {
      var a = byId[input.dataset.a];
      var p = parse(input.value, a.max);
      if (p.error || p.value === null || p.value === "absent") return;
      total += p.value; totalMax += a.max; scored++;
      data.viewpoints.forEach(function (vp) {
        var w = a.weights[vp] || 0;
        if (w > 0) { sums[vp][0] += w * p.value / a.max; sums[vp][1] += w; }
      });
    });
    row.querySelector(".total").textContent = scored ? fmtMax(Math.round(total * 10) / 10) + "/" + fmtMax(totalMax) : "";
    if (data.snapshot) return; // finalised: the stored snapshot is shown until the server answers
    var ovr = data.overrides[row.dataset.student] || { levels: {}, rating: null };
    var levels = data.viewpoints.map(function (vp) {
      var pct = sums[vp][1] ? (sums[vp][0] / sums[vp][1]) * 100 : null;
      row.querySelector(".pct[data-vp=" + vp + "]").textContent = pct === null ? "" : pct.toFixed(1);
      var lv = ovr.levels[vp] || level(pct);
      var cell = row.querySelector(".lvl[data-vp=" + vp + "]");
      cell.firstChild ? (cell.firstChild.nodeValue = lv || "") : (cell.textContent = lv || "");
      return lv;
    });
    var rt = ovr.rating || rating(levels);
    var rcell = row.querySelector(".rating");
    if (!rcell) return; // a subject without marks: scores only
    if (rcell.firstChild) rcell.firstChild.nodeValue = rt || ""; else rcell.textContent = rt || "";
  }

  function validate(input) {
    var p = parse(input.value, byId[input.dataset.a].max);
    input.classList.toggle("invalid", !!p.error);
    input.classList.toggle("dirty", input.value !== input.dataset.orig);
    if (p.error) { input.setAttribute("aria-invalid", "true"); input.title = p.error; note(input, p.short); }
    else if (!input.classList.contains("conflict")) { input.removeAttribute("aria-invalid"); input.removeAttribute("title"); note(input, ""); }
    return !p.error;
  }

  function dirtyCount() {
    return table.querySelectorAll("input.dirty").length;
  }
  function showDirty() {
    if (dirtyLabel) dirtyLabel.textContent = dirtyCount() ? dirtyCount() + " 件の未保存の変更" : "";
  }
  function say(text, kind) {
    status.textContent = text;
    status.className = "grid-status msg" + (kind ? " msg-" + kind : "");
  }

  function pos(input) {
    var r = rows.indexOf(input.closest("tr"));
    return [r, grid[r].indexOf(input)];
  }
  function focusAt(r, c) {
    if (r < 0 || r >= grid.length || !grid[r].length) return;
    c = Math.max(0, Math.min(c, grid[r].length - 1));
    grid[r][c].focus();
  }

  // Excel's two modes: a cell that is chosen (click, arrows, Enter) takes what is typed in place
  // of its value and the arrows move between cells; F2 or a double click edits inside the value.
  var editing = false;
  table.addEventListener("focusin", function (e) {
    if (e.target.matches("input[data-a]")) {
      editing = false;
      e.target.select();
      if (e.target.title) say(e.target.title, "error");
    }
  });
  table.addEventListener("mousedown", function (e) {
    var input = e.target;
    // a click chooses the cell with its value selected (the browser would put the caret there);
    // inside a cell being edited, the click moves the caret as usual
    if (!input.matches("input[data-a]") || (editing && document.activeElement === input)) return;
    e.preventDefault();
    if (document.activeElement === input) input.select(); else input.focus();
  });
  // * of an evaluation changed by hand: its reason, by click, tap or keyboard (not hover only)
  table.addEventListener("click", function (e) {
    var mark = e.target.closest("button.ovr");
    if (mark) say(mark.dataset.reason, "");
  });
  table.addEventListener("dblclick", function (e) {
    var input = e.target;
    if (!input.matches("input[data-a]")) return;
    editing = true;
    input.setSelectionRange(input.value.length, input.value.length);
  });
  table.addEventListener("keydown", function (e) {
    var input = e.target;
    if (!input.matches("input[data-a]")) return;
    var p = pos(input), r = p[0], c = p[1];
    if (e.isComposing) return; // the IME (欠) owns the keys until its text is committed
    var atStart = input.selectionStart === 0 && input.selectionEnd === 0;
    var atEnd = input.selectionStart === input.value.length;
    if (e.key === "ArrowDown" || (e.key === "Enter" && !e.shiftKey)) { focusAt(r + 1, c); e.preventDefault(); }
    else if (e.key === "ArrowUp" || (e.key === "Enter" && e.shiftKey)) { focusAt(r - 1, c); e.preventDefault(); }
    else if (e.key === "ArrowLeft" && (!editing || atStart)) { focusAt(r, c - 1); e.preventDefault(); }
    else if (e.key === "ArrowRight" && (!editing || atEnd)) { focusAt(r, c + 1); e.preventDefault(); }
    else if (e.key === "F2") { editing = true; input.setSelectionRange(input.value.length, input.value.length); e.preventDefault(); }
    else if ((e.ctrlKey || e.metaKey) && e.key === "s") { e.preventDefault(); save(); }
    else if (e.key === "Escape") {
      // Esc: take the other teacher's value (after a conflict), else undo this cell's edit
      input.value = input.classList.contains("conflict") ? input.dataset.current : input.dataset.orig;
      if (input.classList.contains("conflict")) input.dataset.orig = input.dataset.current;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.select();
    }
  });
  table.addEventListener("input", function (e) {
    var input = e.target;
    if (!input.matches("input[data-a]")) return;
    if (input.classList.contains("conflict")) {
      input.classList.remove("conflict");
      var note = input.parentNode.querySelector(".current");
      if (note) note.remove();
    }
    validate(input);
    recompute(pos(input)[0]);
    showDirty();
  });
  table.addEventListener("paste", function (e) {
    var input = e.target;
    if (!input.matches("input[data-a]") || !writable) return;
    var text = (e.clipboardData || window.clipboardData).getData("text");
    if (text.indexOf("\t") < 0 && text.indexOf("\n") < 0) return; // one value: the browser pastes it
    e.preventDefault();
    var lines = text.replace(/\r\n?/g, "\n").replace(/\n$/, "").split("\n").map(function (l) { return l.split("\t"); });
    var p = pos(input), r0 = p[0], c0 = p[1];
    var width = Math.max.apply(null, lines.map(function (l) { return l.length; }));
    if (r0 + lines.length > grid.length || c0 + width > grid[r0].length) {
      say("貼り付ける範囲 (" + lines.length + " 行 × " + width + " 列) が表からはみ出します (ここから " +
        (grid.length - r0) + " 行 × " + (grid[r0].length - c0) + " 列まで)。何も貼り付けていません。", "error");
      return;
    }
    lines.forEach(function (line, i) {
      line.forEach(function (value, j) {
        var cell = grid[r0 + i][c0 + j];
        cell.value = value.trim();
        cell.classList.remove("conflict");
        validate(cell);
      });
      recompute(r0 + i);
    });
    var bad = table.querySelectorAll("input.invalid").length;
    say(lines.length + " 行 × " + width + " 列を貼り付けました。" + (bad ? " 誤りのあるセルが " + bad + " 件あります (赤枠)。" : " 保存してください。"), bad ? "error" : "success");
    showDirty();
  });

  function cellOf(studentId, assessmentId) {
    var row = table.querySelector("tr[data-student='" + studentId + "']");
    return row && row.querySelector("input[data-a='" + assessmentId + "']");
  }

  function applyRows(serverRows) {
    serverRows.forEach(function (sr) {
      var row = table.querySelector("tr[data-student='" + sr.student + "']");
      if (!row) return;
      data.viewpoints.forEach(function (vp) {
        row.querySelector(".pct[data-vp=" + vp + "]").textContent = sr.percentages[vp];
        var cell = row.querySelector(".lvl[data-vp=" + vp + "]");
        if (cell.firstChild) cell.firstChild.nodeValue = sr.levels[vp] || ""; else cell.textContent = sr.levels[vp] || "";
      });
      var rc = row.querySelector(".rating");
      if (!rc) return;
      if (rc.firstChild) rc.firstChild.nodeValue = sr.rating || ""; else rc.textContent = sr.rating || "";
    });
  }

  var saving = false;
  function save() {
    if (!writable || saving) return;
    var dirty = Array.prototype.slice.call(table.querySelectorAll("input.dirty"));
    var invalid = table.querySelectorAll("input.invalid");
    if (invalid.length) { invalid[0].focus(); say("赤枠のセル (" + invalid.length + " 件) を直してから保存してください。何も保存していません。", "error"); return; }
    if (!dirty.length) { say("変更はありません。", ""); return; }
    var reasonInput = document.getElementById("grid-reason");
    var body = {
      reason: reasonInput ? reasonInput.value : "",
      cells: dirty.map(function (i) {
        return { student: i.closest("tr").dataset.student, assessment: i.dataset.a, text: i.value, version: parseInt(i.dataset.v, 10) || 0 };
      })
    };
    var csrf = table.dataset.csrf || "";
    saving = true;
    say("保存しています…", "");
    fetch(table.dataset.saveUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.json().then(function (json) { return [resp.status, json]; });
    }).then(function (res) {
      var code = res[0], json = res[1];
      if (code === 200) {
        dirty.forEach(function (i) { i.dataset.orig = i.value; i.classList.remove("dirty"); });
        json.versions.forEach(function (v) { var c = cellOf(v.student, v.assessment); if (c) c.dataset.v = v.version; });
        applyRows(json.rows);
        say(json.message, "success");
      } else if (code === 409) {
        (json.conflicts || []).forEach(function (p) {
          var c = cellOf(p.student, p.assessment);
          if (!c) return;
          c.dataset.v = p.version; // the next save deliberately replaces the current value
          c.dataset.current = p.current || "";
          c.classList.add("conflict");
          c.setAttribute("aria-invalid", "true");
          c.title = "他の人が先に変更しました。現在の値: " + (p.current || "(空欄)") + " ／ あなたの入力: " + (c.value || "(空欄)") + "。このまま保存すると上書きします (Esc で現在の値に戻す)。";
          var note = c.parentNode.querySelector(".current") || c.parentNode.appendChild(document.createElement("span"));
          note.className = "current";
          note.textContent = "現在: " + (p.current || "空欄");
        });
        say(json.message, "error");
      } else {
        (json.errors || []).forEach(function (p) {
          var c = cellOf(p.student, p.assessment);
          if (c) { c.classList.add("invalid"); c.title = p.message; c.setAttribute("aria-invalid", "true"); note(c, p.message); }
        });
        say(json.message || "保存できませんでした。", "error");
      }
      showDirty();
    }).catch(function () {
      say("通信できませんでした。入力はこの画面に残っています。もう一度保存してください。", "error");
    }).then(function () { saving = false; });
  }

  var button = document.getElementById("grid-save");
  if (button) button.addEventListener("click", save);
  window.addEventListener("beforeunload", function (e) {
    if (dirtyCount()) { e.preventDefault(); e.returnValue = ""; }
  });
  grid.forEach(function (cells) { cells.forEach(validate); });

  // The grid fills the screen below its bar: the page itself need not scroll to reach the last
  // student, so the bar with the save button stays in view.
  var wrap = table.closest(".grid-wrap");
  function fit() { wrap.style.setProperty("--grid-top", Math.round(wrap.getBoundingClientRect().top + window.scrollY) + "px"); }
  fit();
  window.addEventListener("resize", fit);
})();
