// Runs sbd 1.0.19's own mocha tests with stub describe/it, recording each tokenizer.sentences call,
// its options, sbd's own output and the sentence count the test asserts.
const path = require('path');
const dir = process.argv[2];
const tok = require(path.join(dir, 'lib/tokenizer'));
const assert = require('assert');
const calls = [];
let cur = null, currentDescribe = [];
const orig = tok.sentences;
tok.sentences = function (text, opts) { const out = orig.call(this, text, opts); cur = {file: global.__file, describe: currentDescribe.join(' / '), text, opts: opts || null, out, asserts: []}; calls.push(cur); return out; };
const origEq = assert.equal;
assert.equal = function (a, b, m) { if (cur) cur.asserts.push({a, b}); try { origEq(a, b, m); } catch (e) { if (cur) cur.failed = true; } };
global.describe = (n, fn) => { currentDescribe.push(n); fn(); currentDescribe.pop(); };
global.it = (n, fn) => { fn(); };
for (const f of require('fs').readdirSync(path.join(dir, 'test'))) { global.__file = f; cur = null; require(path.join(dir, 'test', f)); }
console.log(JSON.stringify(calls, null, 1));
