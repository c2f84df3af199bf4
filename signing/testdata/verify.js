// Independent verifier for berth's signatures, written from Port's and the
// Standard Webhooks documentation rather than from the Go code. It reads
// {"cases": [...]} on stdin and writes one result object per case to stdout.
//
// Each case: name, secret (Base64 of the client secret bytes), timestamp,
// msgId, body (Base64 of the exact bytes sent), portSignature,
// standardSignature, whsec, azure, and optionally encrypted + plaintext
// (Base64) for a Port-managed secret input.
'use strict';
const crypto = require('crypto');

function hmacB64(key, data) {
  return crypto.createHmac('sha256', key).update(data).digest('base64');
}

// Port's documented check: split the header on ',' and compare element [1].
function portMatches(header, key, timestamp, payload) {
  const got = header.split(',')[1] || '';
  const want = hmacB64(key, Buffer.concat([Buffer.from(timestamp + '.'), payload]));
  return got === want;
}

// Standard Webhooks: space-separated "v1,<sig>" entries, constant-time compare.
function standardMatches(header, key, id, timestamp, payload) {
  const want = Buffer.from(hmacB64(key, Buffer.concat([Buffer.from(id + '.' + timestamp + '.'), payload])));
  return header.split(' ').some((entry) => {
    const [version, sig] = entry.split(',');
    const got = Buffer.from(sig || '');
    return version === 'v1' && got.length === want.length && crypto.timingSafeEqual(got, want);
  });
}

// What Standard Webhooks libraries do with a "whsec_" secret.
function whsecKey(whsec) {
  return Buffer.from(whsec.replace(/^whsec_/, ''), 'base64');
}

// Port-managed secret input: Base64(iv(16) ‖ ciphertext ‖ tag(16)), key =
// first 32 bytes of the client secret.
function decryptSecretInput(clientSecret, encrypted) {
  const raw = Buffer.from(encrypted, 'base64');
  const key = Buffer.from(clientSecret, 'utf8').subarray(0, 32);
  const iv = raw.subarray(0, 16);
  const tag = raw.subarray(raw.length - 16);
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(raw.subarray(16, raw.length - 16)), decipher.final()]);
}

function reserialized(raw) {
  try {
    return Buffer.from(JSON.stringify(JSON.parse(raw.toString('utf8'))), 'utf8');
  } catch (e) {
    return null;
  }
}

function check(c) {
  const key = Buffer.from(c.secret, 'base64');
  const raw = Buffer.from(c.body, 'base64');
  const again = reserialized(raw);
  const out = {
    name: c.name,
    portRaw: portMatches(c.portSignature, key, c.timestamp, raw),
    portReserialized: again !== null && portMatches(c.portSignature, key, c.timestamp, again),
    standardRaw: standardMatches(c.standardSignature, key, c.msgId, c.timestamp, raw),
    standardWhsec: standardMatches(c.standardSignature, whsecKey(c.whsec), c.msgId, c.timestamp, raw),
    azure: crypto.createHmac('sha1', key).update(raw).digest('hex') === c.azure,
  };
  if (c.encrypted) {
    try {
      const plain = decryptSecretInput(key.toString('utf8'), c.encrypted);
      out.secretInput = plain.equals(Buffer.from(c.plaintext, 'base64'));
    } catch (e) {
      out.secretInput = false;
    }
  }
  return out;
}

let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  const results = JSON.parse(input).cases.map(check);
  process.stdout.write(JSON.stringify(results));
});
