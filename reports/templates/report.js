/* specguard report: renders the findings embedded as JSON, a page at a time.
   Every value is set with textContent, never parsed as HTML. */
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('sg-data').textContent);
  var S = D.strings, F = D.findings, ST = D.statuses, W = D.waivers;
  var PAGE = 50, PRINT_LIMIT = 5000;
  var PASS = ST.indexOf('pass');
  // row fields (see scanner/render/html.py _data)
  var C = 0, STA = 1, ADDR = 2, NAME = 3, TYPE = 4, SRC = 5, FILE = 6, LINE = 7, MSG = 8, EV = 9, CTX = 10, WV = 11;

  var groups = D.controls.map(function () { return []; });
  for (var i = 0; i < F.length; i++) groups[F[i][C]].push(i);
  var matched = groups.slice();
  var shown = groups.map(function () { return 0; });
  var dirty = groups.map(function () { return true; });
  var details = [];
  Array.prototype.forEach.call(document.querySelectorAll('details.ctl'), function (d) {
    details[+d.getAttribute('data-ci')] = d;
  });
  var form = document.getElementById('filters');
  var countOut = document.getElementById('f-count');
  var hay = null, resHay = null;

  function str(i) { return i < 0 ? '' : S[i]; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  // ------------------------------------------------------------------ filtering
  function buildHay() {
    hay = new Array(F.length); resHay = new Array(F.length);
    for (var i = 0; i < F.length; i++) {
      var r = F[i], w = r[WV] >= 0 ? W[r[WV]] : null;
      resHay[i] = (r[ADDR] + '\n' + str(r[NAME])).toLowerCase();
      hay[i] = [r[ADDR], str(r[NAME]), str(r[TYPE]), str(r[SRC]), str(r[FILE]), str(r[MSG]), str(r[EV]),
                str(r[CTX]), w ? w.join('\n') : ''].join('\n').toLowerCase();
    }
  }

  function readState() {
    var st = {};
    Array.prototype.forEach.call(form.querySelectorAll('input[name=status]'), function (b) {
      if (b.checked) st[ST.indexOf(b.value)] = true;
    });
    return {
      status: st,
      control: form.querySelector('#f-control').value,
      resource: form.querySelector('#f-resource').value.trim().toLowerCase(),
      q: form.querySelector('#f-search').value.trim().toLowerCase()
    };
  }

  function apply() {
    var s = readState();
    var all = s.status[0] && s.status[1] && s.status[2] && s.status[3];
    var active = !all || s.control || s.resource || s.q;
    if ((s.resource || s.q) && !hay) buildHay();
    var total = 0;
    for (var g = 0; g < groups.length; g++) {
      var id = D.controls[g][0], src = groups[g], out;
      if (s.control && s.control !== id) out = [];
      else if (!active) out = src;
      else {
        out = [];
        for (var k = 0; k < src.length; k++) {
          var i = src[k];
          if (!s.status[F[i][STA]]) continue;
          if (s.resource && resHay[i].indexOf(s.resource) < 0) continue;
          if (s.q && hay[i].indexOf(s.q) < 0) continue;
          out.push(i);
        }
      }
      matched[g] = out; total += out.length;
      var d = details[g];
      if (!d) continue;
      d.classList.toggle('hidden', !!active && out.length === 0);
      d.querySelector('.shown').textContent = active ? out.length + ' match the filter' : '';
      if (active && out.length && (s.control || s.resource || s.q)) d.open = true;
      dirty[g] = true; shown[g] = 0;
      if (d.open) renderGroup(g, PAGE);
    }
    countOut.textContent = total + ' of ' + F.length + ' findings';
  }

  // ------------------------------------------------------------------ rendering
  function evidence(i) {
    var dl = el('dl', 'ev'), raw = str(F[i][EV]);
    if (!raw) return dl;
    // one level of nesting is shown as key.sub (tags.Owner); {"unknown": why} as "unknown: why"
    function add(k, v, depth) {
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        var keys = Object.keys(v);
        if (keys.length === 1 && keys[0] === 'unknown') { add(k, 'unknown: ' + v.unknown, depth); return; }
        if (depth < 1 && keys.length) { keys.forEach(function (s) { add(k + '.' + s, v[s], depth + 1); }); return; }
      }
      dl.appendChild(el('dt', null, k));
      dl.appendChild(el('dd', null, typeof v === 'string' ? v : JSON.stringify(v)));
    }
    var ev = JSON.parse(raw);
    Object.keys(ev).forEach(function (k) { add(k, ev[k], 0); });
    return dl;
  }

  function row(i) {
    var r = F[i], tr = el('tr'), st = ST[r[STA]];
    var td = el('td'); td.appendChild(el('span', 'badge b-' + st, st)); tr.appendChild(td);
    td = el('td');
    td.appendChild(el('div', 'addr', r[ADDR]));
    if (r[NAME] >= 0) td.appendChild(el('span', 'meta', 'name: ' + str(r[NAME])));
    td.appendChild(el('span', 'meta', [str(r[TYPE]), str(r[SRC])].filter(Boolean).join(' · ')));
    if (r[FILE] >= 0) td.appendChild(el('span', 'meta', str(r[FILE]) + (r[LINE] ? ':' + r[LINE] : '')));
    if (r[CTX] >= 0) td.appendChild(el('span', 'meta', str(r[CTX])));
    tr.appendChild(td);
    td = el('td', null, str(r[MSG]));
    if (r[WV] >= 0) {
      var w = W[r[WV]];
      td.appendChild(el('span', 'wv', 'Waived: ' + w[0] + ' — approved by ' + w[1] + ', expires ' + w[2] +
                        ' (waiver for ' + w[3] + ')'));
    }
    tr.appendChild(td);
    td = el('td'); td.appendChild(evidence(i)); tr.appendChild(td);
    return tr;
  }

  function table() {
    var t = el('table', 'findings'), cg = el('colgroup');
    ['c-st', 'c-res', 'c-msg', 'c-ev'].forEach(function (c) { cg.appendChild(el('col', c)); });
    t.appendChild(cg);
    var h = el('thead'), tr = el('tr');
    ['Status', 'Resource', 'Result', 'Evidence'].forEach(function (x) { tr.appendChild(el('th', null, x)); });
    h.appendChild(tr); t.appendChild(h); t.appendChild(el('tbody'));
    return t;
  }

  function renderGroup(g, upto) {
    var d = details[g], box = d.querySelector('.rows'), list = matched[g];
    if (dirty[g]) {
      box.textContent = '';
      shown[g] = 0; dirty[g] = false;
      if (!list.length) {
        box.appendChild(el('p', 'muted', groups[g].length ? 'No finding of this control matches the filter.'
          : 'Not applicable: no resource in scope has the settings this control checks.'));
        return;
      }
      box.appendChild(table());
      box.appendChild(el('div', 'more'));
    }
    if (!list.length) return;
    var end = Math.min(list.length, upto), body = box.querySelector('tbody'), frag = document.createDocumentFragment();
    for (var k = shown[g]; k < end; k++) frag.appendChild(row(list[k]));
    body.appendChild(frag);
    shown[g] = Math.max(shown[g], end);
    moreBar(g);
  }

  function moreBar(g) {
    var d = details[g], bar = d.querySelector('.more'), list = matched[g];
    bar.textContent = '';
    bar.appendChild(el('span', 'muted', 'Showing ' + shown[g] + ' of ' + list.length));
    if (shown[g] < list.length) {
      var passLeft = 0;
      for (var k = shown[g]; k < list.length; k++) if (F[list[k]][STA] === PASS) passLeft++;
      if (passLeft) bar.appendChild(el('span', 'muted', '(' + passLeft + ' of the rest pass)'));
      var b1 = el('button', null, 'Show ' + Math.min(PAGE * 4, list.length - shown[g]) + ' more');
      b1.type = 'button';
      b1.addEventListener('click', function () { renderGroup(g, shown[g] + PAGE * 4); });
      var b2 = el('button', null, 'Show all ' + list.length);
      b2.type = 'button';
      b2.addEventListener('click', function () { renderGroup(g, list.length); });
      bar.appendChild(b1); bar.appendChild(b2);
    }
  }

  // ------------------------------------------------------------------ printing
  // Non-passing findings first, then passing ones, up to PRINT_LIMIT rows in all.
  function expandForPrint() {
    var budget = PRINT_LIMIT, want = groups.map(function () { return 0; });
    var nonpass = matched.map(function (list) {
      var n = 0; while (n < list.length && F[list[n]][STA] !== PASS) n++; return n;
    });
    for (var g = 0; g < groups.length; g++) { want[g] = Math.min(nonpass[g], budget); budget -= want[g]; }
    for (g = 0; g < groups.length; g++) {
      var extra = Math.min(matched[g].length - want[g], budget); want[g] += extra; budget -= extra;
    }
    for (g = 0; g < groups.length; g++) {
      var d = details[g];
      if (!d || !matched[g].length) continue;
      d.open = true;
      renderGroup(g, want[g]);
      var bar = d.querySelector('.more');
      if (want[g] < matched[g].length) {
        bar.appendChild(el('span', null, (matched[g].length - want[g]) + ' more findings of this control are ' +
          'not printed (' + PRINT_LIMIT + ' rows at most); every finding is in the HTML report and the JSON results.'));
      }
    }
  }

  // ------------------------------------------------------------------ wiring
  var timer = null;
  function later() { clearTimeout(timer); timer = setTimeout(apply, 120); }
  form.addEventListener('submit', function (e) { e.preventDefault(); apply(); });
  form.addEventListener('change', apply);
  form.querySelector('#f-resource').addEventListener('input', later);
  form.querySelector('#f-search').addEventListener('input', later);
  document.getElementById('f-reset').addEventListener('click', function () { form.reset(); apply(); });
  details.forEach(function (d, g) {
    if (!d) return;
    d.addEventListener('toggle', function () { if (d.open && (dirty[g] || !shown[g])) renderGroup(g, PAGE); });
  });
  var unk = document.getElementById('show-unknowns');
  if (unk) unk.addEventListener('click', function () {
    form.reset();
    Array.prototype.forEach.call(form.querySelectorAll('input[name=status]'), function (b) {
      b.checked = b.value === 'unknown';
    });
    apply();
    details.forEach(function (d, g) { if (d && matched[g].length) { d.open = true; } });
    document.getElementById('detail').scrollIntoView();
  });
  function openHash() {
    var t = location.hash && document.getElementById(location.hash.slice(1));
    if (t && t.tagName === 'DETAILS') t.open = true;
  }
  window.addEventListener('hashchange', openHash);
  window.addEventListener('beforeprint', expandForPrint);

  apply();
  openHash();
  // the search text of 100,000 findings takes a few hundred ms to build: do it while the reader reads
  if (window.requestIdleCallback) requestIdleCallback(function () { if (!hay) buildHay(); }, {timeout: 5000});
  if (document.body.getAttribute('data-print-all')) expandForPrint();
  document.body.setAttribute('data-ready', '1');
  if (window.performance && performance.mark) performance.mark('specguard-rendered');
})();
