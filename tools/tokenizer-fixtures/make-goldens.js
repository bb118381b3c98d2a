#!/usr/bin/env node
// Records golden encodings for a tokenizer.json fixture with transformers.js (the @lenml/tokenizers fork),
// an implementation of HF tokenizers independent of ours. See README.md for the npm pack commands.
//
//   node make-goldens.js <@lenml/tokenizers dist/main.js> <fixture dir> <corpus.json> <out.json> [metaspace-first]
//
// The fixture dir holds tokenizer.json.gz (or tokenizer.json) and tokenizer_config.json. With the
// "metaspace-first" variant the file is first rewritten to the current HF form of a SentencePiece
// tokenizer (Metaspace pre-tokenizer with prepend_scheme "first" instead of the Prepend/Replace
// normalizer); MetaspaceVariant.cs in the tests applies the identical rewrite.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const [libPath, fixtureDir, corpusPath, outPath, variant] = process.argv.slice(2);
if (!outPath) {
  console.error('usage: node make-goldens.js <@lenml/tokenizers dist/main.js> <fixture dir> <corpus.json> <out.json> [metaspace-first]');
  process.exit(2);
}
const { TokenizerLoader } = require(path.resolve(libPath));

function readJson(dir, name) {
  const plain = path.join(dir, name);
  if (fs.existsSync(plain)) return JSON.parse(fs.readFileSync(plain, 'utf8'));
  return JSON.parse(zlib.gunzipSync(fs.readFileSync(plain + '.gz')).toString('utf8'));
}

const tokenizerJSON = readJson(fixtureDir, 'tokenizer.json');
let tokenizerConfig = readJson(fixtureDir, 'tokenizer_config.json');
if (variant === 'metaspace-first') {
  tokenizerJSON.normalizer = null;
  // add_prefix_space is the pre-0.19 spelling; HF ignores it when prepend_scheme is present, but
  // transformers.js only prepends when it is set.
  tokenizerJSON.pre_tokenizer = { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: false, add_prefix_space: true };
  // Without a tokenizer class both implementations use tokenizer.json's post-processor as it stands.
  tokenizerConfig = { ...tokenizerConfig };
  delete tokenizerConfig.tokenizer_class;
  delete tokenizerConfig.legacy;
} else if (variant) {
  console.error(`unknown variant ${variant}`);
  process.exit(2);
}

const tokenizer = TokenizerLoader.fromPreTrained({ tokenizerJSON, tokenizerConfig });
const corpus = JSON.parse(fs.readFileSync(corpusPath, 'utf8'));
// transformers.js refuses to decode an empty id list; the decoded text of nothing is empty.
const decode = (ids, skip) => (ids.length === 0 ? '' : tokenizer.decode(ids, { skip_special_tokens: skip }));
const cases = corpus.map((text) => {
  const ids = tokenizer.encode(text, { add_special_tokens: true });
  return {
    text,
    ids,
    idsWithoutSpecialTokens: tokenizer.encode(text, { add_special_tokens: false }),
    decoded: decode(ids, false),
    decodedSkippingSpecialTokens: decode(ids, true),
  };
});
const out = { generator: 'tools/tokenizer-fixtures/make-goldens.js', reference: '@lenml/tokenizers', variant: variant || 'as-shipped', cases };
fs.writeFileSync(outPath, JSON.stringify(out, null, 1) + '\n');
console.log(`wrote ${cases.length} cases to ${outPath}`);
