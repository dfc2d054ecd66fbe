// A draft as the phone shows it, on the designer's page or a phone opened from its QR code:
// the phone's fields (conditions, repeat groups, ID-number keys) without its app, so nothing
// is kept on the device or sent anywhere.
import { data, form, $, setup, applyConditions } from './fields.js';

if (data.more) await import('./more.js'); // what only some forms need

setup();
form.addEventListener('input', applyConditions);
form.addEventListener('change', applyConditions);
form.addEventListener('submit', (e) => {
  e.preventDefault();
  const notice = $('notice');
  notice.hidden = false;
  notice.scrollIntoView({ block: 'nearest' });
});
