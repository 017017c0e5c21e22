// Cases from openai/whisper `tests/test_normalizer.py` (upstream asserts each number case against
// both EnglishNumberNormalizer and EnglishTextNormalizer), plus the spec §5 examples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { normalizeNumbers } from '../../../src-main/eval/normalize-numbers.ts';
import { englishNormalizer, loadSpellingMap, normalizeSpelling } from '../../../src-main/eval/normalize-english.ts';
import { basicNormalize, removeSymbolsAndDiacritics } from '../../../src-main/eval/normalize-basic.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const spellingPath = path.resolve(repoRoot, '../shared/reference/tokenizer/normalizer.json');
const noShared = !existsSync(spellingPath) && 'needs ../shared/reference/tokenizer/normalizer.json (not in a fresh clone)';

const NUMBER_CASES: [string, string][] = [
  ['two', '2'],
  ['thirty one', '31'],
  ['five twenty four', '524'],
  ['nineteen ninety nine', '1999'],
  ['twenty nineteen', '2019'],
  ['two point five million', '2500000'],
  ['four point two billions', '4200000000s'],
  ['200 thousand', '200000'],
  ['200 thousand dollars', '$200000'],
  ['$20 million', '$20000000'],
  ['€52.4 million', '€52400000'],
  ['£77 thousands', '£77000s'],
  ['two double o eight', '2008'],
  ['three thousand twenty nine', '3029'],
  ['forty three thousand two hundred sixty', '43260'],
  ['forty three thousand two hundred and sixty', '43260'],
  ['nineteen fifties', '1950s'],
  ['thirty first', '31st'],
  ['thirty three thousand and three hundred and thirty third', '33333rd'],
  ['three billion', '3000000000'],
  ['millions', '1000000s'],
  ['july third twenty twenty', 'july 3rd 2020'],
  ['august twenty sixth twenty twenty one', 'august 26th 2021'],
  ['3 14', '3 14'],
  ['3.14', '3.14'],
  ['3 point 2', '3.2'],
  ['3 point 14', '3.14'],
  ['fourteen point 4', '14.4'],
  ['two point two five dollars', '$2.25'],
  ['two hundred million dollars', '$200000000'],
  ['$20.1 million', '$20100000'],
  ['ninety percent', '90%'],
  ['seventy six per cent', '76%'],
  ['double oh seven', '007'],
  ['double zero seven', '007'],
  ['nine one one', '911'],
  ['nine double one', '911'],
  ['one triple oh one', '10001'],
  ['two thousandth', '2000th'],
  ['thirty two thousandth', '32000th'],
  ['minus 500', '-500'],
  ['positive twenty thousand', '+20000'],
  ['two dollars and seventy cents', '$2.70'],
  ['3 cents', '¢3'],
  ['$0.36', '¢36'],
  ['three euros and sixty five cents', '€3.65'],
  ['three and a half million', '3500000'],
  ['forty eight and a half dollars', '$48.5'],
  ['b747', 'b 747'],
  ['10 th', '10th'],
  ['10th', '10th'],
];

test('EnglishNumberNormalizer: upstream test_number_normalizer cases', () => {
  for (const [input, want] of NUMBER_CASES) assert.equal(normalizeNumbers(input), want, input);
});

test('EnglishNumberNormalizer: "and" after a multiplier, ordinals, values beyond 2^53', () => {
  assert.equal(normalizeNumbers('one hundred and one'), '101');
  assert.equal(normalizeNumbers('twenty first'), '21st');
  assert.equal(normalizeNumbers('three thousand'), '3000');
  // upstream ints are unbounded; a float would print 1e+21 or lose digits here
  assert.equal(normalizeNumbers('one sextillion and one'), '1000000000000000000001');
  // "one" alone stays a word (postprocess writes 1 back as "one")
  assert.equal(normalizeNumbers('one'), 'one');
  assert.equal(normalizeNumbers('the cat sat'), 'the cat sat');
  // upstream builds strings with `str(value or "")`, where 0 is falsy: "0 zero" → "0", not "00"
  assert.equal(normalizeNumbers('0 zero'), '0');
});

test('EnglishTextNormalizer: upstream number cases through the full normaliser', { skip: noShared }, () => {
  const std = englishNormalizer(spellingPath);
  for (const [input, want] of NUMBER_CASES) assert.equal(std(input), want, input);
});

test('EnglishTextNormalizer: upstream test_text_normalizer cases', { skip: noShared }, () => {
  const std = englishNormalizer(spellingPath);
  assert.equal(std("Let's"), 'let us');
  assert.equal(std("he's like"), 'he is like');
  assert.equal(std("she's been like"), 'she has been like');
  assert.equal(std('10km'), '10 km');
  assert.equal(std('10mm'), '10 mm');
  assert.equal(std('RC232'), 'rc 232');
  assert.equal(std('Mr. Park visited Assoc. Prof. Kim Jr.'), 'mister park visited associate professor kim junior');
});

test('EnglishSpellingNormalizer: upstream cases and the differences this product cares about', { skip: noShared }, () => {
  const map = loadSpellingMap(spellingPath);
  assert.equal(normalizeSpelling('mobilisation', map), 'mobilization');
  assert.equal(normalizeSpelling('cancelation', map), 'cancellation');
  const std = englishNormalizer(map);
  // the normaliser erases case and British spelling: exactly why terms are scored orthographically
  assert.equal(std('I recognise the colour of PyTorch.'), 'i recognize the color of pytorch');
  assert.equal(std('[Music] um, I can\'t (inaudible) go'), 'i can not go');
});

test('removeSymbolsAndDiacritics and BasicTextNormalizer', () => {
  assert.equal(removeSymbolsAndDiacritics('Ærøskøbing café', ''), 'AEroskobing cafe');
  assert.equal(removeSymbolsAndDiacritics('$5.00!', '.$'), '$5.00 ');
  assert.equal(basicNormalize('Hello, World! [noise] (cough) Café'), 'hello world café');
  assert.equal(basicNormalize('Café', { removeDiacritics: true }), 'cafe');
  assert.equal(basicNormalize('ab', { splitLetters: true }), 'a b');
});
