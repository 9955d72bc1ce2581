// Front-Channel Logout 1.0: once every application's logout page has loaded
// in its frame (or after a few seconds), continue to where the app asked.
// Served as a file so the Content-Security-Policy needs no 'unsafe-inline'.
(function () {
  var link = document.getElementById("continue");
  if (!link) return;
  var frames = Array.prototype.slice.call(document.querySelectorAll("iframe.frontchannel"));
  var left = frames.length;
  var done = false;
  function go() {
    if (!done) { done = true; window.location.replace(link.href); }
  }
  frames.forEach(function (frame) {
    frame.addEventListener("load", function () { left -= 1; if (left <= 0) go(); });
  });
  if (left === 0) go();
  setTimeout(go, 4000);
})();
