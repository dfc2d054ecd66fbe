// Answers kept on the phone (IndexedDB): drafts, the outbox, and what was sent.
// A record is {id (the submission UUID), form, version, answers, status, saved, received?, errors?};
// status is draft, waiting, sent or rejected. Sending is idempotent on the server,
// so a record may be sent again safely until the phone hears back -- as long as its
// answers never change once it leaves the draft state: a record in the outbox is a
// copy of the answers as they were when Send was pressed, never the live draft.
const STORE = 'answers';
let opening;

function db() {
  opening = opening || new Promise((resolve, reject) => {
    const req = indexedDB.open('minsheng', 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'id' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return opening;
}

async function run(mode, work) {
  const conn = await db();
  return new Promise((resolve, reject) => {
    const t = conn.transaction(STORE, mode);
    const req = work(t.objectStore(STORE));
    if (mode === 'readwrite' && t.commit) t.commit(); // now, not when the page next idles
    t.oncomplete = () => resolve(req.result);
    t.onerror = () => reject(t.error);
  });
}

export const put = (record) => run('readwrite', (s) => s.put(record));
export const all = () => run('readonly', (s) => s.getAll());
export const drop = (id) => run('readwrite', (s) => s.delete(id));
const one = (id) => run('readonly', (s) => s.get(id));

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

// POST one record; the record as updated: sent, rejected (with the server's errors and code)
// or still waiting (with the server's message, if it gave one). A record already in flight
// is not sent twice: the caller gets the send that is on its way.
export function send(record, lang) {
  if (!flying.has(record.id)) {
    flying.set(record.id, post(record, lang).finally(() => flying.delete(record.id)));
  }
  return flying.get(record.id);
}

async function post(record, lang) {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), TIMEOUT);
  const wait = (note) => Object.assign(record, { status: 'waiting', tries: (record.tries || 0) + 1, note });
  let response, body;
  try {
    const payload = { id: record.id, version: record.version, answers: record.answers };
    if (record.household) payload.household_id = record.household;
    if (record.corrects) payload.corrects = record.corrects;
    response = await fetch(`/api/forms/${encodeURIComponent(record.form)}/submissions?lang=${lang}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf },
      body: JSON.stringify(payload),
      credentials: 'same-origin',
      signal: stop.signal,
    });
    body = await response.json().catch((e) => {
      if (stop.signal.aborted) throw e;
      return {};
    });
  } catch (e) {
    return wait(null); // no network, or no answer in time: the server may have it; resending is safe
  } finally {
    clearTimeout(timer);
  }
  const said = body.detail || `HTTP ${response.status}`;
  if (response.ok) return Object.assign(record, { status: 'sent', received: body.received_at, errors: null, note: null, code: null });
  if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
    return Object.assign(record, { status: 'rejected', code: body.code || null, note: null, errors: body.errors || [{ path: '', message: said }] });
  }
  return wait(said);
}

let sending = null;
// Send every waiting record once, oldest first; resolves to the records after the attempt.
export function flush(lang) {
  sending = sending || (async () => {
    try {
      const waiting = (await all()).filter((r) => r.status === 'waiting').sort((a, b) => (a.saved < b.saved ? -1 : 1));
      for (const record of waiting) {
        // one already in flight is joined; one settled since the list was read is left alone
        if (!flying.has(record.id) && ((await one(record.id)) || {}).status !== 'waiting') continue;
        await put(await send(record, lang));
      }
      return await all();
    } finally {
      sending = null;
    }
  })();
  return sending;
}
