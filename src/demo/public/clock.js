// keel demo: the live clock on /time. Listens to Server-Sent Events from /time/stream
// and shows each tick; EventSource reconnects by itself after the `retry` delay.
'use strict';
(function () {
  var out = document.getElementById('live-time');
  if (!out || typeof EventSource === 'undefined') return;
  var source = new EventSource('/time/stream');
  source.addEventListener('tick', function (event) {
    var data = JSON.parse(event.data);
    out.textContent = data.iso;
    out.setAttribute('datetime', data.iso);
  });
  source.addEventListener('error', function () {
    out.textContent = 'connection lost; retrying...';
  });
})();
