/* govbadge rendered check: run in the loaded page (Runtime.evaluate). Finds every badge in the
   rendered DOM (links to the badge service's verification page, badge images, the national
   CONAC badge) and measures each as a visitor sees it. Returns plain data; the verdict is
   decided in Rust (src/render/verdict.rs). __BASE__ is the badge service's base URL. */
(function (base) {
  var doc = document, win = window;
  var root = doc.documentElement;
  var scrollTop = function () { return win.pageYOffset || root.scrollTop || 0; };
  var scrollLeft = function () { return win.pageXOffset || root.scrollLeft || 0; };
  var pageWidth = Math.max(root.scrollWidth, root.clientWidth, win.innerWidth || 0);
  var pageHeight = Math.max(root.scrollHeight, doc.body ? doc.body.scrollHeight : 0, win.innerHeight || 0);
  win.scrollTo(0, 0);

  // The bottom of the content: the lowest visible box in the document (a short page's footer
  // ends well above the window's bottom edge).
  var contentBottom = 0;
  var all = doc.body ? doc.body.getElementsByTagName("*") : [];
  for (var i = 0; i < all.length && i < 20000; i++) {
    var r = all[i].getBoundingClientRect();
    if (r.width > 0 && r.height > 0 && r.bottom > contentBottom) { contentBottom = r.bottom; }
  }
  contentBottom = Math.min(contentBottom, pageHeight);

  var verify = base + "/verify/";
  var image = base + "/badge/";
  var found = [];
  var seen = [];
  function add(el, target, kind, href) {
    for (var s = 0; s < seen.length; s++) { if (seen[s] === target) { return; } }
    seen.push(target);
    found.push({ el: el, target: target, kind: kind, href: href });
  }
  var links = doc.getElementsByTagName("a");
  for (var a = 0; a < links.length; a++) {
    var href = links[a].href || "";
    var img = links[a].getElementsByTagName("img")[0] || null;
    if (href.indexOf(verify) === 0) {
      add(links[a], img || links[a], "govbadge", href);
    } else if (/^https?:\/\/bszs\.conac\.cn\/sitename/i.test(href)) {
      add(links[a], img || links[a], "conac", href);
    }
  }
  var imgs = doc.getElementsByTagName("img");
  for (var m = 0; m < imgs.length; m++) {
    var src = imgs[m].src || "";
    if (src.indexOf(image) === 0 && /\.svg(\?|$)/.test(src)) {
      add(imgs[m], imgs[m], "govbadge", src);
    }
  }

  var badges = [];
  for (var f = 0; f < found.length && f < 20; f++) {
    var t = found[f].target;
    var box = t.getBoundingClientRect();
    var x = box.left + scrollLeft(), y = box.top + scrollTop();
    // Styles up the tree: display:none anywhere, visibility, opacity multiplied, and the
    // clipping of every ancestor that hides its overflow.
    var displayed = true, opacity = 1, visible = true;
    var clip = { l: box.left, t: box.top, r: box.right, b: box.bottom };
    var style = win.getComputedStyle(t);
    if (style.visibility === "hidden" || style.visibility === "collapse") { visible = false; }
    for (var n = t; n && n.nodeType === 1; n = n.parentElement) {
      var st = win.getComputedStyle(n);
      if (st.display === "none") { displayed = false; }
      opacity *= parseFloat(st.opacity || "1");
      if (n !== t && (st.overflowX !== "visible" || st.overflowY !== "visible") && n !== root && n !== doc.body) {
        var c = n.getBoundingClientRect();
        clip = { l: Math.max(clip.l, c.left), t: Math.max(clip.t, c.top), r: Math.min(clip.r, c.right), b: Math.min(clip.b, c.bottom) };
      }
    }
    var area = Math.max(0, box.width) * Math.max(0, box.height);
    var shown = Math.max(0, clip.r - clip.l) * Math.max(0, clip.b - clip.t);
    // What a visitor's click at the badge's centre reaches, with the badge scrolled into view.
    var coveredBy = null;
    if (displayed && area > 0) {
      win.scrollTo(0, Math.max(0, y + box.height / 2 - win.innerHeight / 2));
      var now = t.getBoundingClientRect();
      var cx = now.left + now.width / 2, cy = now.top + now.height / 2;
      if (cx >= 0 && cy >= 0 && cx < win.innerWidth && cy < win.innerHeight) {
        var hit = doc.elementFromPoint(cx, cy);
        if (hit && hit !== t && !t.contains(hit) && !hit.contains(t) && !found[f].el.contains(hit)) {
          coveredBy = hit.tagName.toLowerCase() + (hit.id ? "#" + hit.id : "") +
            (typeof hit.className === "string" && hit.className ? "." + hit.className.split(/\s+/)[0] : "");
        }
      }
      win.scrollTo(0, 0);
    }
    badges.push({
      kind: found[f].kind,
      href: found[f].href.slice(0, 500),
      x: x, y: y, width: box.width, height: box.height,
      displayed: displayed, visible: visible, opacity: opacity,
      shown_fraction: area > 0 ? shown / area : 0,
      covered_by: coveredBy,
      // An image that did not load (the badge service unreachable) is drawn as its alt text:
      // its size says nothing of the page's markup.
      image_failed: t.tagName === "IMG" && t.complete && t.naturalWidth === 0
    });
  }
  return {
    page_width: pageWidth, page_height: pageHeight, content_bottom: contentBottom,
    viewport_width: win.innerWidth, viewport_height: win.innerHeight, badges: badges
  };
})(__BASE__)
