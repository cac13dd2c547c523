/* govbadge portal: "copy" buttons for the install snippet, and the long region pickers. Pages work without it. */
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

/* Region pickers whose divisions are too many to carry in the page (`data-src`): the list is
   fetched once, on the field's first focus, and narrowed to the office's area (`data-prefix`).
   Without it, a division is still taken typed by name or code. */
(function () {
  var lists = document.querySelectorAll("datalist[data-src]");
  Array.prototype.forEach.call(lists, function (list) {
    var asked = false;
    var fill = function () {
      if (asked || !window.fetch) { return; }
      asked = true;
      var prefix = list.getAttribute("data-prefix") || "";
      fetch(list.getAttribute("data-src"), { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (pairs) {
          var options = document.createDocumentFragment();
          pairs.forEach(function (pair) {
            if (pair[0].indexOf(prefix) === 0) {
              var option = document.createElement("option");
              option.value = pair[1];
              options.appendChild(option);
            }
          });
          list.appendChild(options);
        })
        .catch(function () { asked = false; });
    };
    var fields = document.querySelectorAll("input[list]");
    Array.prototype.forEach.call(fields, function (field) {
      if (field.getAttribute("list") === list.id) { field.addEventListener("focus", fill); }
    });
  });
})();
