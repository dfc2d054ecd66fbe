// The form page, enhanced: one household after another, each typed page by page with live
// checks in the server's words, kept on the phone as a draft, reviewed, then sent through an
// outbox that survives having no network. The page works without this script.
//
// What is shown lives in the address's #fragment, one history entry per page or record, so
// a reload or Android's Back keeps the cadre where they were: #<id>/<n> is page n of a draft
// (n = number of pages: the review), #<id> a record as sent, #list this phone's records.
import { issues, ruleIssues, message, nodeAt, schemaIssues, idNumberIssues, typed, today, useLogic } from './check.js';
import * as store from './store.js';
import { data, T, form, $, fmt, get, answers, applyConditions, lock, answerText, fill, fold, refreshLines, forgetRemoved, setup, prefill, lockPlace, put } from './fields.js';

const pages = [...form.querySelectorAll('section.page')];
const REVIEW = pages.length;
const summary = $('summary'), back = $('back'), next = $('next'), sendButton = $('send');
const progress = $('progress'), records = $('records'), net = $('net'), held = $('held'), state = $('state');
const errorBox = $('form-errors'), actions = form.querySelector('.actions'), html = document.documentElement;
const intro = document.querySelector('.intro');
const cfg = data.record;
// This visit of the page (server/pages.py visit): who it is for; the household it was made
// for and the CSRF token are the form's fields beside it.
const field = (name) => document.querySelector(`[name="${name}"]`).value;
const visit = { ...JSON.parse($('ms-visit').textContent), csrf: field('_csrf') };
store.visited(visit);
const isLink = visit.user.startsWith('link:');
// The household the answers are about: from the address first (the page may come from the
// offline cache, made for another household), else the one the page was made for.
const household = new URLSearchParams(location.search).get('household') || field('_household') || null;
// What is known of household `id`: its roster entry (the page's, if made for it) and last answer.
const known = (id) => store.known(id, id === field('_household') ? visit.household : null);
// The next household: back to 我的联系户 to pick it (a household's own link: its form again).
const home = () => location.assign('/?lang=' + data.lang);
const freshText = isLink ? T.again : T.fresh;
form.noValidate = true;
html.classList.add('js');
summary.appendChild(sendButton); // Send ends the review: never where Next was

let view = null; // 'page' (a page of the draft, or its review), 'record', 'list' or 'held'
let current = 0; // the page shown; REVIEW for the review
let draft = null; // the record typed into, its lock held by this tab
let shown = null; // the record shown as sent, or held by another tab
let persisted = false, retryTimer = null, retries = 0;

// ---------------------------------------------------------------- double taps

// A tap that lands just after the page changed was meant for the page before: ignored.
let calmUntil = 0, calmTimer = null;
function calm() {
  calmUntil = performance.now() + 400;
  html.dataset.busy = '';
  clearTimeout(calmTimer);
  calmTimer = setTimeout(() => delete html.dataset.busy, 400);
}
document.addEventListener('click', (e) => {
  if (e.isTrusted && performance.now() < calmUntil) {
    e.preventDefault();
    e.stopImmediatePropagation();
  }
}, true);

// ---------------------------------------------------------------- issues at their fields

function errorSlot(path) {
  for (let p = path; ; p = p.slice(0, p.lastIndexOf('/'))) {
    const slot = $('e' + p);
    if (slot && !slot.parentElement.closest('[hidden]:not(section.page)')) return slot;
    if (!p) return errorBox;
  }
}

const inputsOf = (slot) => slot.parentElement.querySelectorAll(':scope > .in > [name], :scope > .opts input');

function mark(slot, on) {
  for (const input of inputsOf(slot)) {
    if (on) input.setAttribute('aria-invalid', 'true'), input.setAttribute('aria-describedby', slot.id);
    else input.removeAttribute('aria-invalid'), input.removeAttribute('aria-describedby');
  }
  slot.parentElement.classList.toggle('bad', on);
}

function clearSlot(slot) {
  slot.hidden = true;
  slot.textContent = '';
  mark(slot, false);
}

function clearIssues(scope) {
  for (const slot of scope.querySelectorAll('.err')) clearSlot(slot);
  errorBox.hidden = true;
}

// issues: [{path, message}]; shown at their fields (or the nearest group that is shown).
function showIssues(list) {
  for (const issue of list) {
    const slot = errorSlot(issue.path);
    if (slot === errorBox) {
      const p = document.createElement('p');
      p.textContent = issue.message;
      slot.appendChild(p);
    } else {
      slot.textContent = slot.textContent ? slot.textContent + T.sep + issue.message : issue.message;
      mark(slot, true);
      const item = slot.closest('.item');
      if (item && item.classList.contains('folded')) fold(item, false);
    }
    slot.hidden = false;
  }
}

