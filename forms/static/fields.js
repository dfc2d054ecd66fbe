// The form's fields on the phone: answers read from them and written back, questions shown
// only sometimes, repeat groups (each item folds to one line; a removed one can be brought
// back), codes such as ID numbers read as they are written on paper, and what is known of
// a household already (its roster entry, its last answer) filled in. Field names are
// the JSON pointers of the answers, as forms/render.py names them.
import { convert, prune, holds, normalizeCode, checkDigit, isDate, more, calculate } from './check.js';

export const data = JSON.parse(document.getElementById('ms-data').textContent);
// What the fields follow: the schema with references inlined (forms/refs.py), if it has any.
data.view = data.view || data.schema;
export const T = data.ui;
export const form = document.getElementById('form');
export const $ = (id) => document.getElementById(id);
export const fmt = (s, p) => s.replace(/\{(\w+)\}/g, (m, k) => (k in p ? p[k] : m));

export function get(obj, path) {
  for (const part of path.split('/').slice(1)) obj = obj == null ? obj : obj[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return obj;
}

function values() {
  const found = new Map();
  for (const [k, v] of new FormData(form)) {
    if (k[0] === '/' && typeof v === 'string') (found.get(k) || found.set(k, []).get(k)).push(v);
  }
  return found;
}
export const rawAnswers = () => convert(data.view, '', values());
export const answers = () => calculate(form, data, prune(data.view, rawAnswers()));

// ---------------------------------------------------------------- conditional questions

// A hidden question is disabled, so it is neither sent nor required; a shown one is required
// when its branch says so, and a question required only under a condition follows it too.
export function applyConditions() {
  let raw;
  for (let round = 0; round < 2; round++) {
    // An object's alternatives (more.js): their questions shown while chosen.
    if (more.alternate) more.alternate(need);
    raw = rawAnswers();
    for (const el of form.querySelectorAll('[data-if]')) {
      el._if = el._if || JSON.parse(el.dataset.if);
      const path = el.dataset.path, object = get(raw, path.slice(0, path.lastIndexOf('/'))) || {};
      const on = holds(el._if, object) === (el.dataset.when === 'then');
      const off = !on || !!(el.parentElement && el.parentElement.closest('[data-if][hidden],[data-alt][hidden]'));
      if (el.hidden !== off) el.hidden = off;
      for (const input of el.querySelectorAll('input,select,textarea')) if (!input._locked) input.disabled = off;
      if ('req' in el.dataset) need(el, !off);
    }
  }
  // A page asked only under a condition (a top-level group): passed over while it fails.
  for (const el of form.querySelectorAll('section.page[data-page-if]')) {
    el._if = el._if || JSON.parse(el.dataset.pageIf);
    const off = holds(el._if, raw) !== (el.dataset.pageWhen === 'then');
    if (off !== 'off' in el.dataset) off ? (el.dataset.off = '') : delete el.dataset.off;
    for (const input of el.querySelectorAll('input,select,textarea')) if (!input._locked) input.disabled = off;
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

// While a record that left the draft state is shown its questions cannot change.
export function lock(on) {
  for (const el of form.querySelectorAll('section.page :is(input, select, textarea, button)')) {
    if (on && !el.disabled) el.disabled = el._locked = true;
    else if (!on && el._locked) el.disabled = el._locked = false;
  }
  if (!on) applyConditions();
}

// ---------------------------------------------------------------- an answer in words

// What a question's answer reads as (option labels, numbers with their unit); '' if none.
export function answerText(q) {
  if (q.dataset.answer !== undefined) return q.dataset.answer; // a photo or location says it (photo.js)
  const bits = [];
  for (const el of q.querySelectorAll('input:not([type=hidden]),select,textarea')) {
    if (el.disabled && !el._locked) continue;
    if (el.type === 'radio' || el.type === 'checkbox') {
      if (el.checked) bits.push(el.nextSibling.textContent.trim());
    } else if (el.tagName === 'SELECT') {
      if (el.value) bits.push(el.selectedOptions[0].textContent);
    } else if (el.value) {
      const unit = q.querySelector('.unit');
      bits.push(el.value + (unit ? ' ' + unit.textContent : ''));
    }
  }
  return bits.join(T.list_sep);
}

// ---------------------------------------------------------------- repeat groups

function rebase(root, from, to) {
  const change = (v) => (v === from ? to : v.split(from + '/').join(to + '/').replace('remove:' + from, 'remove:' + to));
  // a repeat group inside an item has its own <template>, renamed too (more.js)
  for (const el of [root, ...(more.all || ((r) => r.querySelectorAll('*')))(root)]) {
    for (const attr of ['name', 'id', 'for', 'data-path', 'data-req-at', 'data-alt', 'value', 'aria-describedby']) {
      const v = el.getAttribute(attr);
      if (v && v.includes(from)) {
        const nv = attr === 'id' || attr === 'aria-describedby' ? v[0] + change(v.slice(1)) : change(v);
        if (nv !== v) el.setAttribute(attr, nv);
      }
    }
  }
}

const itemsOf = (repeat) => [...repeat.querySelector('.items').children];

function renumber(repeat) {
  const items = itemsOf(repeat);
  items.forEach((item, i) => {
    const want = repeat.dataset.path + '/' + i;
    if (item.dataset.path !== want) rebase(item, item.dataset.path, want);
    item.querySelector('.n').textContent = i + 1;
  });
  const max = repeat.dataset.max === undefined ? Infinity : +repeat.dataset.max;
  repeat.querySelector(':scope > .add').hidden = items.length >= max;
  for (const b of repeat.querySelectorAll(':scope > .items > .item > .remove')) b.hidden = items.length <= +repeat.dataset.min;
}

// The legend of an item becomes a button that folds it to one line: its first few answers.
function foldable(item) {
  const legend = item.querySelector('legend');
  if (legend.querySelector('.fold')) return;
  const button = document.createElement('button'), name = document.createElement('span'), line = document.createElement('span');
  button.type = 'button';
  button.className = 'fold';
  name.className = 'lbl';
  line.className = 'line';
  name.append(...legend.childNodes);
  button.append(name, line);
  legend.appendChild(button);
}

export function itemLine(item) {
  const bits = [];
  for (const q of item.querySelectorAll('.q')) {
    if (bits.length === 4) break;
    if (q.hidden || q.querySelector('[data-code], [type=date]')) continue;
    const text = answerText(q);
    if (text) bits.push(text);
  }
  return bits.join(' · ');
}

export function fold(item, on) {
  item.classList.toggle('folded', on);
  const button = item.querySelector('.fold');
  button.setAttribute('aria-expanded', String(!on));
  if (on) button.querySelector('.line').textContent = itemLine(item);
}

// The lines of the folded items under `root`, as their answers now read.
export function refreshLines(root) {
  for (const item of root.querySelectorAll('.item.folded')) item.querySelector('.line').textContent = itemLine(item);
}

// One item open at a time (or none), the others folded to their line.
export function foldAll(repeat, open = null) {
  for (const item of itemsOf(repeat)) fold(item, item !== open);
}

export function addItem(repeat) {
  const item = repeat.querySelector(':scope > template').content.firstElementChild.cloneNode(true);
  rebase(item, repeat.dataset.path + '/__i__', repeat.dataset.path + '/' + itemsOf(repeat).length);
  foldable(item);
  xKeys(item);
  repeat.querySelector('.items').appendChild(item);
  renumber(repeat);
  item.querySelectorAll('.repeat').forEach(renumber);
  applyConditions();
  return item;
}

function removeItem(item) {
  const repeat = item.closest('.repeat');
  item.remove();
  renumber(repeat);
}

// A removed item is kept until the next change of page, to be put back with Undo.
let removed = null;
const undoBar = document.createElement('div');
undoBar.className = 'undo';
undoBar.setAttribute('role', 'status');
undoBar.hidden = true;
undoBar.innerHTML = '<span></span><button type="button" class="sec"></button>';
undoBar.querySelector('button').textContent = T.undo;
form.appendChild(undoBar);

function removeWithUndo(item) {
  const repeat = item.closest('.repeat'), line = itemLine(item);
  removed = { item, repeat, index: itemsOf(repeat).indexOf(item) };
  removeItem(item);
  undoBar.firstChild.textContent = fmt(T.removed, { what: item.querySelector('.lbl').textContent + (line ? T.colon + line : '') });
  undoBar.hidden = false;
  changed(repeat);
}

export function forgetRemoved() {
  removed = null;
  undoBar.hidden = true;
}

undoBar.querySelector('button').addEventListener('click', () => {
  if (!removed) return;
  const { item, repeat, index } = removed, items = itemsOf(repeat);
  forgetRemoved();
  if (repeat.dataset.max !== undefined && items.length >= +repeat.dataset.max) return;
  repeat.querySelector('.items').insertBefore(item, items[index] || null);
  renumber(repeat);
  foldAll(repeat, item);
  applyConditions();
  changed(repeat);
  item.scrollIntoView({ block: 'nearest' });
});

// Tell the page's script something changed without a keystroke (an item added or put back).
const changed = (el) => el.dispatchEvent(new Event('change', { bubbles: true }));

form.addEventListener('click', (e) => {
  const button = e.target.closest('button');
  if (!button || !form.contains(button)) return;
  if (button.classList.contains('add')) {
    e.preventDefault();
    const repeat = button.closest('.repeat'), item = addItem(repeat);
    foldAll(repeat, item);
    item.scrollIntoView();
    changed(repeat);
  } else if (button.classList.contains('remove')) {
    e.preventDefault();
    removeWithUndo(button.closest('.item'));
  } else if (button.classList.contains('fold')) {
    const item = button.closest('.item');
    if (item.classList.contains('folded')) foldAll(item.closest('.repeat'), item);
    else fold(item, true);
    refreshLines(item.closest('.repeat'));
    button.scrollIntoView({ block: 'nearest' });
  } else if (button.classList.contains('xkey')) {
    const input = button.previousElementSibling;
    input.setRangeText('X', input.selectionStart, input.selectionEnd, 'end');
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }
});

// ---------------------------------------------------------------- filling the form

const auto = new Set(); // fields the script filled from an ID number, until a person changes them

// The form showing `saved` (answers), with as many items as they have.
export function fill(saved) {
  auto.clear();
  forgetRemoved();
  // Asked again each time: the items added bring the repeat groups inside them.
  for (let i = 0, repeat; (repeat = form.querySelectorAll('.repeat')[i]); i++) {
    const want = Math.max((get(saved, repeat.dataset.path) || []).length, +repeat.dataset.min);
    while (itemsOf(repeat).length < want) addItem(repeat);
    while (itemsOf(repeat).length > want) removeItem(itemsOf(repeat).pop());
  }
  for (const el of form.elements) {
    // hidden: a repeat item's marker, left alone; a photo's or location's answer, filled
    if (!el.name || el.name[0] !== '/' || (el.type === 'hidden' && !el.closest('.media'))) continue;
    const v = get(saved, el.name);
    if (el.type === 'radio' || el.type === 'checkbox') {
      el.checked = Array.isArray(v) ? v.includes(el.value) : v !== undefined && String(v) === el.value;
    } else {
      el.value = v === undefined || typeof v === 'object' ? '' : String(v);
    }
  }
  // Date-times, times and alternatives (more.js).
  if (more.fill) more.fill(saved);
  applyConditions();
  for (const repeat of form.querySelectorAll('.repeat')) foldAll(repeat, itemsOf(repeat).pop());
  form.dispatchEvent(new Event('ms-filled')); // photos and locations redrawn (photo.js)
}

// ---------------------------------------------------------------- codes

// A code is tidied as it is typed or pasted: full-width digits, spaces, a lower-case x. Its
// length limit counts the code as tidied, so " 6205 23" is 7 characters, not 8: a key that
// would make it too long does nothing. A pasted code is never cut, though: one too long is
// an error at the field.
function tidy(el) {
  const v = el.value, tidied = normalizeCode(v);
  if (tidied === v) return;
  const caret = normalizeCode(v.slice(0, el.selectionStart || 0)).length;
  el.value = tidied;
  el.setSelectionRange(caret, caret);
}

form.addEventListener('beforeinput', (e) => {
  const el = e.target, max = el.dataset && +el.dataset.max;
  if (!max || e.inputType !== 'insertText' || e.data == null) return;
  const next = el.value.slice(0, el.selectionStart) + e.data + el.value.slice(el.selectionEnd);
  if (normalizeCode(next).length > max) e.preventDefault();
});

form.addEventListener('paste', (e) => {
  const el = e.target;
  if (!el.matches || !el.matches('[data-code]')) return;
  e.preventDefault();
  el.setRangeText(normalizeCode(e.clipboardData.getData('text')), el.selectionStart, el.selectionEnd, 'end');
  el.dispatchEvent(new Event('input', { bubbles: true }));
});

const identity = data.record.identity;

// A valid ID number states the birth date and sex: they are filled unless a person chose them.
function fromIdNumber(el) {
  const v = el.value, base = el.name.slice(0, el.name.lastIndexOf('/') + 1);
  if (!/^[0-9]{17}[0-9X]$/.test(v) || checkDigit(v.slice(0, 17)) !== v[17]) return;
  const born = `${v.slice(6, 10)}-${v.slice(10, 12)}-${v.slice(12, 14)}`;
  const birth = form.elements.namedItem(base + identity.birth);
  if (birth && isDate(born) && +v.slice(6, 10) >= 1900 && (!birth.value || auto.has(birth.name))) {
    birth.value = born;
    auto.add(birth.name);
  }
  const sexName = base + identity.sex, sex = +v[16] % 2 ? 'male' : 'female';
  const options = [...form.querySelectorAll(`[name="${sexName}"]`)];
  if (options.length && (!options.some((o) => o.checked) || auto.has(sexName))) {
    for (const o of options) o.checked = o.value === sex;
    auto.add(sexName);
  }
}

form.addEventListener('input', (e) => {
  const el = e.target;
  if (e.isTrusted) auto.delete(el.name);
  if (el.matches('[data-code]') && !e.isComposing) tidy(el);
  if (identity && el.name && el.name.endsWith('/' + identity.id)) fromIdNumber(el);
});
form.addEventListener('change', (e) => e.isTrusted && auto.delete(e.target.name));
form.addEventListener('compositionend', (e) => e.target.matches('[data-code]') && tidy(e.target));

// The number pad for a code, and an X key beside it for the ID numbers that end in X.
function xKeys(root) {
  for (const input of root.querySelectorAll('[data-code][maxlength]')) {
    input.dataset.max = input.maxLength; // the browser would count spaces and cut pastes
    input.removeAttribute('maxlength');
  }
  for (const input of root.querySelectorAll('[data-code="X"]')) {
    input.inputMode = 'numeric';
    const key = document.createElement('button');
    key.type = 'button';
    key.className = 'xkey sec';
    key.textContent = 'X';
    key.setAttribute('aria-label', T.x_key);
    key.addEventListener('pointerdown', (e) => e.preventDefault()); // the keyboard stays up
    input.after(key);
  }
}

// ---------------------------------------------------------------- what is known already

// What the household's last answer and its roster entry already say is filled in, so
// nothing is typed twice; its village comes from the roster only: shown, never typed.
// put(answers, '/a/b', v): answers.a.b = v.
export function put(at, path, value) {
  const parts = path.split('/').slice(1);
  for (const p of parts.slice(0, -1)) at = at[p] = at[p] || {};
  at[parts[parts.length - 1]] = value;
}

// The answers a new survey of a household starts from: `start` (what carries over from the
// last household), then what its last answer said of it, then what the roster says of it.
export function prefill(start, { roster, last }) {
  const cfg = data.record, r = cfg.roster || {};
  for (const path of last ? cfg.known || [] : []) {
    if (get(last.answers, path) !== undefined) put(start, path, JSON.parse(JSON.stringify(get(last.answers, path))));
  }
  if (!roster) return start;
  // A form without a village field (any but the household form) gets none.
  if (cfg.place) put(start, cfg.place, roster.village_code);
  for (const [from, to] of Object.entries(r.fields || {})) if (roster[from]) put(start, to, roster[from]);
  const [path, value] = (r.category || {})[roster.category] || [];
  if (path && get(start, path) === undefined) put(start, path, value);
  if (r.members && roster.members && roster.members.length) {
    const members = get(start, r.members) || [];
    for (const m of roster.members) {
      const into = members.find((x) => (m.id_number && x.id_number === m.id_number) || x.name === m.name) || members[members.push({}) - 1];
      for (const [k, v] of Object.entries(m)) if (v) into[k] = v;
      born(into);
    }
    put(start, r.members, members);
  }
  return start;
}

// A valid ID number says when its holder was born.
function born(member) {
  const id = data.record.identity, v = member[id.id] || '', day = `${v.slice(6, 10)}-${v.slice(10, 12)}-${v.slice(12, 14)}`;
  if (!member[id.birth] && /^[0-9]{17}[0-9X]$/.test(v) && checkDigit(v.slice(0, 17)) === v[17] && isDate(day)) member[id.birth] = day;
}

// The village field shows the household's village, from the roster, and cannot be changed.
export function lockPlace(roster) {
  const el = form.elements.namedItem(data.record.place);
  if (!el || !roster) return;
  el.value = roster.village_code;
  el.readOnly = true;
  let name = $('place-name');
  if (!name) {
    name = document.createElement('small');
    name.id = 'place-name';
    el.closest('.in').after(name);
  }
  name.textContent = roster.place || '';
}

// ---------------------------------------------------------------- start

export function setup() {
  for (const repeat of form.querySelectorAll('.repeat')) {
    // A fresh page sends no template where its first item, still empty, is one.
    if (!repeat.querySelector('template')) {
      const template = repeat.appendChild(document.createElement('template')), item = itemsOf(repeat)[0].cloneNode(true);
      rebase(item, repeat.dataset.path + '/0', repeat.dataset.path + '/__i__');
      template.content.appendChild(item);
    }
    for (const item of itemsOf(repeat)) foldable(item);
    renumber(repeat);
  }
  xKeys(form);
  applyConditions();
}
