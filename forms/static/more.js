// What only some forms need on the phone, loaded by app.js and preview.js for a form whose
// data says `more` (forms/client.py): an object's alternatives (a oneOf or anyOf of groups of
// questions, forms/render.py), date-time and time answers, and repeat groups inside a repeat
// group's items. The household form's first visit carries none of it. It fills check.js's
// `more` with what check.js and fields.js ask of it.
import { format } from './vendor/json-schema.js';
import { isDate, more } from './check.js';

// The page's form, and the saved answer at a field's name (as fields.js get): the page is
// read only when asked, so this module's checks also run without one (in node, for tests).
const page = () => document.getElementById('form');
const get = (obj, path) => path.split('/').slice(1).reduce((o, k) => (o == null ? o : o[k.replace(/~1/g, '/').replace(/~0/g, '~')]), obj);

// RFC 3339 as forms/validate.py is_time and is_date_time read it: an offset, no leap second.
const TIME = '([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\\.[0-9]+)?(?:[Zz]|[+-]([0-9]{2}):([0-9]{2}))';
const clock = (m) => +m[0] <= 23 && +m[1] <= 59 && +m[2] <= 59 && +(m[3] || 0) <= 23 && +(m[4] || 0) <= 59;
format.time = (s) => {
  const m = new RegExp(`^${TIME}$`).exec(s);
  return !!m && clock(m.slice(1));
};
format['date-time'] = (s) => {
  const m = new RegExp(`^([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt]${TIME}$`).exec(s);
  return !!m && isDate(m[1]) && clock(m.slice(2));
};

// forms/form_post.py _with_offset: a wall-clock time as typed, made RFC 3339 in China's time.
const LOCAL = { 'date-time': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, time: /^\d{2}:\d{2}(:\d{2})?$/ };
more.typed = (node, text) => {
  const m = LOCAL[node.format] && LOCAL[node.format].exec(text);
  return m ? text + (m[1] ? '' : ':00') + '+08:00' : undefined;
};

// A stored date-time or time as its input shows it: China's wall clock (forms/render.py local_input).
function wallClock(v, type) {
  const ms = Date.parse(type === 'time' ? '2000-01-01T' + v : v);
  if (isNaN(ms)) return v;
  const s = new Date(ms + 288e5).toISOString().slice(0, 19).replace(/:00$/, '');
  return type === 'time' ? s.slice(11) : s;
}

// Everything inside a repeat group's item, and inside the <template>s of the repeat groups
// in it, for fields.js rebase.
more.all = (root) => [...root.querySelectorAll('*')].flatMap((el) => (el.content ? [el, ...more.all(el.content)] : [el]));

// forms/render.py alternatives: an object's oneOf/anyOf whose branches hold questions.
more.alternatives = (node) => [node.oneOf, node.anyOf].find((b) => Array.isArray(b) && b.every((x) => x && x.properties)) || [];

// An alternative's questions are shown, and sent, while it is the one chosen.
more.alternate = (need) => {
  const form = page();
  for (const el of form.querySelectorAll('[data-alt]')) {
    const pick = form.querySelector(`[name="${el.dataset.alt}"]:checked`), on = !!pick && pick.value === el.dataset.altI;
    if (el.hidden === on) el.hidden = !on;
    for (const input of el.querySelectorAll('input,select,textarea')) if (!input._locked) input.disabled = !on;
    if ('req' in el.dataset) need(el, on);
  }
};

// What fields.js fill cannot put in an input as saved: a date-time or time as its input shows
// it, and the alternative saved answers took, the one whose questions they answer
// (forms/render.py chosen_alternative).
more.fill = (saved) => {
  const form = page();
  for (const el of form.querySelectorAll('input[type=time], input[type=datetime-local]')) {
    const v = get(saved, el.name);
    el.value = typeof v === 'string' ? wallClock(v, el.type) : '';
  }
  for (const el of form.querySelectorAll('[name^="_alt/"]')) el.checked = false;
  for (const el of form.querySelectorAll('[data-alt]')) {
    if (![...el.querySelectorAll('[name^="/"]')].some((i) => get(saved, i.name) !== undefined)) continue;
    for (const r of form.querySelectorAll(`[name="${el.dataset.alt}"][value="${el.dataset.altI}"]`)) r.checked = true;
  }
};

// A village question (forms/places.py): its villages, put in its list by the server, chosen
// as a township, then one of its villages (places.js, fetched for such a form only).
if (typeof document !== 'undefined') {
  const villages = document.querySelectorAll('#form select[data-places]');
  if (villages.length) {
    import('./places.js').then(({ cascade }) => {
      for (const select of villages) cascade(select, JSON.parse(select.dataset.places), true);
    });
  }
}
