#!/usr/bin/env node
// Writes avfleet's own sample messages (generated here, never copied from elsewhere)
// into the folder given (default examples/samples): a clean text mail, a clean
// attachment, the EICAR test file as an attachment, EICAR inside a zip, and a
// forwarded message carrying EICAR. Deterministic: the same bytes every run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';

const out = resolve(process.argv[2] ?? join(import.meta.dirname ?? '.', '..', 'examples', 'samples'));
// The EICAR test string, assembled so this file itself does not match it.
const EICAR = Buffer.from(['X5O!P%@AP[4\\PZX54(P^)7CC)7}$', 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'].join(''), 'latin1');

function b64(buf) {
  return buf.toString('base64').replace(/.{1,76}/g, '$&\r\n');
}

function zipStored(name, data) {
  const n = Buffer.from(name, 'latin1');
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(10, 4); local.writeUInt16LE(0, 6); local.writeUInt16LE(0, 8);
  local.writeUInt16LE(0, 10); local.writeUInt16LE(0x21, 12); local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18); local.writeUInt32LE(data.length, 22); local.writeUInt16LE(n.length, 26); local.writeUInt16LE(0, 28);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(10, 6); central.writeUInt16LE(0, 8);
  central.writeUInt16LE(0, 10); central.writeUInt16LE(0, 12); central.writeUInt16LE(0x21, 14); central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20); central.writeUInt32LE(data.length, 24); central.writeUInt16LE(n.length, 28);
  central.writeUInt32LE(0, 42);
  const cdOffset = local.length + n.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(1, 8); end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + n.length, 12); end.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([local, n, data, central, n, end]);
}

function message(subject, parts) {
  const head = [
    'From: Sender <sender@example.org>', 'To: Recipient <rcpt@example.net>', `Subject: ${subject}`,
    'Date: Thu, 26 Nov 2026 10:00:00 +0000', `Message-ID: <${subject.toLowerCase().replace(/[^a-z0-9]+/g, '-')}@avfleet.example>`, 'MIME-Version: 1.0',
  ];
  if (parts.length === 0) return Buffer.from([...head, 'Content-Type: text/plain; charset=utf-8', '', 'Hello, this message has no attachment.', ''].join('\r\n'));
  const boundary = '=_avfleet_sample_boundary';
  const body = [`Content-Type: multipart/mixed; boundary="${boundary}"`, '', 'This is a multi-part message in MIME format.'];
  body.push(`--${boundary}`, 'Content-Type: text/plain; charset=utf-8', '', `Sample: ${subject}.`);
  for (const p of parts) {
    body.push(`--${boundary}`);
    if (p.raw) body.push(...p.headers, '', p.raw.toString('latin1'));
    else body.push(`Content-Type: ${p.type}; name="${p.name}"`, `Content-Disposition: attachment; filename="${p.name}"`, 'Content-Transfer-Encoding: base64', '', b64(p.data));
  }
  body.push(`--${boundary}--`, '');
  return Buffer.from([...head, ...body].join('\r\n'), 'latin1');
}

const report = Buffer.from('%PDF-1.4\n% avfleet sample document\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1');
const samples = {
  '01-clean-text.eml': message('Clean text', []),
  '02-clean-attachment.eml': message('Clean attachment', [{ name: 'report.pdf', type: 'application/pdf', data: report }]),
  '03-eicar-attachment.eml': message('EICAR attachment', [{ name: 'eicar.com', type: 'application/octet-stream', data: EICAR }]),
  '04-eicar-in-zip.eml': message('EICAR in zip', [{ name: 'invoice.zip', type: 'application/zip', data: zipStored('invoice.exe', EICAR) }]),
};
samples['05-forwarded-eicar.eml'] = message('Forwarded EICAR', [
  { headers: ['Content-Type: message/rfc822', 'Content-Disposition: attachment; filename="forwarded.eml"'], raw: samples['03-eicar-attachment.eml'] },
]);

mkdirSync(out, { recursive: true });
for (const [name, data] of Object.entries(samples)) writeFileSync(join(out, name), data);
process.stdout.write(`avfleet: wrote ${Object.keys(samples).length} sample messages to ${out}\n`);