// What a field is called, for the list of issues at the top of the page.
function where(slot) {
  const field = slot.parentElement, item = field.closest('.item');
  const own = field.querySelector(':scope > label, :scope > legend');
  const name = own && !own.querySelector('.fold') ? own.firstChild.textContent.trim() : '';
  const itemName = item ? item.querySelector('.lbl').textContent : '';
  return [itemName, name].filter(Boolean).join(' · ') || field.closest('section').querySelector('h2').textContent;
}

// The top of the page lists the issues, each a link to its field; the first is scrolled to.
function listIssues(list) {
  const at = (i) => errorSlot(i.path);
  list = [...list].sort((a, b) => (at(a).compareDocumentPosition(at(b)) & Node.DOCUMENT_POSITION_PRECEDING ? 1 : -1));
  errorBox.textContent = '';
  const intro = document.createElement('p'), ul = document.createElement('ul');
  intro.textContent = list.length === 1 ? T.fix_one : fmt(T.fix, { n: list.length });
  for (const issue of list) {
    const slot = errorSlot(issue.path), a = document.createElement('a');
    a.href = '#' + slot.id;
    a.dataset.to = slot.id;
    a.textContent = slot === errorBox ? issue.message : where(slot) + T.colon + issue.message;
    ul.appendChild(document.createElement('li')).appendChild(a);
  }
  errorBox.append(intro, ul);
  errorBox.hidden = false;
  const first = list.length && at(list[0]);
  (first && first !== errorBox ? first.parentElement : errorBox).scrollIntoView({ block: 'center' });
}

errorBox.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-to]');
  if (!a) return;
  e.preventDefault(); // the address holds the page shown, not a field
  const field = $(a.dataset.to).parentElement;
  field.scrollIntoView({ block: 'center' });
  const input = field.querySelector('input:not([type=hidden]),select,textarea');
  if (input) input.focus({ preventScroll: true });
});

const worded = (list) => list.map((i) => ({ path: i.path, code: i.code, message: i.message || message(data, i) }));
const within = (path, base) => path === base || path.startsWith(base + '/');
const pageOf = (path) => Math.max(0, pages.findIndex((p) => within(path, p.dataset.path)));

// Shown as typed: a field's own schema, and the form's rules (forms/rules.py) about the fields
// a person has touched or the section around them. The rest waits until the page is left:
// "no member is the head" while the first member is being typed would only nag.
const touched = new Set();
let ruled = []; // the rule issues shown now

// A keystroke: the field's own issues and the rules' about it. The page is left untouched
// when they have not changed, as is most often the case, so typing stays quick.
function checkField(path) {
  const slot = $('e' + path);
  if (!slot) return;
  const input = form.elements.namedItem(path), node = nodeAt(data.view, path);
  const found = [];
  if (input && input.value && !(input instanceof RadioNodeList) && node && node.type !== 'array') {
    found.push(...schemaIssues(node, typed(node, input.value), data, path));
    if (path.endsWith('/id_number')) found.push(...idNumberIssues(typed(node, input.value), path));
  }
  const own = worded(found.filter((i) => i.path === path));
  const all = [...own, ...ruled.filter((i) => i.path === path && !own.some((o) => o.code === i.code))];
  if (all.map((i) => i.message).join(T.sep) === (slot.hidden ? '' : slot.textContent)) return;
  clearSlot(slot);
  showIssues(all);
}

function liveRules() {
  const shown = new Set(ruled.map((i) => i.path));
  const near = (path) => {
    const slot = $('e' + path);
    return slot && !slot.parentElement.classList.contains('repeat') && [...touched].some((t) => within(t, path));
  };
  ruled = worded(ruleIssues(data, answers()).filter((i) => touched.has(i.path) || near(i.path)));
  for (const i of ruled) shown.add(i.path);
  shown.forEach(checkField);
}

function freshChecks() {
  touched.clear();
  ruled = [];
  clearIssues(form);
}

// ---------------------------------------------------------------- what is shown

function showOnly(which) {
  if (view) calm();
  else delete html.dataset.busy; // the first page is not a change of page
  view = which;
  form.hidden = which === 'list' || which === 'held';
  records.hidden = which !== 'list';
  held.hidden = which !== 'held';
  progress.hidden = actions.hidden = which !== 'page';
  state.hidden = which !== 'record';
  $('to-records').hidden = which === 'list';
  $('notice').hidden = true;
  errorBox.hidden = intro.hidden = true;
  forgetRemoved();
  window.scrollTo(0, 0);
}

