(function () {
  'use strict';
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  // ---- sorting: every th.sortable; keys from data-sort (numbers) else the text, numeric-aware (第3期 < 第10期)
  function key(row, col) {
    var cell = row.cells[col];
    if (!cell) { return ''; }
    var s = cell.getAttribute('data-sort');
    return s !== null ? s : cell.textContent.trim();
  }
  function compare(x, y) {
    if (x === '' && y === '') { return 0; }
    if (x === '') { return 1; }          // empty cells last, whatever the direction
    if (y === '') { return -1; }
    var nx = Number(x), ny = Number(y);
    if (!isNaN(nx) && !isNaN(ny)) { return nx - ny; }
    return x.localeCompare(y, 'zh-Hans-CN', { numeric: true });
  }
  each(document.querySelectorAll('table.sortable'), function (table) {
    var heads = table.tHead.rows[0].cells;
    each(heads, function (th, col) {
      th.classList.add('sortable');
      th.setAttribute('title', '点击排序');
      th.addEventListener('click', function () {
        var asc = !th.classList.contains('sorted-asc');
        each(heads, function (c) { c.classList.remove('sorted-asc', 'sorted-desc'); });
        th.classList.add(asc ? 'sorted-asc' : 'sorted-desc');
        var grouped = table.classList.contains('entries');
        var items = grouped ? Array.prototype.slice.call(table.tBodies)
                            : Array.prototype.slice.call(table.tBodies[0].rows);
        var parent = grouped ? table : table.tBodies[0];
        items.forEach(function (it, i) { if (!it.hasAttribute('data-order')) { it.setAttribute('data-order', i); } });
        items.sort(function (a, b) {
          var ra = grouped ? a.rows[0] : a, rb = grouped ? b.rows[0] : b;
          var x = key(ra, col), y = key(rb, col);
          var r = compare(x, y);
          if (x !== '' && y !== '' && !asc) { r = -r; }
          return r || (Number(a.getAttribute('data-order')) - Number(b.getAttribute('data-order')));
        });
        items.forEach(function (it) { parent.appendChild(it); });
      });
    });
  });

  // ---- simple filter boxes for plain tables (comparison page)
  each(document.querySelectorAll('input.table-search'), function (input) {
    var table = document.getElementById(input.getAttribute('data-table'));
    input.addEventListener('input', function () {
      var q = input.value.trim().toLowerCase();
      each(table.tBodies[0].rows, function (row) {
        row.hidden = !!q && row.textContent.toLowerCase().indexOf(q) === -1;
      });
    });
  });

  // ---- a wide table or figure that scrolls sideways says so (a cue above its box), on load and on resize
  function cues() {
    each(document.querySelectorAll('.table-wrap'), function (box) {
      var wide = box.scrollWidth > box.clientWidth + 1;
      var cue = box.previousElementSibling;
      var has = cue && cue.classList.contains('scroll-cue');
      if (wide && !has) {
        cue = document.createElement('div');
        cue.className = 'scroll-cue noprint';
        cue.textContent = '表格较宽：在表内左右滑动可看其余各列 ⇆';
        box.parentNode.insertBefore(cue, box);
      } else if (!wide && has) { cue.parentNode.removeChild(cue); }
      box.classList.toggle('scrolls', wide);
    });
  }
  window.addEventListener('resize', cues);
  // the number column's width, where the sticky question column of the table of all entries starts (phone)
  function firstColumn() {
    each(document.querySelectorAll('table.entries'), function (t) {
      var th = t.tHead.rows[0].cells[0];
      t.style.setProperty('--first-col', th.getBoundingClientRect().width + 'px');
    });
  }
  window.addEventListener('resize', firstColumn);
  firstColumn();

  // ---- matching that ignores spaces and line breaks (the booklet wraps its lines inside words)
  function squeeze(s) {
    var norm = '', pos = [];
    for (var i = 0; i < s.length; i++) {
      var c = s.charAt(i);
      if (/\s/.test(c)) { continue; }
      var lc = c.toLowerCase();
      norm += lc.length === 1 ? lc : c;
      pos.push(i);
    }
    return { norm: norm, pos: pos };
  }
  // [start, end) of every non-overlapping use of q (already squeezed) in the original text
  function find(sq, q) {
    var out = [];
    if (!q) { return out; }
    var i = sq.norm.indexOf(q);
    while (i !== -1) {
      out.push([sq.pos[i], sq.pos[i + q.length - 1] + 1]);
      i = sq.norm.indexOf(q, i + q.length);
    }
    return out;
  }

  // ---- the table of all entries: search, select boxes, a filter by entry ids (from findings), open / close
  var table = document.getElementById('entries-table');
  if (!table) { cues(); return; }
  var search = document.getElementById('entry-search');
  var count = document.getElementById('entry-count');
  var hitWrap = document.getElementById('hit-count-wrap');
  var hitCount = document.getElementById('hit-count');
  var selects = Array.prototype.slice.call(document.querySelectorAll('select.entry-filter'));
  var idNote = document.getElementById('id-filter');
  var idText = document.getElementById('id-filter-text');
  var idSet = null;
  // what the reader reads of each entry: its title and the text of its turns (not the hidden columns)
  var texts = new Map();
  each(table.tBodies, function (tb) {
    texts.set(tb, Array.prototype.map.call(tb.querySelectorAll('.st'), function (el) {
      var orig = el.textContent;
      return { el: el, orig: orig, sq: squeeze(orig), marked: false };
    }));
  });

  function mark(it, ranges) {
    if (!ranges.length) {
      if (it.marked) { it.el.textContent = it.orig; it.marked = false; }
      return;
    }
    var frag = document.createDocumentFragment(), at = 0;
    ranges.forEach(function (r) {
      frag.appendChild(document.createTextNode(it.orig.slice(at, r[0])));
      var m = document.createElement('mark');
      m.textContent = it.orig.slice(r[0], r[1]);
      frag.appendChild(m);
      at = r[1];
    });
    frag.appendChild(document.createTextNode(it.orig.slice(at)));
    it.el.textContent = '';
    it.el.appendChild(frag);
    it.marked = true;
  }

  function apply() {
    var q = squeeze(search.value).norm;
    var shown = 0, hits = 0;
    each(table.tBodies, function (tb) {
      var found = texts.get(tb).map(function (it) { return find(it.sq, q); });
      var n = found.reduce(function (a, r) { return a + r.length; }, 0);
      var ok = (!q || n > 0) && (!idSet || idSet.has(tb.getAttribute('data-id')));
      selects.forEach(function (sel) {
        if (ok && sel.value !== '') {
          ok = (tb.getAttribute('data-' + sel.getAttribute('data-field')) || '').indexOf('|' + sel.value + '|') !== -1;
        }
      });
      tb.hidden = !ok;
      texts.get(tb).forEach(function (it, i) { mark(it, ok ? found[i] : []); });
      var titleCell = tb.rows[0].cells[1];  // how many matches the entry holds, beside its title
      if (ok && q) { titleCell.setAttribute('data-hits', '（' + n + ' 处）'); } else { titleCell.removeAttribute('data-hits'); }
      if (ok) { shown++; hits += n; }
    });
    count.textContent = shown;
    hitWrap.hidden = !q;
    hitCount.textContent = hits;
  }
  search.addEventListener('input', apply);
  selects.forEach(function (sel) { sel.addEventListener('change', apply); });

  function setIds(ids, label) {
    idSet = ids ? new Set(ids) : null;
    idNote.hidden = !ids;
    idText.textContent = ids ? label : '';
    apply();
  }
  document.getElementById('id-filter-clear').addEventListener('click', function () { setIds(null, ''); });
  each(document.querySelectorAll('a.show-entries'), function (a) {
    a.addEventListener('click', function (ev) {
      ev.preventDefault();
      var ids = a.getAttribute('data-ids').split(',').filter(function (s) { return s !== ''; });
      search.value = '';
      selects.forEach(function (sel) { sel.value = ''; });
      setIds(ids, a.getAttribute('data-label') || '');
      document.getElementById('entries').scrollIntoView();
      history.replaceState(null, '', '#entries');
    });
  });

  function toggle(tb, open) {
    var full = tb.rows[1];
    var isOpen = open === undefined ? full.hidden : open;
    full.hidden = !isOpen;
    tb.classList.toggle('open', isOpen);
    tb.querySelector('.toggle').setAttribute('aria-expanded', isOpen ? 'true' : 'false');
  }
  each(table.tBodies, function (tb) {
    tb.rows[0].addEventListener('click', function () { toggle(tb); });
  });
  // a link to #entry-12 opens that entry
  function openHash() {
    var m = /^#entry-(\d+)$/.exec(location.hash);
    if (!m) { return; }
    var tb = document.getElementById('entry-' + m[1]);
    if (tb) { tb.hidden = false; toggle(tb, true); tb.scrollIntoView(); }
  }
  window.addEventListener('hashchange', openHash);

  // ---- the concordance (KWIC): every use of a term in the titles and turns, in entry order
  var kwTerm = document.getElementById('kwic-term');
  if (kwTerm) {
    var kwTable = document.getElementById('kwic-table');
    var kwBody = kwTable.tBodies[0];
    var kwWrap = document.getElementById('kwic-wrap');
    var kwStatus = document.getElementById('kwic-status');
    var windowSize = Number(kwTerm.getAttribute('data-window')) || 20;
    var ordered = Array.prototype.slice.call(table.tBodies).sort(function (a, b) {
      return Number(a.getAttribute('data-id')) - Number(b.getAttribute('data-id'));
    });
    var flat = function (s) { return s.replace(/\s+/g, ' '); };
    var td = function (text, cls, sort) {
      var c = document.createElement('td');
      if (cls) { c.className = cls; }
      if (sort !== undefined) { c.setAttribute('data-sort', sort); }
      c.textContent = text;
      return c;
    };
    var kwic = function () {
      var raw = kwTerm.value.trim(), q = squeeze(raw).norm;
      kwBody.textContent = '';
      each(kwTable.tHead.rows[0].cells, function (c) { c.classList.remove('sorted-asc', 'sorted-desc'); });
      if (!q) { kwWrap.hidden = true; kwStatus.textContent = ''; return; }
      var lines = 0, entries = 0, frag = document.createDocumentFragment();
      ordered.forEach(function (tb) {
        var id = tb.getAttribute('data-id'), before = lines;
        texts.get(tb).forEach(function (it) {
          find(it.sq, q).forEach(function (r) {
            var t = it.orig, tr = document.createElement('tr');
            var left = flat(t.slice(Math.max(0, r[0] - windowSize), r[0]));
            tr.appendChild(td(left, 'kw-left', left.split('').reverse().join('')));
            var mid = td('', 'kw-term');
            var m = document.createElement('mark');
            m.textContent = flat(t.slice(r[0], r[1]));
            mid.appendChild(m);
            tr.appendChild(mid);
            tr.appendChild(td(flat(t.slice(r[1], r[1] + windowSize)), 'kw-right'));
            var cell = td('', 'num', id), a = document.createElement('a');
            a.href = '#entry-' + id;
            a.className = 'kwic-open';
            a.setAttribute('data-id', id);
            a.textContent = '第 ' + id + ' 条';
            cell.appendChild(a);
            tr.appendChild(cell);
            tr.appendChild(td(it.el.getAttribute('data-who') || '', 'nowrap'));
            frag.appendChild(tr);
            lines++;
          });
        });
        if (lines > before) { entries++; }
      });
      kwBody.appendChild(frag);
      kwWrap.hidden = lines === 0;
      kwStatus.textContent = lines ? '“' + raw + '”共出现 ' + lines + ' 次，分布在 ' + entries + ' 条问答中。'
                                   : '全部问答中没有“' + raw + '”。';
      cues();
    };
    kwTerm.addEventListener('input', kwic);
    kwBody.addEventListener('click', function (ev) {
      var a = ev.target.closest ? ev.target.closest('a.kwic-open') : null;
      if (!a) { return; }
      ev.preventDefault();
      var id = a.getAttribute('data-id');
      search.value = kwTerm.value;  // the opened entry shows the term highlighted
      selects.forEach(function (sel) { sel.value = ''; });
      setIds([id], '第 ' + id + ' 条问答（来自词语索引）');
      var tb = document.getElementById('entry-' + id);
      toggle(tb, true);
      tb.scrollIntoView();
      history.replaceState(null, '', '#entry-' + id);
    });
  }
  apply();
  openHash();
  cues();
})();
