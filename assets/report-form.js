// The report form's checks before uploading: a file of a type the server refuses, or over
// the size limits, is named at once and the form is not sent, so nothing typed waits on an
// upload that will fail. The server checks everything again.
(function () {
  "use strict";
  var input = document.getElementById("evidence");
  if (!input) return;
  var box = document.getElementById("evidence-error");
  var form = input.form;
  var accepted = (input.getAttribute("accept") || "").split(",").map(function (e) {
    return e.trim().toLowerCase();
  });
  var maxFile = Number(input.dataset.maxFile);
  var maxReport = Number(input.dataset.maxReport);

  function problems() {
    var out = [];
    var total = 0;
    Array.prototype.forEach.call(input.files, function (f) {
      var dot = f.name.lastIndexOf(".");
      var ext = dot >= 0 ? f.name.slice(dot).toLowerCase() : "";
      if (accepted.indexOf(ext) < 0) {
        out.push(input.dataset.msgType.replace("{file}", f.name));
      } else if (f.size > maxFile) {
        out.push(input.dataset.msgSize.replace("{file}", f.name));
      }
      total += f.size;
    });
    if (total > maxReport) out.push(input.dataset.msgTotal);
    return out;
  }

  function show(list) {
    box.textContent = "";
    list.forEach(function (m) {
      var p = document.createElement("p");
      p.textContent = m;
      box.appendChild(p);
    });
    box.hidden = list.length === 0;
    if (list.length) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", "evidence-error");
    } else {
      input.removeAttribute("aria-invalid");
    }
  }

  input.addEventListener("change", function () {
    show(problems());
  });
  form.addEventListener("submit", function (event) {
    var list = problems();
    if (list.length) {
      event.preventDefault();
      show(list);
      input.focus();
    }
  });
})();
