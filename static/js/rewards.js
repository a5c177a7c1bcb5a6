/* The HR rewards list: the header's checkbox ticks or clears every pending reward on the page. */
(function () {
  "use strict";
  var all = document.getElementById("select-all");
  if (!all) {
    return;
  }
  all.addEventListener("change", function () {
    document.querySelectorAll(".reward-pick").forEach(function (box) {
      box.checked = all.checked;
    });
  });
})();
