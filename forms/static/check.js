// Answers from the form and their issues, exactly as the server finds them.
// convert/typed/prune port forms/render.py (answers_from_form, prune_hidden);
// issues() maps @cfworker/json-schema errors to forms/validate.py's codes and
// runs the household rules of forms/rules.py that need no server.
import { Validator, format } from './vendor/json-schema.js';

// The server checks only date and email (forms/validate.py FORMAT_CHECKER): match it.
for (const name of Object.keys(format)) delete format[name];
const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
export function isDate(s) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const y = +s.slice(0, 4), m = +s.slice(5, 7), d = +s.slice(8, 10);
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= (m === 2 && !leap ? 28 : DAYS[m - 1]);
}
format.date = isDate;
format.email = (s) => s.includes('@');

const full = new WeakMap(), quick = new WeakMap();
export function validator(schema, shortCircuit) {
  const cache = shortCircuit ? quick : full;
  let v = cache.get(schema);
  if (!v) cache.set(schema, (v = new Validator(schema, '2020-12', shortCircuit)));
  return v;
}
export const holds = (schema, value) => validator(schema, true).validate(value).valid;

const esc = (k) => '/' + String(k).replace(/~/g, '~0').replace(/\//g, '~1');
const unesc = (k) => k.replace(/~1/g, '/').replace(/~0/g, '~');
const reEsc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function conditions(node) {
  const found = [];
  for (const e of node.allOf || []) if (e && e.if) found.push([e.if, e.then || {}, e.else || {}]);
  for (const [k, sub] of Object.entries(node.dependentSchemas || {})) found.push([{ required: [k] }, sub, {}]);
  return found;
}

export function typed(node, raw) {
  const t = node.type, text = raw.trim();
  if (t === 'boolean') return text === 'true' ? true : text === 'false' ? false : raw;
  if (t === 'integer' && /^[-+]?[0-9]+$/.test(text)) return parseInt(text, 10);
  if (t === 'number' && /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/.test(text)) return Number(text);
  return raw;
}

// values: Map of field name (a JSON pointer) -> list of strings, as a form POST sends them.
export function convert(node, name, values) {
  const t = node.type;
  if (t === 'object') {
    const props = Object.assign({}, node.properties);
    for (const [, then, els] of conditions(node)) {
      for (const b of [then, els]) for (const k in b.properties || {}) if (!(k in props)) props[k] = b.properties[k];
    }
    const out = {};
    for (const k in props) {
      const v = convert(props[k], name + esc(k), values);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
  if (t === 'array' && node.items && node.items.type === 'object') {
    const re = new RegExp('^' + reEsc(name) + '/(\\d+)(?:/|$)');
    let count = 0;
    for (const k of values.keys()) {
      const m = re.exec(k);
      if (m) count = Math.max(count, +m[1] + 1);
    }
    return Array.from({ length: Math.min(count, 1000) }, (_, i) => convert(node.items, `${name}/${i}`, values));
  }
  const raw = (values.get(name) || []).filter((v) => v !== '');
  if (!raw.length) return undefined;
  return t === 'array' ? raw : typed(node, raw[raw.length - 1]);
}

export function prune(node, answers) {
  if (node.type === 'array' && Array.isArray(answers)) {
    return node.items && typeof node.items === 'object' ? answers.map((a) => prune(node.items, a)) : answers;
  }
  if (node.type !== 'object' || !answers || typeof answers !== 'object' || Array.isArray(answers)) return answers;
  const props = node.properties || {};
  const result = Object.assign({}, answers);
  const conds = conditions(node);
  for (let round = 0; round < 4; round++) {
    const active = new Set(), inactive = new Set();
    for (const [cond, then, els] of conds) {
      const [shown, hidden] = holds(cond, result) ? [then, els] : [els, then];
      Object.keys(shown.properties || {}).forEach((k) => active.add(k));
      Object.keys(hidden.properties || {}).forEach((k) => inactive.add(k));
    }
    const drop = [...inactive].filter((k) => !active.has(k) && !(k in props) && k in result);
    if (!drop.length) break;
    drop.forEach((k) => delete result[k]);
  }
  const branch = {};
  for (const [cond, then, els] of conds) Object.assign(branch, (holds(cond, result) ? then : els).properties);
  for (const k of Object.keys(result)) {
    const sub = props[k] || branch[k];
    if (sub && sub.type) result[k] = prune(sub, result[k]);
  }
  return result;
}

// The schema of the answer at `path`, following items and the branches of conditions.
export function nodeAt(schema, path) {
  let node = schema;
  for (const part of path.split('/').slice(1).map(unesc)) {
    if (!node) return null;
    if (node.type === 'array') { node = node.items; continue; }
    let next = (node.properties || {})[part];
    for (const [, then, els] of conditions(node)) next = next || (then.properties || {})[part] || (els.properties || {})[part];
    node = next;
  }
  return node || null;
}

function at(schema, location) {
  let node = schema;
  for (const part of location.replace(/^#/, '').split('/').slice(1)) node = node == null ? node : node[unesc(decodeURIComponent(part))];
  return node;
}
const isChoice = (branches) => Array.isArray(branches) && branches.every((b) => b && typeof b === 'object' && 'const' in b);
const QUOTED = /"((?:[^"\\]|\\.)*)"/g;

// Issues {path, code, params} of `value` against `schema`, with paths under `base`.
export function schemaIssues(schema, value, data, base = '') {
  const errors = validator(schema, false).validate(value).errors;
  const located = errors.map((e) => base + decodeURI(e.instanceLocation.slice(1)));
  const failed = new Set(located.filter((p, i) => errors[i].keyword !== 'false'));
  const found = [];
  errors.forEach((e, i) => {
    const path = located[i], kw = e.keyword, loc = e.keywordLocation;
    if (/\/(oneOf|anyOf|not)\//.test(loc.replace(/\/(oneOf|anyOf)$/, ''))) return;
    const limit = at(schema, loc);
    if (kw === 'required' || kw === 'dependentRequired') {
      const names = [...e.error.matchAll(QUOTED)].map((m) => m[1]);
      found.push({ path: path + esc(names[names.length - 1]), code: 'required', params: {} });
    } else if (kw === 'additionalProperties' || kw === 'unevaluatedProperties') {
      const name = (QUOTED.exec(e.error) || [])[1];
      QUOTED.lastIndex = 0;
      const where = path + esc(name);
      if (!failed.has(where)) found.push({ path: where, code: 'not_applicable', params: {} });
    } else if (kw === 'type') {
      const [zh, en] = data.types[Array.isArray(limit) ? limit[0] : limit] || [limit, limit];
      found.push({ path, code: 'type', params: { expected: zh, expected_en: en } });
    } else if (kw === 'format') {
      const [zh, en] = data.formats[limit] || [limit, limit];
      found.push({ path, code: 'format', params: { format: zh, format_en: en } });
    } else if (kw === 'oneOf' || kw === 'anyOf' || kw === 'enum') {
      found.push({ path, code: kw === 'enum' || isChoice(limit) ? 'enum' : 'invalid', params: {} });
    } else if (kw === 'const') {
      found.push({ path, code: 'const', params: { value: limit } });
    } else if (kw in data.messages && !['properties', 'items', 'allOf', 'if', 'then', 'else'].includes(kw)) {
      found.push({ path, code: kw, params: { limit } });
    }
  });
  return found;
}

// ---------------------------------------------------------------- forms/rules.py, ported

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
export const checkDigit = (id17) => '10X98765432'[[...id17].reduce((s, d, i) => s + +d * WEIGHTS[i], 0) % 11];
function compactDate(d) {
  const iso = `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`;
  return isDate(iso) && +d.slice(0, 4) >= 1900 ? iso : null;
}
const memberList = (a) => (Array.isArray(a && a.members) ? a.members : []).map((m, i) => [i, m]).filter(([, m]) => m && typeof m === 'object');

// The ID number's own issues: its check digit and birth-date digits.
export function idNumberIssues(idn, path) {
  if (typeof idn !== 'string' || !/^\d{17}[\dX]$/.test(idn)) return [];
  const found = [], expected = checkDigit(idn.slice(0, 17));
  if (expected !== idn[17]) found.push({ path, code: 'id_number.check_digit', params: { expected, actual: idn[17] } });
  if (!compactDate(idn.slice(6, 14))) found.push({ path, code: 'id_number.birth_date_invalid', params: { digits: idn.slice(6, 14) } });
  return found;
}

const RULES = {
  household(a, today) {
    const found = [], members = memberList(a);
    const survey = (a.survey && a.survey.date) || '';
    if (isDate(survey) && survey > today) found.push({ path: '/survey/date', code: 'survey.date_in_future', params: { date: survey, today } });
    const heads = members.filter(([, m]) => m.relation === 'head').map(([i]) => i);
    if (members.length && !heads.length) found.push({ path: '/members', code: 'members.no_head', params: {} });
    heads.slice(1).forEach((i) => found.push({ path: `/members/${i}/relation`, code: 'members.extra_head', params: { first: heads[0] + 1 } }));
    const seen = {};
    for (const [i, m] of members) {
      const idn = m.id_number, at = `/members/${i}`;
      found.push(...idNumberIssues(idn, at + '/id_number'));
      if (typeof idn === 'string' && /^\d{17}[\dX]$/.test(idn)) {
        const born = compactDate(idn.slice(6, 14)), sex = +idn[16] % 2 ? 'male' : 'female';
        if (born && isDate(m.birth_date || '') && m.birth_date !== born) {
          found.push({ path: at + '/birth_date', code: 'member.birth_date_mismatch', params: { birth_date: m.birth_date, id_birth_date: born } });
        }
        if ((m.sex === 'male' || m.sex === 'female') && m.sex !== sex) {
          found.push({ path: at + '/sex', code: 'member.sex_mismatch', params: { digit: idn[16], sex: m.sex, id_sex: sex } });
        }
      }
      if (typeof idn === 'string' && idn) {
        if (idn in seen) found.push({ path: at + '/id_number', code: 'id_number.duplicate', params: { id_number: idn, first: seen[idn] + 1 } });
        else seen[idn] = i;
      }
    }
    return found;
  },
};

export function today() {
  const d = new Date(), p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

// Every issue with the answers, schema first, then the form's rules, one per field and code.
export function issues(data, answers, on = today()) {
  const found = schemaIssues(data.schema, answers, data);
  const rules = RULES[data.form];
  if (rules && answers && typeof answers === 'object') found.push(...rules(answers, on));
  const seen = new Set();
  return found.filter((i) => {
    const key = i.path + ' ' + i.code;
    return seen.has(key) ? false : seen.add(key);
  });
}

export function message(data, issue) {
  const template = data.messages[issue.code] || data.messages.invalid;
  return template.replace(/\{(\w+)\}/g, (m, k) => (k in issue.params ? String(issue.params[k]) : m));
}
