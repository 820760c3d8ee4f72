// keel demo: the guestbook's live feed. Opens a WebSocket to /guestbook/live and
// adds each new entry to the list without a reload (on the first page only: the
// newest entries are there). Entries are built with textContent: a visitor's
// text is never parsed as HTML. The server's markup is views/guestbook.ts.
'use strict';
(function () {
  var list = document.querySelector('ol.entries');
  var status = document.getElementById('live-status');
  // The entry count is the page's only h2 (views/guestbook.ts); the number is kept on the status line.
  var count = document.querySelector('h2');
  if (!list || !status || typeof WebSocket === 'undefined') return;
  if (status.getAttribute('data-page') !== '1') return;
  var scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  var socket = new WebSocket(scheme + '//' + location.host + '/guestbook/live');

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function show(entry) {
    if (document.getElementById('entry-' + entry.id)) return;
    var iso = new Date(entry.createdMs).toISOString();
    var li = el('li', 'entry');
    li.id = 'entry-' + entry.id;
    var meta = el('p', 'meta');
    meta.appendChild(el('strong', '', entry.name));
    meta.appendChild(document.createTextNode(' wrote on '));
    var time = el('time', '', iso.slice(0, 16).replace('T', ' ') + ' UTC');
    time.setAttribute('datetime', iso);
    meta.appendChild(time);
    meta.appendChild(document.createTextNode(':'));
    li.appendChild(meta);
    li.appendChild(el('p', 'message', entry.message));
    list.insertBefore(li, list.firstChild);
    if (count) {
      var n = Number(status.getAttribute('data-count')) + 1;
      status.setAttribute('data-count', String(n));
      count.textContent = n + (n === 1 ? ' entry' : ' entries');
    }
  }

  socket.addEventListener('open', function () {
    status.setAttribute('data-live', 'open');
  });
  socket.addEventListener('message', function (event) {
    var data = JSON.parse(event.data);
    if (data.type === 'entry') show(data.entry);
  });
  socket.addEventListener('close', function () {
    status.setAttribute('data-live', 'closed');
    status.textContent = 'The live feed is closed; reload to see new entries.';
  });
})();
