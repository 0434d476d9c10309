// Runs SQL on current ClickHouse: chDB, the ClickHouse engine in-process,
// pinned in package.json beside this file (install: npm ci --prefix .ci/chdb).
//
//   node run.js FILE.sql...   runs the files' statements in one fresh session, in a
//                             database kpp; a statement ends with ';' at a line end,
//                             and a "-- kpp:when QUERY" line before one runs it only
//                             when QUERY returns a number other than 0 (as
//                             `kpp migrate` does). Exit 1 on the first error.
//   node run.js --json        reads a request from standard input and writes the
//                             answer to standard output, both JSON (used by the Go
//                             tests, package internal/currentch):
//     {"database": "kpp", "timezone": "Asia/Shanghai",
//      "steps": [{"sql": "...", "when": "..."}],      run in order; exit 1 on an error
//      "queries": [{"name": "...", "sql": "..."}]}    each answered or failed
//     → {"version": "26.7.2.1", "steps": N,
//        "results": [{"name": "...", "tsv": "...", "error": "..."}]}
//   Query answers are TabSeparatedWithNamesAndTypes, decimals with their
//   trailing zeros (as ClickHouse 18.16 writes them).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const chdb = require('chdb');

function firstLine(e) {
  return String(e && e.message || e).split('\n')[0].slice(0, 500);
}

// steps splits SQL text like schema.Migration.Steps: statements end with ';'
// at a line end, comment lines are dropped, "-- kpp:when Q" sets the next
// statement's condition.
function steps(text) {
  const out = [];
  let cur = [];
  let when = '';
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t.startsWith('-- kpp:when ') && cur.length === 0) { when = t.slice('-- kpp:when '.length).trim(); continue; }
    if (t === '' || t.startsWith('--')) continue;
    cur.push(line);
    if (t.endsWith(';')) {
      out.push({ sql: cur.join('\n').trim().replace(/;$/, ''), when });
      cur = []; when = '';
    }
  }
  if (cur.join('').trim() !== '') out.push({ sql: cur.join('\n').trim(), when });
  return out;
}

function open(database, timezone) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kpp-chdb-'));
  const s = new chdb.Session(dir);
  const db = database || 'kpp';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(db)) throw new Error(`database ${JSON.stringify(db)} is not a plain identifier`);
  s.query(`CREATE DATABASE IF NOT EXISTS ${db}`);
  s.query(`USE ${db}`);
  s.query(`SET session_timezone = '${(timezone || 'Asia/Shanghai').replace(/'/g, '')}'`);
  s.query('SET output_format_decimal_trailing_zeros = 1');
  return { s, dir };
}

// runStep runs one step, honouring its condition; false when skipped.
function runStep(s, st) {
  if (st.when) {
    const n = s.query(`SELECT toUInt64((${st.when}))`, 'TSV').toString().trim();
    if (n === '0') return false;
  }
  s.query(st.sql, 'TSV');
  return true;
}

function version(s) {
  return s.query('SELECT version()', 'TSV').toString().trim();
}

function files(args) {
  const { s, dir } = open('kpp');
  let n = 0;
  try {
    for (const f of args) {
      const list = steps(fs.readFileSync(f, 'utf8'));
      for (let i = 0; i < list.length; i++) {
        try { if (runStep(s, list[i])) n++; }
        catch (e) {
          console.log(`FAIL ${f}, statement ${i + 1}: ${firstLine(e)}\n  in: ${list[i].sql.slice(0, 300)}`);
          process.exitCode = 1;
          return;
        }
      }
    }
    console.log(`${n} statements of ${args.length} files ran on ClickHouse ${version(s)} (chDB)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function json() {
  const req = JSON.parse(fs.readFileSync(0, 'utf8'));
  const { s, dir } = open(req.database, req.timezone);
  const out = { version: version(s), steps: 0, results: [] };
  try {
    const list = req.steps || [];
    for (let i = 0; i < list.length; i++) {
      try { if (runStep(s, list[i])) out.steps++; }
      catch (e) {
        out.error = `step ${i + 1}: ${firstLine(e)}`;
        out.failed_sql = list[i].sql.slice(0, 2000);
        process.stdout.write(JSON.stringify(out));
        process.exitCode = 1;
        return;
      }
    }
    for (const q of req.queries || []) {
      try { out.results.push({ name: q.name, tsv: s.query(q.sql, 'TabSeparatedWithNamesAndTypes').toString() }); }
      catch (e) { out.results.push({ name: q.name, error: firstLine(e) }); }
    }
    process.stdout.write(JSON.stringify(out));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--json') json();
else if (args.length > 0 && !args[0].startsWith('-')) files(args);
else { console.error('usage: node run.js FILE.sql... | node run.js --json < request.json'); process.exitCode = 2; }
