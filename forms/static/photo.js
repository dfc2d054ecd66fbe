// Photo and location questions (forms/media.py), loaded by app.js only for a form that has
// one. A photo is taken or picked, shrunk here to at most 200 KB (a cheap phone's camera
// makes 3-5 MB; a village's signal carries 200 KB), kept on the phone beside the answer
// (store.js) and named in the answers by its id; the outbox uploads it before the answer.
// A location is the phone's GPS fix with its accuracy: it needs no network.
import * as store from './store.js';
import * as photos from './photos.js';
import { data, form, fmt } from './fields.js';

const MAX_SIDE = 1280; // px, the longest side: a house's walls and roof still read
const MAX_BYTES = 200 * 1024;
const SAY = {
  zh: { take: '拍照或选照片', drop_photo: '删除照片', locate: '记录位置', drop_fix: '清除位置', located: '纬度 {lat}，经度 {lon}，精度约 {acc} 米', shrinking: '正在压缩照片…', kept: '照片 {kb} KB，已存在手机上', sent: '照片已在服务器上', bad: '这个文件不是照片，或手机无法读取它', taken: '已拍照片', locating: '正在定位…（在屋外更快）', denied: '没有定位权限：请在浏览器设置里允许本网站使用位置', timeout: '定位超时：请到屋外空旷处再试', failed: '无法定位：请打开手机的定位（GPS）再试' },
  en: { take: 'Take or pick a photo', drop_photo: 'Remove photo', locate: 'Record location', drop_fix: 'Clear location', located: 'Latitude {lat}, longitude {lon}, accurate to about {acc} m', shrinking: 'Shrinking the photo…', kept: 'Photo {kb} KB, kept on this phone', sent: 'The photo is on the server', bad: 'This file is not a photo, or the phone cannot read it', taken: 'Photo taken', locating: 'Finding the location… (quicker outdoors)', denied: 'No permission for the location: allow it for this site in the browser settings', timeout: 'The location took too long: try again outdoors', failed: 'No location: turn on the phone\'s location (GPS) and try again' },
}[data.lang === 'en' ? 'en' : 'zh'];

// ---------------------------------------------------------------- shrinking

async function decoded(file) {
  if (self.createImageBitmap) return createImageBitmap(file, { imageOrientation: 'from-image' });
  const img = new Image(), url = URL.createObjectURL(file);
  try {
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

const jpeg = (canvas, quality) => new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));

// A JPEG of `file` at most MAX_BYTES: the longest side MAX_SIDE, the quality stepped down,
// then the size, until it fits.
export async function shrink(file) {
  const picture = await decoded(file);
  const width = picture.width, height = picture.height;
  let scale = Math.min(1, MAX_SIDE / Math.max(width, height)), blob = null;
  try {
    for (let round = 0; round < 6; round++, scale *= 0.75) {
      const canvas = document.createElement('canvas');
      canvas.width = Math.max(1, Math.round(width * scale));
      canvas.height = Math.max(1, Math.round(height * scale));
      canvas.getContext('2d').drawImage(picture, 0, 0, canvas.width, canvas.height);
      for (const quality of [0.85, 0.75, 0.65, 0.55, 0.45]) {
        blob = await jpeg(canvas, quality);
        if (blob && blob.size <= MAX_BYTES) return blob;
      }
    }
    return blob;
  } finally {
    if (picture.close) picture.close();
  }
}

// ---------------------------------------------------------------- photo questions

const urls = new Map(); // question -> the object URL its thumbnail shows

async function drawPhoto(q) {
  const id = q.querySelector('input[type=hidden]').value, shot = q.querySelector('.shot');
  if (id) q.dataset.answer = SAY.taken; // at once: the review lists it
  else delete q.dataset.answer;
  const kept = id ? await photos.photo(id).catch(() => null) : null;
  if (q.querySelector('input[type=hidden]').value !== id) return; // changed meanwhile
  if (urls.has(q)) URL.revokeObjectURL(urls.get(q));
  urls.delete(q);
  shot.textContent = '';
  q.querySelector('.drop').hidden = !id;
  if (!id) return;
  const img = shot.appendChild(document.createElement('img'));
  img.alt = q.querySelector('legend').firstChild.textContent;
  if (kept) {
    urls.set(q, URL.createObjectURL(kept.blob));
    img.src = urls.get(q);
  } else {
    img.src = `/api/media/${id}`; // sent with its answer: the server has it
    img.onerror = () => img.remove(); // offline, or not ours to see
  }
  const note = shot.appendChild(document.createElement('span'));
  note.textContent = kept ? fmt(SAY.kept, { kb: Math.ceil(kept.size / 1024) }) : SAY.sent;
}

