// Picking a place from the roster's tree, level by level (a township, then one of its
// villages), never typing a 12-digit code. The places come from GET /api/places?parent=,
// kept on the phone (localStorage) for use offline and refreshed when there is a network.
//
// cascade(select) turns a plain <select> of villages (grouped by township: what a phone
// without JavaScript shows, and what may be chosen) into one list per level below the
// places its villages share, each offering only what leads to one of them; with
// data-root="<code prefix>" and no options, any village under that place. The <select>
// keeps the value chosen, so the form sends what it always did. `inside` (a form's village
// question, forms/places.py): the lists go into the question, in place of its <select>, so
// its label and errors stay in view; the question says its answer as "township village" for
// the summary, and the lists follow the <select> when a saved answer is put in the form.
const KEY = 'ms-places:';
const WIDTHS = [2, 4, 6, 9, 12];

// The places directly under `parent` (a 12-digit code): from the phone at once when kept
// there (and asked again in the background), else from the server; null offline.
export async function children(parent) {
  const key = KEY + parent, kept = JSON.parse(localStorage.getItem(key) || 'null');
  const asking = fetch('/api/places?parent=' + parent, { credentials: 'same-origin' })
    .then((r) => (r.ok ? r.json() : null))
    .then((list) => {
      if (list) localStorage.setItem(key, JSON.stringify(list.map(({ code, name, level, prefix }) => ({ code, name, level, prefix }))));
      return list;
    })
    .catch(() => null);
  return kept || asking;
}

const full = (prefix) => prefix.padEnd(12, '0');

// The place every code is under: the longest level prefix they share.
function root(codes) {
  let n = 0;
  while (n < 12 && codes.every((c) => c[n] === codes[0][n])) n++;
  const width = WIDTHS.filter((w) => w <= n).pop() || 0;
  return codes[0].slice(0, width);
}

export async function cascade(select, labels = {}, inside = false) {
  const allowed = [...select.options].map((o) => o.value).filter(Boolean);
  const top = select.dataset.root || (allowed.length > 1 ? root(allowed) : null);
  if (!top) return; // one village, or none: nothing to pick between
  if (!select.querySelector('option[selected]')) select.value = ''; // chosen, not defaulted
  const leads = (p) => !allowed.length || allowed.some((c) => c.startsWith(p.prefix));
  const box = document.createElement('div');
  box.className = 'cascade';
  const lists = [];
  const drop = (n) => {
    while (lists.length > n) lists.pop().closest('.lvl').remove();
  };
  let run = 0; // lists drawn again from the <select> (a saved answer put back) start a new run
  // The list of the places under `parent`, after the list it was chosen in (or first).
  async function level(parent, after, mine = run) {
    drop(after);
    const found = ((await children(full(parent))) || []).filter(leads);
    if (mine !== run) return; // drawn again meanwhile
    if (!found.length) return lists.length === 0 && box.remove();
    const q = box.appendChild(document.createElement('div')), label = q.appendChild(document.createElement('label'));
    const list = document.createElement('select');
    q.className = inside ? 'lvl' : 'q lvl';
    list.id = `${select.id}-${found[0].level}`;
    label.htmlFor = list.id;
    label.textContent = labels[found[0].level] || found[0].level;
    q.appendChild(document.createElement('div')).className = 'in';
    q.lastChild.appendChild(list);
    list.add(new Option(labels.choose || '—', ''));
    for (const p of found) list.add(new Option(p.name, p.prefix));
    list.disabled = select.disabled; // a sent record's lists, drawn again, stay locked (fields.js lock)
    list._locked = select._locked;
    lists.push(list);
    const here = lists.length;
    const picked = found.find((p) => select.value && select.value.startsWith(p.prefix));
    if (picked) list.value = picked.prefix;
    list.addEventListener('change', () => {
      const chosen = found.find((p) => p.prefix === list.value);
      select.value = chosen && chosen.level === 'village' ? chosen.code : '';
      said();
      for (const type of ['input', 'change']) select.dispatchEvent(new Event(type, { bubbles: true }));
      if (chosen && chosen.level !== 'village') level(chosen.prefix, here);
      else drop(here);
    });
    if (picked && picked.level !== 'village') await level(picked.prefix, here, mine);
  }
  const q = select.closest('.q');
  // What the question answers, in words: the village under its township.
  const said = () => {
    if (!inside) return;
    const o = select.selectedOptions[0];
    q.dataset.answer = o && o.value ? `${o.parentElement.label || ''} ${o.textContent}`.trim() : '';
  };
  const plain = inside ? select.closest('.in') : q;
  plain.before(box);
  await level(top, 0);
  if (!lists.length) return; // offline with nothing kept: the plain list stays
  plain.hidden = true;
  said();
  const shown = () => (lists.length ? lists[lists.length - 1].value : '') === select.value;
  if (inside) select.form.addEventListener('ms-filled', () => (said(), shown() || level(top, 0, ++run)));
}