function showPage(n) {
  showOnly('page');
  current = Math.max(0, Math.min(n, REVIEW));
  if (!asked(current)) current = nextAsked(current); // an address kept from before it failed
  pages.forEach((p, i) => (p.hidden = i !== current));
  intro.hidden = current !== 0;
  if (current < REVIEW) refreshLines(pages[current]);
  if (current < REVIEW && pages[current].querySelector('.media')) media();
  summary.hidden = current !== REVIEW;
  back.hidden = !pages.some((p, i) => i < current && asked(i));
  next.hidden = current === REVIEW;
  sendButton.hidden = current !== REVIEW;
  const shown = pages.filter((p, i) => asked(i)), at = shown.indexOf(pages[current]);
  progress.querySelector('progress').max = shown.length;
  progress.querySelector('progress').value = current < REVIEW ? at + 1 : shown.length;
  progress.querySelector('span').textContent = current < REVIEW ? fmt(T.page, { n: at + 1, total: shown.length }) : T.summary;
  if (current === REVIEW) {
    summary.querySelector('h2').textContent = T.summary;
    buildSummary(true);
  }
  if (draft && draft.stored) saveSoon(); // the page it is on, for its next opening
}

// The code of photo and location questions (photo.js), fetched only once a page or a summary
// shows one: the first visit stays small.
let mediaCode = null;
const media = () => (mediaCode = mediaCode || import('./photo.js'));

function buildSummary(editable) {
  if (!mediaCode && form.querySelector('.media')) media().then(() => summary.hidden || buildSummary(editable));
  const list = summary.querySelector('dl');
  list.textContent = '';
  pages.forEach((page, n) => {
    if (!asked(n)) return;
    const head = document.createElement('dt');
    head.className = 'sec';
    head.textContent = page.querySelector('h2').textContent;
    if (editable) button(head, 'edit sec', T.edit_page).dataset.n = n;
    list.appendChild(head);
    for (const q of page.querySelectorAll('.q')) {
      if (q.closest('[hidden]:not(section.page)')) continue;
      const text = answerText(q);
      if (!text) continue;
      const item = q.closest('.item');
      const dt = document.createElement('dt'), dd = document.createElement('dd');
      const name = q.querySelector('label,legend').firstChild.textContent;
      dt.textContent = item ? `${item.querySelector('.lbl').textContent.trim()} · ${name}` : name;
      dd.textContent = text;
      list.append(dt, dd);
    }
  });
}

function button(parent, className, text) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = className;
  b.textContent = text;
  return parent.appendChild(b);
}

const when = (iso) => (iso ? new Date(iso).toLocaleString(data.lang === 'en' ? 'en-GB' : 'zh-CN', { hour12: false }) : '');
// Why a record waits or was returned, in words a cadre can act on.
function said(r) {
  if (r.status === 'rejected' && r.code === 'already_corrected') return T.already_corrected;
  if (r.status === 'rejected' && fixable(r)) return r.errors.map((e) => e.message).join(T.sep);
  return r.note || '';
}
// Returned for its answers (422 with errors at fields): opened again for the person to fix.
const fixable = (r) => r.status === 'rejected' && !!r.errors && r.code !== 'corrects_unknown';
const headOf = (r) => get(r.answers, cfg.head || '') || T.none;

// A record that left the draft state, read-only, with what became of it.
function showRecord(r) {
  releaseDraft();
  shown = r;
  lock(false);
  fill(r.answers);
  lock(true);
  showOnly('record');
  pages.forEach((p) => (p.hidden = true));
  summary.hidden = false;
  sendButton.hidden = true;
  buildSummary(false);
  drawState(r);
}

function drawState(r) {
  summary.querySelector('h2').textContent = r.status === 'sent' && r.corrected_by ? T.corrected : T[r.status];
  state.className = 'state ' + r.status;
  state.textContent = '';
  const say = (text) => text && (state.appendChild(document.createElement('p')).textContent = text);
  if (r.status === 'waiting') say(store.inFlight(r.id) ? T.state_sending : T.state_waiting + (r.note ? fmt(T.aside, { note: r.note }) : ''));
  if (r.status === 'sent') say(fmt(T.state_sent, { at: when(r.received) }));
  if (r.status === 'rejected') say(fmt(T.state_rejected, { why: said(r) }));
  if (r.status === 'rejected' && r.code === 'id_conflict') say(T.conflict);
  if (r.corrected_by) say(T.state_corrected);
  if (r.corrects) say(T.state_correction);
  const theirs = !store.ours(r);
  if (theirs) say(fmt(T.belongs, { user: r.user }));
  const row = state.appendChild(document.createElement('div'));
  row.className = 'row';
  if (r.status === 'sent' && !r.corrected_by && !theirs) button(row, 'correct sec', T.correct);
  if (r.status === 'rejected' && !theirs) button(row, r.code === 'id_conflict' ? 'renew sec' : 'reopen sec', r.code === 'id_conflict' ? T.renew : T.fix_rejected);
  button(row, 'fresh', freshText);
}

