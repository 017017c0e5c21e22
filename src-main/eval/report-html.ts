/**
 * The comparison as one self-contained HTML file: inline CSS and SVG, no script, no external
 * request (a Content-Security-Policy forbids them), every dataset/model string escaped. It must
 * read well opened from disk years later, so everything is static markup.
 */
import type { AlignOp, ClipOutcome, CompareReport, ModelRun, ScoreMode, TermScore } from './types.ts';
import { barChart, esc, lineChart, pct, type BarGroup } from './report-charts.ts';

const CSS = `
:root{--fg:#1d232b;--muted:#5d6875;--line:#dde2e8;--bg:#f6f7f9;--card:#fff;--accent:#2f5fd0;--good:#1f8a4c;--bad:#c2362f;--warn:#b26a00}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Ubuntu,sans-serif}
main{max-width:1120px;margin:0 auto;padding:28px 24px 48px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:0 0 12px}h3{font-size:15px;margin:18px 0 8px}
.sub{color:var(--muted);margin:0 0 20px}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin:0 0 18px}
section>p.hint{color:var(--muted);margin:-6px 0 12px;font-size:13px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-size:12px;text-transform:uppercase;letter-spacing:.03em;color:var(--muted);font-weight:600;background:#fafbfc}
td.num,th.num{text-align:right;white-space:nowrap}
td.best{font-weight:700;color:var(--good)}
tbody tr:hover{background:#f9fafc}
.pill{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;background:#eef1f6;color:var(--muted)}
.pill.general{background:#f3eefc;color:#6a3fb5}.pill.heldout{background:#e9f2fe;color:#2456b3}
.guard{display:flex;gap:16px;align-items:center;border-radius:8px;padding:12px 16px}
.guard.ok{background:#eaf6ef;border:1px solid #bfe3cd}.guard.flag{background:#fdeceb;border:1px solid #f3c1bd}.guard.none{background:#f3f4f6;border:1px solid var(--line)}
.guard strong{font-size:16px}.guard .big{white-space:nowrap;font-size:26px;font-weight:700;font-variant-numeric:tabular-nums}
.ok .big{color:var(--good)}.flag .big{color:var(--bad)}
.diff{font-size:14px;line-height:1.9;overflow-wrap:anywhere}
.ref,code,.pill{overflow-wrap:anywhere}
.diff ins,.diff del,.diff .s{text-decoration:none;border-radius:3px;padding:1px 3px}
.diff ins{background:#dff3e6;color:#14663a}.diff del{background:#fde3e1;color:#a3241d;text-decoration:line-through}
.diff .s{background:#fff1d6;color:#7a4a00}.diff .s del{background:none;padding:0;color:#a3241d}.diff .s ins{background:none;padding:0;color:#14663a}
.clip{border-top:1px solid var(--line);padding:12px 0}.clip:first-of-type{border-top:0}
.clip .ref{margin:4px 0 8px}.clip table td{border:0;padding:3px 10px 3px 0}
.clip td.model{white-space:nowrap;color:var(--muted);width:150px}.clip td.num{width:80px;color:var(--muted)}
.legend span{margin-right:14px}
.terms{display:grid;grid-template-columns:repeat(auto-fill,minmax(480px,1fr));gap:8px 24px}
.chart{max-width:100%;height:auto}
.term h3{margin-top:6px}code,.tok{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
.tok{background:#eef1f6;border-radius:4px;padding:0 4px;white-space:pre}
.chart text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Ubuntu,sans-serif}
.ch-group{font-size:12px;font-weight:600;fill:var(--fg)}.ch-label{font-size:12px;fill:var(--fg)}.ch-value,.ch-axis{font-size:11px;fill:var(--muted)}
.ch-track{fill:#f0f2f5}.ch-target{fill:var(--accent)}.ch-comp{fill:#e0873a}
.ch-grid{stroke:#e6e9ee;stroke-width:1}
.line-acc{stroke:var(--accent);stroke-width:2.5;fill:var(--accent)}.line-wer{stroke:#e0873a;stroke-width:2.5;fill:#e0873a}
polyline.line-acc,polyline.line-wer{fill:none}
ul.notes{margin:0;padding-left:18px;color:var(--muted)}
@media print{body{background:#fff}section{break-inside:avoid}}
`;

