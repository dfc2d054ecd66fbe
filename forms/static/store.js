// Answers kept on the phone (IndexedDB): drafts, the outbox, and what was sent.
// A record is {id (the submission UUID), form, version, answers, status, saved, received?, errors?};
// status is draft, waiting, sent or rejected. Sending is idempotent on the server,
// so a record may be sent again safely until the phone hears back.
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

export function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 15) | 64;
  b[8] = (b[8] & 63) | 128;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// POST one record; the record as updated: sent, rejected (with the server's errors) or still waiting.
export async function send(record, lang) {
  let response;
  try {
    response = await fetch(`/api/forms/${encodeURIComponent(record.form)}/submissions?lang=${lang}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ id: record.id, version: record.version, answers: record.answers }),
      credentials: 'same-origin',
    });
  } catch (e) {
    return Object.assign(record, { status: 'waiting', tries: (record.tries || 0) + 1 });
  }
  const body = await response.json().catch(() => ({}));
  if (response.ok) return Object.assign(record, { status: 'sent', received: body.received_at, errors: null });
  if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
    return Object.assign(record, { status: 'rejected', errors: body.errors || [{ path: '', message: body.detail || String(response.status) }] });
  }
  return Object.assign(record, { status: 'waiting', tries: (record.tries || 0) + 1 });
}

let sending = null;
// Send every waiting record once, oldest first; resolves to the records after the attempt.
export function flush(lang) {
  sending = sending || (async () => {
    try {
      const waiting = (await all()).filter((r) => r.status === 'waiting').sort((a, b) => (a.saved < b.saved ? -1 : 1));
      for (const record of waiting) await put(await send(record, lang));
      return await all();
    } finally {
      sending = null;
    }
  })();
  return sending;
}
