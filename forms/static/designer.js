// The designer's page: JSON syntax checked as the designer types (line and column), the
// server's check on demand with each problem a jump to its line, and the phone preview beside
// the text rendered again by the server whenever the typing pauses. Without this script the
// page's buttons do the same with a reload.
const data = JSON.parse(document.getElementById('designer-data').textContent);
const en = data.lang === 'en';
const area = document.getElementById('text');
const syntax = document.getElementById('syntax');
const result = document.getElementById('check-result');
const state = document.getElementById('preview-state');
const draftForm = document.getElementById('draft');
const frame = document.getElementById('preview');

const WORDS = {
  key: ['应为用双引号括起的键名', 'expected a key in double quotes'],
  colon: ['键名后应为冒号 :', 'expected : after the key'],
  object: ['应为逗号 , 或 }', 'expected , or }'],
  array: ['应为逗号 , 或 ]', 'expected , or ]'],
  value: ['应为一个值（字符串、数字、对象、数组、true、false 或 null）', 'expected a value (a string, number, object, array, true, false or null)'],
  end: ['文本提前结束了，缺少 } 或 ]', 'the text ends too early: a } or ] is missing'],
  unclosed: ['字符串没有结束的双引号', 'a string is not closed'],
  escape: ['字符串中的 \\ 转义不对', 'a bad \\ escape in a string'],
  control: ['字符串中不能直接换行', 'a line break inside a string'],
  after: ['JSON 结束后还有多余的内容', 'more text after the end of the JSON'],
  deep: ['嵌套过深', 'nested too deep'],
  ok: ['JSON 语法正确', 'JSON syntax is correct'],
  at: ['第 {line} 行第 {column} 列：', 'line {line}, column {column}: '],
  line: ['第 {line} 行', 'line {line}'],
  go: ['跳到此处', 'go there'],
  checking: ['正在检查…', 'Checking…'],
  clean: ['检查通过，没有问题。', 'The check finds no problem.'],
  problems: ['{n} 处问题：', '{n} problems:'],
  report: ['与第 {v} 版相比，以下改动可能使为该版填写的答案不再有效（发布时需确认）：', 'Compared with version {v}, answers made for it may not fit (to acknowledge when publishing):'],
  failed: ['检查未能完成：', 'The check could not run: '],
  updating: ['正在更新预览…', 'Updating the preview…'],
  following: ['预览随输入更新。', 'It follows the text as you type.'],
  waiting: ['JSON 有语法错误，预览暂停更新。', 'The preview waits until the JSON is well formed.'],
  unsaved: ['有未保存的修改。', 'There are unsaved changes.'],
};
const say = (key, params = {}) => WORDS[key][en ? 1 : 0].replace(/\{(\w+)\}/g, (m, k) => params[k]);

// ---------------------------------------------------------------- JSON syntax

// The first JSON syntax error of `text` as { at, key }, or null: a small scanner of its own,
// because what each browser's JSON.parse says (and whether it says where) differs.
export function syntaxError(text) {
  let i = 0;
  const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  const fail = (key) => { throw { at: Math.min(i, text.length), key }; };
  const space = () => { while (i < text.length && ' \t\n\r'.includes(text[i])) i++; };
  const string = () => {
    i++;
    for (;;) {
      if (i >= text.length) fail('unclosed');
      const c = text[i];
      if (c === '"') return void i++;
      if (c === '\\') {
        const e = text[i + 1];
        if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else fail('escape');
      } else if (c < ' ') fail('control');
      else i++;
    }
  };
  const value = () => {
    space();
    if (i >= text.length) fail('end');
    const c = text[i];
    if (c === '{') {
      i++;
      space();
      if (text[i] === '}') return void i++;
      for (;;) {
        space();
        if (i >= text.length) fail('end');
        if (text[i] !== '"') fail('key');
        string();
        space();
        if (text[i] !== ':') fail(i >= text.length ? 'end' : 'colon');
        i++;
        value();
        space();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') return void i++;
        fail(i >= text.length ? 'end' : 'object');
      }
    }
    if (c === '[') {
      i++;
      space();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        space();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') return void i++;
        fail(i >= text.length ? 'end' : 'array');
      }
    }
    if (c === '"') return string();
    for (const word of ['true', 'false', 'null']) if (text.startsWith(word, i)) return void (i += word.length);
    NUMBER.lastIndex = i;
    if (NUMBER.test(text)) return void (i = NUMBER.lastIndex);
    fail('value');
  };
  try {
    value();
    space();
    if (i < text.length) fail('after');
    return null;
  } catch (e) {
    if (e instanceof RangeError) return { at: 0, key: 'deep' };
    return e;
  }
}

function position(text, at) {
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  return { line, column: at - before.lastIndexOf('\n') };
}

