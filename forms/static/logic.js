// A form's own checks and computed values (x-rules, x-calculate), as forms/logic.py and
// forms/form_logic.py find them on the server. JSON Logic as json-logic-js 2.0.5 evaluates
// it, for the subset a form may use; JavaScript's own ==, < and parseFloat are the reference.
// Loaded (import()) only by a form that declares either, once the cadre starts typing.
const isList = Array.isArray;
const isObj = (v) => !!v && typeof v === 'object' && !isList(v);
const isLogic = (v) => isObj(v) && Object.keys(v).length === 1;
export const truthy = (v) => (isList(v) ? v.length > 0 : !!v);
const own = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const SCOPED = ['map', 'filter', 'reduce', 'all', 'some', 'none'];

// data[key], own keys only: JSON has no prototype.
function step(data, key) {
  if (isObj(data)) return own(data, key) ? data[key] : undefined;
  if (isList(data) || typeof data === 'string') {
    if (key === 'length') return data.length;
    if (/^(0|[1-9][0-9]*)$/.test(key) && +key < data.length) return data[+key];
  }
  return undefined;
}

export function read(data, path, dflt) {
  const missing = dflt === undefined ? null : dflt;
  if (path === undefined || path === null || path === '') return data;
  for (const key of String(path).split('.')) {
    if (data === null || data === undefined) return missing;
    data = step(data, key);
    if (data === undefined) return missing;
  }
  return data;
}

const missingOf = (data, args) => (isList(args[0]) ? args[0] : args).filter((k) => { const v = read(data, k); return v === null || v === ''; });
const substr = (s, start, end) => {
  if (end < 0) { const t = String(s).substr(start); return t.substr(0, t.length + end); }
  return String(s).substr(start, end);
};
const OPS = {
  '==': (a, b) => a == b, '===': (a, b) => a === b, '!=': (a, b) => a != b, '!==': (a, b) => a !== b,
  '>': (a, b) => a > b, '>=': (a, b) => a >= b,
  '<': (a, b, c) => (c === undefined ? a < b : a < b && b < c),
  '<=': (a, b, c) => (c === undefined ? a <= b : a <= b && b <= c),
  '!!': (a) => truthy(a), '!': (a) => !truthy(a), '%': (a, b) => a % b, '/': (a, b) => a / b,
  '-': (a, b) => (b === undefined ? -a : a - b),
  '+': (...v) => v.reduce((a, b) => parseFloat(a) + parseFloat(b), 0),
  '*': (...v) => v.reduce((a, b) => parseFloat(a) * parseFloat(b)),
  min: (...v) => Math.min(...v), max: (...v) => Math.max(...v),
  in: (a, b) => (!b || typeof b.indexOf !== 'function' ? false : b.indexOf(a) !== -1),
  cat: (...v) => v.join(''), substr,
  merge: (...v) => v.reduce((a, b) => a.concat(b), []),
};

export function apply(logic, data, today) {
  if (isList(logic)) return logic.map((l) => apply(l, data, today));
  if (!isLogic(logic)) return logic;
  const op = Object.keys(logic)[0];
  let values = logic[op];
  if (!isList(values)) values = [values];
  if (op === 'if') {
    let i = 0;
    for (; i < values.length - 1; i += 2) if (truthy(apply(values[i], data, today))) return apply(values[i + 1], data, today);
    return values.length === i + 1 ? apply(values[i], data, today) : null;
  }
  if (op === 'and' || op === 'or') {
    let current;
    for (const v of values) {
      current = apply(v, data, today);
      if (truthy(current) === (op === 'or')) return current;
    }
    return current;
  }
  if (SCOPED.includes(op)) {
    const items = apply(values[0], data, today), sub = values[1];
    if (op === 'reduce') {
      const initial = values.length > 2 ? apply(values[2], data, today) : null;
      return isList(items) ? items.reduce((accumulator, current) => apply(sub, { current, accumulator }, today), initial) : initial;
    }
    if (!isList(items)) return { map: [], filter: [], all: false, some: false, none: true }[op];
    const test = (item) => truthy(apply(sub, item, today));
    if (op === 'map') return items.map((item) => apply(sub, item, today));
    if (op === 'filter') return items.filter(test);
    if (op === 'all') return items.length > 0 && items.every(test);
    return op === 'some' ? items.some(test) : !items.some(test);
  }
  const args = values.map((v) => apply(v, data, today));
  if (op === 'today') return today;
  if (op === 'var') return read(data, args[0], args[1]);
  if (op === 'missing') return missingOf(data, args);
  if (op === 'missing_some') {
    const options = isList(args[1]) ? args[1] : [], absent = missingOf(data, [options]);
    return options.length - absent.length >= args[0] ? [] : absent;
  }
  if (!own(OPS, op)) throw new Error('unknown operation ' + op);
  return OPS[op](...args);
}

