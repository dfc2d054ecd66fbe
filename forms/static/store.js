// Answers kept on the phone (IndexedDB): drafts, the outbox, and what was sent.
// A record is {id (the submission UUID), form, version, answers, status, saved, received?,
// errors?, corrects?}; status is draft, waiting, sent or rejected. Sending is idempotent on
// the server, so a record may be sent again safely until the phone hears back -- as long as
// its answers never change once it leaves the draft state. Every write that could undo that
// (a draft typed in a stale tab, an old send's outcome) reads the stored status inside the
// same readwrite transaction and gives up when the record has moved on.
const STORE = 'answers';
let opening;
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

function db() {
  opening = opening || new Promise((resolve, reject) => {
    const req = indexedDB.open('minsheng', 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'id' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return opening;
}

// work(store) issues the requests and returns a function giving the result once committed.
async function run(mode, work) {
  const conn = await db();
  return new Promise((resolve, reject) => {
    const t = conn.transaction(STORE, mode);
    const result = work(t.objectStore(STORE));
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
// A draft thrown away; nothing else is ever deleted here.
export const discard = (id) => run('readwrite', (s) => {
  const req = s.get(id);
  req.onsuccess = () => { if (req.result && req.result.status === 'draft') s.delete(id); };
  return () => told(id, 'gone');
});
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

// The logged-in session's CSRF token, which every write carries (set by the page).
export const session = { csrf: '' };

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
  if (result.status === 'sent' && result.corrects) {
    await update(result.corrects, (r) => !!r && r.status === 'sent', (r) => ({ ...r, corrected_by: result.id }));
  }
  return record || result;
}

async function post(record, lang) {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), TIMEOUT);
  const wait = (note) => Object.assign(record, { status: 'waiting', tries: (record.tries || 0) + 1, note });
  const body = { id: record.id, version: record.version, answers: record.answers };
  if (record.household) body.household_id = record.household;
  if (record.corrects) body.corrects = record.corrects;
  let response, said;
  try {
    response = await fetch(`/api/forms/${encodeURIComponent(record.form)}/submissions?lang=${lang}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf },
      body: JSON.stringify(body),
      credentials: 'same-origin',
      signal: stop.signal,
    });
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
  if (response.ok) return Object.assign(record, { status: 'sent', received: said.received_at, errors: null, note: null, code: null });
  if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
    return Object.assign(record, { status: 'rejected', code: said.code || null, note: detail, errors: said.errors || null });
  }
  return wait(detail);
}

let sending = null;
// Send every waiting record once, oldest first; resolves to the records after the attempt.
export function flush(lang) {
  sending = sending || (async () => {
    try {
      const waiting = (await all()).filter((r) => r.status === 'waiting').sort((a, b) => (a.saved < b.saved ? -1 : 1));
      for (const record of waiting) {
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