function showHeld(r) {
  releaseDraft();
  shown = r;
  showOnly('held');
  const head = get(r.answers, cfg.head || '');
  held.querySelector('p').textContent = head ? fmt(T.held, { head }) : T.held_unnamed;
}

async function showList() {
  releaseDraft();
  shown = null;
  showOnly('list');
  await drawList();
}

// ---------------------------------------------------------------- this phone's records

const mine = async () => (await store.all()).filter((r) => r.form === data.form);
const newest = (a, b) => (a.saved < b.saved ? 1 : -1);

// Household id -> its village by name, as this phone knows its households (我的联系户 keeps them).
let places = null;
async function placesKnown() {
  places = places || Object.fromEntries((await store.households().catch(() => [])).filter((h) => h.roster && h.roster.place).map((h) => [h.id, h.roster.place]));
  return (r) => places[r.household] || get(r.answers, cfg.place || '') || '';
}

async function drawList() {
  const list = records.querySelector('ul'), rs = (await mine()).sort(newest), placeOf = await placesKnown();
  list.textContent = '';
  for (const r of rs) {
    const li = list.appendChild(document.createElement('li'));
    li.className = r.status;
    li.dataset.id = r.id;
    const line = li.appendChild(document.createElement('p'));
    const tag = line.appendChild(document.createElement('span'));
    tag.className = 'tag';
    tag.textContent = r.status === 'sent' && r.corrected_by ? T.corrected : (r.corrects ? T.correction + ' · ' : '') + T[r.status];
    if (!store.ours(r)) li.classList.add('theirs'), line.append(fmt(T.belongs, { user: r.user }) + ' ');
    line.appendChild(document.createElement('b')).textContent = headOf(r);
    const village = placeOf(r);
    if (village) line.append(' · ' + village);
    const small = li.appendChild(document.createElement('small'));
    small.textContent = r.status === 'sent' ? fmt(T.received, { at: when(r.received) }) : when(r.saved);
    const why = (r.status === 'waiting' || r.status === 'rejected') && said(r);
    if (why) {
      const note = li.appendChild(document.createElement('small'));
      note.className = 'why';
      note.textContent = why;
    }
    const row = li.appendChild(document.createElement('div'));
    row.className = 'row';
    if (r.status === 'draft' && store.ours(r)) {
      button(row, 'resume', T.resume);
      button(row, 'discard sec', T.discard);
    } else {
      button(row, 'look sec', T.view);
      if (r.status === 'rejected' && r.code === 'id_conflict' && store.ours(r)) button(row, 'renew sec', T.renew);
    }
  }
  if (!rs.length) list.appendChild(document.createElement('li')).textContent = T.no_records;
  records.dataset.waiting = rs.filter((r) => r.status === 'waiting').length;
  drawBanner(rs);
}

// Offline, answers waiting, a login that ended: said at the top, with what to do about it.
function drawBanner(rs) {
  const waiting = rs.filter((r) => r.status === 'waiting').length, ours = rs.filter((r) => r.status === 'waiting' && store.ours(r)).length;
  const lost = !!store.session.lost, relogin = $('relogin');
  net.hidden = navigator.onLine && !waiting && !lost;
  net.querySelector('span').textContent = [navigator.onLine ? '' : T.offline, waiting ? fmt(T.unsent, { n: waiting }) : '', lost ? (isLink ? T.link_lost : T.login_needed) : ''].filter(Boolean).join(T.sep);
  $('send-now').hidden = !ours || lost;
  relogin.hidden = !lost || isLink;
  relogin.href = `/login?lang=${data.lang}&next=` + encodeURIComponent(location.pathname + location.search + location.hash);
  return waiting;
}

// ---------------------------------------------------------------- where the cadre is

function parse(hash) {
  if (hash === '#list') return { list: true };
  const m = /^#([0-9a-f-]{36})(?:\/([0-9]+))?$/.exec(hash);
  return m ? { id: m[1], n: m[2] === undefined ? undefined : +m[2] } : null;
}

