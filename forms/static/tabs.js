// Two tabs never edit one draft blindly: a tab holds a Web Lock named after the draft it
// edits for as long as it edits it. Another tab that opens the same draft finds the lock
// taken and offers to take it over (stealing the lock, which tells the first tab at once)
// or to start a new household. Where Web Locks are missing, store.js still refuses any draft
// write over an answer that was queued or sent.
const locks = navigator.locks;
const held = new Map(); // draft id -> the function that lets its lock go
const name = (id) => 'minsheng-draft-' + id;

// Hold the lock of draft `id` (taking it from another tab when `take`); false when another
// tab holds it. `lost(id)` is called if another tab takes it later.
export function hold(id, lost, take = false) {
  if (!locks || held.has(id)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const options = take ? { steal: true } : { ifAvailable: true };
    locks.request(name(id), options, (lock) => {
      if (!lock) return resolve(false);
      resolve(true);
      return new Promise((release) => held.set(id, release));
    }).catch(() => {
      // stolen: another tab took this draft over
      if (held.delete(id)) lost(id);
    });
  });
}

export function release(id) {
  const release = held.get(id);
  held.delete(id);
  if (release) release();
}

// The drafts other tabs hold now.
export async function heldElsewhere() {
  if (!locks) return new Set();
  const { held: now } = await locks.query();
  return new Set(now.map((l) => l.name).filter((n) => n.startsWith(name(''))).map((n) => n.slice(name('').length)).filter((id) => !held.has(id)));
}
