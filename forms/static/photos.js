// Photos taken for answers (forms/static/photo.js), kept on the phone until the answer naming
// them is sent: {id (the UUID the answer names), blob, type, size, user, saved, uploaded}.
// The outbox (store.js) uploads them before the answer (PUT, idempotent: the same bytes
// again are fine) and lets them go once the answer is sent, when the server holds both.
// Fetched only by a page with a photo question or an outbox holding a photo.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
let opened = null;
function db() {
  opened = opened || new Promise((resolve, reject) => {
    const req = indexedDB.open('minsheng-photos', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('photos', { keyPath: 'id' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return opened;
}

async function run(mode, work) {
  const conn = await db();
  return new Promise((resolve, reject) => {
    const t = conn.transaction('photos', mode), request = work(t.objectStore('photos'));
    t.oncomplete = () => resolve(request && request.result);
    t.onerror = t.onabort = () => reject(t.error);
  });
}

export const photo = (id) => run('readonly', (s) => s.get(id)).then((p) => p || null);
export const keep = (p) => run('readwrite', (s) => void s.put(p)).then(() => p);
export const drop = (id) => run('readwrite', (s) => void s.delete(id));

// The photos kept here that `answers` name.
async function named(answers) {
  const ids = new Set();
  const walk = (v) => (typeof v === 'string' ? UUID.test(v) && ids.add(v) : v && typeof v === 'object' && Object.values(v).forEach(walk));
  walk(answers);
  const found = [];
  for (const id of ids) {
    const p = await photo(id).catch(() => null);
    if (p) found.push(p);
  }
  return found;
}

// Upload the photos `answers` name that are not uploaded yet; the first refusal (a
// Response), or null.
export async function upload(answers, csrf, lang, signal) {
  for (const p of await named(answers)) {
    if (p.uploaded) continue;
    const response = await fetch(`/api/media/${p.id}?lang=${lang}`, { method: 'PUT', headers: { 'Content-Type': p.type, 'X-CSRF-Token': csrf }, body: p.blob, credentials: 'same-origin', signal });
    if (!response.ok) return response;
    await keep({ ...p, uploaded: true });
  }
  return null;
}

// The server no longer has them (an old upload pruned: server/media.py): upload them again.
export async function unmark(answers) {
  for (const p of await named(answers)) if (p.uploaded) await keep({ ...p, uploaded: false });
}

// A draft thrown away: its photos never went anywhere else.
export async function dropUnsent(answers) {
  for (const p of await named(answers)) if (!p.uploaded) await drop(p.id);
}

export async function forget(answers) {
  for (const p of await named(answers)) await drop(p.id);
}
