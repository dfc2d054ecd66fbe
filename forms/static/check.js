// Answers from the form and their issues, exactly as the server finds them.
// convert/typed/prune port forms/render.py (answers_from_form, prune_hidden);
// issues() maps @cfworker/json-schema errors to forms/validate.py's codes and
// runs the form rules of forms/rules.py, so the phone finds every issue the server would.
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
// What only some forms need (alternatives, date-time and time: forms/static/more.js) is put
// here by more.js, which those forms alone load.
export const more = {};

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

const alternatives = (node) => (more.alternatives ? more.alternatives(node) : []);

// forms/render.py code_pattern and normalize_code: an ID or village number as typed on any keyboard.
const CODE = /^\^(?:(?:[0-9A-Z]|\[(?:[0-9A-Z](?:-[0-9A-Z])?)+\])(?:\{[0-9]+\})?)+\$$/;
export const isCode = (node) => node.type === 'string' && typeof node.pattern === 'string' && CODE.test(node.pattern);
export const normalizeCode = (text) => text.normalize('NFKC').replace(/\s+/g, '').toUpperCase();

// forms/form_post.py typed: the answer a field's text stands for, or the text when it does not parse.
export function typed(node, raw) {
  if (isCode(node)) return normalizeCode(raw);
  const t = node.type;
  let text = raw.trim();
  if ((t === 'integer' || t === 'number') && text.length > 40) return raw; // as form_post.py
  if (t === 'integer' || t === 'number') text = text.normalize('NFKC');
  if (t === 'boolean') return text === 'true' ? true : text === 'false' ? false : raw;
  const timed = t === 'string' && more.typed && more.typed(node, text);
  if (timed) return timed;
  if (t === 'integer' && /^[-+]?[0-9]{1,16}$/.test(text) && Number.isSafeInteger(+text)) return parseInt(text, 10);
  if (t === 'number' && /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/.test(text) && Number.isFinite(+text)) return Number(text);
  return raw;
}

// An object's questions: its own, those asked under a condition and those of its alternatives.
export function questions(node) {
  const props = Object.assign({}, node.properties);
  for (const [, then, els] of conditions(node)) {
    for (const b of [then, els]) for (const k in b.properties || {}) if (!(k in props)) props[k] = b.properties[k];
  }
  for (const b of alternatives(node)) for (const k in b.properties) if (!(k in props)) props[k] = b.properties[k];
  return props;
}

// values: Map of field name (a JSON pointer) -> list of strings, as a form POST sends them.
export function convert(node, name, values) {
  const t = node.type;
  if (t === 'object') {
    const props = questions(node);
    const out = {}, need = node.required || [];
    for (const k in props) {
      const v = convert(props[k], name + esc(k), values);
      // An optional group left empty whose parts are required (a location) is no answer.
      if (v !== undefined && !(unanswered(props[k], v) && !need.includes(k))) out[k] = v;
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

const unanswered = (node, v) => node.type === 'object' && ((node.required || []).length > 0 || alternatives(node).length > 0) && !Object.keys(v).length;

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
    for (const b of alternatives(node)) next = next || b.properties[part];
    node = next;
  }
  return node || null;
}

function at(schema, location) {
  let node = schema;
  // An error under a $ref is located through it: #/properties/crop/$ref/enum.
  for (const part of location.replace(/^#/, '').split('/').slice(1)) node = node == null ? node : part === '$ref' ? at(schema, node.$ref) : node[unesc(decodeURIComponent(part))];
  return node;
}
const isChoice = (branches) => Array.isArray(branches) && branches.every((b) => b && typeof b === 'object' && 'const' in b);
const QUOTED = /"((?:[^"\\]|\\.)*)"/g;

