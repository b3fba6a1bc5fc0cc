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
  var notes = [document.getElementById('f-note'), document.getElementById('f-note-cover')];
  var hay = null, resHay = null;
  var autoOpened = groups.map(function () { return false; });

  function str(i) { return i < 0 ? '' : S[i]; }
  function plural(n, word) { return n + ' ' + word + (n === 1 ? '' : 's'); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  // ------------------------------------------------------------------ filtering
  // search covers the row and its control: id, title, severity, SOC 2 criteria, and the status
  var ctlHay = D.controls.map(function (c) { return [c[0], c[1], c[2], c[3] || ''].join('\n'); });
  function buildHay() {
    hay = new Array(F.length); resHay = new Array(F.length);
    for (var i = 0; i < F.length; i++) {
      var r = F[i], w = r[WV] >= 0 ? W[r[WV]] : null;
      resHay[i] = (r[ADDR] + '\n' + str(r[NAME])).toLowerCase();
      hay[i] = [ctlHay[r[C]], ST[r[STA]], r[ADDR], str(r[NAME]), str(r[TYPE]), str(r[SRC]), str(r[FILE]),
                str(r[MSG]), str(r[EV]), str(r[CTX]), w ? w.join('\n') : ''].join('\n').toLowerCase();
    }
  }

  // "a b" matches when both words occur (anywhere in the finding); "a b" in double quotes is one phrase
  function terms(q) {
    var out = [], re = /"([^"]*)"|(\S+)/g, m;
    while ((m = re.exec(q))) { var t = m[1] !== undefined ? m[1] : m[2]; if (t) out.push(t); }
    return out;
  }
  function hasAll(text, words) {
    for (var k = 0; k < words.length; k++) if (text.indexOf(words[k]) < 0) return false;
    return true;
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

  // what the filter hides, in words: shown above the findings and, when printed, on the cover
  function describe(s) {
    var parts = [], sts = ST.filter(function (x, k) { return s.status[k]; });
    if (sts.length < ST.length) parts.push('status = ' + (sts.length ? sts.join(', ') : 'none'));
    if (s.control) parts.push('control = ' + s.control);
    if (s.resource) parts.push('resource contains \u201c' + s.resource + '\u201d');
    if (s.q) parts.push('search \u201c' + s.q + '\u201d');
    return parts.join('; ');
  }
  function showNote(active, s, total) {
    notes.forEach(function (n) {
      if (!n) return;
      n.textContent = '';
      n.hidden = !active;
      if (!active) return;
      n.appendChild(el('b', null, 'Filtered view: '));
      n.appendChild(document.createTextNode(describe(s) + '; ' + total + ' of ' + plural(F.length, 'finding') +
        ' shown. The findings section omits the rest; the summary, matrix and totals count every finding. '));
      var b = el('button', 'noprint', 'Show every finding');
      b.type = 'button';
      b.addEventListener('click', reset);
      n.appendChild(b);
    });
  }

  function apply() {
    var s = readState();
    var all = s.status[0] && s.status[1] && s.status[2] && s.status[3];
    var active = !!(!all || s.control || s.resource || s.q);
    var words = terms(s.q);
    if ((s.resource || words.length) && !hay) buildHay();
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
          if (words.length && !hasAll(hay[i], words)) continue;
          out.push(i);
        }
      }
      matched[g] = out; total += out.length;
      var d = details[g];
      if (!d) continue;
      d.classList.toggle('hidden', active && out.length === 0);
      d.classList.remove('forced');
      d.querySelector('.shown').textContent = active ? out.length + ' of ' + plural(src.length, 'finding') +
        ' match the filter' : '';
      // a filter shows what it matched: groups with matching rows open (and close again on reset)
      if (active && out.length && !d.open) { d.open = true; autoOpened[g] = true; }
      else if (!active && autoOpened[g]) { d.open = false; autoOpened[g] = false; }
      dirty[g] = true; shown[g] = 0;
      if (d.open) renderGroup(g, PAGE);
    }
    countOut.textContent = total + ' of ' + plural(F.length, 'finding');
    showNote(active, s, total);
  }

  function reset() { form.reset(); apply(); }

  // ------------------------------------------------------------------ rendering
  var LONG_NAME = 28;   // characters: longer names are set on a line of their own

  // an evidence name whose Terraform path segments are kept whole: each segment (with its dot) is an
  // inline block, so module.buckets["static-assets"].aws_s3_bucket_versioning.this.status wraps after
  // a dot or at a space, not at the hyphen inside "static-assets"; a segment wider than the cell
  // still wraps inside itself (the CSS gives it the cell's width at most)
  function pathName(k) {
    if (k.length <= LONG_NAME) return el('dt', null, k);
    var dt = el('dt');
    k.split(' ').forEach(function (word, w) {
      if (w) dt.appendChild(document.createTextNode(' '));
      var parts = word.split('.');
      parts.forEach(function (p, j) {
        var last = j === parts.length - 1;
        if (p || !last) dt.appendChild(el('span', 'seg', last ? p : p + '.'));
        if (!last) dt.appendChild(el('wbr'));
      });
    });
    return dt;
  }

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
      var text = v === null ? 'not set' : v === '' ? '(empty)' : typeof v === 'string' ? v : JSON.stringify(v);
      // a long name (a Terraform path) takes the cell's whole width, its value under it
      var long = k.length > LONG_NAME, kv = el('div', long ? 'kv long' : 'kv');
      kv.appendChild(pathName(k));
      kv.appendChild(el('dd', v === null || v === '' ? 'none' : null, text));
      dl.appendChild(kv);
    }
    var ev = JSON.parse(raw);
    Object.keys(ev).forEach(function (k) { add(k, ev[k], 0); });
    return dl;
  }

  function row(i) {
    var r = F[i], tr = el('tr'), st = ST[r[STA]];
    var td = el('td', 'c-st'); td.appendChild(el('span', 'badge b-' + st, st)); tr.appendChild(td);
    td = el('td', 'c-res');
    td.appendChild(el('div', 'addr', r[ADDR]));
    if (r[NAME] >= 0) td.appendChild(el('span', 'meta', 'name: ' + str(r[NAME])));
    td.appendChild(el('span', 'meta', [str(r[TYPE]), str(r[SRC])].filter(Boolean).join(' · ')));
    if (r[FILE] >= 0) td.appendChild(el('span', 'meta', str(r[FILE]) + (r[LINE] ? ':' + r[LINE] : '')));
    if (r[CTX] >= 0) td.appendChild(el('span', 'meta', str(r[CTX])));
    tr.appendChild(td);
    td = el('td', 'c-msg', str(r[MSG]));
    if (r[WV] >= 0) {
      var w = W[r[WV]];
      td.appendChild(el('span', 'wv', 'Waived: ' + w[0] + ' — approved by ' + w[1] + ', expires ' + w[2] +
                        ' (waiver for ' + w[3] + ')'));
    }
    tr.appendChild(td);
    td = el('td', 'c-ev'); var box = el('div', 'evw'); box.appendChild(evidence(i)); td.appendChild(box);
    tr.appendChild(td);
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
        var p = el('p', 'muted', groups[g].length ? 'No finding of this control matches the filter (' +
          describe(readState()) + '). ' : 'Not applicable: no resource in scope has the settings this control checks.');
        if (groups[g].length) {
          var b = el('button', 'noprint', 'Show every finding');
          b.type = 'button';
          b.addEventListener('click', function () { reset(); reveal(details[g]); });
          p.appendChild(b);
        }
        box.appendChild(p);
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
      bar.textContent = '';   // "Showing N of M" and its buttons are for the screen, not the page
      if (want[g] < matched[g].length) {
        var left = matched[g].length - want[g];
        bar.appendChild(el('span', null, plural(left, 'more finding') + ' of this control ' + (left === 1 ? 'is' : 'are') +
          ' not printed (' + PRINT_LIMIT + ' rows at most); every finding is in the HTML report and the JSON results.'));
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
  document.getElementById('f-reset').addEventListener('click', reset);
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
  // a link to a control the filter hides: show the group anyway, saying the filter hides its findings
  function reveal(d) {
    if (!d || d.tagName !== 'DETAILS') return;
    var g = +d.getAttribute('data-ci');
    if (d.classList.contains('hidden')) {
      d.classList.remove('hidden');
      d.classList.add('forced');
      dirty[g] = true;
    }
    d.open = true;
    if (dirty[g] || !shown[g]) renderGroup(g, PAGE);
  }
  function openHash() {
    var t = location.hash && document.getElementById(location.hash.slice(1));
    if (t && t.tagName === 'DETAILS') { reveal(t); t.scrollIntoView(); }
  }
  window.addEventListener('hashchange', openHash);
  // before the browser follows the link, so that it scrolls to a visible group (also when the hash is unchanged)
  document.addEventListener('click', function (e) {
    var a = e.target && e.target.closest ? e.target.closest('a[href^="#ctl-"]') : null;
    if (a) reveal(document.getElementById(a.getAttribute('href').slice(1)));
  });

  // sticky header and filter bar: anchors land below them, whatever their height at this width
  var header = document.querySelector('header.top');
  function offsets() {
    var h = header ? header.getBoundingClientRect().height : 0;
    var fs = getComputedStyle(form).position === 'sticky' ? form.getBoundingClientRect().height : 0;
    var root = document.documentElement.style;
    root.setProperty('--hdr-h', Math.ceil(h) + 'px');
    root.setProperty('--anchor-top', Math.ceil(h + fs + 8) + 'px');
  }
  window.addEventListener('resize', offsets);
  window.addEventListener('beforeprint', expandForPrint);

  offsets();
  apply();
  openHash();
  // the search text of 100,000 findings takes a few hundred ms to build: do it while the reader reads
  if (window.requestIdleCallback) requestIdleCallback(function () { if (!hay) buildHay(); }, {timeout: 5000});
  if (document.body.getAttribute('data-print-all')) expandForPrint();
  document.body.setAttribute('data-ready', '1');
  if (window.performance && performance.mark) performance.mark('specguard-rendered');
})();