const rate = (v: number) => pct(v);
const logp = (v: number | null) => (v === null ? '—' : v.toFixed(2));
/** Token text made visible: leading spaces matter (" Py" vs "Py"). */
const tok = (t: string) => `<span class="tok">${esc(JSON.stringify(t))}</span>`;

/**
 * A hallucinating model (a repetition loop, or a random-weight fixture) can emit hundreds of words
 * for a ten-word clip; past twice the reference length (at least 60 words) the diff is cut with a
 * count, so one runaway transcript cannot bury the others. The JSON keeps the full text.
 */
function diffLimit(refWords: number): number {
  return Math.max(60, 2 * refWords);
}

/** A word of a runaway transcript can be one 500-character token; shown cut, whole in the tooltip. */
const word = (w: string) => (w.length > 60 ? `<span title="${esc(w)}">${esc(w.slice(0, 60))}…</span>` : esc(w));

function diffHtml(ops: readonly AlignOp[]): string {
  if (ops.length === 0) return '<span class="pill">empty</span>';
  const limit = diffLimit(ops.filter((o) => o.op !== 'ins').length);
  const hidden = ops.slice(limit);
  const more = hidden.length > 0
    ? ` <span class="pill">… ${hidden.length} more word${hidden.length === 1 ? '' : 's'} not shown (${hidden.filter((o) => o.op === 'ins').length} inserted)</span>`
    : '';
  return ops.slice(0, limit).map((o) => {
    switch (o.op) {
      case 'equal': return word(o.ref);
      case 'del': return `<del title="deleted">${word(o.ref)}</del>`;
      case 'ins': return `<ins title="inserted">${word(o.hyp)}</ins>`;
      case 'sub': return `<span class="s" title="substituted"><del>${word(o.ref)}</del> → <ins>${word(o.hyp)}</ins></span>`;
    }
  }).join(' ') + more;
}