function here() {
  if (view === 'list') return '#list';
  if (view === 'page') return `#${draft.id}/${current}`;
  return shown ? '#' + shown.id : '';
}

// Show `to` ({id, n} or {list: true}); how the address follows: 'push', 'replace' or 'none'.
async function go(to, how = 'push') {
  html.dataset.busy = ''; // until the page shown has been calm for a moment
  await writeNow();
  if (to.list) await showList();
  else {
    const r = to.id ? await store.get(to.id) : null;
    // A draft is typed on the page of its own household, where the roster's village is.
    if (r && r.status === 'draft' && r.household && r.household !== household && store.ours(r)) {
      const path = r.version === data.version ? location.pathname : `/f/${data.form}/v/${r.version}`;
      return location.assign(`${path}?household=${encodeURIComponent(r.household)}&lang=${data.lang}#${r.id}${to.n === undefined ? '' : '/' + to.n}`);
    }
    if (r && (r.status !== 'draft' || !store.ours(r))) showRecord(r);
    else if (r) await editDraft(r, to.n);
    else if (draft && draft.id === to.id) showPage(to.n || 0);
    else await startNew();
  }
  const hash = here();
  if (!hash || location.hash === hash) return;
  if (how === 'push') history.pushState({ from: location.hash }, '', hash);
  else history.replaceState(history.state, '', hash);
}

addEventListener('popstate', () => {
  const to = parse(location.hash);
  if (!to) return;
  // The pages of an answer since sent are passed over: Back goes to what came before it.
  if (to.n !== undefined && view === 'record' && shown && shown.id === to.id) return history.back();
  go(to, 'none');
});

// Pages asked only under a condition that fails are passed over (fields.js applyConditions).
const asked = (n) => n >= REVIEW || !('off' in pages[n].dataset);
const nextAsked = (n) => { for (n++; !asked(n); n++); return n; };
const lastAsked = (n) => { for (n--; n > 0 && !asked(n); n--); return Math.max(n, 0); };

function goBack() {
  if (!draft) return;
  const to = lastAsked(current);
  if (history.state && history.state.from === `#${draft.id}/${to}`) history.back();
  else go({ id: draft.id, n: to }, 'replace');
}

async function forward() {
  if (view !== 'page' || !draft || current >= REVIEW) return;
  await logic();
  clearIssues(pages[current]);
  const base = pages[current].dataset.path;
  const found = worded(issues(data, answers()).filter((i) => within(i.path, base) && i.path !== ''));
  if (found.length) {
    showIssues(found);
    return listIssues(found);
  }
  go({ id: draft.id, n: nextAsked(current) });
}

// ---------------------------------------------------------------- drafts

// Edit draft `r` in this tab, at page `n` (where it was left when none), if no other tab
// edits it; else say so and offer to take it over or to start a new household.
async function editDraft(r, n, take = false) {
  if (r.version !== data.version) return location.assign(`/f/${data.form}/v/${r.version}?household=${encodeURIComponent(r.household || '')}&lang=${data.lang}#${r.id}`);
  if (!draft || draft.id !== r.id) {
    if (!(await store.hold(r.id, taken, take))) return showHeld(r);
    releaseDraft();
    draft = r;
    shown = null;
    lock(false);
    fill(r.answers);
    if (r.household) lockPlace((await known(r.household)).roster);
    freshChecks();
    if (r.moved) import('./move.js').then((m) => tell(m.movedText(r.moved, data.version, data.lang)));
  }
  showPage(n === undefined ? r.page || 0 : n);
  if (r.errors) showIssues(r.errors); // what the server returned, until fixed
}

function releaseDraft() {
  if (draft) store.release(draft.id);
  draft = null;
  dirty = false;
}

// A new survey of this page's household: who surveys (as for the last household), today's
// date, and what its roster entry and last answer already say. Without a household, none:
// the cadre picks one on 我的联系户 first.
async function startNew() {
  releaseDraft();
  if (!household && data.subject !== 'village') { // a village-level form names its village itself
    await showList();
    return tell(T.pick_household);
  }
  const last = (await mine()).filter(store.ours).sort(newest)[0], start = {};
  for (const path of cfg.carry || []) if (last && get(last.answers, path) !== undefined) put(start, path, get(last.answers, path));
  for (const path of cfg.today || []) put(start, path, today(data.tz));
  const facts = household ? await known(household) : {};
  prefill(start, facts);
  const r = { id: store.newId(), form: data.form, version: data.version, household, user: store.session.user, status: 'draft', answers: start, saved: new Date().toISOString() };
  await store.hold(r.id, taken);
  draft = r;
  shown = null;
  lock(false);
  fill(start);
  lockPlace(facts.roster);
  freshChecks();
  showPage(0);
}

