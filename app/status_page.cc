#include "app/status_page.h"

#include <string>

namespace walguard {

namespace {

constexpr char kStyle[] = R"CSS(
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:10px 20px;display:flex;gap:24px;align-items:baseline;flex-wrap:wrap}
header h1{font-size:18px;margin:0}.ok{color:#1a7f37}.bad{color:#c62828}header .ok{color:#7ee787}header .bad{color:#ff9492}
main{padding:12px 20px}section{background:#fff;border:1px solid #dde1e6;border-radius:6px;margin:12px 0;padding:10px 14px}
h2{font-size:15px;margin:4px 0 8px}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:3px 8px;border-bottom:1px solid #eef0f3;vertical-align:top}
th{font-weight:600;color:#57606a}code{font-size:12px;background:#f0f2f5;padding:1px 4px;border-radius:3px;user-select:all}
.P1{color:#fff;background:#c62828;padding:0 6px;border-radius:3px}.P2{color:#fff;background:#e66b00;padding:0 6px;border-radius:3px}
.P3{background:#ffd33d;padding:0 6px;border-radius:3px}.score{font-size:20px;font-weight:700}.muted{color:#6e7781}
button{margin-right:6px}
)CSS";

constexpr char kRunBody[] = R"HTML(
<header><h1>walguard</h1><span id="phase"></span><span id="ready"></span><span id="lag"></span>
<span id="position" class="muted"></span><span id="updated" class="muted"></span></header>
<main>
<section><h2>Firing alerts (<span id="firing-total">0</span>)</h2>
<table id="alerts"><thead><tr><th>severity</th><th>type</th><th>entity</th><th>event</th><th>age</th>
<th>runbook</th><th>timeline</th></tr></thead><tbody></tbody></table>
<div id="no-alerts" class="muted">No alert is firing.</div>
<div><button id="alerts-prev">previous</button><button id="alerts-next">next</button></div></section>
<section><h2>Events: event_health (<span id="events-total">0</span>, worst first)</h2><div id="events"></div>
<div><button id="events-prev">previous</button><button id="events-next">next</button>
<span id="events-page" class="muted"></span></div></section>
<section><h2>Units with overbooked nights (<span id="nights-total">0</span> nights)</h2>
<table id="units"><thead><tr><th>unit</th><th>overbooked dates</th><th>timeline</th></tr></thead><tbody></tbody></table></section>
<section><h2>Commands waiting for approval</h2><p class="muted">The worker holds them: its own page
(<code>walguard worker --http ADDR:PORT</code>, then <code>/</code>) lists each with its dry-run report;
<code>walguard approvals --brokers LIST</code> prints them.</p></section>
</main>
)HTML";

constexpr char kRunScript[] = R"JS(
const page={event_offset:0,event_limit:20,alert_offset:0,alert_limit:50};
const esc=s=>String(s??'').replace(/[&<>"']/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
const $=id=>document.getElementById(id);
let archive='';
const inspect=(kind,id)=>`<code>walguard inspect --archive ${esc(archive)} --entity ${esc(kind)}:${esc(id)}</code>`;
function age(since,now){if(!since)return '<span class="muted">before this start</span>';
 let s=Math.max(0,(Date.parse(now)-Date.parse(since))/1000);
 return s<120?`${Math.round(s)} s`:s<7200?`${Math.round(s/60)} min`:`${(s/3600).toFixed(1)} h`;}
function tiers(e){return `<table><thead><tr><th>tier</th><th>total_capacity</th><th>reserved</th><th>issued</th>
<th>available</th><th>percent_sold</th><th>health_status</th><th>active holds</th><th>stuck holds</th><th>tickets</th>
<th>timeline</th></tr></thead><tbody>`+e.tiers.map(t=>`<tr><td>${esc(t.tier_id)}</td><td>${t.total_capacity}</td>
<td>${t.reserved}</td><td>${t.issued}</td><td>${t.available}</td><td>${t.percent_sold}</td>
<td class="${t.health_status==='OK'?'ok':'bad'}">${esc(t.health_status)}</td><td>${t.active_hold_quantity}</td>
<td>${t.stuck_holds}</td><td>${t.counting_tickets}</td><td>${inspect('tier',t.tier_id)}</td></tr>`).join('')+'</tbody></table>';}
function event(e){return `<div class="event" data-event="${esc(e.event_id)}"><h3>event ${esc(e.event_id)}
health_score <span class="score health-score ${e.health_score>0?'bad':'ok'}" data-event="${esc(e.event_id)}">${e.health_score}</span></h3>
<div class="muted">suspicious_high_reserved_tiers ${e.suspicious_high_reserved_tiers} · stale_pending_orders
${e.stale_pending_orders} · paid_orders_missing_tickets ${e.paid_orders_missing_tickets} · drifted_tiers
${e.drifted_tiers} · negative_available_tiers ${e.negative_available_tiers} · ${inspect('event',e.event_id)}</div>
${tiers(e)}</div>`;}
function render(d){const p=d.process;archive=d.archive_dir;
 $('phase').textContent=p.phase;$('ready').innerHTML=p.ready?'<span class="ok">ready</span>':`<span class="bad">not ready: ${esc(p.reason)}</span>`;
 $('lag').textContent=`lag ${p.lag_bytes} B / ${p.lag_seconds} s`;
 $('position').textContent=`applied ${p.applied_lsn} · outbox ${p.outbox}/${p.outbox_bound}`+(d.state&&d.state.wal_clock?` · WAL clock ${d.state.wal_clock}`:'');
 $('updated').textContent='updated '+d.now;
 const s=d.state;if(!s){$('events').innerHTML=`<p class="muted">state not readable yet: ${esc(d.state_error)}</p>`;return;}
 $('firing-total').textContent=s.firing_total;$('no-alerts').style.display=s.firing.length?'none':'';
 document.querySelector('#alerts tbody').innerHTML=s.firing.map(a=>`<tr class="alert" data-type="${esc(a.type)}"
data-fingerprint="${esc(a.fingerprint)}"><td><span class="${esc(a.severity)}">${esc(a.severity||'?')}</span></td>
<td>${esc(a.type)}</td><td>${esc(a.entity_kind)}:${esc(a.entity_id)}</td><td>${esc(a.event_id)}</td>
<td>${age(d.firing_since[a.fingerprint],d.now)}</td><td>${esc(a.runbook)}</td><td>${inspect(a.entity_kind,a.entity_id)}</td></tr>`).join('');
 $('events-total').textContent=s.events_total+(s.tiers_truncated?' (first tiers only)':'');
 $('events').innerHTML=s.events.map(event).join('')||'<p class="muted">No tier seen yet.</p>';
 $('events-page').textContent=`${page.event_offset+1}–${page.event_offset+s.events.length} of ${s.events_total}`;
 $('nights-total').textContent=s.overbooked_nights_total;
 document.querySelector('#units tbody').innerHTML=s.units.map(u=>`<tr><td>${esc(u.unit_id)}</td>
<td>${u.overbooked_dates.map(esc).join(', ')}</td><td>${inspect('unit',u.unit_id)}</td></tr>`).join('');}
async function poll(){try{const q=new URLSearchParams(page);const r=await fetch('/api/status?'+q);render(await r.json());}
 catch(e){$('updated').textContent='walguard not answering: '+e;}}
$('events-next').onclick=()=>{page.event_offset+=page.event_limit;poll();};
$('events-prev').onclick=()=>{page.event_offset=Math.max(0,page.event_offset-page.event_limit);poll();};
$('alerts-next').onclick=()=>{page.alert_offset+=page.alert_limit;poll();};
$('alerts-prev').onclick=()=>{page.alert_offset=Math.max(0,page.alert_offset-page.alert_limit);poll();};
poll();setInterval(poll,2000);
)JS";

constexpr char kWorkerBody[] = R"HTML(
<header><h1>walguard worker</h1><span id="ready"></span><span id="updated" class="muted"></span></header>
<main><section><h2>Commands waiting for approval (<span id="waiting">0</span>)</h2>
<table id="approvals"><thead><tr><th>command_id</th><th>type</th><th>waiting since</th><th>dry-run report</th><th>approve</th></tr>
</thead><tbody></tbody></table></section>
<section><h2>Outcomes</h2><table id="outcomes"><thead><tr><th>type</th><th>status</th><th>count</th></tr></thead>
<tbody></tbody></table><p><a href="/metrics">/metrics</a></p></section></main>
)HTML";

constexpr char kWorkerScript[] = R"JS(
const esc=s=>String(s??'').replace(/[&<>"']/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
const $=id=>document.getElementById(id);
async function poll(){try{const d=await (await fetch('/api/worker')).json();
 $('ready').innerHTML=d.ready?'<span class="ok">ready</span>':`<span class="bad">not ready: ${esc(d.reason)}</span>`;
 $('updated').textContent='updated '+d.now;$('waiting').textContent=d.approvals.length;
 document.querySelector('#approvals tbody').innerHTML=d.approvals.map(a=>`<tr><td><code>${esc(a.command_id)}</code></td>
<td>${esc(a.type)}</td><td>${esc(a.since)}</td><td><code>${esc(JSON.stringify(a.report))}</code></td>
<td><code>walguard approve ${esc(a.command_id)} --by NAME --brokers LIST</code></td></tr>`).join('');
 document.querySelector('#outcomes tbody').innerHTML=d.outcomes.map(o=>`<tr><td>${esc(o.type)}</td><td>${esc(o.status)}</td>
<td>${o.count}</td></tr>`).join('');}catch(e){$('updated').textContent='worker not answering: '+e;}}
poll();setInterval(poll,2000);
)JS";

std::string Page(const char* title, const char* body, const char* script) {
  return std::string("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>") + title +
         "</title><meta name=\"viewport\" content=\"width=device-width\"><style>" + kStyle + "</style></head><body>" +
         body + "<script>" + script + "</script></body></html>\n";
}

}  // namespace

const char* RunStatusPageHtml() {
  static const std::string page = Page("walguard status", kRunBody, kRunScript);
  return page.c_str();
}

const char* WorkerStatusPageHtml() {
  static const std::string page = Page("walguard worker", kWorkerBody, kWorkerScript);
  return page.c_str();
}

}  // namespace walguard
