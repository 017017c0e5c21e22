/**
 * Whisper's tokenizer: GPT-2 byte-level BPE (via @huggingface/tokenizers, loading the checkpoint's
 * tokenizer.json) plus Whisper's special tokens, looked up BY NAME from the added tokens so .en,
 * multilingual and large-v3 layouts all work without hard-coded ids (spec §4; OW tokenizer.py).
 */
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { UserError } from '../util/errors.ts';
import { invalid } from './checkpoint-error.ts';
import { WHISPER_LANGUAGES } from './config.ts';
import { readRegularText } from '../util/user-files.ts';

/**
 * Largest token id a tokenizer.json may use. Whisper's largest is 51 865; the tokenizer library
 * sizes tables by the largest id, so an id near 2^31 would spin for minutes before failing.
 */
export const MAX_TOKEN_ID = 1 << 17;

/** Refuses ids outside [0, MAX_TOKEN_ID) in the vocabulary and the added tokens, before building. */
function checkTokenIds(json: object, source: string): void {
  const bad = (where: string, v: unknown) => invalid(source, `${where} has id ${JSON.stringify(v)}; token ids are integers below ${MAX_TOKEN_ID}`);
  const ok = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) < MAX_TOKEN_ID;
  const added = (json as { added_tokens?: unknown }).added_tokens;
  if (Array.isArray(added)) {
    if (added.length > MAX_TOKEN_ID) throw invalid(source, `lists ${added.length} added tokens`);
    for (const t of added) if (!ok((t as { id?: unknown })?.id)) throw bad(`added token ${JSON.stringify((t as { content?: unknown })?.content ?? '?').slice(0, 40)}`, (t as { id?: unknown })?.id);
  }
  const vocab = (json as { model?: { vocab?: unknown } }).model?.vocab;
  if (vocab && typeof vocab === 'object' && !Array.isArray(vocab)) {
    for (const [k, v] of Object.entries(vocab)) if (!ok(v)) throw bad(`vocabulary entry ${JSON.stringify(k).slice(0, 40)}`, v);
  }
}

export interface SpecialTokens {
  eot: number;
  sot: number;
  sotPrev: number;
  noSpeech: number;
  noTimestamps: number;
  transcribe: number;
  translate: number;
  /** `<|0.00|>`; every id ≥ this is a timestamp (time = (id − timestampBegin)·0.02 s). */
  timestampBegin: number;
  sotLm: number;
}

export type Task = 'transcribe' | 'translate';

export class WhisperTokenizer {
  readonly special: SpecialTokens;
  /** Language codes in token order ("en", "zh", …), as present in this vocabulary. */
  readonly languages: string[];
  readonly isMultilingual: boolean;
  /** Number of ids, special tokens included (51864 / 51865 / 51866). */
  readonly vocabSize: number;
  private readonly languageIds = new Map<string, number>();
  private readonly specialIds = new Set<number>();
  private readonly pieces = new Map<number, string>();

  private constructor(
    private readonly tok: Tokenizer,
    readonly source: string,
  ) {
    const byName = new Map<string, number>();
    for (const [id, t] of tok.get_added_tokens_decoder()) {
      byName.set(t.content, id);
      if (t.special || /^<\|.*\|>$/.test(t.content)) this.specialIds.add(id);
    }
    const need = (name: string, ...alts: string[]): number => {
      for (const n of [name, ...alts]) {
        const id = byName.get(n) ?? tok.token_to_id(n);
        if (id !== undefined) return id;
      }
      throw invalid(source, `the special token ${name} is missing (not a Whisper tokenizer?)`);
    };
    this.special = {
      eot: need('<|endoftext|>'),
      sot: need('<|startoftranscript|>'),
      sotPrev: need('<|startofprev|>'),
      // Older HF files call it <|nocaptions|>.
      noSpeech: need('<|nospeech|>', '<|nocaptions|>'),
      noTimestamps: need('<|notimestamps|>'),
      transcribe: need('<|transcribe|>'),
      translate: need('<|translate|>'),
      timestampBegin: need('<|0.00|>'),
      sotLm: need('<|startoflm|>'),
    };
    const langs: [string, number][] = [];
    for (const code of [...WHISPER_LANGUAGES, 'iw']) {
      const id = byName.get(`<|${code}|>`);
      if (id !== undefined) langs.push([code === 'iw' ? 'he' : code, id]); // old HF files spell Hebrew "iw"
    }
    langs.sort((a, b) => a[1] - b[1]);
    this.languages = langs.map(([c]) => c);
    for (const [c, id] of langs) this.languageIds.set(c, id);
    this.isMultilingual = this.special.eot >= 50257; // .en puts <|endoftext|> at 50256, multilingual at 50257
    this.vocabSize = Math.max(...tok.get_vocab(true).values()) + 1;
  }

  /** Builds from parsed tokenizer.json and tokenizer_config.json objects. */
  static fromJson(tokenizerJson: object, tokenizerConfig: object = {}, source = 'tokenizer.json'): WhisperTokenizer {
    checkTokenIds(tokenizerJson, source);
    let tok: Tokenizer;
    try {
      tok = new Tokenizer(tokenizerJson, tokenizerConfig);
    } catch (e) {
      throw invalid(source, `cannot be loaded as a tokenizer (${(e as Error).message})`);
    }
    return new WhisperTokenizer(tok, source);
  }

