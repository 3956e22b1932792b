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

  // ---- the table of all entries: search, select boxes, a filter by entry ids (from findings), open / close
  var table = document.getElementById('entries-table');
  if (!table) { return; }
  var search = document.getElementById('entry-search');
  var count = document.getElementById('entry-count');
  var selects = Array.prototype.slice.call(document.querySelectorAll('select.entry-filter'));
  var idNote = document.getElementById('id-filter');
  var idText = document.getElementById('id-filter-text');
  var idSet = null;
  var texts = new Map();
  each(table.tBodies, function (tb) { texts.set(tb, tb.textContent.toLowerCase()); });

  function apply() {
    var q = search.value.trim().toLowerCase();
    var shown = 0;
    each(table.tBodies, function (tb) {
      var ok = (!q || texts.get(tb).indexOf(q) !== -1) &&
               (!idSet || idSet.has(tb.getAttribute('data-id')));
      selects.forEach(function (sel) {
        if (ok && sel.value !== '') { ok = tb.getAttribute('data-' + sel.getAttribute('data-field')) === sel.value; }
      });
      tb.hidden = !ok;
      if (ok) { shown++; }
    });
    count.textContent = shown;
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
  apply();
  openHash();
})();
