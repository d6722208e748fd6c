"""The style sheet and the script of docs/side_by_side.html (make_side_by_side.py writes them in).

The script builds the two-level view from the page's own lines and the alignments that
make_side_by_side.py computed with difflib (the JSON in <script id="diffs">); it needs no
library and no network. The address keeps the view: #view=1-4, #view=3b-4&lesson, #view=all.
"""

CSS = """
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1d;
       background: #fafafa; }
header { padding: 12px 20px 6px; }
h1 { font-size: 1.35em; margin: 0 0 4px; }
header p { margin: 4px 0; max-width: 110em; }
.controls { margin: 8px 0 4px; display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
.controls button, .controls select { font: inherit; padding: 3px 10px; border: 1px solid #888;
    border-radius: 4px; background: #fff; cursor: pointer; }
.controls button[aria-pressed="true"] { background: #1d4f91; color: #fff; border-color: #1d4f91; }
.controls .sep { width: 1px; height: 1.6em; background: #bbb; margin: 0 4px; }
.legend span { padding: 0 6px; margin-right: 4px; }
.toc { margin: 4px 0; font-size: 0.9em; }
details.hidden-list { margin: 4px 0; font-size: 0.9em; max-width: 110em; }
details.hidden-list ul { margin: 2px 0 6px; padding-left: 1.4em; }
details.hidden-list code { font-size: 0.95em; }
.grid { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 0 8px;
        padding: 0 12px 40px; }
.colhead { position: sticky; top: 0; z-index: 2; background: #e8eef6; border-bottom: 2px solid #1d4f91;
           padding: 6px 8px; font-weight: 600; box-shadow: 4px 0 0 #fafafa, -4px 0 0 #fafafa; }
.colhead a { font-weight: normal; font-size: 0.85em; }
.rowhead { grid-column: 1 / -1; margin-top: 18px; border-top: 1px solid #bbb; padding-top: 6px; }
.rowhead h2 { font-size: 1.15em; margin: 0 0 4px; }
.eq { margin: 2px 0 6px; }
.eq math { font-size: 1.1em; text-align: left; margin: 2px 0; }
.eq p { margin: 0 0 4px; color: #444; font-size: 0.9em; }
.cell { min-width: 0; background: #fff; border: 1px solid #ddd; border-radius: 4px; }
.cell.wide { grid-column: 1 / -1; }
.cell.wide pre.code { column-count: 3; column-gap: 16px; column-rule: 1px solid #eee; }
body.wrap .cell.wide pre.code { column-count: 2; }
.cell.wide .l { break-inside: avoid; }
.cell.empty p, .only-note, .split .note { color: #777; font-style: italic; padding: 6px 8px;
    margin: 0; font-size: 0.9em; }
.only-note { grid-column: 1 / -1; padding: 2px 0 4px; }
.cell .label { display: none; }
pre.code { margin: 0; padding: 4px 0; font-size: 10.5px; line-height: 1.35;
           font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; }
.l { padding: 0 6px 0 10px; border-left: 4px solid transparent; white-space: pre;
     overflow: hidden; text-overflow: ellipsis; }
body.wrap .l { white-space: pre-wrap; overflow-wrap: anywhere; overflow: visible;
               text-indent: -4px; }
.l.g { border-left-style: dotted; border-left-color: #bbb; }
body.all .l.doc { display: none; }
body.all.docs .l.doc { display: block; }
body.lesson .l.g, body.lesson.all.docs .l.g { display: none; }
.gm, .split .hn { display: none; color: #777; font-size: 10.5px; font-style: italic;
    padding: 0 6px 0 14px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
body.lesson .gm { display: block; }
body.lesson .split .hn { display: block; }
.split .hn.none { visibility: hidden; }
body.lesson .l.dd { text-indent: -4ch; }
body.lesson.wrap .l.dd { text-indent: calc(-4px - 4ch); }
.mark-lesson, body.all .lesson-l, .split .right .lesson-s { background: #fff0c2;
    border-left-color: #d99a00; border-left-style: solid; }
.mark-respelled, body.all .respelled-l, .split .right .respelled-s { background: #e9f2fb;
    border-left-color: #8fb3dc; border-left-style: solid; }
.mark-glue, body.all .glue-l, .split .right .glue-s { background: #efefef;
    border-left-color: #999; border-left-style: solid; }
.mark-gone, .split .left .gone-s { background: #fbe3e3; border-left-color: #c55;
    border-left-style: solid; }
.mark-changed, .split .ch { background: rgba(217, 154, 0, 0.35); border-radius: 2px; }
.split .left .ch { background: rgba(204, 85, 85, 0.3); }
.split { display: none; grid-column: 1 / -1; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr);
         gap: 0 8px; }
body.pair .split { display: grid; }
.split .side { min-width: 0; background: #fff; border-left: 1px solid #ddd; border-right: 1px solid #ddd; }
.split .side.blank { background: repeating-linear-gradient(45deg, #f4f4f4, #f4f4f4 4px, #fbfbfb 4px,
    #fbfbfb 8px); }
.split .side .l { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px;
    line-height: 1.35; white-space: pre-wrap; overflow-wrap: anywhere; overflow: visible;
    padding-left: 4.2em; text-indent: -4px; position: relative; }
.split .side .l::before { content: attr(data-n); position: absolute; left: 0; width: 3em;
    text-align: right; color: #999; text-indent: 0; }
body.lesson .split .side .l.dd { text-indent: calc(-4px - 4ch); }
.split .note { grid-column: 1 / -1; }
body.pair .cell, body.pair .only-note { display: none; }
body.pair .colhead.off { display: none; }
body.pair .grid { grid-template-columns: repeat(2, minmax(0, 1fr)); }
.numbers { grid-column: 1 / -1; margin-top: 8px; }
.numbers h3 { font-size: 1em; margin: 6px 0 2px; }
.numbers p { margin: 2px 0 6px; font-size: 0.9em; color: #333; }
.scroll { overflow-x: auto; }
.numbers table { border-collapse: collapse; font-size: 12px; width: 100%; }
.numbers th, .numbers td { border: 1px solid #ddd; padding: 2px 6px; text-align: left;
    font-variant-numeric: tabular-nums; }
.numbers th.formula { font-weight: normal; font-family: monospace; }
.numbers .shown, .numbers .between { color: #666; font-size: 0.9em; }
.numbers td.hidden-q { color: #999; font-style: italic; }
@media (max-width: 1000px) {
  .grid, body.pair .grid { grid-template-columns: minmax(0, 1fr); }
  .colhead { display: none; }
  body.pair .colhead:not(.off) { display: block; position: static; }
  .cell .label { display: block; background: #e8eef6; padding: 3px 8px; font-weight: 600; }
  .cell { margin-bottom: 8px; }
  .cell.wide pre.code { column-count: 1; }
  .l { white-space: pre-wrap; overflow-wrap: anywhere; overflow: visible; text-indent: -4px; }
  pre.code { font-size: 11px; }
  .split .side .l { font-size: 11px; padding-left: 3.4em; }
  .split .side .l::before { width: 2.6em; }
}
"""