/** Summary grid: one row per model, WER/CER per set and mode; the best value per column in bold. */
function gridSection(r: CompareReport): string {
  const cols: { head: string; get: (m: ModelRun) => number | null }[] = [];
  const add = (set: 'heldout' | 'general', mode: ScoreMode, what: 'wer' | 'cer', head: string) =>
    cols.push({ head, get: (m) => (m.totals[set][mode].clips > 0 ? m.totals[set][mode][what] : null) });
  add('heldout', 'orthographic', 'wer', 'Held-out WER<br>orthographic');
  add('heldout', 'normalised', 'wer', 'Held-out WER<br>normalised');
  add('heldout', 'orthographic', 'cer', 'Held-out CER<br>orthographic');
  add('general', 'orthographic', 'wer', 'General WER<br>orthographic');
  add('general', 'normalised', 'wer', 'General WER<br>normalised');
  const best = cols.map((c) => Math.min(...r.models.map((m) => c.get(m) ?? Infinity)));
  const acc = (m: ModelRun) => {
    const s = r.scorecard.filter((x) => x.model === m.label);
    const occ = s.reduce((a, x) => a + x.occurrences, 0);
    return occ > 0 ? s.reduce((a, x) => a + x.hits, 0) / occ : null;
  };
  const accBest = Math.max(...r.models.map((m) => acc(m) ?? -1));
  const rows = r.models.map((m) => {
    const a = acc(m);
    const cells = cols.map((c, i) => {
      const v = c.get(m);
      return `<td class="num${v !== null && v === best[i] && r.models.length > 1 ? ' best' : ''}">${v === null ? '—' : rate(v)}</td>`;
    });
    const what = [m.adapter ? `adapter ${esc(m.adapter)}${m.adapterScale !== 1 ? ` ×${m.adapterScale}` : ''}` : 'no adapter', m.prompt ? 'prompt' : 'no prompt'].join(', ');
    return `<tr><td><strong>${esc(m.label)}</strong><br><span class="pill">${what}</span></td>${cells.join('')}<td class="num${a !== null && a === accBest && r.models.length > 1 ? ' best' : ''}">${a === null ? '—' : rate(a)}</td></tr>`;
  });
  return `<section id="grid"><h2>Summary</h2>
<p class="hint">Word error rates over ${r.dataset.heldoutClips} held-out and ${r.dataset.generalClips} general clips (lower is better). Orthographic keeps case and spelling; normalised applies Whisper's English normaliser. Term accuracy is exact-spelling recall over all term occurrences (higher is better).</p>
<table><thead><tr><th>Model</th>${cols.map((c) => `<th class="num">${c.head}</th>`).join('')}<th class="num">Term accuracy<br>exact spelling</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function guardSection(r: CompareReport): string {
  const g = r.guard;
  if (!g) {
    return `<section id="guard"><h2>Forgetting guard</h2><div class="guard none"><div><strong>Not run.</strong> It needs a tuned model and clips in the "general" split (ordinary speech without the terms).</div></div></section>`;
  }
  const sign = (v: number) => `${v > 0 ? '+' : ''}${v.toFixed(1)}`;
  const other: ScoreMode = g.mode === 'normalised' ? 'orthographic' : 'normalised';
  return `<section id="guard"><h2>Forgetting guard</h2>
<div class="guard ${g.flagged ? 'flag' : 'ok'}"><div class="big">${sign(g.driftPoints[g.mode])} pt</div>
<div><strong>${g.flagged ? 'Flagged: the tuned model got worse at ordinary speech.' : 'Passed: no forgetting beyond the threshold.'}</strong><br>
General-set ${g.mode} WER ${esc(g.baseLabel)} ${rate(g.baseWer[g.mode])} → ${esc(g.tunedLabel)} ${rate(g.tunedWer[g.mode])} on ${g.generalClips} clips; threshold +${g.thresholdPoints.toFixed(1)} pt.
${other} drift: ${sign(g.driftPoints[other])} pt.${g.flagged ? ' Try a lower adapter scale (see the trade-off curve) or add general sentences to the training data.' : ''}</div></div></section>`;
}

function tradeOffSection(r: CompareReport): string {
  if (r.tradeOff.length === 0) return '';
  const charts = r.tradeOff.map((c) => `<h3>Adapter <code>${esc(c.adapter)}</code></h3>` + lineChart([
    { name: 'term accuracy (higher is better)', cls: 'line-acc', points: c.points.map((p) => ({ x: p.scale, y: p.termAccuracy })) },
    { name: `general WER, ${c.mode} (lower)`, cls: 'line-wer', points: c.points.map((p) => ({ x: p.scale, y: p.generalWer })) },
  ], { ariaLabel: 'term accuracy and general WER by adapter scale', xLabel: 'adapter scale (0 = base model, 1 = as tuned)' })
    + `<table><thead><tr><th class="num">Scale</th>${c.points.map((p) => `<th class="num">${esc(p.scale)}</th>`).join('')}</tr></thead><tbody>
<tr><td>Term accuracy</td>${c.points.map((p) => `<td class="num">${p.termAccuracy === null ? '—' : rate(p.termAccuracy)}</td>`).join('')}</tr>
<tr><td>General WER</td>${c.points.map((p) => `<td class="num">${p.generalWer === null ? '—' : rate(p.generalWer)}</td>`).join('')}</tr></tbody></table>`);
  return `<section id="tradeoff"><h2>Trade-off by adapter scale</h2><p class="hint">Pick the blend that learns the terms without forgetting ordinary speech.</p>${charts.join('')}</section>`;
}

function scorecardSection(r: CompareReport): string {
  if (r.terms.length === 0) return '';
  const rows = r.terms.map((term) => {
    const s = r.scorecard.filter((x) => x.term === term);
    return s.map((x, i) => `<tr>${i === 0 ? `<td rowspan="${s.length}"><strong>${esc(term)}</strong><br><span class="pill">${x.occurrences} in ${x.clipsWithTerm} clip(s)</span></td>` : ''}
<td>${esc(x.model)}</td><td class="num">${x.recall === null ? '—' : `${rate(x.recall)} <span class="pill">${x.hits}/${x.occurrences}</span>`}</td>
<td class="num">${x.falseInsertions}${x.negativeClips > 0 ? ` <span class="pill">in ${x.clipsWithFalseInsertion}/${x.negativeClips}</span>` : ''}</td>
<td class="num">${logp(x.meanLogprob)}</td><td>${x.firstToken ? `${tok(x.firstToken.text)} ${pct(Math.exp(x.firstToken.meanLogprob))}` : '—'}</td>
<td>${x.topCompetitor ? `${tok(x.topCompetitor.text)} ${pct(Math.exp(x.topCompetitor.meanLogprob))}` : '—'}</td></tr>`).join('');
  });
  return `<section id="scorecard"><h2>Term scorecard</h2>
<p class="hint">Always orthographic: a term counts only when spelled exactly as in your list. False insertions are the term written in clips that do not contain it (the confusable negatives). Log-probs are teacher-forced on the reference.</p>
<table><thead><tr><th>Term</th><th>Model</th><th class="num">Exact recall</th><th class="num">False insertions</th><th class="num">Mean log-prob</th><th>First token</th><th>Top competitor</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function tokenChartsSection(r: CompareReport): string {
  const charts = r.terms.map((term) => {
    const scores = r.scorecard.filter((x) => x.term === term && x.firstToken);
    if (scores.length === 0) return '';
    const groups: BarGroup[] = scores.map((x: TermScore) => ({
      title: x.model,
      bars: [
        { label: JSON.stringify(x.firstToken!.text), value: Math.exp(x.firstToken!.meanLogprob), kind: 'target' as const, note: `term's first token, log-prob ${x.firstToken!.meanLogprob.toFixed(2)}` },
        ...x.competitors.map((c) => ({ label: JSON.stringify(c.text), value: Math.exp(c.meanLogprob), kind: 'competitor' as const, note: `competitor in ${c.count} of ${x.probedOccurrences}, log-prob ${c.meanLogprob.toFixed(2)}` })),
      ],
    }));
    return `<div class="term"><h3>${esc(term)}</h3>${barChart(groups, { ariaLabel: `first-token probabilities for ${term}` })}</div>`;
  }).filter(Boolean);
  if (charts.length === 0) return '';
  return `<section id="tokens"><h2>Token probabilities at each term's first token</h2>
<p class="hint legend"><span><svg width="12" height="10"><rect width="12" height="10" rx="2" class="ch-target"/></svg> the term's own first token</span><span><svg width="12" height="10"><rect width="12" height="10" rx="2" class="ch-comp"/></svg> competing tokens</span> mean probability over the occurrences probed.</p>
<div class="terms">${charts.join('')}</div></section>`;
}

function clipsSection(r: CompareReport): string {
  if (r.models.length === 0) return '';
  const byId = r.models.map((m) => new Map(m.clips.map((c) => [c.clipId, c])));
  const clips = r.models[0].clips.map((c0: ClipOutcome) => {
    const rows = r.models.map((m, i) => {
      const c = byId[i].get(c0.clipId);
      if (!c) return '';
      return `<tr><td class="model">${esc(m.label)}</td><td class="num">${rate(c.orthographic.wer)}</td><td class="diff">${diffHtml(c.orthographic.diff)}</td></tr>`;
    });
    return `<div class="clip"><div><code>${esc(c0.clipId)}</code> <span class="pill ${c0.set}">${c0.set === 'general' ? 'general' : 'held-out'}</span></div>
<div class="ref">${esc(c0.reference) || '<span class="pill">empty reference</span>'}</div><table><tbody>${rows.join('')}</tbody></table></div>`;
  });
  return `<section id="clips"><h2>Clip by clip</h2>
<p class="hint legend diff">Orthographic word diff against the reference: <span>unchanged</span> <del>deleted</del> <ins>inserted</ins> <span class="s"><del>said</del> → <ins>heard</ins></span></p>${clips.join('')}</section>`;
}

/** Render the report as a complete HTML document. */
export function renderReport(r: CompareReport): string {
  const notes = r.notes.length ? `<section id="notes"><h2>Notes</h2><ul class="notes">${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></section>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vocab Tuner comparison — ${esc(r.dataset.path)}</title><style>${CSS}</style></head>
<body><main>
<h1>Before / after comparison</h1>
<p class="sub">Dataset <code>${esc(r.dataset.path)}</code> · ${r.dataset.clips} clips · ${r.terms.length} term${r.terms.length === 1 ? '' : 's'}: ${r.terms.map(esc).join(', ') || '—'} · ${esc(r.createdAt)}</p>
${gridSection(r)}
${guardSection(r)}
${tradeOffSection(r)}
${scorecardSection(r)}
${tokenChartsSection(r)}
${clipsSection(r)}
${notes}
</main></body></html>
`;
}