// For an object's alternatives its answers do not pass: the keyword location of the one they
// took (the first whose own questions they answer), whose errors are then its issues, at their
// fields (forms/validate.py _in_chosen_alternative).
function chosenBranches(schema, value, errors) {
  const took = [];
  for (const e of errors) {
    if (e.keyword !== 'oneOf' && e.keyword !== 'anyOf') continue;
    const owner = at(schema, e.keywordLocation.replace(/\/(oneOf|anyOf)$/, ''));
    const branches = owner && owner[e.keyword];
    if (!Array.isArray(branches) || !branches.every((b) => b && b.properties)) continue;
    let answer = value;
    for (const part of decodeURI(e.instanceLocation.slice(1)).split('/').slice(1)) answer = answer == null ? answer : answer[unesc(part)];
    if (!isObject(answer)) continue;
    const shared = owner.properties || {};
    const k = branches.findIndex((b) => Object.keys(answer).some((q) => q in b.properties && !(q in shared)));
    if (k >= 0 && errors.some((x) => x.keywordLocation.startsWith(`${e.keywordLocation}/${k}/`))) took.push(`${e.keywordLocation}/${k}/`);
  }
  return took;
}

// Issues {path, code, params} of `value` against `schema`, with paths under `base`.
export function schemaIssues(schema, value, data, base = '') {
  const errors = validator(schema, false).validate(value).errors;
  const located = errors.map((e) => base + decodeURI(e.instanceLocation.slice(1)));
  const failed = new Set(located.filter((p, i) => errors[i].keyword !== 'false'));
  const found = [], took = chosenBranches(schema, value, errors);
  errors.forEach((e, i) => {
    const path = located[i], kw = e.keyword, loc = e.keywordLocation;
    const inside = took.find((b) => loc.startsWith(b));
    if (took.some((b) => b.startsWith(loc + '/'))) return; // its alternative's own issues say it
    if (/\/(oneOf|anyOf|not)\//.test((inside ? loc.slice(inside.length) : loc).replace(/\/(oneOf|anyOf)$/, ''))) return;
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
const memberList = (a) => (Array.isArray(a && a.members) ? a.members : []).map((m, i) => [i, m]).filter(([, m]) => isObject(m));

// The ID number's own issues: its check digit and birth-date digits.
export function idNumberIssues(idn, path) {
  if (typeof idn !== 'string' || !/^\d{17}[\dX]$/.test(idn)) return [];
  const found = [], expected = checkDigit(idn.slice(0, 17));
  if (expected !== idn[17]) found.push({ path, code: 'id_number.check_digit', params: { expected, actual: idn[17] } });
  if (!compactDate(idn.slice(6, 14))) found.push({ path, code: 'id_number.birth_date_invalid', params: { digits: idn.slice(6, 14) } });
  return found;
}

const isObject = (v) => !!v && typeof v === 'object' && !Array.isArray(v);
const section = (a, name) => (isObject(a[name]) ? a[name] : {});
const isNumber = (v) => typeof v === 'number';

// Python's f"{v:.2f}": toFixed rounds the exact binary value too, but an exact tie
// (v = j/8, j odd: .125, .375, ...) up where Python rounds it to even.
function fixed2(v) {
  if (!Number.isInteger(v * 8) || Number.isInteger(v * 4)) return v.toFixed(2);
  const cents = Math.floor(v * 100);
  return ((cents % 2 === 0 ? cents : cents + 1) / 100).toFixed(2);
}
const amount = (v) => fixed2(v).replace(/0+$/, '').replace(/\.$/, '');

// 家庭纯收入 as rules.net_income finds it, or null unless all eight figures are numbers.
export function netIncome(a) {
  const income = section(a, 'income'), transfers = income.transfers;
  if (!isObject(transfers)) return null;
  const [wages, businessIncome, businessExpense, propertyIncome, ...moved] = [
    ...['wages', 'business_income', 'business_expense', 'property_income'].map((k) => income[k]),
    ...['dibao', 'pension', 'eco_compensation', 'other'].map((k) => transfers[k]),
  ];
  if (![wages, businessIncome, businessExpense, propertyIncome, ...moved].every(isNumber)) return null;
  const total = wages + businessIncome - businessExpense + propertyIncome + moved.reduce((s, v) => s + v, 0);
  return Number(fixed2(total)); // round(total, 2)
}

// The rules of forms/rules.py, in its order, each (answers, today, data) -> issues.
const RULES = {
  household: [
    function oneHead(a) {
      const members = memberList(a), found = [];
      const heads = members.filter(([, m]) => m.relation === 'head').map(([i]) => i);
      if (members.length && !heads.length) found.push({ path: '/members', code: 'members.no_head', params: {} });
      heads.slice(1).forEach((i) => found.push({ path: `/members/${i}/relation`, code: 'members.extra_head', params: { first: heads[0] + 1 } }));
      return found;
    },
    function idNumbers(a) {
      const found = [];
      for (const [i, m] of memberList(a)) {
        const idn = m.id_number, at = `/members/${i}`;
        if (typeof idn !== 'string' || !/^\d{17}[\dX]$/.test(idn)) continue;
        found.push(...idNumberIssues(idn, at + '/id_number'));
        const born = compactDate(idn.slice(6, 14)), sex = +idn[16] % 2 ? 'male' : 'female';
        if (born && isDate(m.birth_date || '') && m.birth_date !== born) {
          found.push({ path: at + '/birth_date', code: 'member.birth_date_mismatch', params: { birth_date: m.birth_date, id_birth_date: born } });
        }
        if ((m.sex === 'male' || m.sex === 'female') && m.sex !== sex) {
          found.push({ path: at + '/sex', code: 'member.sex_mismatch', params: { digit: idn[16], sex: m.sex, id_sex: sex } });
        }
      }
      return found;
    },
    function duplicateIdNumbers(a) {
      const found = [], first = new Map();
      for (const [i, m] of memberList(a)) {
        const idn = m.id_number;
        if (typeof idn !== 'string' || !idn) continue;
        if (first.has(idn)) found.push({ path: `/members/${i}/id_number`, code: 'id_number.duplicate', params: { id_number: idn, first: first.get(idn) + 1 } });
        else first.set(idn, i);
      }
      return found;
    },
    function otherCauses(a, today, data) {
      const { main_cause: main, other_causes: others } = section(a, 'causes');
      if (typeof main !== 'string' || !Array.isArray(others) || !others.includes(main)) return [];
      const labels = (data.labels || {})['/causes/main_cause'] || {};
      const [zh, en] = Object.prototype.hasOwnProperty.call(labels, main) ? labels[main] : [main, main];
      return [{ path: '/causes/other_causes', code: 'causes.other_repeats_main', params: { cause: main, cause_zh: zh, cause_en: en } }];
    },
    function perCapitaIncome(a) {
      const net = netIncome(a), count = Array.isArray(a.members) ? a.members.length : 0;
      if (net === null || !count) return [];
      const perCapita = net / count;
      return perCapita > 0 && perCapita <= 100000
        ? []
        : [{ path: '/income', code: 'income.per_capita_out_of_range', params: { per_capita: amount(perCapita), net_income: amount(net), members: count } }];
    },
  ],
};

// The evaluator of the schema's own rules and computed values (logic.js), once loaded: a form
// declaring x-rules or x-calculate loads it when the cadre starts typing (app.js).
let logic = null;
export const useLogic = (module) => (logic = module);

// The form's own rules: its schema's x-rules (forms/form_logic.py), then forms/rules.py's,
// on answers that may still break the schema.
export function ruleIssues(data, answers, on = today(data.tz), wrong = new Set()) {
  if (!isObject(answers)) return [];
  const declared = logic ? logic.ruleIssues(data.schema, answers, on, data.lang, wrong) : [];
  return [...declared, ...(RULES[data.form] || []).flatMap((rule) => rule(answers, on, data))];
}

// The answers with their computed questions worked out, and shown in `form`, once logic.js is loaded.
export function calculate(form, data, answers) {
  if (logic) logic.calculated(data.schema, answers, today(data.tz), form);
  return answers;
}

// Today where the surveys are made (the server's MINSHENG_TZ), whatever the phone's own zone:
// Swedish writes dates as YYYY-MM-DD.
export const today = (timeZone) => new Date().toLocaleDateString('sv-SE', { timeZone });

// Every issue with the answers, schema first, then the form's rules, one per field and code.
export function issues(data, answers, on = today(data.tz)) {
  const schema = schemaIssues(data.schema, answers, data);
  const found = [...schema, ...ruleIssues(data, answers, on, new Set(schema.map((i) => i.path)))];
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