  /** Loads `dir/tokenizer.json` (+ `tokenizer_config.json` when present). */
  static async fromDir(dir: string): Promise<WhisperTokenizer> {
    const file = join(dir, 'tokenizer.json');
    let text: string;
    try {
      // Regular files only (a FIFO would hang, /dev/zero would stream forever); 64 MB is 25× large-v3's.
      text = readRegularText(file, { what: 'tokenizer file', maxBytes: 64e6 });
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'NOT_FOUND') throw invalid(file, 'is missing; the model folder needs its tokenizer files (tokenizer.json, tokenizer_config.json)');
      throw invalid(file, (e as Error).message.replace(`${file}: `, '').replace(`${file} `, ''));
    }
    let json: object;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw invalid(file, `is not valid JSON (${(e as Error).message})`);
    }
    let config: object = {};
    const configFile = join(dir, 'tokenizer_config.json');
    try {
      config = JSON.parse(readRegularText(configFile, { what: 'tokenizer config', maxBytes: 16e6 }));
    } catch (e) {
      if ((e as { code?: string }).code !== 'NOT_FOUND') throw invalid(configFile, `cannot be used (${(e as Error).message})`);
    }
    return WhisperTokenizer.fromJson(json, config, file);
  }

  /** Text → BPE ids, no special tokens added (OW `encode`). */
  encode(text: string): number[] {
    return this.tok.encode(text, { add_special_tokens: false }).ids;
  }

  /**
   * Ids → text. Timestamp tokens are dropped unless `timestamps` (OW `decode` vs
   * `decode_with_timestamps`); `skipSpecial` also drops <|startoftranscript|> and the like.
   */
  decode(ids: number[], opts: { skipSpecial?: boolean; timestamps?: boolean } = {}): string {
    const tb = this.special.timestampBegin;
    let keep = opts.timestamps ? ids : ids.filter((id) => id < tb);
    if (opts.skipSpecial) keep = keep.filter((id) => !this.specialIds.has(id) || (opts.timestamps && id >= tb));
    // Decode runs of normal tokens together (multi-byte characters span tokens) and specials alone.
    let out = '';
    let run: number[] = [];
    const flush = () => {
      if (run.length) out += this.tok.decode(run, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
      run = [];
    };
    for (const id of keep) {
      if (this.specialIds.has(id)) {
        flush();
        out += this.idToToken(id) ?? '';
      } else run.push(id);
    }
    flush();
    return out;
  }

  /** The raw vocabulary string ("ĠPy"), or undefined outside the vocabulary. */
  idToToken(id: number): string | undefined {
    return this.tok.id_to_token(id);
  }

  /** The id of an exact vocabulary string, or undefined. */
  tokenToId(token: string): number | undefined {
    return this.tok.token_to_id(token);
  }

  /** The text one token stands for (" Py"); a partial UTF-8 sequence shows as U+FFFD. */
  tokenText(id: number): string {
    const cached = this.pieces.get(id);
    if (cached !== undefined) return cached;
    const t = this.specialIds.has(id) ? (this.idToToken(id) ?? '') : this.tok.decode([id], { clean_up_tokenization_spaces: false });
    this.pieces.set(id, t);
    return t;
  }

  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  /** `<|en|>`'s id for "en" (also accepts "<|en|>" and the old Hebrew code "iw"). */
  languageId(code: string): number {
    const c = code.replace(/^<\|(.*)\|>$/, '$1').toLowerCase();
    const id = this.languageIds.get(c === 'iw' ? 'he' : c);
    if (id === undefined) {
      throw new UserError('UNKNOWN_LANGUAGE', `"${code}" is not a Whisper language code; use one of ${this.languages.slice(0, 8).join(', ')}, ….`);
    }
    return id;
  }

  /**
   * The decoder prefix (OW `sot_sequence`, plus <|notimestamps|> when timestamps are off, the
   * default, as in HF training labels): English-only [sot], multilingual [sot, lang, task].
   */
  sotSequence(opts: { language?: string; task?: Task; timestamps?: boolean } = {}): number[] {
    const seq = [this.special.sot];
    if (this.isMultilingual) {
      seq.push(this.languageId(opts.language ?? 'en'));
      seq.push(opts.task === 'translate' ? this.special.translate : this.special.transcribe);
    } else {
      if (opts.language !== undefined && opts.language.replace(/^<\|(.*)\|>$/, '$1').toLowerCase() !== 'en') {
        throw new UserError('LANGUAGE_UNSUPPORTED', `This is an English-only model; it cannot transcribe "${opts.language}". Use a multilingual model.`);
      }
      if (opts.task === 'translate') {
        throw new UserError('TASK_UNSUPPORTED', 'This is an English-only model; it cannot translate. Use a multilingual model.');
      }
    }
    if (!opts.timestamps) seq.push(this.special.noTimestamps);
    return seq;
  }

  /**
   * Tokens that are suppressed by default because they do not stand for speech (OW
   * `non_speech_tokens`): symbols that encode to one token with or without a leading space,
   * the first token of " -" and " '", and the first token of each music sign.
   */
  nonSpeechTokens(): number[] {
    const symbols = [...'"#()*+/:;<=>@[\\]^_`{|}~「」『』'];
    symbols.push(...'<< >> <<< >>> -- --- -( -[ (\' (" (( )) ((( ))) [[ ]] {{ }} ♪♪ ♪♪♪'.split(' '));
    const misc = new Set([...'♩♪♫♬♭♮♯']);
    const result = new Set<number>([this.encode(' -')[0], this.encode(" '")[0]]);
    for (const symbol of [...symbols, ...misc]) {
      for (const tokens of [this.encode(symbol), this.encode(' ' + symbol)]) {
        if (tokens.length === 1 || misc.has(symbol)) result.add(tokens[0]);
      }
    }
    return [...result].sort((a, b) => a - b);
  }
}