async function took(q, file) {
  const hidden = q.querySelector('input[type=hidden]'), shot = q.querySelector('.shot'), old = hidden.value;
  shot.textContent = SAY.shrinking;
  let blob;
  try {
    blob = await shrink(file);
  } catch (e) {
    blob = null;
  }
  if (!blob) {
    shot.textContent = SAY.bad;
    return;
  }
  const id = store.newId();
  await photos.keep({ id, blob, type: blob.type || 'image/jpeg', size: blob.size, user: store.session.user, saved: new Date().toISOString(), uploaded: false });
  hidden.value = id;
  if (old) forget(old);
  await drawPhoto(q);
  hidden.dispatchEvent(new Event('change', { bubbles: true })); // the draft is saved
}

// A photo replaced or removed in a draft is named by nothing else on this phone: once it
// is on the server (a sent answer names it), it is not ours to delete here.
async function forget(id) {
  const kept = await photos.photo(id).catch(() => null);
  if (kept && !kept.uploaded) await photos.drop(id);
}

// ---------------------------------------------------------------- location questions

const parts = (q) => Object.fromEntries([...q.querySelectorAll('input[type=hidden]')].map((el) => [el.name.slice(el.name.lastIndexOf('/') + 1), el]));

function drawLocation(q, note) {
  const p = parts(q), has = p.lat && p.lat.value && p.lon.value;
  const text = has ? fmt(SAY.located, { lat: p.lat.value, lon: p.lon.value, acc: p.accuracy_m ? p.accuracy_m.value : '?' }) : '';
  q.querySelector('.fix').textContent = note || text;
  q.querySelector('.drop').hidden = !has;
  if (has) q.dataset.answer = text;
  else delete q.dataset.answer;
}

function setLocation(q, fix) {
  const p = parts(q);
  for (const [key, el] of Object.entries(p)) el.value = fix ? fix[key] : '';
  drawLocation(q);
  p.lat.dispatchEvent(new Event('change', { bubbles: true }));
}

function locate(q) {
  if (!navigator.geolocation) return drawLocation(q, SAY.failed);
  drawLocation(q, SAY.locating);
  navigator.geolocation.getCurrentPosition(
    (position) => {
      const c = position.coords;
      setLocation(q, {
        lat: +c.latitude.toFixed(6),
        lon: +c.longitude.toFixed(6),
        accuracy_m: Math.round(c.accuracy * 10) / 10,
        at: new Date(position.timestamp || Date.now()).toISOString(),
      });
    },
    (error) => drawLocation(q, error.code === 1 ? SAY.denied : error.code === 3 ? SAY.timeout : SAY.failed),
    { enableHighAccuracy: true, timeout: 30000, maximumAge: 0 },
  );
}

// ---------------------------------------------------------------- start

// The buttons of a question, which work only with this script: a photo's file input (the
// camera, on a phone) covers its button, so the whole button opens it.
function controls(q) {
  if (q.querySelector('.row')) return;
  const row = document.createElement('div'), photo = q.dataset.widget === 'photo';
  row.className = 'row';
  if (photo) {
    const pick = row.appendChild(document.createElement('label')), file = document.createElement('input');
    pick.className = 'button pick';
    Object.assign(file, { type: 'file', accept: 'image/*', id: q.id + '-file' });
    file.setAttribute('capture', 'environment');
    pick.append(file, SAY.take);
  } else {
    const locate = row.appendChild(document.createElement('button'));
    Object.assign(locate, { type: 'button', className: 'locate sec', textContent: SAY.locate });
  }
  const drop = row.appendChild(document.createElement('button'));
  Object.assign(drop, { type: 'button', className: 'drop sec', hidden: true, textContent: photo ? SAY.drop_photo : SAY.drop_fix });
  q.querySelector('.nojs').before(row);
}

export function redraw() {
  for (const q of form.querySelectorAll('.media')) controls(q);
  for (const q of form.querySelectorAll('.media[data-widget=photo]')) drawPhoto(q);
  for (const q of form.querySelectorAll('.media[data-widget=location]')) drawLocation(q);
}

form.addEventListener('change', (e) => {
  const q = e.target.closest('.media[data-widget=photo]');
  if (q && e.target.type === 'file' && e.target.files.length) took(q, e.target.files[0]).finally(() => (e.target.value = ''));
});

form.addEventListener('click', (e) => {
  const b = e.target.closest('.media button');
  if (!b) return;
  const q = b.closest('.media');
  if (b.classList.contains('locate')) locate(q);
  else if (q.dataset.widget === 'location') setLocation(q, null);
  else {
    const hidden = q.querySelector('input[type=hidden]'), old = hidden.value;
    hidden.value = '';
    drawPhoto(q);
    if (old) forget(old);
    hidden.dispatchEvent(new Event('change', { bubbles: true }));
  }
});

form.addEventListener('ms-filled', redraw);
redraw();
