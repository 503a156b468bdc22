/* grensverkeer dashboards: the page behaviour (year/sector choice, figures, map filters, agreement matrix,
   sortable tables, search). Plain JS, no network: figures come from the FIGS variable on the page. */
function gvSelect(){
  document.querySelectorAll('[data-groep]').forEach(function(el){
    var ok = true;
    el.getAttribute('data-groep').split(' ').forEach(function(kv){
      var p = kv.split('='); var s = document.getElementById('kies-' + p[0]);
      if (s && s.value !== p[1]) ok = false;
    });
    el.classList.toggle('verborgen', !ok);
    if (ok) el.querySelectorAll('.fig[data-fig]').forEach(gvDraw);
  });
  document.querySelectorAll('select[data-opties]').forEach(function(s){
    var jaar = document.getElementById('kies-jaar');
    if (!jaar) return;
    var opties = JSON.parse(s.getAttribute('data-opties'))[jaar.value] || [];
    Array.from(s.options).forEach(function(o){ o.hidden = opties.indexOf(o.value) < 0; });
    if (opties.indexOf(s.value) < 0 && opties.length) { s.value = opties[0]; gvSelect(); }
  });
  gvFlows();
}
function gvDraw(div){
  if (div.getAttribute('data-getekend')) { Plotly.Plots.resize(div); return; }
  var key = div.getAttribute('data-fig'), f = FIGS[key], info = FLOWS[key];
  if (info) { var vis = gvVisible(info); for (var i = 0; i < info.count; i++) f.data[info.start + i].visible = vis[i]; div.gvVis = vis.join(); }
  Plotly.newPlot(div, f.data, f.layout, CONFIG);
  div.setAttribute('data-getekend', '1');
}
/* Map: which flow lines are visible. Direction: all / incoming / outgoing / between the chosen
   municipalities; then the N largest of those (flows are listed largest first). */
