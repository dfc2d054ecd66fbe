// 我的联系户 on the phone: the cadre's households, kept on the phone so the list opens with no
// network (and refreshed when there is one), each marked with what this phone holds for it
// (a draft, an answer waiting); what each household's roster entry and last answer say, kept
// too, so its survey starts filled in wherever it is opened; answers waiting to be sent,
// sent from here as from the form; and a household missing from the roster, proposed (offline
// too: it is sent before the answers about it) and surveyed at once.
import * as store from './store.js';
import { cascade } from './places.js';

const $ = (id) => document.getElementById(id);
const visit = JSON.parse($('ms-visit').textContent);
const W = JSON.parse($('ms-words').textContent);
const lang = document.documentElement.lang === 'en' ? 'en' : 'zh';
const fmt = (s, p) => s.replace(/\{(\w+)\}/g, (m, k) => (k in p ? p[k] : m));
const LIST = 'mine:' + visit.user; // the list itself, kept beside the households it names
const list = $('mine-list'), net = $('net'), stale = $('stale');
store.visited(visit);

// ---------------------------------------------------------------- the list

const el = (tag, className, text) => {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
};

// The list as the server lists it (the same as the page it came with), by village, the
// households not surveyed this round first.
function draw(lines) {
  list.textContent = '';
  const villages = new Map();
  for (const line of [...lines].sort((a, b) => (a.village_code < b.village_code ? -1 : a.village_code > b.village_code ? 1 : 0))) {
    if (!villages.has(line.village_code)) villages.set(line.village_code, []);
    villages.get(line.village_code).push(line);
  }
  for (const [code, lines] of villages) {
    const h = list.appendChild(el('h3', 'village'));
    h.append(el('span', '', `${lines[0].township_name} ${lines[0].village_name}`), ' ');
    h.appendChild(el('a', '', W.sheet)).href = `/reports/village/${code}/qr.pdf?lang=${lang}`;
    const ul = list.appendChild(el('ul', 'mine'));
    for (const line of lines) {
      const li = ul.appendChild(el('li', line.surveyed_this_round ? 'surveyed' : ''));
      li.dataset.id = line.id;
      const go = li.appendChild(el('a', 'go'));
      go.href = `/f/household?household=${line.id}&lang=${lang}`;
      go.appendChild(el('b', '', line.head_name));
      if (line.status === 'proposed') go.append(el('span', 'tag todo', W.proposed), ' ');
      go.appendChild(el('span', line.surveyed_this_round ? 'tag' : 'tag todo', line.surveyed_this_round ? W.surveyed : W.to_survey));
      if (line.open_needs) go.append(' ', el('span', 'tag need', fmt(W.needs, { n: line.open_needs })));
      go.appendChild(el('small', '', [line.group_name, fmt(W.people, { n: line.member_count }), fmt(W.last_visit, { at: line.last_visit || W.never })].filter(Boolean).join(' · ')));
      li.appendChild(el('a', 'more', W.details)).href = `/households/${line.id}?lang=${lang}`;
    }
  }
  if (!lines.length) list.appendChild(el('p')).appendChild(el('small', '', W.none));
}

// What this phone holds for each household: a draft to go on with, answers waiting.
async function mark() {
  const records = (await store.all().catch(() => [])).filter(store.ours);
  for (const li of list.querySelectorAll('li[data-id]')) {
    const mine = records.filter((r) => r.household === li.dataset.id);
    li.querySelector('.go .local')?.remove();
    const said = [mine.some((r) => r.status === 'draft') && W.draft, mine.some((r) => r.status === 'waiting') && W.waiting, mine.some((r) => r.status === 'rejected') && W.rejected].filter(Boolean);
    if (said.length) li.querySelector('.go b').after(el('span', 'tag local todo', said.join(' · ')));
  }
  banner(records);
}

// Answers waiting, a login that ended: said at the top, with what to do about it (no network
// is said by the notice of when the list was kept).
function banner(records) {
  const waiting = records.filter((r) => r.status === 'waiting').length, lost = !!store.session.lost;
  net.hidden = !waiting && !lost;
  net.querySelector('span').textContent = [waiting ? fmt(W.unsent, { n: waiting }) : '', lost ? W.login_needed : ''].filter(Boolean).join(W.sep);
  $('send-now').hidden = !waiting || lost || !navigator.onLine;
  $('relogin').hidden = !lost;
}

// ---------------------------------------------------------------- kept for offline

async function get(url) {
  const response = await fetch(url, { credentials: 'same-origin' });
  if (response.status === 401) {
    store.session.lost = true;
    localStorage.setItem('ms-me', JSON.stringify(store.session));
  }
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return [await response.json(), new Date(response.headers.get('date') || Date.now()).toISOString()];
}

// The list from the server, drawn and kept; then what is known of each household, where the
// phone's copy is older than the server's (one request at a time: the phone's network is slow).
async function refresh() {
  let lines, at;
  try {
    [lines, at] = await get('/api/me/households');
  } catch (e) {
    return mark();
  }
  await store.learn({ id: LIST, at, lines });
  listAt = at;
  offlineNotice();
  draw(lines);
  await mark();
  for (const line of lines) {
    const kept = (await store.household(line.id)) || {};
    const facts = { id: line.id, line };
    try {
      if (!kept.roster || kept.roster.updated_at !== line.updated_at) {
        [facts.roster] = await get(`/api/households/${line.id}`);
        facts.roster.place = `${line.township_name} ${line.village_name}`;
      }
      if (line.last_answer_id && (!kept.last || kept.last.id !== line.last_answer_id)) {
        const [answer] = await get(`/api/submissions/${line.last_answer_id}`);
        facts.last = { id: answer.id, answers: answer.answers };
      }
    } catch (e) {
      // kept as it was; asked again on the next visit
    }
    await store.learn(facts);
  }
}