// The vars a rule reads from its own object ([path, has a default]), not those inside
// map/filter/reduce/all/some/none, nor the names missing and missing_some ask about.
export function reads(logic, found = []) {
  if (isList(logic)) logic.forEach((l) => reads(l, found));
  if (!isLogic(logic)) return found;
  const op = Object.keys(logic)[0], values = isList(logic[op]) ? logic[op] : [logic[op]];
  if (op === 'var') {
    if (typeof values[0] === 'string' || typeof values[0] === 'number') found.push([String(values[0]), values.length > 1]);
  } else if (SCOPED.includes(op)) reads([values[0], ...values.slice(2, 3)], found);
  else if (op !== 'missing' && op !== 'missing_some') reads(values, found);
  return found;
}

// ---------------------------------------------------------------- a form's rules and values

const esc = (k) => '/' + String(k).replace(/~/g, '~0').replace(/\//g, '~1');
const pointerOf = (dotted) => dotted.split('.').map(esc).join('');

// Every object of the answers with its schema: [schema node, answers object, pointer].
function objects(node, value, at, found) {
  if (!isObj(node)) return found;
  if (node.type === 'array' && isList(value) && isObj(node.items)) value.forEach((v, i) => objects(node.items, v, `${at}/${i}`, found));
  if (node.type !== 'object' || !isObj(value)) return found;
  found.push([node, value, at]);
  const props = Object.assign({}, ...(node.allOf || []).flatMap((e) => [(e.then || {}).properties, (e.else || {}).properties]), node.properties);
  for (const [k, sub] of Object.entries(props)) if (own(value, k)) objects(sub, value[k], at + esc(k), found);
  return found;
}

// The question a dotted path names in an object's schema (through nested objects and lists).
function questionAt(node, path) {
  for (const key of path.split('.')) {
    if (!isObj(node)) return null;
    if (node.type === 'array') { node = node.items; continue; }
    let next = (node.properties || {})[key];
    for (const e of node.allOf || []) next = next || ((e.then || {}).properties || {})[key] || ((e.else || {}).properties || {})[key];
    node = next;
  }
  return isObj(node) ? node : null;
}

const TYPES = { string: (v) => typeof v === 'string', number: (v) => typeof v === 'number', integer: Number.isInteger, boolean: (v) => typeof v === 'boolean', array: isList, object: isObj };
// Whether every var the logic reads (without a default) has a value of its question's type.
function ready(node, logic, value) {
  return reads(logic).every(([path, dflt]) => {
    if (dflt) return true;
    const v = read(value, path), q = questionAt(node, path);
    return v !== null && v !== undefined && (!q || !TYPES[q.type] || TYPES[q.type](v));
  });
}

const show = (v) => (v === null || v === undefined ? '' : String(v));
function words(text, node, logic, value, today) {
  const names = new Set(reads(logic).map(([p]) => p));
  return text.replace(/\{([^{}]+)\}/g, (m, k) => (k === 'today' ? today : names.has(k) ? show(read(value, k)) : m));
}

// Issues {path, code, params, message} of the x-rules of every object of the answers.
// A rule reading a value the schema refused (its path in `wrong`) waits for it to be fixed.
export function ruleIssues(schema, answers, today, lang, wrong = new Set()) {
  const found = [];
  for (const [node, value, at] of objects(schema, answers, '', [])) {
    for (const r of node['x-rules'] || []) {
      if (!ready(node, r.rule, value) || reads(r.rule).some(([p]) => wrong.has(at + pointerOf(p)))) continue;
      if (truthy(apply(r.rule, value, today))) continue;
      const text = typeof r.message === 'string' ? r.message : r.message[lang] || r.message.zh; // a page's: its language's
      found.push({ path: at + pointerOf(r.field), code: r.id, params: {}, message: words(text, node, r.rule, value, today) });
    }
  }
  return found;
}

// Python's f"{v:.2f}" for a computed amount (as check.js fixed2): the phone stores what it shows.
function cents(v) {
  if (!Number.isInteger(v * 8) || Number.isInteger(v * 4)) return Number(v.toFixed(2));
  const c = Math.floor(v * 100);
  return (c % 2 === 0 ? c : c + 1) / 100;
}

// [pointer, value] of every computed question of the answers: undefined while it cannot be
// worked out (a value it reads is missing) or comes out as no number. Given a page's form,
// each is also set in the answers and in the form's (read-only) field.
export function calculated(schema, answers, today, form) {
  const found = [];
  for (const [node, value, at] of objects(schema, answers, '', [])) {
    for (const [k, q] of Object.entries(node.properties || {})) {
      if (!isObj(q) || !('x-calculate' in q)) continue;
      let v = ready(node, q['x-calculate'], value) ? apply(q['x-calculate'], value, today) : undefined;
      if (v === null || (typeof v === 'number' && !Number.isFinite(v))) v = undefined;
      if (typeof v === 'number' && q.type === 'number') v = cents(v);
      found.push([at + esc(k), v]);
      if (!form) continue;
      if (v === undefined) delete value[k];
      else value[k] = v;
      const el = form.elements.namedItem(at + esc(k));
      if (el) el.value = v ?? '';
    }
  }
  return found;
}