// Another tab took this draft over: this one stops writing to it at once.
function taken(id) {
  if (!draft || draft.id !== id) return;
  const r = draft;
  draft = null;
  dirty = false;
  showHeld(r);
  history.replaceState(history.state, '', here());
}

// The draft was sent or queued from another tab (one without Web Locks): nothing typed here
// may overwrite it, so it is shown as it now stands.
function moved(r) {
  showRecord(r);
  history.replaceState(history.state, '', here());
  tell(fmt(T.moved, { status: T[r.status] }));
  drawList();
}

// Every change is written to the phone as soon as the page is idle (at most 100 ms later),
// since a phone may kill the browser at any moment; changes made during a write are
// written after it, together.
const idle = window.requestIdleCallback || ((work) => setTimeout(work, 1));
let saving = false, dirty = false, writing = Promise.resolve();
function saveSoon() {
  dirty = true;
  if (!saving) {
    saving = true;
    idle(() => (writing = writeChanges()), { timeout: 100 });
  }
}

async function writeChanges() {
  while (dirty) {
    dirty = false;
    await writeDraft();
  }
  saving = false;
}

async function writeNow() {
  if (dirty) {
    dirty = false;
    await writeDraft();
  }
  await writing;
}

async function writeDraft() {
  if (!draft) return;
  Object.assign(draft, { answers: answers(), saved: new Date().toISOString(), page: current, stored: true });
  const { ok, record } = await store.saveDraft({ ...draft });
  if (!ok && draft && record && draft.id === record.id) moved(record);
}

async function takeOver() {
  const r = shown && (await store.get(shown.id));
  if (r && r.status === 'draft') await editDraft(r, undefined, true);
  else if (r) showRecord(r);
  history.replaceState(history.state, '', here());
}

async function discard(r) {
  if (!confirm(fmt(T.discard_confirm, { head: headOf(r) }))) return;
  if (!(await store.hold(r.id, () => {}))) return go({ id: r.id });
  await store.discard(r.id);
  store.release(r.id);
}

// 更正: a copy of a sent answer, as a new draft naming the answer it replaces. One at a time.
async function correct(r) {
  const open = (await mine()).find((x) => x.corrects === r.id && x.status === 'draft');
  if (open) return go({ id: open.id, n: 0 });
  const copy = { id: store.newId(), form: data.form, version: data.version, household: r.household, user: store.session.user, status: 'draft', corrects: r.id, answers: JSON.parse(JSON.stringify(r.answers)), saved: new Date().toISOString() };
  await store.saveDraft(copy);
  go({ id: copy.id, n: 0 });
}

// ---------------------------------------------------------------- sending

function tell(text) {
  const note = $('notice');
  note.textContent = text;
  note.hidden = false;
}

function retryLater() {
  clearTimeout(retryTimer);
  retries += 1;
  retryTimer = setTimeout(flush, Math.min(300000, 5000 * 2 ** Math.min(retries, 6)) * (0.75 + Math.random() / 2));
}

async function flush() {
  clearTimeout(retryTimer);
  const after = await store.flush(data.lang);
  if (after.some((r) => r.code === 'version_retired')) await moveRetired();
  if (after.some((r) => r.status === 'waiting' && store.ours(r)) && !store.session.lost) retryLater();
  else retries = 0;
  drawList();
}

// Send, from the review only: the answers as they are now become a frozen copy in the outbox,
// the draft is let go, and the record is shown with what becomes of it.
async function submit() {
  if (view !== 'page' || current !== REVIEW || !draft) return;
  await logic();
  const given = answers();
  const found = worded(issues(data, given));
  if (found.length) {
    await go({ id: draft.id, n: pageOf(found[0].path) });
    showIssues(found);
    return listIssues(found.filter((i) => pageOf(i.path) === current));
  }
  await writeNow();
  const record = { id: draft.id, form: data.form, version: data.version, household: draft.household || household, user: draft.user || store.session.user, status: 'waiting', answers: JSON.parse(JSON.stringify(given)), saved: new Date().toISOString() };
  if (draft.corrects) record.corrects = draft.corrects;
  const queued = await store.queue(record);
  if (!queued.ok) return moved(queued.record);
  releaseDraft();
  const sending = store.send(queued.record, data.lang);
  await go({ id: record.id }, 'replace');
  const result = await sending;
  if (result.status === 'waiting' && !store.session.lost) retryLater();
  if (fixable(result) && view === 'record' && shown && shown.id === result.id) {
    // Nothing was stored under this id (422): the person fixes these answers.
    await reopen(result.id);
  }
}

