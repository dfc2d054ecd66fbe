// Answers kept on the phone (IndexedDB): drafts, the outbox, and what was sent; and what is
// known of the households they are about (their roster entry, their last answer, households
// proposed here and not yet sent), for use offline.
// A record is {id (the submission UUID), form, version, household, user, answers, status,
// saved, received?, errors?, corrects?}; status is draft, waiting, sent or rejected; `user` is
// who made it on this phone, and only their login ever sends it. Sending is idempotent on
// the server, so a record may be sent again safely until the phone hears back -- as long as
// its answers never change once it leaves the draft state. Every write that could undo that
// (a draft typed in a stale tab, an old send's outcome) reads the stored status inside the
// same readwrite transaction and gives up when the record has moved on.
const STORE = 'answers';
// Other tabs of this phone hear of every change, to redraw their lists and views.
const channel = 'BroadcastChannel' in self ? new BroadcastChannel('minsheng') : null;
const listeners = [];
if (channel) channel.onmessage = (e) => listeners.forEach((f) => f(e.data));
// f({id, status, here}): record `id` now has `status` ('gone' once deleted); `here` when this
// tab made the change.
export const onChange = (f) => listeners.push(f);
function told(id, status) {
  if (channel) channel.postMessage({ id, status });
  setTimeout(() => listeners.forEach((f) => f({ id, status, here: true })));
}

