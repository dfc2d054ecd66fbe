// The form page, enhanced: pages with progress, live checks with the server's messages,
// conditional questions, repeat groups, drafts and an outbox that survive with no network.
// The page works without this script; field names are JSON pointers to the answers.
import { convert, prune, issues, ruleIssues, message, nodeAt, schemaIssues, idNumberIssues, holds, typed } from './check.js';
import * as store from './store.js';
import * as tabs from './tabs.js';

const data = JSON.parse(document.getElementById('ms-data').textContent);
const T = data.ui;
const form = document.getElementById('form');
const $ = (id) => document.getElementById(id);
const pages = [...form.querySelectorAll('section.page')];
const summary = $('summary'), back = $('back'), next = $('next'), sendButton = $('send');
const progress = $('progress'), records = $('records'), net = $('net');
const fmt = (s, p) => s.replace(/\{(\w+)\}/g, (m, k) => (k in p ? p[k] : m));
let current = 0, draft = null, persisted = false, retryTimer = null, retries = 0;
// draft: the record the form writes to as it is typed; null while a sent answer is shown.
// shown: the id of the answer shown as sent (or on its way) after Send, else null.
let shown = null;
const again = document.createElement('button'); // "fill a new one", shown after Send
again.type = 'button';
again.id = 'new';
again.textContent = T.new;
again.hidden = true;
sendButton.after(again);

form.noValidate = true;
document.documentElement.classList.add('js');

// ---------------------------------------------------------------- answers from the page

function values() {
  const found = new Map();
  for (const [k, v] of new FormData(form)) {
    if (k[0] === '/' && typeof v === 'string') (found.get(k) || found.set(k, []).get(k)).push(v);
  }
  return found;
}
const rawAnswers = () => convert(data.schema, '', values());
const answers = () => prune(data.schema, rawAnswers());

