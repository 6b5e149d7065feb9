// The review form: a click on a kept comment (常用意见) puts it into the comment box, after
// what is already there. The server checks the comment as always.
(function () {
  "use strict";
  var box = document.getElementById("comment");
  if (!box) return;
  document.querySelectorAll("button[data-comment]").forEach(function (chip) {
    chip.addEventListener("click", function () {
      var text = chip.getAttribute("data-comment");
      var now = box.value.replace(/\s+$/, "");
      box.value = now ? now + "\n" + text : text;
      box.focus();
    });
  });
})();
