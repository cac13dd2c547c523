/* govbadge portal: "copy" buttons for the install snippet. Pages work without it. */
(function () {
  var boxes = document.querySelectorAll("textarea.snippet");
  Array.prototype.forEach.call(boxes, function (box) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = "复制代码";
    button.addEventListener("click", function () {
      box.select();
      var done = function () { button.textContent = "已复制"; };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(box.value).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
    });
    box.parentNode.insertBefore(button, box.nextSibling);
  });
})();
