// SPDX-License-Identifier: MIT
// Read an isola TAP report whose tests have subtests (tests/e2e/subresults.sh) with tap-parser,
// node-tap's TAP 14 parser, in strict mode, and print what it read, one line per test point:
//   TEST ok|not ok NAME            a test of the run
//     SUB ok|not ok NAME [# SKIP|# TODO]   a subtest of the test that follows
// usage: node check_subtests.js FILE. Exits 1 on any parse error or line that is not TAP.
'use strict';
const fs = require('fs');
const Parser = require('tap-parser');

const problems = [];
const lines = [];
let pending = [];
const p = new Parser({ strict: true }, (r) => {
  const errs = r.failures.filter((f) => f.tapError).map((f) => f.tapError);
  if (errs.length) problems.push(`parse errors: ${JSON.stringify(errs)}`);
  if (problems.length) {
    for (const m of problems) console.error(`check_subtests.js: ${m}`);
    process.exit(1);
  }
  console.log(lines.join('\n'));
});
const dir = (a) => (a.skip ? ' # SKIP' : a.todo ? ' # TODO' : '');
p.on('child', (c) => {
  c.on('assert', (a) => pending.push(`  SUB ${a.ok ? 'ok' : 'not ok'} ${a.name}${dir(a)}`));
  c.on('extra', (e) => problems.push(`not TAP in a subtest: ${JSON.stringify(e)}`));
  c.on('complete', (r) => {
    const errs = r.failures.filter((f) => f.tapError).map((f) => f.tapError);
    if (errs.length) problems.push(`subtest parse errors: ${JSON.stringify(errs)}`);
  });
});
p.on('assert', (a) => {
  lines.push(...pending);
  pending = [];
  lines.push(`TEST ${a.ok ? 'ok' : 'not ok'} ${a.name}${dir(a)}`);
});
p.on('extra', (e) => problems.push(`not TAP: ${JSON.stringify(e)}`));
p.end(fs.readFileSync(process.argv[2]));