async function flush() {
  if (!navigator.onLine || store.session.lost) return mark();
  await sendProposals(lang);
  await store.flush(lang);
  await mark();
}

let listAt = visit.at; // when the list shown was made
// With no network: the list as it was when last kept, and when that was.
function offlineNotice() {
  stale.textContent = fmt(W.stale, { at: new Date(listAt).toLocaleString(lang === 'en' ? 'en-GB' : 'zh-CN', { hour12: false }) });
  stale.hidden = navigator.onLine;
}

async function start() {
  const kept = await store.household(LIST).catch(() => null);
  if (kept && kept.at > visit.at) draw(kept.lines), (listAt = kept.at); // kept after this page was made
  offlineNotice();
  await mark();
  if (navigator.onLine) {
    await flush();
    await refresh();
  }
}

addEventListener('online', () => (offlineNotice(), flush().then(refresh)));
addEventListener('offline', () => (offlineNotice(), mark()));
$('send-now').addEventListener('click', flush);
store.onChange(mark);

// ---------------------------------------------------------------- a household the roster lacks

// A household missing from the roster, proposed from this phone (`place`: its village by
// name): kept with what is known of households, and sent before the answers waiting here
// (one about it waits for it). Its id is made here, so sending it twice proposes it once;
// proposing it again (fixed) sends it again.
const propose = (body, place) => store.learn({ id: body.id, pending: body, error: null, roster: { ...body, place, status: 'proposed' } });

async function sendProposals(lang) {
  for (const h of (await store.households()).filter((h) => h.pending && !h.error)) {
    if (store.session.lost) return;
    let response, said;
    try {
      response = await fetch(`/api/households?lang=${lang}`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': store.session.csrf || '' }, body: JSON.stringify(h.pending), credentials: 'same-origin' });
      said = await response.json().catch(() => ({}));
    } catch (e) {
      return; // no network: later
    }
    if (response.ok) await store.learn({ id: h.id, pending: null, error: null, roster: said });
    else if (response.status === 401 || (response.status === 403 && said.code === 'csrf')) {
      if (!(await store.relearn())) return;
    } else if (response.status < 500) {
      const why = (said.errors || []).map((e) => e.message).join('；');
      await store.learn({ id: h.id, error: (said.detail || `HTTP ${response.status}`) + (why ? '：' + why : '') });
    }
  }
}


const proposing = document.querySelector('.propose-form');
if (proposing) {
  const village = proposing.elements.village_code;
  cascade(village, W.levels);
  proposing.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = Object.fromEntries([...new FormData(proposing)].map(([k, v]) => [k, v.trim()]));
    const idn = f.head_id_number.normalize('NFKC').replace(/\s+/g, '').toUpperCase();
    const error = $('propose-error');
    const wrong = [!f.village_code && W.need_village, !f.head_name && W.need_head, !f.category && W.need_category, idn && !/^[0-9]{17}[0-9X]$/.test(idn) && W.bad_id].filter(Boolean);
    error.textContent = wrong.join(W.sep);
    error.hidden = !wrong.length;
    if (wrong.length) return error.scrollIntoView({ block: 'center' });
    const chosen = village.selectedOptions[0];
    const body = { id: f.id, village_code: f.village_code, head_name: f.head_name, category: f.category, group_name: f.group_name || null, head_id_number: idn || null, members: [{ name: f.head_name, relation: 'head', id_number: idn || null }] };
    await propose(body, `${chosen.parentElement.label || ''} ${chosen.textContent}`.trim());
    if (navigator.onLine) {
      await flush();
      const h = await store.household(body.id);
      if (h.error) {
        error.textContent = h.error;
        error.hidden = false;
        return;
      }
    }
    // Offline, the form opens from the phone's copy and the answer waits for the proposal.
    location.assign(`/f/household?household=${body.id}&lang=${lang}`);
  });
}

// The service worker keeps this page, the form's and the needs list's for use offline
// (forms/static/sw.js). Before it runs (the first visit) they are asked for once more, so the
// cache has them; any page of the form will do offline, for any household: its script reads
// the household from the address.
async function offline() {
  if (!('serviceWorker' in navigator)) return;
  await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  navigator.serviceWorker.ready.then((r) => r.active.postMessage('keep')); // the phone pages' files
  const cache = await caches.open('ms-pages-1');
  const want = [[location.href.split('#')[0], false], [`/f/household?lang=${lang}`, true], [`/needs/mine?lang=${lang}`, true]];
  for (const [url, any] of want) {
    if (!(await cache.match(url, { ignoreVary: true, ignoreSearch: any }))) await cache.add(url).catch(() => {});
  }
}

const html = document.documentElement;
html.dataset.ready = 'loading';
start().then(offline).finally(() => (html.dataset.ready = 'yes'));