SCRIPT = r"""
(function () {
  var data = JSON.parse(document.getElementById('diffs').textContent);
  var names = data.names;                       /* "1", "2", "3", "3b", "4" */
  var body = document.body;
  var left = document.getElementById('left'), right = document.getElementById('right');
  var lessonButton = document.getElementById('lesson');
  var state = {pair: null, lesson: false};

  function linesOf(row, col) {
    var cell = document.querySelector('.cell[data-row="' + row + '"][data-col="' + col + '"]');
    return cell ? cell.querySelectorAll('.l') : [];
  }
  function markRanges(el, ranges) {           /* wrap the characters [start, end) in span.ch */
    if (!ranges.length) { return; }
    var walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT), nodes = [], node;
    while ((node = walker.nextNode())) { nodes.push(node); }
    var offset = 0;
    nodes.forEach(function (text) {
      var start = offset, end = offset + text.data.length, pieces = [], at = start;
      offset = end;
      ranges.forEach(function (r) {
        var a = Math.max(r[0], start), b = Math.min(r[1], end);
        if (a < b) { pieces.push([a, b]); }
      });
      if (!pieces.length) { return; }
      var frag = document.createDocumentFragment();
      pieces.forEach(function (p) {
        if (p[0] > at) { frag.appendChild(document.createTextNode(text.data.slice(at - start, p[0] - start))); }
        var span = document.createElement('span');
        span.className = 'ch';
        span.textContent = text.data.slice(p[0] - start, p[1] - start);
        frag.appendChild(span);
        at = p[1];
      });
      if (at < end) { frag.appendChild(document.createTextNode(text.data.slice(at - start))); }
      text.parentNode.replaceChild(frag, text);
    });
  }
  var MARKS = {L: 'lesson-s', R: 'respelled-s', G: 'glue-s', X: 'gone-s'};
  function side(lines, index, ranges, mark, which) {
    var box = document.createElement('div');
    box.className = 'side ' + which + (index === null ? ' blank' : '');
    if (index !== null) {
      var original = lines[index], line = original.cloneNode(true);
      line.className = 'l' + (original.classList.contains('dd') ? ' dd' : '') +
                       (mark ? ' ' + MARKS[mark] : '');
      markRanges(line, ranges);
      box.appendChild(line);
    }
    return box;
  }
  function render() {
    var a = state.pair[0], b = state.pair[1];
    var rows = data.pairs[a + '-' + b][state.lesson ? 'lesson' : 'full'];
    document.querySelectorAll('.split').forEach(function (box) {
      var row = Number(box.getAttribute('data-row')), frag = document.createDocumentFragment();
      var L = linesOf(row, a), R = linesOf(row, b);
      if (!rows[row].length) {
        var note = document.createElement('p');
        note.className = 'note';
        note.textContent = [a, b].map(function (col) {
          var empty = document.querySelector('.cell[data-row="' + row + '"][data-col="' + col + '"] p');
          return empty ? empty.textContent : '';
        }).join(' ');
        frag.appendChild(note);
      }
      rows[row].forEach(function (r) {
        if (r[6]) {                              /* lesson only: lines hidden before this row */
          r[6].forEach(function (n, k) {
            var note = document.createElement('div');
            note.className = 'hn ' + (k ? 'right' : 'left') + (n ? '' : ' none');
            note.textContent = '\u22ef ' + n + ' line' + (n === 1 ? '' : 's') + ' of glue hidden';
            frag.appendChild(note);
          });
        }
        if (r[0] === null && r[1] === null) { return; }
        frag.appendChild(side(L, r[0], r[2], r[4], 'left'));
        frag.appendChild(side(R, r[1], r[3], r[5], 'right'));
      });
      box.replaceChildren(frag);
    });
  }
  function address() {
    var view = state.pair ? names[state.pair[0]] + '-' + names[state.pair[1]] : 'all';
    history.replaceState(null, '', '#view=' + view + (state.lesson ? '&lesson' : ''));
  }
  function show() {
    body.classList.toggle('pair', !!state.pair);
    body.classList.toggle('all', !state.pair);
    body.classList.toggle('lesson', state.lesson);
    lessonButton.setAttribute('aria-pressed', String(state.lesson));
    document.querySelectorAll('.colhead').forEach(function (el) {
      var col = Number(el.getAttribute('data-col'));
      el.classList.toggle('off', !!state.pair && state.pair.indexOf(col) < 0);
    });
    var view = state.pair ? state.pair.join('-') : 'all';
    document.querySelectorAll('.controls button[data-view]').forEach(function (button) {
      button.setAttribute('aria-pressed', String(button.getAttribute('data-view') === view));
    });
    if (state.pair) {
      left.value = String(state.pair[0]);
      right.value = String(state.pair[1]);
      render();
    }
  }
  function choose(pair) {                      /* the lower level always on the left */
    state.pair = pair && pair[0] !== pair[1] ? [Math.min(pair[0], pair[1]), Math.max(pair[0], pair[1])]
                                             : null;
    show();
    address();
  }
  document.querySelectorAll('.controls button[data-view]').forEach(function (button) {
    button.addEventListener('click', function () {
      var view = button.getAttribute('data-view');
      choose(view === 'all' ? null : view.split('-').map(Number));
    });
  });
  function fromSelects(changed) {
    var a = Number(left.value), b = Number(right.value);
    if (a === b) {                            /* the same level twice: move the other one */
      if (changed === left) { b = a < names.length - 1 ? a + 1 : a - 1; }
      else { a = b > 0 ? b - 1 : b + 1; }
    }
    choose([a, b]);
  }
  left.addEventListener('change', function () { fromSelects(left); });
  right.addEventListener('change', function () { fromSelects(right); });
  lessonButton.addEventListener('click', function () {
    state.lesson = !state.lesson;
    show();
    address();
  });
  ['wrap', 'docs'].forEach(function (name) {
    var button = document.getElementById(name);
    button.addEventListener('click', function () {
      var on = !body.classList.contains(name);
      body.classList.toggle(name, on);
      button.setAttribute('aria-pressed', String(on));
    });
  });
  function fromAddress() {                     /* side_by_side.html#view=1-4, #view=3b-4&lesson */
    var parts = location.hash.replace(/^#/, '').split('&'), pair = null;
    var view = /^view=([0-9b]+)-([0-9b]+)$/.exec(parts[0]);
    if (view && names.indexOf(view[1]) >= 0 && names.indexOf(view[2]) >= 0) {
      pair = [names.indexOf(view[1]), names.indexOf(view[2])];
    }
    state.lesson = parts.indexOf('lesson') > 0;
    state.pair = pair && pair[0] !== pair[1] ? [Math.min(pair[0], pair[1]), Math.max(pair[0], pair[1])]
                                             : null;
    show();
  }
  window.addEventListener('hashchange', fromAddress);
  fromAddress();
})();
"""
