/* govbadge: the 党政机关网站标识 badge script. Served per code as /badge/<code>.js with its
   data in place of __DATA__. It upgrades the static link and image in place: it never writes
   into the document stream, sets no cookies and talks only to the badge service; errors never
   reach the host page. */
(function (D) {
  try {
    var doc = document;
    var me = doc.currentScript;
    if (!me) {
      var all = doc.getElementsByTagName("script");
      for (var i = 0; i < all.length; i++) {
        if ((all[i].src || "").indexOf("/badge/" + D.c + ".js") >= 0) { me = all[i]; }
      }
    }
    var box = me && me.parentNode;
    if (!box) { return; }
    var link = null;
    var links = box.getElementsByTagName("a");
    for (var j = 0; j < links.length; j++) {
      if ((links[j].href || "").indexOf("/verify/" + D.c) >= 0) { link = links[j]; }
    }
    if (!link) {
      link = doc.createElement("a");
      link.href = D.b + "/verify/" + D.c;
      link.target = "_blank";
      link.rel = "noopener";
      box.insertBefore(link, me);
    }
    var img = link.getElementsByTagName("img")[0];
    if (!img) {
      img = doc.createElement("img");
      img.width = D.w;
      img.height = D.t;
      img.style.border = "0";
      link.appendChild(img);
    }
    var host = (location.hostname || "").toLowerCase().replace(/\.$/, "");
    var bare = host.replace(/^www\./, "");
    var ok = false;
    for (var k = 0; k < D.h.length; k++) {
      if (D.h[k] === host || D.h[k] === bare || D.h[k] === "www." + bare) { ok = true; }
    }
    var variant = ok ? D.s : "mismatch";
    img.src = D.b + "/badge/" + D.c + ".svg?v=" + variant;
    img.alt = ok ? D.a : "本网站标识与所在网站不符";
    link.title = img.alt;
    if (!ok && navigator.sendBeacon) {
      navigator.sendBeacon(D.b + "/badge/" + D.c + "/sighting", host);
    }
  } catch (e) {
    /* never break the host page */
  }
})(__DATA__);
