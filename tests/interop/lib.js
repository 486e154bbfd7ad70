// Shared helpers of the interop scripts: bounded time, child processes killed at exit, checks.
'use strict';
const { spawn } = require('child_process');
const http = require('http');

const children = [];
let failures = 0;

function check(cond, what) {
  if (cond) {
    console.log(`ok   ${what}`);
  } else {
    failures++;
    console.log(`FAIL ${what}`);
  }
}

function finish() {
  for (const c of children) {
    if (c.exitCode === null) c.kill('SIGKILL');
  }
  console.log(failures === 0 ? 'interop: all checks passed' : `interop: ${failures} check(s) failed`);
  process.exit(failures === 0 ? 0 : 1);
}

// The whole script is bounded: after `ms` everything is killed and the test fails.
function limit(ms) {
  const t = setTimeout(() => {
    failures++;
    console.log(`FAIL timed out after ${ms} ms`);
    finish();
  }, ms);
  t.unref();
}

function start(cmd, args) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return child;
}

// Resolves with each complete stdout line through `onLine`.
function lines(child, onLine) {
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      onLine(line);
    }
  });
}

function request(method, url, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { 'content-type': 'application/json' } }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode, body: JSON.parse(data) });
        } catch (e) {
          reject(e);
        }
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(pred, ms, step = 20) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return true;
    await sleep(step);
  }
  return !!(await pred());
}

process.on('exit', () => {
  for (const c of children) {
    if (c.exitCode === null) c.kill('SIGKILL');
  }
});

module.exports = { check, finish, limit, start, lines, request, sleep, waitFor };