const opened = {};
function db(name = 'minsheng', kind = STORE) {
  opened[name] = opened[name] || new Promise((resolve, reject) => {
    const req = indexedDB.open(name, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(kind, { keyPath: 'id' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return opened[name];
}

// work(store) issues the requests and returns a function giving the result once committed.
async function run(mode, work, name, kind = STORE) {
  const conn = await db(name, kind);
  return new Promise((resolve, reject) => {
    const t = conn.transaction(kind, mode);
    const result = work(t.objectStore(kind));
    t.oncomplete = () => resolve(result());
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
}

// Replace the record `id` with change(stored) when allowed(stored); in one transaction.
// Resolves to {ok, record}: the record now stored (the new one, or the one that stayed).
async function update(id, allowed, change) {
  const out = await run('readwrite', (s) => {
    const out = { ok: false, record: null };
    const req = s.get(id);
    req.onsuccess = () => {
      out.record = req.result || null;
      if (!allowed(out.record)) return;
      out.record = change(out.record);
      out.ok = true;
      s.put(out.record);
    };
    return () => out;
  });
  if (out.ok) told(id, out.record.status);
  return out;
}

const isDraft = (r) => !r || r.status === 'draft';
export const all = () => run('readonly', (s) => { const q = s.getAll(); return () => q.result; });
export const get = (id) => run('readonly', (s) => { const q = s.get(id); return () => q.result || null; });

// A draft as typed: written only while the stored record is still a draft (or new).
export const saveDraft = (record) => update(record.id, isDraft, () => record);
// Send pressed: the draft becomes a frozen copy in the outbox, once.
export const queue = (record) => update(record.id, isDraft, () => record);
// A rejected answer opened to be fixed.
export const reopen = (id, change) => update(id, (r) => !!r && r.status === 'rejected', change);
// A draft, or an answer refused because its version was retired, moved to another version.
export const move = (id, from, change) => update(id, (r) => !!r && r.version === from && (r.status === 'draft' || (r.status === 'rejected' && r.code === 'version_retired')), change);
// A draft thrown away, with the photos taken for it; nothing else is ever deleted here.
export async function discard(id) {
  let gone = null;
  await run('readwrite', (s) => {
    const req = s.get(id);
    req.onsuccess = () => { if (req.result && req.result.status === 'draft') s.delete(id), (gone = req.result); };
    return () => told(id, 'gone');
  });
  const named = gone && photos(gone.answers);
  if (named) await (await named).dropUnsent(gone.answers).catch(() => {});
}
// A new record in the outbox (a rejected answer sent again under a new id) and the old one gone.
export const replace = (old, record) => run('readwrite', (s) => {
  s.put(record);
  s.delete(old);
  return () => (told(old, 'gone'), told(record.id, record.status));
});

export function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 15) | 64;
  b[8] = (b[8] & 63) | 128;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// ---------------------------------------------------------------- who is logged in

// Who this phone's pages were last made for: {user, name, csrf, at, lost}. A page may come
// from the offline cache, made for an earlier login, so the newest page wins (`at`: when the
// server made it). `lost`: the server said the session ended.
const ME = 'ms-me';
export const session = JSON.parse(localStorage.getItem(ME) || '{}');
const keep = () => localStorage.setItem(ME, JSON.stringify(session));
addEventListener('storage', (e) => e.key === ME && Object.assign(session, JSON.parse(e.newValue || '{}')));

// A page's visit (see server/pages.py visit): who it is for, unless a newer login was seen.
export function visited(visit) {
  if (visit && visit.user && !(session.at >= visit.at)) {
    Object.assign(session, { user: visit.user, name: visit.name, csrf: visit.csrf, at: visit.at, lost: false });
    keep();
  }
  return session;
}
// A record is sent only under the login of whoever made it (records from before records
// named anyone go with the login there is).
export const ours = (r) => !r.user || r.user === session.user;

// The server said no (401, or 403 for a stale CSRF token): ask it who this phone is now.
// The same person: the token the page had was stale, and the new one is kept. Someone else,
// or nobody: the session is lost, and nothing more is sent until its person logs in again.
export async function relearn() {
  let me = null;
  try {
    const response = await fetch('/api/me', { credentials: 'same-origin' });
    if (response.ok) me = await response.json();
  } catch (e) {
    return false; // no network after all: try again later
  }
  const user = me && (me.kind === 'link' ? 'link:' + me.household_id : me.username);
  if (user && user === session.user) {
    session.csrf = me.csrf_token;
    keep();
    return true;
  }
  session.lost = true;
  keep();
  return false;
}

const TIMEOUT = 30000; // ms; a request that hangs longer is given up and retried later
const flying = new Map(); // id -> the send of that record now in flight
export const inFlight = (id) => flying.has(id);

// POST one waiting record and keep what became of it: sent, rejected (with the server's errors
// and code) or still waiting (with the server's message, if it gave one). A record already in
// flight is not sent twice: the caller gets the send that is on its way. Resolves to the
// record as stored afterwards.
export function send(record, lang) {
  if (!flying.has(record.id)) {
    const sending = post({ ...record }, lang).then(settle);
    flying.set(record.id, sending.finally(() => flying.delete(record.id)));
  }
  return flying.get(record.id);
}

// An outcome is kept only while the record still waits: a slower, older send never turns a
// sent answer back into a waiting one.
async function settle(result) {
  const { record } = await update(result.id, (r) => !!r && r.status === 'waiting', () => result);
  const named = result.status === 'sent' && photos(result.answers);
  if (named) await named.then((p) => p.forget(result.answers)).catch(() => {}); // the server has them
  if (result.status === 'sent' && result.corrects) {
    await update(result.corrects, (r) => !!r && r.status === 'sent', (r) => ({ ...r, corrected_by: result.id }));
  }
  return record || result;
}

async function post(record, lang, again = true) {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), TIMEOUT);
  const wait = (note) => Object.assign(record, { status: 'waiting', tries: (record.tries || 0) + 1, note });
  const body = { id: record.id, version: record.version, answers: record.answers };
  if (record.household) body.household_id = record.household;
  if (record.corrects) body.corrects = record.corrects;
  if (!ours(record) || session.lost) return wait(null);
  const at = `/api/forms/${encodeURIComponent(record.form)}/submissions?lang=${lang}`;
  let response, said;
  try {
    // Its photos first: the server refuses an answer naming a photo it does not have.
    const named = photos(record.answers);
    response = named && (await (await named).upload(record.answers, session.csrf || '', lang, stop.signal));
    response = response || await fetch(at, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf || '' }, body: JSON.stringify(body), credentials: 'same-origin', signal: stop.signal });
    said = await response.json().catch((e) => {
      if (stop.signal.aborted) throw e;
      return {};
    });
  } catch (e) {
    return wait(null); // no network, or no answer in time: the server may have it; resending is safe
  } finally {
    clearTimeout(timer);
  }
  const detail = said.detail || `HTTP ${response.status}`;
  // Not logged in (any more), or a stale page: kept waiting, never rejected for it.
  if (response.status === 401 || (response.status === 403 && said.code === 'csrf')) {
    if (again && (await relearn())) return post(record, lang, false);
    return Object.assign(record, { status: 'waiting', code: 'login', note: detail });
  }
  if (response.ok) return Object.assign(record, { status: 'sent', received: said.received_at, errors: null, note: null, code: null });
  if (response.status === 422 && said.code === 'photo_missing' && again && photos(record.answers)) {
    await (await photos(record.answers)).unmark(record.answers);
    return post(record, lang, false);
  }
  if (response.status === 422 && said.code === 'household_unknown' && record.household && (await household(record.household) || {}).pending) return wait(detail); // its proposal is not sent yet
  if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
    return Object.assign(record, { status: 'rejected', code: said.code || null, note: detail, errors: said.errors || null });
  }
  return wait(detail);
}

let sending = null;
// Send every waiting record of this login once, oldest first; resolves to the records after
// the attempt. (An answer about a household proposed here waits until 我的联系户 has sent the
// proposal: forms/static/home.js.)
export function flush(lang) {
  sending = sending || (async () => {
    try {
      Object.assign(session, JSON.parse(localStorage.getItem(ME) || '{}'));
      const waiting = (await all()).filter((r) => r.status === 'waiting' && ours(r)).sort((a, b) => (a.saved < b.saved ? -1 : 1));
      for (const record of waiting) {
        if (session.lost) break;
        // one in flight is joined; one another tab settled since the list was read is left alone
        if (flying.has(record.id) || ((await get(record.id)) || {}).status === 'waiting') await send(record, lang);
      }
      return await all();
    } finally {
      sending = null;
    }
  })();
  return sending;
}

// ---------------------------------------------------------------- photos

// An answer names a photo taken with it by the photo's UUID: only then is the code that
// keeps and uploads photos (photos.js) fetched.
const photos = (answers) => (/"[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}"/.test(JSON.stringify(answers)) ? import('./photos.js') : null);

// ---------------------------------------------------------------- households

// {roster, last} of household `id`, as well as this phone knows it; `page`, the roster entry
// the page came with (the freshest), is kept for when the offline cache serves this page
// for another household.
export async function known(id, page) {
  const kept = (id && (await household(id).catch(() => null))) || {};
  const roster = page && page.head_name ? { ...kept.roster, ...page } : kept.roster || page || null;
  if (page && page.head_name) learn({ id, roster }).catch(() => {});
  return { roster, last: kept.last || null };
}

// What this phone knows of a household, kept for use offline: {id, line (its line of
// 我的联系户), roster (as the roster has it), last ({id, answers} of its last answer),
// pending (a household proposed here, not yet sent: the body to send), error}.
const HOUSEHOLDS = ['minsheng-households', 'households'];
export const household = (id) => run('readonly', (s) => { const q = s.get(id); return () => q.result || null; }, ...HOUSEHOLDS);
export const households = () => run('readonly', (s) => { const q = s.getAll(); return () => q.result; }, ...HOUSEHOLDS);
// Merge `facts` into what is known of household facts.id.
export const learn = (facts) => run('readwrite', (s) => {
  const q = s.get(facts.id);
  q.onsuccess = () => s.put({ ...(q.result || {}), ...facts });
  return () => null;
}, ...HOUSEHOLDS);

// ---------------------------------------------------------------- drafts held by a tab

// Two tabs never edit one draft blindly: a tab holds a Web Lock named after the draft it
// edits for as long as it edits it. Another tab that opens the same draft finds the lock
// taken and offers to take it over (stealing the lock, which tells the first tab at once)
// or to start a new household. Where Web Locks are missing, the writes above still refuse
// any draft written over an answer that was queued or sent.
const locks = navigator.locks;
const holding = new Map(); // draft id -> the function that lets its lock go
const name = (id) => 'minsheng-draft-' + id;

// Hold the lock of draft `id` (taking it from another tab when `take`); false when another
// tab holds it. `lost(id)` is called if another tab takes it later.
export function hold(id, lost, take = false) {
  if (!locks || holding.has(id)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const options = take ? { steal: true } : { ifAvailable: true };
    locks.request(name(id), options, (lock) => {
      if (!lock) return resolve(false);
      resolve(true);
      return new Promise((release) => holding.set(id, release));
    }).catch(() => {
      // stolen: another tab took this draft over
      if (holding.delete(id)) lost(id);
    });
  });
}

export function release(id) {
  const release = holding.get(id);
  holding.delete(id);
  if (release) release();
}

// The drafts other tabs hold now.
export async function heldElsewhere() {
  if (!locks) return new Set();
  const { held: now } = await locks.query();
  return new Set(now.map((l) => l.name).filter((n) => n.startsWith(name(''))).map((n) => n.slice(name('').length)).filter((id) => !holding.has(id)));
}
