// Small enhancements; every page works without them.
(function () {
  "use strict";
  // A progress indicator for long work (clearing and matching runs, uploads):
  // the form still posts normally, and the button cannot be pressed twice.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.progress) { return; }
    if (form.dataset.busy) { event.preventDefault(); return; }
    form.dataset.busy = "1";
    var buttons = form.querySelectorAll("button[type=submit]");
    window.setTimeout(function () {
      buttons.forEach(function (b) { b.disabled = true; });
    }, 0);
    var note = document.createElement("div");
    note.className = "busy";
    note.setAttribute("role", "status");
    note.setAttribute("aria-live", "polite");
    var bar = document.createElement("progress");
    bar.setAttribute("aria-label", form.dataset.progress);
    var text = document.createElement("span");
    text.textContent = form.dataset.progress;
    note.appendChild(bar);
    note.appendChild(text);
    form.appendChild(note);
  });
  // Move focus to the first field with an error, so keyboard users land on it.
  document.addEventListener("DOMContentLoaded", function () {
    var bad = document.querySelector("[aria-invalid=true]");
    if (bad) { bad.focus(); }
  });
}());