async function reopen(id) {
  // A correction of an answer the server does not know is no correction: it goes as an answer.
  const change = (r) => ({ ...r, status: 'draft', code: null, note: null, corrects: r.code === 'corrects_unknown' ? null : r.corrects });
  const { ok, record } = await store.reopen(id, change);
  if (!ok) return;
  await go({ id, n: pageOf(record.errors && record.errors.length ? record.errors[0].path : '') }, 'replace');
}

// A returned answer whose id the server holds for another answer, sent again under a new id:
// only when the person asks; the answer is kept until then.
async function renew(id) {
  const r = await store.get(id);
  if (!r || r.status !== 'rejected') return;
  const copy = { id: store.newId(), form: r.form, version: r.version, household: r.household, user: r.user, answers: r.answers, status: 'waiting', saved: new Date().toISOString() };
  if (r.corrects) copy.corrects = r.corrects;
  await store.replace(r.id, copy);
  if (view === 'record') await go({ id: copy.id }, 'replace');
  await flush();
}

// A version the designer retired (the page lists them): on the current version's page, this
// phone's drafts of it, and its answers refused for it, move here with the answers this
// version still asks for; the person checks them and sends them (editDraft says what moved).
async function moveRetired() {
  const retired = visit.retired || [];
  if (data.version !== visit.current || !retired.length) return;
  const stale = (await mine()).filter((r) => retired.includes(r.version) && store.ours(r) && (r.status === 'draft' || (r.status === 'rejected' && r.code === 'version_retired')));
  if (!stale.length) return;
  const { carried } = await import('./move.js');
  for (const r of stale) {
    const { answers, dropped } = carried(r.answers, data.schema);
    const to = (s) => ({ ...s, version: data.version, answers, status: 'draft', code: null, note: null, errors: null, page: 0, moved: { from: s.version, dropped } });
    await store.move(r.id, r.version, (s) => (s.saved === r.saved ? to(s) : s)); // typed since: next time
  }
}

// ---------------------------------------------------------------- events

// The schema's x-rules and x-calculate need logic.js, fetched once the cadre starts typing (the
// first visit stays small; the service worker keeps it). Computed questions are then worked
// out each time the answers are read (fields.js answers).
let logicCode = null;
const logic = () => data.logic && (logicCode = logicCode || import('./logic.js').then((m) => settle(useLogic(m)), () => (logicCode = null)));

// After a change: logic.js fetched (the first time), questions shown or hidden, then the rules
// found again.
let settleTimer = null;
function settle() {
  logic();
  applyConditions();
  liveRules();
}
form.addEventListener('input', (e) => {
  if (!draft || view !== 'page') return;
  const el = e.target;
  if (el.name && el.name[0] === '/') {
    touched.add(el.name);
    ruled = ruled.filter((i) => i.path !== el.name); // what the rules said of the old value
    if (el.type !== 'radio') checkField(el.name);
  }
  clearTimeout(settleTimer); // a typed number can open a question too (floor area > 0)
  settleTimer = setTimeout(settle, 150);
  saveSoon();
});

form.addEventListener('change', (e) => {
  if (!draft || view !== 'page') return;
  if (e.target.name && e.target.name[0] === '/') touched.add(e.target.name);
  clearTimeout(settleTimer);
  settle();
  saveSoon();
});

form.addEventListener('submit', (e) => {
  e.preventDefault();
  if (e.submitter === sendButton) submit();
  else forward();
});
next.addEventListener('click', forward);
back.addEventListener('click', goBack);
summary.addEventListener('click', (e) => {
  const b = e.target.closest('button.edit');
  if (b && draft) go({ id: draft.id, n: +b.dataset.n });
});
$('send-now').addEventListener('click', flush);
$('to-records').addEventListener('click', () => go({ list: true }));
$('take').addEventListener('click', takeOver);

// The buttons of the list, the held notice and a record's state, by what they do.
document.addEventListener('click', async (e) => {
  const b = e.target.closest('#records button, #held button, #state button');
  if (!b) return;
  calm(); // what follows changes the page, after a look at the phone's storage
  const li = b.closest('li'), r = li ? await store.get(li.dataset.id) : shown;
  const c = b.classList;
  if (c.contains('fresh')) isLink ? go({ id: null }) : home();
  else if (!r) drawList();
  else if (c.contains('resume') || c.contains('look')) go({ id: r.id });
  else if (c.contains('discard')) discard(r);
  else if (c.contains('renew')) renew(r.id);
  else if (c.contains('reopen')) reopen(r.id);
  else if (c.contains('correct')) correct(r);
});

