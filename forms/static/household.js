// Which household an answer is about, and what is already known of it, so nothing is typed
// twice: its roster entry (sent with the page, or kept on the phone by 我的联系户) and its
// last answer (kept by 我的联系户). Its village comes from the roster only: shown, never typed.
import * as store from './store.js';
import { data, form, get, $ } from './fields.js';
import { checkDigit, isDate } from './check.js';

const cfg = data.record;
// This visit of the page (server/pages.py visit): who it is for, and its household.
export const visit = JSON.parse($('ms-visit').textContent);
store.visited(visit);
export const isLink = visit.user.startsWith('link:');
// From the address first: the page may come from the offline cache, made for another household.
export const household = new URLSearchParams(location.search).get('household') || (visit.household && visit.household.id) || null;

// {roster, last} of household `id`, as well as they are known on this phone.
export async function known(id) {
  const mine = visit.household && visit.household.id === id && visit.household.head_name ? visit.household : null;
  const kept = (id && (await store.household(id).catch(() => null))) || {};
  const roster = mine ? { ...kept.roster, ...mine } : kept.roster || (visit.household && visit.household.id === id ? visit.household : null);
  if (mine) store.learn({ id, roster }).catch(() => {}); // for when the cache serves this page for another
  return { roster, last: kept.last || null };
}

export function put(at, path, value) {
  const parts = path.split('/').slice(1);
  for (const p of parts.slice(0, -1)) at = at[p] = at[p] || {};
  at[parts[parts.length - 1]] = value;
}

// The answers a new survey of a household starts from: `start` (what carries over from the
// last household), then what its last answer said of it, then what the roster says of it.
export function prefill(start, { roster, last }) {
  const r = cfg.roster || {};
  for (const path of last ? cfg.known || [] : []) {
    if (get(last.answers, path) !== undefined) put(start, path, JSON.parse(JSON.stringify(get(last.answers, path))));
  }
  if (!roster) return start;
  put(start, cfg.place, roster.village_code);
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
  const id = cfg.identity, v = member[id.id] || '', day = `${v.slice(6, 10)}-${v.slice(10, 12)}-${v.slice(12, 14)}`;
  if (!member[id.birth] && /^[0-9]{17}[0-9X]$/.test(v) && checkDigit(v.slice(0, 17)) === v[17] && isDate(day)) member[id.birth] = day;
}

// The village field shows the household's village, from the roster, and cannot be changed.
export function lockPlace(roster) {
  const el = form.elements.namedItem(cfg.place);
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
