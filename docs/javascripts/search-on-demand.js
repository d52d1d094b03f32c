// The search index (several hundred kB) loads when the reader reaches for search, not with every page.
// Material's bundle requests search/search_index.json with XMLHttpRequest as soon as a page loads; this
// script (loaded before the bundle, overrides/main.html) holds that one request back until the search box
// gets focus (click, tap, or the f / s / "/" shortcuts), the search toggle is used, or the page was opened
// from a search (?q= or ?h= in its address). Every other request goes through untouched.
(function () {
  var open = XMLHttpRequest.prototype.open;
  var send = XMLHttpRequest.prototype.send;
  var held = [];
  var released = false;

  function release() {
    if (released) return;
    released = true;
    held.splice(0).forEach(function (request) { send.apply(request[0], request[1]); });
  }

  XMLHttpRequest.prototype.open = function (method, url) {
    this.mlpgeoSearchIndex = /search\/search_index\.json(\?|$)/.test(String(url));
    return open.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function () {
    if (this.mlpgeoSearchIndex && !released) {
      held.push([this, arguments]);
      return;
    }
    return send.apply(this, arguments);
  };

  if (/[?&](q|h)=/.test(location.search)) release();
  function engaged(event) {
    var target = event.target;
    if (target && target.closest && target.closest(".md-search, [for='__search'], #__search")) release();
  }
  document.addEventListener("focusin", engaged, true);
  document.addEventListener("pointerdown", engaged, true);
  document.addEventListener("change", engaged, true);
})();