// Put the caret at a line (and column) of the text, scrolled into view.
function jump(line, column = 1) {
  const lines = area.value.split('\n');
  let at = 0;
  for (let n = 1; n < line && n <= lines.length; n++) at += lines[n - 1].length + 1;
  const end = at + (lines[line - 1] || '').length;
  area.focus();
  area.setSelectionRange(Math.min(at + column - 1, end), end);
  const height = parseFloat(getComputedStyle(area).lineHeight) || 18;
  area.scrollTop = Math.max(0, (line - 4) * height);
}

function goButton(label, line, column) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'at sec';
  b.textContent = label;
  b.addEventListener('click', () => jump(line, column));
  return b;
}

function showSyntax() {
  const error = syntaxError(area.value);
  syntax.replaceChildren();
  syntax.className = 'syntax ' + (error ? 'bad' : 'ok');
  if (error) {
    const { line, column } = position(area.value, error.at);
    syntax.append(say('at', { line, column }) + say(error.key) + ' ');
    syntax.append(goButton(say('go'), line, column));
    area.setAttribute('aria-invalid', 'true');
  } else {
    syntax.textContent = say('ok');
    area.removeAttribute('aria-invalid');
  }
  return !error;
}

// ---------------------------------------------------------------- the server's check

function list(className, items, draw) {
  const ul = document.createElement('ul');
  ul.className = className;
  for (const item of items) {
    const li = document.createElement('li');
    draw(li, item);
    ul.append(li);
  }
  return ul;
}

function drawProblem(li, p) {
  if (p.line) li.append(goButton(say('line', { line: p.line }), p.line, p.column || 1), ' ');
  if (p.pointer !== null) {
    const code = document.createElement('code');
    code.textContent = p.pointer || '/';
    li.append(code, ' ');
  }
  li.append(p.message);
}

function drawChange(li, c) {
  if (c.breaking) li.className = 'breaking';
  const kind = document.createElement('span');
  kind.className = 'kind';
  kind.textContent = c.kind;
  const code = document.createElement('code');
  code.textContent = c.pointer;
  li.append(kind, ' ' + c.text + ' ', code);
}

async function check(e) {
  e.preventDefault();
  result.className = 'check-result';
  result.textContent = say('checking');
  try {
    const response = await fetch(`/api/forms/${encodeURIComponent(data.form)}/draft/check?lang=${data.lang}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': data.csrf },
      body: JSON.stringify({ text: area.value }),
    });
    const report = await response.json();
    if (!response.ok) throw new Error(report.detail || response.status);
    result.replaceChildren();
    if (!report.ok) {
      result.className = 'check-result alert';
      const p = document.createElement('p');
      p.textContent = say('problems', { n: report.problems.length });
      result.append(p, list('problems', report.problems, drawProblem));
      return;
    }
    const p = document.createElement('p');
    p.textContent = say('clean');
    result.className = 'check-result notice';
    result.append(p);
    if (report.changes.length) {
      const more = document.createElement('p');
      more.textContent = say('report', { v: report.against });
      result.append(more, list('changes', report.changes, drawChange));
    }
  } catch (error) {
    result.className = 'check-result alert';
    result.textContent = say('failed') + error.message;
  }
}

// ---------------------------------------------------------------- the phone preview

// The preview is a POST of the text to the sandboxed frame: the server checks and renders it,
// or lists its problems there. Sent when the typing pauses and the JSON is well formed.
const previewForm = document.createElement('form');
previewForm.method = 'post';
previewForm.action = `/design/${encodeURIComponent(data.form)}/preview?lang=${data.lang}`;
previewForm.target = frame.name;
previewForm.hidden = true;
for (const [name, value] of [['_csrf', data.csrf], ['text', '']]) {
  const field = document.createElement(name === 'text' ? 'textarea' : 'input');
  field.name = name;
  if (name !== 'text') field.type = 'hidden';
  field.value = value;
  previewForm.append(field);
}
document.body.append(previewForm);

let timer = null, shown = null;
function preview() {
  if (area.value === shown) return;
  shown = area.value;
  previewForm.elements.text.value = area.value;
  state.textContent = say('updating');
  previewForm.submit();
}
frame.addEventListener('load', () => {
  if (state.textContent === say('updating')) state.textContent = say('following');
});

let saved = data.unsaved ? null : area.value, leaving = false;
area.addEventListener('input', () => {
  const well = showSyntax();
  clearTimeout(timer);
  if (well) timer = setTimeout(preview, 700);
  else state.textContent = say('waiting');
});
draftForm.addEventListener('submit', () => (leaving = true));
addEventListener('beforeunload', (e) => {
  if (!leaving && area.value !== saved) {
    e.preventDefault();
    e.returnValue = say('unsaved');
  }
});
document.getElementById('check').addEventListener('click', check);
for (const b of document.querySelectorAll('button.at[data-line]')) {
  b.addEventListener('click', () => jump(+b.dataset.line, +(b.dataset.column || 1)));
}

showSyntax();
// The frame shows the saved draft; text shown again after a check or a refused publish
// may differ from it, and then the frame follows the text at once.
if (data.same_as_saved) shown = area.value;
else if (syntaxError(area.value) === null) preview();
