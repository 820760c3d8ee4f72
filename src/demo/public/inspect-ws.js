// keel demo: the WebSocket inspector. Opens a socket to /inspect/ws/echo, shows
// the handshake the server reports, and a row per frame: the frames each message
// arrived in (reported by the server) and the frame of its echo. The server sends
// a report, then the echo, for every message (controllers/inspect.ts).
'use strict';
(function () {
  var status = document.getElementById('ws-status');
  var rows = document.getElementById('ws-frames');
  var form = document.getElementById('ws-form');
  var input = document.getElementById('ws-text');
  if (!status || !rows || !form || !input || typeof WebSocket === 'undefined') return;
  var OPCODES = { 0: 'continuation', 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong' };
  var scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  var socket = new WebSocket(scheme + '//' + location.host + '/inspect/ws/echo');
  socket.binaryType = 'arraybuffer';
  var lastReport = null;

  // Shows a head's lines with CR LF made visible, as the /inspect page does.
  function showHead(id, text) {
    var pre = document.getElementById(id);
    if (!pre) return;
    pre.textContent = '';
    var lines = text.split('\r\n');
    for (var i = 0; i < lines.length - 1; i++) {
      var line = document.createElement('span');
      line.className = 'line';
      line.textContent = lines[i];
      var crlf = document.createElement('span');
      crlf.className = 'crlf';
      crlf.textContent = '\\r\\n';
      line.appendChild(crlf);
      pre.appendChild(line);
      pre.appendChild(document.createTextNode('\n'));
    }
  }

  function addRow(direction, frame, payload) {
    var tr = document.createElement('tr');
    var cells = [
      direction,
      frame.fin ? '1' : '0',
      frame.rsv1 ? '1' : '0',
      frame.opcode + ' (' + (OPCODES[frame.opcode] || 'reserved') + ')',
      frame.masked ? '1' : '0',
      String(frame.payloadLength),
      payload,
    ];
    for (var i = 0; i < cells.length; i++) {
      var td = document.createElement('td');
      td.textContent = cells[i];
      if (i === cells.length - 1) td.className = 'payload';
      tr.appendChild(td);
    }
    rows.appendChild(tr);
  }

  function onReport(report) {
    var m = report.message;
    var preview = (m.isBinary ? 'hex ' : '') + m.preview + (m.isTruncated ? '...' : '');
    for (var i = 0; i < report.frames.length; i++) {
      var f = report.frames[i];
      addRow('browser \u2192 keel', f, f.opcode >= 8 ? '' : preview);
    }
    if (report.omittedFrames > 0) addRow('browser \u2192 keel', { opcode: 0, payloadLength: 0 }, report.omittedFrames + ' more frames');
    lastReport = report;
  }

  socket.addEventListener('open', function () {
    status.textContent = 'Open: the connection switched from HTTP to WebSocket.';
    status.setAttribute('data-live', 'open');
    socket.send(input.value);
  });
  socket.addEventListener('message', function (event) {
    if (lastReport !== null) {
      // The echo that follows a report: its frame, as the server described it.
      var m = lastReport.message;
      addRow('keel \u2192 browser', lastReport.echo, (m.isBinary ? 'hex ' : '') + m.preview + (m.isTruncated ? '...' : ''));
      lastReport = null;
      return;
    }
    var data = JSON.parse(event.data);
    if (data.type === 'handshake') {
      showHead('ws-request', data.request);
      showHead('ws-response', data.response);
    } else if (data.type === 'frames') {
      onReport(data);
    }
  });
  socket.addEventListener('close', function (event) {
    status.textContent = 'Closed (code ' + event.code + '). Reload to open a new connection.';
    status.setAttribute('data-live', 'closed');
  });
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    if (socket.readyState !== WebSocket.OPEN) return;
    var isBinary = event.submitter && event.submitter.value === 'binary';
    socket.send(isBinary ? new TextEncoder().encode(input.value) : input.value);
  });
})();