function get(obj, path) {
  for (const part of path.split('/').slice(1)) obj = obj == null ? obj : obj[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return obj;
}

// ---------------------------------------------------------------- conditional questions

// A hidden question is disabled, so it is neither sent nor required; a shown one is required
// when its branch says so, and a question required only under a condition follows it too.
function applyConditions() {
  let raw;
  for (let round = 0; round < 2; round++) {
    raw = rawAnswers();
    for (const el of form.querySelectorAll('[data-if]')) {
      el._if = el._if || JSON.parse(el.dataset.if);
      const path = el.dataset.path, object = get(raw, path.slice(0, path.lastIndexOf('/'))) || {};
      const on = holds(el._if, object) === (el.dataset.when === 'then');
      const off = !on || !!(el.parentElement && el.parentElement.closest('[data-if][hidden]'));
      if (el.hidden !== off) el.hidden = off;
      for (const input of el.querySelectorAll('input,select,textarea')) input.disabled = off;
      if ('req' in el.dataset) need(el, !off);
    }
  }
  for (const el of form.querySelectorAll('[data-req-if]')) {
    el._req = el._req || JSON.parse(el.dataset.reqIf);
    need(el, holds(el._req, get(raw, el.dataset.reqAt) || {}) === (el.dataset.reqWhen === 'then'));
  }
}

function need(el, on) {
  el.querySelector('.req').hidden = !on;
  for (const input of el.querySelectorAll(':scope > .in > [name], :scope > .opts [type=radio]')) input.required = on;
}

// ---------------------------------------------------------------- showing issues

function errorSlot(path) {
  for (let p = path; ; p = p.slice(0, p.lastIndexOf('/'))) {
    const slot = $('e' + p);
    if (slot && !slot.parentElement.closest('[hidden]:not(section.page)')) return slot;
    if (!p) return $('form-errors');
  }
}

function clearIssues(scope) {
  for (const slot of scope.querySelectorAll('.err')) {
    slot.hidden = true;
    slot.textContent = '';
  }
  for (const bad of scope.querySelectorAll('.bad')) bad.classList.remove('bad');
  if (scope === form) $('form-errors').hidden = true;
}

// issues: [{path, message}]; shown at their fields (or the nearest group that is shown).
function showIssues(list) {
  for (const issue of list) {
    const slot = errorSlot(issue.path);
    if (slot.id === 'form-errors') {
      const p = document.createElement('p');
      p.textContent = issue.message;
      slot.appendChild(p);
    } else {
      slot.textContent = slot.textContent ? slot.textContent + '；' + issue.message : issue.message;
      if (slot.parentElement) slot.parentElement.classList.add('bad');
    }
    slot.hidden = false;
  }
}
const worded = (list) => list.map((i) => ({ path: i.path, code: i.code, message: i.message || message(data, i) }));
const within = (path, base) => path === base || path.startsWith(base + '/');
const pageOf = (path) => Math.max(0, pages.findIndex((p) => within(path, p.dataset.path)));

// Shown as typed: a field's own schema, and the form's rules (forms/rules.py) about the fields
// a person has touched or the section around them. The rest waits until the page is left:
// "no member is the head" while the first member is being typed would only nag.
const touched = new Set();
let ruled = []; // the rule issues shown now

function checkField(path) {
  const slot = $('e' + path);
  if (!slot) return;
  slot.hidden = true;
  slot.textContent = '';
  slot.parentElement.classList.remove('bad');
  const input = form.elements.namedItem(path), node = nodeAt(data.schema, path);
  const found = [];
  if (input && input.value && !(input instanceof RadioNodeList) && node && node.type !== 'array') {
    found.push(...schemaIssues(node, typed(node, input.value), data, path));
    if (path.endsWith('/id_number')) found.push(...idNumberIssues(input.value, path));
  }
  const own = worded(found.filter((i) => i.path === path));
  showIssues([...own, ...ruled.filter((i) => i.path === path && !own.some((o) => o.code === i.code))]);
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

// After a change: questions shown or hidden, then the rules found again.
function settle() {
  applyConditions();
  liveRules();
}

// ---------------------------------------------------------------- repeat groups

function rebase(root, from, to) {
  const change = (v) => (v === from ? to : v.split(from + '/').join(to + '/').replace('remove:' + from, 'remove:' + to));
  for (const el of [root, ...root.querySelectorAll('*')]) {
    for (const attr of ['name', 'id', 'for', 'data-path', 'data-req-at', 'value']) {
      const v = el.getAttribute(attr);
      if (v && v.includes(from)) {
        const nv = attr === 'id' ? v[0] + change(v.slice(1)) : change(v);
        if (nv !== v) el.setAttribute(attr, nv);
      }
    }
  }
}

function renumber(repeat) {
  const items = [...repeat.querySelector('.items').children];
  items.forEach((item, i) => {
    const want = repeat.dataset.path + '/' + i;
    if (item.dataset.path !== want) rebase(item, item.dataset.path, want);
    item.querySelector('.n').textContent = i + 1;
  });
  const max = repeat.dataset.max === undefined ? Infinity : +repeat.dataset.max;
  repeat.querySelector('.add').hidden = items.length >= max;
  for (const b of repeat.querySelectorAll('.items > .item > .remove')) b.hidden = items.length <= +repeat.dataset.min;
}

function addItem(repeat) {
  const item = repeat.querySelector('template').content.firstElementChild.cloneNode(true);
  const items = repeat.querySelector('.items');
  rebase(item, repeat.dataset.path + '/__i__', repeat.dataset.path + '/' + items.children.length);
  items.appendChild(item);
  renumber(repeat);
  applyConditions();
  return item;
}

function removeItem(item) {
  const repeat = item.closest('.repeat');
  item.remove();
  renumber(repeat);
}

// ---------------------------------------------------------------- pages

function show(n) {
  current = Math.max(0, Math.min(n, pages.length));
  pages.forEach((p, i) => (p.hidden = i !== current));
  summary.hidden = current !== pages.length;
  back.hidden = current === 0;
  next.hidden = current >= pages.length;
  sendButton.hidden = current < pages.length;
  sendButton.disabled = false;
  again.hidden = true;
  progress.hidden = false;
  progress.querySelector('progress').value = Math.min(current + 1, pages.length);
  progress.querySelector('span').textContent =
    current < pages.length ? fmt(T.page, { n: current + 1, total: pages.length }) : T.summary;
  summary.querySelector('h2').textContent = T.summary;
  if (current === pages.length) buildSummary();
  window.scrollTo(0, 0);
}

function pageIssues(n) {
  const base = pages[n].dataset.path;
  return issues(data, answers()).filter((i) => within(i.path, base) && i.path !== '');
}

function forward() {
  clearIssues(pages[current]);
  const found = pageIssues(current);
  if (found.length) {
    showIssues(worded(found));
    const first = pages[current].querySelector('.err:not([hidden])');
    if (first) first.parentElement.scrollIntoView({ block: 'center' });
    return;
  }
  show(current + 1);
}

function answerText(q) {
  const bits = [];
  for (const el of q.querySelectorAll('input:not([type=hidden]),select,textarea')) {
    if (el.disabled) continue;
    if (el.type === 'radio' || el.type === 'checkbox') {
      if (el.checked) bits.push(el.nextSibling.textContent.trim());
    } else if (el.tagName === 'SELECT') {
      if (el.value) bits.push(el.selectedOptions[0].textContent);
    } else if (el.value) {
      const unit = q.querySelector('.unit');
      bits.push(el.value + (unit ? ' ' + unit.textContent : ''));
    }
  }
  return bits.join('、');
}

function buildSummary() {
  const list = summary.querySelector('dl');
  list.textContent = '';
  for (const page of pages) {
    const head = document.createElement('dt');
    head.className = 'sec';
    head.textContent = page.querySelector('h2').textContent;
    list.appendChild(head);
    for (const q of page.querySelectorAll('.q')) {
      if (q.closest('[hidden]:not(section.page)')) continue;
      const text = answerText(q);
      if (!text) continue;
      const item = q.closest('.item');
      const dt = document.createElement('dt'), dd = document.createElement('dd');
      const name = q.querySelector('label,legend').firstChild.textContent;
      dt.textContent = item ? `${item.querySelector('legend').textContent.trim()} · ${name}` : name;
      dd.textContent = text;
      list.append(dt, dd);
    }
  }
}

// ---------------------------------------------------------------- drafts and the outbox

function fill(saved) {
  for (const repeat of form.querySelectorAll('.repeat')) {
    const want = (get(saved, repeat.dataset.path) || []).length;
    const items = repeat.querySelector('.items');
    while (items.children.length < want) addItem(repeat);
    while (items.children.length > Math.max(want, +repeat.dataset.min)) removeItem(items.lastElementChild);
  }
  for (const el of form.elements) {
    if (!el.name || el.name[0] !== '/' || el.type === 'hidden') continue;
    const v = get(saved, el.name);
    if (el.type === 'radio' || el.type === 'checkbox') {
      el.checked = Array.isArray(v) ? v.includes(el.value) : v !== undefined && String(v) === el.value;
    } else {
      el.value = v === undefined || typeof v === 'object' ? '' : String(v);
    }
  }
  applyConditions();
}

// Every change is written to the phone as soon as the page is idle (at most 100 ms later),
// since a phone may kill the browser at any moment; changes made during a write are
// written after it, together.
const idle = window.requestIdleCallback || ((work) => setTimeout(work, 1));
let saving = false, dirty = false;
function saveSoon() {
  dirty = true;
  if (!saving) {
    saving = true;
    idle(writeChanges, { timeout: 100 });
  }
}

async function writeChanges() {
  while (dirty) {
    dirty = false;
    await writeDraft();
  }
  saving = false;
  await listRecords();
}

async function writeDraft() {
  if (!draft) return;
  Object.assign(draft, { answers: answers(), saved: new Date().toISOString() });
  const { ok, record } = await store.saveDraft({ ...draft });
  if (!ok && draft && record && draft.id === record.id) moved(record);
}

// The draft this tab edits was sent or queued elsewhere (another tab, with no Web Locks to
// tell them apart): nothing typed here may overwrite it, so it is shown as it now stands.
function moved(record) {
  tabs.release(record.id);
  draft = null;
  showSent(record);
  tell(`${T.moved} ${T[record.status] || ''}`);
}

async function saveDraft() {
  await writeDraft();
  await listRecords();
}

function freshDraft() {
  return { id: store.newId(), form: data.form, version: data.version, status: 'draft', answers: {}, saved: new Date().toISOString() };
}

// Edit `record` (a draft) in this tab if no other tab edits it; else say so and offer to take
// it over or to start a new household.
async function edit(record, take = false) {
  if (!(await tabs.hold(record.id, taken, take))) return showHeld(record);
  if (draft && draft.id !== record.id) tabs.release(draft.id);
  $('held').hidden = true;
  draft = record;
  shown = null;
  lock(false);
  fill(record.answers);
  show(0);
  touched.clear();
  ruled = [];
  clearIssues(form);
  if (record.errors) showIssues(record.errors);
  await listRecords();
}

// Another tab took this draft over: stop writing to it here at once.
function taken(id) {
  if (!draft || draft.id !== id) return;
  const record = draft;
  draft = null;
  showHeld(record);
}

let heldId = null;
function showHeld(record) {
  heldId = record.id;
  lock(true);
  pages.forEach((p) => (p.hidden = true));
  summary.hidden = progress.hidden = true;
  next.hidden = back.hidden = sendButton.hidden = again.hidden = true;
  const box = $('held');
  box.querySelector('p').textContent = fmt(T.held, { head: get(record.answers, '/household/head_name') || T.none });
  box.hidden = false;
}

async function takeOver() {
  const record = heldId && (await store.get(heldId));
  if (record && record.status === 'draft') await edit(record, true);
}

const when = (iso) => (iso ? new Date(iso).toLocaleString(data.lang === 'en' ? 'en' : 'zh-CN', { hour12: false }) : '');

const isDraft = (r) => !!draft && r.id === draft.id;
const said = (r) => (r.status === 'rejected' && r.errors ? r.errors.map((e) => e.message).join('；') : r.note || '');

function button(li, className, text) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = className;
  b.textContent = text;
  li.appendChild(b);
}

async function listRecords() {
  const mine = (await store.all()).filter((r) => r.form === data.form).sort((a, b) => (a.saved < b.saved ? 1 : -1));
  const list = records.querySelector('ul');
  list.textContent = '';
  for (const r of mine) {
    if (r.status === 'draft' && isDraft(r) && !Object.keys(r.answers || {}).length) continue;
    const li = document.createElement('li');
    li.className = r.status;
    li.dataset.id = r.id;
    const head = get(r.answers, '/household/head_name') || r.id.slice(0, 8);
    li.textContent = `${T[r.status] || r.status} · ${head} · ${r.status === 'sent' ? fmt(T.received, { at: when(r.received) }) : when(r.saved)}`;
    if (r.status === 'waiting' || r.status === 'rejected') {
      const why = said(r); // why it waits (the server's 5xx message) or why it was returned
      if (why) {
        const small = document.createElement('small');
        small.className = 'why';
        small.textContent = why;
        li.appendChild(small);
      }
    }
    if (r.status === 'rejected' && r.code === 'id_conflict') button(li, 'open renew', T.renew);
    if (r.status === 'rejected' || (r.status === 'draft' && !isDraft(r))) button(li, 'open', T.open);
    list.appendChild(li);
  }
  const waiting = mine.filter((r) => r.status === 'waiting').length;
  records.hidden = !list.children.length;
  records.dataset.waiting = waiting;
  $('send-now').hidden = !waiting;
  net.hidden = navigator.onLine && !waiting;
  net.textContent = [navigator.onLine ? '' : T.offline, waiting ? `${T.unsent}：${waiting} ${T.waiting}` : ''].filter(Boolean).join('。');
  return waiting;
}

function retryLater() {
  clearTimeout(retryTimer);
  retries += 1;
  retryTimer = setTimeout(flush, Math.min(300000, 5000 * 2 ** Math.min(retries, 6)) * (0.75 + Math.random() / 2));
}

async function flush() {
  clearTimeout(retryTimer);
  const after = await store.flush(data.lang);
  const waiting = await listRecords();
  const mine = shown && after.find((r) => r.id === shown);
  if (mine) tellOutcome(mine);
  if (waiting && after.some((r) => r.status === 'waiting')) retryLater();
  else retries = 0;
}

function tell(text) {
  const note = $('notice');
  note.textContent = text;
  note.hidden = false;
}

function tellOutcome(r) {
  if (r.status === 'sent') tell(T.done);
  else if (r.status === 'waiting') tell(r.note ? `${T.queued}（${r.note}）` : T.queued);
  else if (r.status === 'rejected') tell(`${said(r)} ${r.code === 'id_conflict' ? T.conflict : ''}`);
}

// A record that left the draft state, shown read-only with what became of it.
function showSent(r) {
  shown = r.id;
  lock(false);
  fill(r.answers);
  show(pages.length);
  lock(true);
  sendButton.hidden = back.hidden = true;
  again.hidden = false;
  summary.querySelector('h2').textContent = T.sent_heading;
  progress.querySelector('span').textContent = T.sent_heading;
  tellOutcome(r);
}

// While a sent answer is shown the questions cannot be changed (they are on hidden pages,
// and disabled too); those disabled here are enabled again, then the conditions decide.
function lock(on) {
  clearTimeout(settleTimer);
  for (const el of form.querySelectorAll('section.page input, section.page select, section.page textarea, section.page button')) {
    if (on && !el.disabled) el.disabled = el._locked = true;
    else if (!on && el._locked) el.disabled = el._locked = false;
  }
  if (!on) applyConditions();
}

async function openRecord(id) {
  let r = await store.get(id);
  if (!r) return;
  await saveDraft();
  if (r.status === 'rejected') {
    const change = (was) => ({ ...was, status: 'draft', code: null, note: null });
    if (r.code === 'id_conflict') {
      // The server holds another answer under this number: this one goes on under a new one.
      const copy = change({ ...r, id: store.newId(), errors: null });
      await store.replace(r.id, copy);
      r = copy;
    } else {
      const { ok, record } = await store.reopen(r.id, change);
      if (!ok) return;
      r = record;
    }
  }
  if (r.status === 'draft') await edit(r);
}

// Send: the answers as they are now are copied into the outbox and the draft is let go, so
// nothing typed later can change what is sent (the server keeps the first body it gets
// under an id). The summary stays on screen, read-only, with what became of it and a
// button to fill a new one.
async function submit() {
  if (!draft || current < pages.length) return; // a sent answer is shown: nothing to send
  clearIssues(form);
  $('notice').hidden = true;
  const given = answers();
  const found = issues(data, given);
  if (found.length) {
    show(pageOf(found[0].path));
    showIssues(worded(found));
    return;
  }
  const record = {
    id: draft.id, form: data.form, version: data.version, status: 'waiting',
    answers: JSON.parse(JSON.stringify(given)), saved: new Date().toISOString(),
  };
  const queued = await store.queue(record);
  if (!queued.ok) return moved(queued.record);
  tabs.release(record.id);
  draft = null;
  shown = record.id;
  lock(true);
  sendButton.disabled = sendButton.hidden = back.hidden = true;
  again.hidden = false;
  summary.querySelector('h2').textContent = T.sent_heading;
  progress.querySelector('span').textContent = T.sent_heading;
  tell(T.sending);
  window.scrollTo(0, 0);
  await listRecords();
  const result = await store.send(record, data.lang);
  if (result.status === 'waiting') retryLater();
  if (shown === result.id) {
    if (result.status === 'rejected' && result.errors && (await tabs.hold(result.id, taken))) {
      // Nothing was stored under this id (422 and the like): the person fixes these answers.
      const { ok, record: reopened } = await store.reopen(result.id, (r) => ({ ...r, status: 'draft' }));
      if (!ok) return listRecords();
      draft = reopened;
      shown = null;
      lock(false);
      show(pageOf(result.errors[0].path));
      clearIssues(form);
      showIssues(result.errors);
    } else {
      tellOutcome(result);
      if (result.status === 'rejected') records.open = true;
    }
  }
  await listRecords();
}

function fillNew() {
  if (draft) tabs.release(draft.id);
  draft = freshDraft();
  tabs.hold(draft.id, taken);
  shown = null;
  heldId = null;
  $('held').hidden = true;
  for (const repeat of form.querySelectorAll('.repeat')) {
    const items = repeat.querySelector('.items');
    while (items.children.length > +repeat.dataset.initial) removeItem(items.lastElementChild);
  }
  form.reset();
  touched.clear();
  ruled = [];
  lock(false);
  clearIssues(form);
  $('notice').hidden = true;
  show(0);
  listRecords();
}

// A returned answer whose number the server holds for another answer, sent again under a
// new number -- only when the person asks; the answer is kept until then.
async function renew(id) {
  const r = await store.get(id);
  if (!r || r.status !== 'rejected') return;
  const copy = { id: store.newId(), form: r.form, version: r.version, answers: r.answers, status: 'waiting', saved: new Date().toISOString() };
  await store.replace(r.id, copy);
  if (shown === r.id) {
    shown = copy.id;
    tell(T.sending);
  }
  await flush();
}

// ---------------------------------------------------------------- events

let settleTimer = null;
form.addEventListener('input', (e) => {
  if (shown) return; // a sent answer is shown: it cannot change
  const el = e.target;
  if (el.name && el.name[0] === '/') {
    touched.add(el.name);
    ruled = ruled.filter((i) => i.path !== el.name); // what the rules said of the old value
    if (el.tagName === 'TEXTAREA' || el.type !== 'radio') checkField(el.name);
  }
  clearTimeout(settleTimer); // a typed number can open a question too (floor area > 0)
  settleTimer = setTimeout(settle, 150);
  saveSoon();
});

form.addEventListener('change', (e) => {
  if (shown) return;
  if (e.target.name && e.target.name[0] === '/') touched.add(e.target.name);
  clearTimeout(settleTimer);
  settle();
  saveSoon();
});

form.addEventListener('click', (e) => {
  const button = e.target.closest('button');
  if (!button) return;
  if (button.classList.contains('add')) {
    e.preventDefault();
    const item = addItem(button.closest('.repeat'));
    item.scrollIntoView();
    saveSoon();
  } else if (button.classList.contains('remove')) {
    e.preventDefault();
    removeItem(button.closest('.item'));
    saveSoon();
  }
});

form.addEventListener('submit', (e) => {
  e.preventDefault();
  if (current < pages.length) forward();
  else submit();
});
next.addEventListener('click', forward);
back.addEventListener('click', () => show(current - 1));
$('send-now').addEventListener('click', flush);
again.addEventListener('click', fillNew);
$('take').addEventListener('click', takeOver);
$('fresh').addEventListener('click', fillNew);
// Another tab changed a record: the list, and the record this tab shows or waits for.
store.onChange(async ({ id }) => {
  await listRecords();
  const r = await store.get(id);
  if (!r) return;
  if (draft && id === draft.id && r.status !== 'draft') moved(r);
  else if (id === heldId && !$('held').hidden && r.status !== 'draft') {
    heldId = null;
    $('held').hidden = true;
    showSent(r);
  } else if (id === shown) tellOutcome(r);
});
records.addEventListener('click', (e) => {
  const c = e.target.classList;
  if (c.contains('renew')) renew(e.target.parentElement.dataset.id);
  else if (c.contains('open')) openRecord(e.target.parentElement.dataset.id);
});
addEventListener('online', flush);
addEventListener('offline', listRecords);
addEventListener('beforeunload', (e) => {
  if (+records.dataset.waiting > 0 && !persisted) {
    e.preventDefault();
    e.returnValue = '';
  }
});

// ---------------------------------------------------------------- start

async function start() {
  for (const repeat of form.querySelectorAll('.repeat')) {
    repeat.dataset.initial = repeat.querySelector('.items').children.length;
    renumber(repeat);
  }
  applyConditions();
  show(0);
  const saved = (await store.all()).filter((r) => r.form === data.form && r.version === data.version && r.status === 'draft');
  const latest = saved.sort((a, b) => (a.saved < b.saved ? 1 : -1))[0];
  if (latest) await edit(latest);
  else fillNew();
  await listRecords();
  if (navigator.onLine) flush();
  if (navigator.storage && navigator.storage.persist) {
    persisted = (await navigator.storage.persisted()) || (await navigator.storage.persist());
  }
  if ('serviceWorker' in navigator) {
    await navigator.serviceWorker.register('/f/sw.js', { scope: '/f/' });
    const pagesCache = await caches.open('ms-pages-1');
    if (!(await pagesCache.match(location.href))) await pagesCache.add(location.href).catch(() => {});
  }
}
document.documentElement.dataset.ready = 'loading';
start().finally(() => (document.documentElement.dataset.ready = 'yes'));