function gvVisible(info){
  var s = document.getElementById('kies-topn');
  var gem = document.getElementById('kies-gemeente'), richting = document.getElementById('kies-richting');
  var chosen = gem ? Array.from(gem.selectedOptions).map(function(o){ return o.value; }).filter(Boolean) : [];
  var dir = richting ? richting.value : 'alle';
  var n = !s || s.value === 'alle' ? info.count : parseInt(s.value, 10), vis = [], shown = 0;
  for (var i = 0; i < info.count; i++) {
    var o = info.od[i][0], d = info.od[i][1], ok = true;
    if (chosen.length) {
      var io = chosen.indexOf(o) >= 0, id = chosen.indexOf(d) >= 0;
      ok = dir === 'in' ? id : dir === 'uit' ? io : dir === 'tussen' ? (io && id) : (io || id);
    }
    ok = ok && shown < n;
    if (ok) shown++;
    vis.push(ok);
  }
  return vis;
}
/* Only the figures in view are restyled, and only when their lines change (a restyle redraws the map). */
function gvFlows(){
  document.querySelectorAll('.fig[data-fig][data-getekend]').forEach(function(div){
    if (div.closest('.verborgen')) return;
    var info = FLOWS[div.getAttribute('data-fig')]; if (!info) return;
    var vis = gvVisible(info), idx = [];
    for (var i = 0; i < info.count; i++) idx.push(info.start + i);
    if (div.gvVis !== vis.join()) { Plotly.restyle(div, {visible: vis}, idx); div.gvVis = vis.join(); }
    var note = div.parentNode.querySelector('.getoond');
    if (note) note.textContent = vis.filter(Boolean).length + ' van de ' + info.count + ' getekende stromen zichtbaar';
  });
}
/* Agreement tables: filters on local team (A) and school municipality (B). */
function gvFilter(){
  var a = document.getElementById('filter-a'), b = document.getElementById('filter-b');
  if (!a || !b) return;
  document.querySelectorAll('[data-a]').forEach(function(el){
    var ok = (a.value === '' || el.getAttribute('data-a') === a.value) && (b.value === '' || el.getAttribute('data-b') === b.value);
    el.classList.toggle('verborgen', !ok);
  });
  // a chosen local team or school municipality opens its groups, so the rows are visible at once
  document.querySelectorAll('details.team').forEach(function(t){
    var any = t.querySelector('details.paar:not(.verborgen)') !== null;
    t.open = (a.value !== '' || b.value !== '') && any;
    t.classList.toggle('verborgen', !any);
  });
  document.querySelectorAll('table.matrix td[data-cel]').forEach(function(td){
    td.classList.toggle('gekozen', a.value !== '' && b.value !== '' && td.getAttribute('data-cel') === a.value + '>' + b.value);
  });
}
/* A click on a matrix cell: show that pair (local team A, schools in B) and open its schools. */
function gvCel(btn){
  var p = btn.getAttribute('data-paar').split('>');
  document.getElementById('filter-a').value = p[0];
  document.getElementById('filter-b').value = p[1];
  gvFilter();
  var jaar = document.getElementById('kies-jaar').value;
  var det = document.querySelector('details.paar[data-jaar="' + jaar + '"][data-a="' + p[0] + '"][data-b="' + p[1] + '"]');
  if (det) { var team = det.closest('details.team'); if (team) team.open = true; det.open = true; det.scrollIntoView({block: 'start'}); det.querySelector('summary').focus(); }
}
function gvSort(btn){
  var th = btn.closest('th'), table = th.closest('table'), col = Array.from(th.parentNode.children).indexOf(th);
  var asc = th.getAttribute('aria-sort') !== 'ascending';
  table.querySelectorAll('th').forEach(function(h){ h.removeAttribute('aria-sort'); });
  th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
  var body = table.tBodies[0], rows = Array.from(body.rows);
  function key(r){
    var c = r.cells[col], raw = c.getAttribute('data-sort');
    if (raw !== null && raw !== '' && !isNaN(parseFloat(raw))) return parseFloat(raw);  // a machine value
    var v = c.textContent.trim();  // Dutch text: 1.234 and 12,5%
    var num = /^[≥+−-]?[\d.,]+%?$/.test(v) ? parseFloat(v.replace(/[≥.%+]/g, '').replace('−', '-').replace(',', '.')) : NaN;
    return isNaN(num) ? v.toLowerCase() : num;
  }
  rows.sort(function(x, y){ var a = key(x), b = key(y); var c = a < b ? -1 : a > b ? 1 : 0; return asc ? c : -c; });
  rows.forEach(function(r){ body.appendChild(r); });
}
function gvZoek(input){
  var v = input.value.trim().toLowerCase(); if (!v || typeof ZOEK === 'undefined') return;
  var hit = ZOEK.filter(function(z){ return z[0].toLowerCase() === v; })[0]
         || ZOEK.filter(function(z){ return z[0].toLowerCase().indexOf(v) >= 0; })[0];
  if (hit) window.location.href = input.getAttribute('data-prefix') + hit[1];
}
document.addEventListener('DOMContentLoaded', function(){
  document.querySelectorAll('select.filter').forEach(function(s){ s.addEventListener('change', gvFilter); });
  var z = document.getElementById('zoek');
  if (z) { z.addEventListener('change', function(){ gvZoek(z); });
           z.addEventListener('keydown', function(e){ if (e.key === 'Enter') gvZoek(z); }); }
  document.querySelectorAll('.keuze select').forEach(function(s){ s.addEventListener('change', gvSelect); });
  document.querySelectorAll('.kaart-keuze select').forEach(function(s){ s.addEventListener('change', gvFlows); });
  document.querySelectorAll('table.matrix button[data-paar]').forEach(function(b){
    b.addEventListener('click', function(){ gvCel(b); }); });
  document.querySelectorAll('th.sorteer button').forEach(function(b){ b.addEventListener('click', function(){ gvSort(b); }); });
  document.querySelectorAll('.fig[data-fig]').forEach(function(div){
    if (!div.closest('.verborgen')) gvDraw(div);
  });
  gvSelect();
  gvFilter();
  var dl = document.getElementById('zoeklijst');
  if (dl && typeof ZOEK !== 'undefined') ZOEK.forEach(function(z){ var o = document.createElement('option'); o.value = z[0]; dl.appendChild(o); });
});
