// s3rver 3.7.1 launcher for avfleet's tests (started by start-s3rver.ts; runs as its own
// process so that it outlives the jest process that started it while other runs share it).
// Usage: node s3rver-launcher.mjs --host 127.0.0.1 --port 14568 --dir /path/to/store
// Two fixes over plain s3rver (see docs/testing.md):
//  - answers ListMultipartUploads (GET /<bucket>?uploads) with an empty list instead of
//    501, since the minio client calls it before every multipart upload;
//  - raises the HTTP keep-alive/headers timeouts so slow 64 MiB part uploads survive.
import http from 'node:http';
import { Buffer } from 'node:buffer';
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { URL } from 'node:url';
import S3rver from 's3rver';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const host = arg('host', '127.0.0.1');
const port = Number(arg('port', '14568'));
const directory = arg('dir', undefined);
if (!directory) {
  process.stderr.write('AVF_ERR_TEST_S3RVER_ARGS: pass --dir <folder for the object store>\n');
  process.exit(2);
}

const xmlEscape = (s) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

function emptyMultipartList(bucket, query) {
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    `<Bucket>${xmlEscape(bucket)}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>` +
    `<NextKeyMarker></NextKeyMarker><NextUploadIdMarker></NextUploadIdMarker>` +
    `<Prefix>${xmlEscape(prefix)}</Prefix><Delimiter>${xmlEscape(delimiter)}</Delimiter>` +
    '<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>'
  );
}

const app = new S3rver({ silent: true, directory, address: host, port, resetOnClose: false });
const handle = app.callback();
const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://local');
  const segments = url.pathname.split('/').filter(Boolean);
  if (req.method === 'GET' && url.searchParams.has('uploads') && segments.length === 1) {
    const body = emptyMultipartList(decodeURIComponent(segments[0]), url.searchParams);
    res.writeHead(200, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  handle(req, res);
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;
server.requestTimeout = 0;

const shutdown = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

server.listen(port, host, () => {
  process.stdout.write(`s3rver listening on http://${host}:${port} (store ${directory})\n`);
});
server.on('error', (err) => {
  process.stderr.write(`AVF_ERR_TEST_S3RVER_LISTEN: ${err.message}\n`);
  process.exit(1);
});
