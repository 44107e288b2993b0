// SPDX-License-Identifier: MIT
// Read isola's TAP report of the report suite (suite.sh) with tap-parser, node-tap's parser and a
// TAP 14 one, in strict mode: usage: node check_tap.js FILE. Exits 1 with the reasons on a
// mismatch.
'use strict';
const fs = require('fs');
const Parser = require('tap-parser');

const problems = [];
const check = (ok, what) => { if (!ok) problems.push(what); };
const asserts = [];
const extra = [];
const p = new Parser({ strict: true }, (r) => {
  check(r.ok === false, 'the run has failures, yet the result is ok');
  check(r.count === 10 && r.pass === 3 && r.fail === 7 && r.skip === 1,
    `counts: ${r.count} tests, ${r.pass} pass, ${r.fail} fail, ${r.skip} skip`);
  check(r.plan && r.plan.start === 1 && r.plan.end === 10, `plan ${JSON.stringify(r.plan)}`);
  const failed = r.failures.filter((f) => f.tapError).map((f) => f.tapError);
  check(failed.length === 0, `parse errors: ${JSON.stringify(failed)}`);
  check(extra.length === 0, `lines that are not TAP: ${JSON.stringify(extra)}`);
  const names = asserts.map((a) => a.name);
  check(names[1] === 'fail "quoted" <tag> & \'apos\'', `name ${JSON.stringify(names[1])}`);
  check(names[2] === 'skip # hash \\ backslash', `name ${JSON.stringify(names[2])}`);
  const nasty = asserts[1] && asserts[1].diag;
  check(nasty && nasty.outcome === 'FAIL' && nasty.exit_code === 3, `diag ${JSON.stringify(nasty)}`);
  check(nasty && nasty.output.includes('ok 99 - not a test point\n...\n---\n'), 'nasty output');
  if (problems.length) {
    for (const m of problems) console.error(`check_tap.js: ${m}`);
    process.exit(1);
  }
  console.log(`tap-parser read ${r.count} test points as expected`);
});
p.on('assert', (a) => asserts.push(a));
p.on('extra', (e) => extra.push(e));
p.end(fs.readFileSync(process.argv[2]));