// A record changed, here or in another tab: the list, and the record this tab shows.
store.onChange(async ({ id, status, here: mine }) => {
  if (status !== 'draft' || view === 'list') await drawList();
  if (!mine && draft && draft.id === id && status !== 'draft' && status !== 'gone') {
    const r = await store.get(id);
    if (r) moved(r);
  } else if (shown && shown.id === id && (view === 'record' || view === 'held')) {
    const r = await store.get(id);
    if (!r) return;
    if (view === 'held' && r.status !== 'draft') {
      showRecord(r);
      history.replaceState(history.state, '', here());
    } else if (view === 'record') drawState((shown = r));
  }
});

addEventListener('online', flush);
addEventListener('storage', (e) => e.key === 'ms-me' && flush()); // logged in again, in another tab
addEventListener('offline', drawList);
// Leaving (Back at once after typing, another app, the screen off): what was typed is
// written now, not when the phone is next idle, which for this page may be never.
addEventListener('pagehide', () => dirty && writeNow());
document.addEventListener('visibilitychange', () => document.hidden && dirty && writeNow());
addEventListener('beforeunload', (e) => {
  if (+records.dataset.waiting > 0 && !persisted) {
    e.preventDefault();
    e.returnValue = '';
  }
});

// ---------------------------------------------------------------- start

async function start() {
  // What only some forms need (more.js): their first visit is the larger for it, no other's.
  if (data.more) await import('./more.js');
  setup();
  await moveRetired();
  $('to-records').hidden = false;
  let to = parse(location.hash);
  for (const b of document.querySelectorAll('button.fresh')) b.textContent = freshText;
  if (!to) {
    const drafts = (await mine()).filter((r) => r.status === 'draft' && r.version === data.version && r.household === household && store.ours(r)).sort(newest);
    to = { id: drafts.length ? drafts[0].id : null };
  }
  await go(to, 'replace');
  await drawList();
  idle(warm);
  if (navigator.onLine) flush();
  if (navigator.storage && navigator.storage.persist) {
    persisted = (await navigator.storage.persisted()) || (await navigator.storage.persist());
  }
  if ('serviceWorker' in navigator) await offline();
}

// The service worker keeps this page, the front page and this page in the other language for
// use with no network. This page is fetched again now only if it was opened before the
// worker ran; the other two, and the other pages' files, wait for a later visit, to keep the
// first one small.
async function offline() {
  const controlled = !!navigator.serviceWorker.controller;
  await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  for (const old of await navigator.serviceWorker.getRegistrations()) {
    if (new URL(old.scope).pathname === '/f/') old.unregister(); // before the front page was kept
  }
  const cache = await caches.open('ms-pages-1'), url = new URL(location.href);
  url.hash = '';
  const other = new URL(url);
  other.searchParams.set('lang', data.lang === 'en' ? 'zh' : 'en');
  const want = controlled ? [url, other, new URL('/?lang=' + data.lang, url)] : [url];
  for (const u of want) if (!(await cache.match(u.href, { ignoreVary: true }))) await cache.add(u.href).catch(() => {});
  // Not awaited: a worker may never become ready (blocked, or its install failed offline).
  const loaded = performance.getEntriesByType('resource').map((e) => e.name);
  navigator.serviceWorker.ready.then((r) => r.active.postMessage(controlled ? 'keep' : { keep: loaded })); // the other pages' files, or this form's own
}
// Each field's checks are built while the phone is idle, so the first keystroke in a field
// is as quick as the others.
const cold = new Set(), SAMPLE = { string: 'x', integer: 1, number: 1.5, boolean: true };
function warm(deadline) {
  if (!cold.size) for (const el of form.elements) if (el.name && el.name[0] === '/') cold.add(el.name);
  for (const name of cold) {
    if (deadline && deadline.timeRemaining() < 2) return idle(warm);
    cold.delete(name);
    const node = nodeAt(data.view, name.replace(/\/[0-9]+\//g, '/0/'));
    if (node && node.type !== 'object' && node.type !== 'array') schemaIssues(node, SAMPLE[node.type], data, name);
  }
}

html.dataset.ready = 'loading';
start().finally(() => (html.dataset.ready = 'yes'));
