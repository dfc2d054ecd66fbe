// A draft or an answer of a version the designer retired, moved to the current version: the
// answers the current version still asks for, as they were; the rest listed (JSON pointers).
// Fetched only by a form page when this phone holds such a record (app.js moveRetired).
import { questions, holds } from './check.js';

function fits(node, value) {
  try {
    return holds(node, value);
  } catch (e) {
    return true; // a check the phone cannot make alone: the review page's checks decide
  }
}

// dropped: [pointer, the answer left behind when it is short enough to name]
function carry(node, value, at, dropped) {
  const leave = (where, v) => dropped.push([where, typeof v === 'object' ? '' : String(v).slice(0, 20)]);
  if (value && typeof value === 'object' && !Array.isArray(value) && node.properties) {
    const props = questions(node), out = {};
    for (const [k, v] of Object.entries(value)) {
      const kept = k in props ? carry(props[k], v, `${at}/${k}`, dropped) : leave(`${at}/${k}`, v) && undefined;
      if (kept !== undefined) out[k] = kept;
    }
    return out;
  }
  if (Array.isArray(value) && node.type === 'array' && node.items && typeof node.items === 'object') {
    if (node.items.properties) return value.map((item, i) => carry(node.items, item, `${at}/${i}`, dropped));
    const kept = value.filter((item) => fits(node.items, item)); // an option no longer offered
    if (kept.length < value.length) leave(at, value.filter((item) => !kept.includes(item)).join(' '));
    return kept;
  }
  if (fits(node, value)) return value;
  leave(at, value);
  return undefined;
}

export function carried(answers, schema) {
  const dropped = [];
  return { answers: carry(schema, answers || {}, '', dropped), dropped };
}

// What the person is told on opening a moved draft (the page's words stay small without it).
const SAY = {
  zh: ['这份答案原按第 {from} 版填写，该版已停用，已移到现行的第 {to} 版，请核对后提交。', '新版不再询问的 {n} 项未带过来：{list}。', '、', '（', '）'],
  en: ['This answer was made on version {from}, which is retired; it was moved to version {to}, the current one. Check it, then send it.', ' {n} answers the new version no longer asks for were left behind: {list}.', ', ', ' (', ')'],
};
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, k) => values[k]);

export function movedText(moved, to, lang) {
  const [done, left, sep, open, close] = SAY[lang] || SAY.zh;
  const list = moved.dropped.map(([at, v]) => at.slice(at.lastIndexOf('/') + 1) + (v ? open + v + close : '')).join(sep);
  return fill(done, { from: moved.from, to }) + (moved.dropped.length ? fill(left, { n: moved.dropped.length, list }) : '');
}
