const fs = require('fs');
(async () => {
  const nlp = (await import('/tmp/seg7/src/compromise-14.20.0/builds/two/compromise-two.mjs')).default;
  const texts = JSON.parse(fs.readFileSync(0, 'utf8'));
  const out = texts.map(t => nlp(t).fullSentences().out('array'));
  console.log(JSON.stringify(out));
})();
