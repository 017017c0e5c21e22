/**
 * Whisper's `EnglishTextNormalizer` (openai/whisper `whisper/normalizers/english.py`, spec §5),
 * reimplemented so our "normalised WER" is the number every Whisper paper and leaderboard reports.
 * It lowercases, expands contractions and titles, turns spelled numbers into digits and maps
 * British to American spelling — which is exactly why the term scorecard never uses it.
 *
 * The spelling map is the `normalizer.json` that every Hugging Face Whisper model folder carries
 * (upstream's `english.json`), so the caller passes its path or its contents.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../util/errors.ts';
import { PY_W, PY_WS, collapseWhitespace, pySplit, removeBracketedSpans, removeSymbolsAndDiacritics } from './normalize-basic.ts';
import { normalizeNumbers } from './normalize-numbers.ts';

/** British → American spelling map, e.g. { colour: 'color', recognise: 'recognize' }. */
export type SpellingMap = ReadonlyMap<string, string>;

/** Read `normalizer.json` (a flat JSON object of strings). */
export function loadSpellingMap(path: string): SpellingMap {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError('NORMALIZER_INVALID', `Cannot read the spelling map ${path} (${(e as Error).message}); every Hugging Face Whisper model folder has a normalizer.json — check the model folder.`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UserError('NORMALIZER_INVALID', `The spelling map ${path} is not a JSON object of British → American spellings; re-download the model folder.`);
  }
  const map = new Map<string, string>();
  for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') map.set(k, v);
  return map;
}

/** `EnglishSpellingNormalizer`: word-by-word lookup after whitespace splitting. */
export function normalizeSpelling(s: string, map: SpellingMap): string {
  return pySplit(s).map((w) => map.get(w) ?? w).join(' ');
}

const B = `(?<![${PY_W}])`; // Python `\b` before a word character
const E = `(?![${PY_W}])`; // Python `\b` after a word character

/** Upstream's replacers, in upstream order (order matters: "won't" before "n't"). */
const REPLACERS: [RegExp, string][] = ([
  // common contractions
  [`${B}won't${E}`, 'will not'],
  [`${B}can't${E}`, 'can not'],
  [`${B}let's${E}`, 'let us'],
  [`${B}ain't${E}`, 'aint'],
  [`${B}y'all${E}`, 'you all'],
  [`${B}wanna${E}`, 'want to'],
  [`${B}gotta${E}`, 'got to'],
  [`${B}gonna${E}`, 'going to'],
  [`${B}i'ma${E}`, 'i am going to'],
  [`${B}imma${E}`, 'i am going to'],
  [`${B}woulda${E}`, 'would have'],
  [`${B}coulda${E}`, 'could have'],
  [`${B}shoulda${E}`, 'should have'],
  [`${B}ma'am${E}`, 'madam'],
  // contractions in titles/prefixes
  [`${B}mr${E}`, 'mister '],
  [`${B}mrs${E}`, 'missus '],
  [`${B}st${E}`, 'saint '],
  [`${B}dr${E}`, 'doctor '],
  [`${B}prof${E}`, 'professor '],
  [`${B}capt${E}`, 'captain '],
  [`${B}gov${E}`, 'governor '],
  [`${B}ald${E}`, 'alderman '],
  [`${B}gen${E}`, 'general '],
  [`${B}sen${E}`, 'senator '],
  [`${B}rep${E}`, 'representative '],
  [`${B}pres${E}`, 'president '],
  [`${B}rev${E}`, 'reverend '],
  [`${B}hon${E}`, 'honorable '],
  [`${B}asst${E}`, 'assistant '],
  [`${B}assoc${E}`, 'associate '],
  [`${B}lt${E}`, 'lieutenant '],
  [`${B}col${E}`, 'colonel '],
  [`${B}jr${E}`, 'junior '],
  [`${B}sr${E}`, 'senior '],
  [`${B}esq${E}`, 'esquire '],
  // perfect tenses (upstream: ideally any past participle, but that is harder)
  [`'d been${E}`, ' had been'],
  [`'s been${E}`, ' has been'],
  [`'d gone${E}`, ' had gone'],
  [`'s gone${E}`, ' has gone'],
  [`'d done${E}`, ' had done'], // "'s done" is ambiguous
  [`'s got${E}`, ' has got'],
  // general contractions
  [`n't${E}`, ' not'],
  [`'re${E}`, ' are'],
  [`'s${E}`, ' is'],
  [`'d${E}`, ' would'],
  [`'ll${E}`, ' will'],
  [`'t${E}`, ' not'],
  [`'ve${E}`, ' have'],
  [`'m${E}`, ' am'],
] as const).map(([p, r]) => [new RegExp(p, 'gu'), r]);

const FILLERS = new RegExp(`${B}(hmm|mm|mhm|mmm|uh|um)${E}`, 'gu');
const SPACE_APOSTROPHE = new RegExp(`[${PY_WS}]+'`, 'gu');
const DIGIT_COMMA = /(\p{Nd}),(\p{Nd})/gu;
const CURRENCY_SPACE = new RegExp(`([$¢€£])[${PY_WS}]+([0-9])`, 'gu');
const PERCENT_SPACE = new RegExp(`([0-9])[${PY_WS}]+%`, 'gu');

/**
 * `EnglishTextNormalizer()(s)`.
 * Example: "Mr. Park visited Assoc. Prof. Kim Jr." → "mister park visited associate professor kim junior".
 */
export function normalizeEnglish(s: string, spelling: SpellingMap): string {
  s = s.toLowerCase();
  s = removeBracketedSpans(s);
  s = s.replace(FILLERS, '');
  s = s.replace(SPACE_APOSTROPHE, "'");
  for (const [pattern, replacement] of REPLACERS) s = s.replace(pattern, replacement);
  s = s.replace(DIGIT_COMMA, '$1$2');
  s = s.replace(/\.([^0-9]|$)/gu, ' $1'); // periods not followed by a digit
  s = removeSymbolsAndDiacritics(s, '.%$¢€£'); // keep the numeric symbols
  s = normalizeNumbers(s);
  s = normalizeSpelling(s, spelling);
  // attach currency symbols and percent to adjacent numbers
  s = s.replace(CURRENCY_SPACE, '$1$2');
  s = s.replace(PERCENT_SPACE, '$1%');
  // then drop those symbols where no number is next to them
  s = s.replace(/[.$¢€£]([^0-9])/gu, ' $1');
  s = s.replace(/([^0-9])%/gu, '$1 ');
  return collapseWhitespace(s);
}

/** A normaliser bound to one spelling map: `(text) => normalised text`. */
export function englishNormalizer(spellingOrPath: SpellingMap | string): (s: string) => string {
  const map = typeof spellingOrPath === 'string' ? loadSpellingMap(spellingOrPath) : spellingOrPath;
  return (s) => normalizeEnglish(s, map);
}
