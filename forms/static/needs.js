// The cadre's needs page (/needs/mine): a step recorded on a need is kept on the phone,
// in an IndexedDB database of its own ('minsheng-needs'), until the server has it. Each
// step carries the UUID its form was rendered with, so sending it again after a lost
// answer stores it once (201 the first time, 200 after). Sending is tried at once, when
// the network comes back, when the page is shown again and every half minute. A step the
// server refuses (422, 409) stays listed with the reason until the cadre drops it.
// Without this script the same form is an ordinary POST.

const DB = 'minsheng-needs';
const STORE = 'steps';
const en = document.documentElement.lang === 'en';
const T = en
  ? {
      waiting: (n) => `${n} step${n > 1 ? 's' : ''} kept on this phone, to be sent when there is a network.`,
      sending: 'Sending…',
      sent: 'All steps are sent.',
      refused: (n) => `${n} step${n > 1 ? 's were' : ' was'} refused: see below.`,
      login: 'Log in again to send the steps kept on this phone.',
      queued: 'Saved on this phone; it will be sent when there is a network.',
      done: 'Sent.',
      drop: 'Drop it',
      referred: 'A referred need must name the responsible unit.',
      satisfaction: 'Satisfaction is recorded only when a need is closed.',
      future: 'The day must not be after today.',
      early: 'The day must not be before the survey that raised the need.',
    }
  : {
      waiting: (n) => `${n} 条办理记录保存在手机上，联网后自动发送。`,
      sending: '正在发送……',
      sent: '办理记录已全部发送。',
      refused: (n) => `${n} 条办理记录未被接受，见下方说明。`,
      login: '请重新登录，才能发送保存在手机上的办理记录。',
      queued: '已保存在手机上，联网后自动发送。',
      done: '已发送。',
      drop: '放弃这条记录',
      referred: '已转办的须填写责任单位。',
      satisfaction: '只有办结时才填写群众满意度。',
      future: '办理日期不能晚于今天。',
      early: '办理日期不能早于提出这项需求的调查日期。',
    };
const CLOSING = ['solved_on_spot', 'solved', 'cannot_solve'];

function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16)); // plain http has no randomUUID
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

let opened = null;
function db() {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'id' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
}

async function run(mode, work) {
  const tx = (await db()).transaction(STORE, mode);
  const request = work(tx.objectStore(STORE));
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve(request && request.result);
    tx.onerror = tx.onabort = () => reject(tx.error);
  });
}
const all = async () => ((await run('readonly', (s) => s.getAll())) || []).sort((a, b) => a.queued.localeCompare(b.queued));
const put = (step) => run('readwrite', (s) => s.put(step));
const drop = (id) => run('readwrite', (s) => s.delete(id));

// What the server would refuse at once, said before the step is kept.
function problem(body, raised) {
  if (body.status === 'referred' && !body.responsible_unit) return T.referred;
  if (body.satisfaction && !CLOSING.includes(body.status)) return T.satisfaction;
  const today = document.querySelector('input[name=happened_on]')?.max;
  if (today && body.happened_on > today) return T.future;
  if (raised && body.happened_on < raised) return T.early;
  return null;
}

let csrf = null;
async function token() {
  if (csrf) return csrf;
  const response = await fetch('/api/me', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  if (!response.ok) throw response.status;
  csrf = (await response.json()).csrf_token;
  return csrf;
}

function say(text, waiting) {
  const banner = document.getElementById('queue');
  banner.hidden = !text;
  banner.textContent = text || '';
  banner.classList.toggle('waiting', !!waiting);
}

async function show() {
  const steps = await all();
  const waiting = steps.filter((s) => s.state !== 'refused');
  const refused = steps.filter((s) => s.state === 'refused');
  if (refused.length) say(T.refused(refused.length), true);
  else if (waiting.length) say(T.waiting(waiting.length), true);
  for (const item of document.querySelectorAll('.need')) {
    const note = item.querySelector('.pending');
    const mine = steps.filter((s) => `need-${s.need}` === item.id);
    note.hidden = !mine.length;
    note.replaceChildren();
    for (const step of mine) {
      const line = document.createElement('span');
      line.textContent = step.state === 'refused' ? step.why : T.queued;
      note.append(line);
      if (step.state === 'refused') {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'sec';
        button.textContent = T.drop;
        button.addEventListener('click', async () => { await drop(step.id); show(); });
        note.append(' ', button);
      }
    }
  }
}

let busy = false;
async function send() {
  if (busy) return;
  busy = true;
  let sentAny = false;
  try {
    for (const step of await all()) {
      if (step.state === 'refused') continue;
      let response;
      try {
        response = await fetch(`/api/needs/${step.need}/steps?lang=${en ? 'en' : 'zh'}`, {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': await token() },
          body: JSON.stringify(step.body),
        });
      } catch (e) {
        if (e === 401) say(T.login, true);
        break; // no network (or no session): kept for later
      }
      if (response.status === 201 || response.status === 200) {
        await drop(step.id);
        sentAny = true;
        const item = document.getElementById(`need-${step.need}`);
        const tag = item && item.querySelector('.tag.status');
        const option = item && item.querySelector(`select[name=status] option[value="${step.body.status}"]`);
        if (tag && option) tag.textContent = option.textContent;
      } else if ([404, 409, 422].includes(response.status)) {
        const answer = await response.json().catch(() => ({}));
        const why = (answer.errors || []).map((e) => e.message).join(' ') || answer.detail || String(response.status);
        await put({ ...step, state: 'refused', why });
      } else {
        if (response.status === 401) say(T.login, true);
        if (response.status === 403) csrf = null; // a new session: a new token next time
        break; // the server is busy or failing, or the session ended: later
      }
    }
  } finally {
    busy = false;
  }
  await show();
  if (sentAny && !(await all()).length) say(T.sent, false);
}

for (const form of document.querySelectorAll('form.step')) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = { id: data.get('_id'), status: data.get('status'), happened_on: data.get('happened_on') };
    for (const key of ['responsible_unit', 'note', 'satisfaction']) {
      const value = String(data.get(key) || '').trim();
      if (value) body[key] = value;
    }
    const error = form.querySelector('.err');
    const wrong = problem(body, form.dataset.raised);
    error.hidden = !wrong;
    error.textContent = wrong || '';
    if (wrong) return;
    await put({ id: body.id, need: form.dataset.need, body, queued: new Date().toISOString(), state: 'queued' });
    form.elements._id.value = newId(); // the next step recorded here is another step
    form.elements.note.value = '';
    form.closest('details').open = false;
    await show();
    send();
  });
}

// The page may come from the service worker's copy, kept days ago (forms/static/sw.js): its
// forms' UUIDs may name steps sent since, and its today is that day's. Each form takes a new
// UUID (a step keeps the one it was queued with) and the phone's today as the latest day.
function freshen() {
  const now = new Date();
  const today = new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  for (const form of document.querySelectorAll('form.step')) {
    form.elements._id.value = newId();
    const day = form.elements.happened_on;
    if (day.max && day.max < today) {
      if (day.value === day.max) day.value = today;
      day.max = today;
    }
  }
}

freshen();
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).then(() => navigator.serviceWorker.ready).then((r) => r.active.postMessage('keep')).catch(() => {});
}
addEventListener('online', send);
document.addEventListener('visibilitychange', () => { if (!document.hidden) send(); });
setInterval(send, 30000);
show().then(send);
