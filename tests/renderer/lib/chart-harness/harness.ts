// Mounts the app's LineChart twice, as the Tune page does (loss with a log scale offered, term
// probability linear), with a loss curve that falls over three orders of magnitude.
import { mount } from 'svelte';
import '../../../../src-renderer/app.css';
import LineChart from '../../../../src-renderer/lib/LineChart.svelte';

const loss: [number, number][] = [];
const prob: [number, number][] = [];
for (let s = 1; s <= 200; s++) loss.push([s, 4 * Math.exp(-s / 25) + 0.004 + 0.002 * Math.sin(s)]);
for (let s = 20; s <= 200; s += 20) prob.push([s, 1 - Math.exp(-s / 80)]);
const row = document.createElement('div');
row.style.display = 'flex';
row.style.gap = '16px';
row.style.width = '900px';
document.getElementById('app')!.append(row);
mount(LineChart, { target: row, props: { label: 'Training loss', points: loss, logScale: true } });
mount(LineChart, { target: row, props: { label: 'Term probability (validation)', points: prob } });
