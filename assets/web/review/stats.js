// Supervisor statistics as inline SVG charts (no library, no inline
// style: the CSP allows neither).
'use strict';

function bars(svgId, labels, values, opts = {}) {
	const s = document.getElementById(svgId);
	s.replaceChildren();
	const W = 560, H = 200, L = opts.left || 40, B = 30, T = 12;
	const max = Math.max(1, ...values);
	const n = values.length;
	s.append(RC.svg('line', { class: 'axis', x1: L, x2: W - 8, y1: H - B, y2: H - B }));
	if (opts.horizontal) {
		const bh = Math.min(32, (H - T - 8) / Math.max(1, n));
		values.forEach((v, i) => {
			const w = (W - L - 60) * v / max;
			const y = T + i * bh;
			s.append(RC.svg('rect', { class: 'bar' + (opts.bad ? ' bad' : ''), x: L, y: y + 2, width: Math.max(1, w), height: bh - 6 }));
			const t = RC.svg('text', { x: L - 4, y: y + bh / 2 + 3, 'text-anchor': 'end' });
			t.textContent = labels[i];
			const c = RC.svg('text', { x: L + w + 4, y: y + bh / 2 + 3 });
			c.textContent = opts.format ? opts.format(v) : v;
			s.append(t, c);
		});
		if (!n) {
			const t = RC.svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'small' });
			t.textContent = '暂无数据 no data';
			s.append(t);
		}
		return;
	}
	const bw = (W - L - 8) / Math.max(1, n);
	values.forEach((v, i) => {
		const h = (H - B - T) * v / max;
		const x = L + i * bw;
		s.append(RC.svg('rect', { class: 'bar', x: x + 2, y: H - B - h, width: Math.max(1, bw - 4), height: Math.max(0, h) }));
		const t = RC.svg('text', { x: x + bw / 2, y: H - B + 12, 'text-anchor': 'middle', class: 'small' });
		t.textContent = labels[i];
		s.append(t);
		if (v > 0 || opts.zeros) {
			const c = RC.svg('text', { x: x + bw / 2, y: H - B - h - 3, 'text-anchor': 'middle' });
			c.textContent = opts.format ? opts.format(v) : v;
			s.append(c);
		}
	});
}

function dur(ms) {
	return RC.age(ms);
}

document.addEventListener('DOMContentLoaded', async () => {
	await RC.start();
	const r = await RC.api('GET', '/review/api/stats');
	if (r.status === 403) {
		document.getElementById('stats-denied').hidden = false;
		return;
	}
	if (r.status !== 200)
		return;
	const d = r.data;
	document.getElementById('stats').hidden = false;
	document.getElementById('s-decided').textContent = d.decided;
	document.getElementById('s-rate').textContent = d.approval_rate === null ? '—' : `${(d.approval_rate * 100).toFixed(1)}%`;
	document.getElementById('s-queue').textContent = d.queue.count;
	document.getElementById('s-oldest').textContent = d.queue.count ? dur(d.queue.oldest_age_ms) : '—';
	bars('c-days', d.per_day.map((p) => new Date(p.day).toISOString().slice(5, 10)), d.per_day.map((p) => p.count));
	bars('c-reasons', d.top_reasons.map((x) => x.code), d.top_reasons.map((x) => x.count), { horizontal: true, left: 170, bad: true });
	bars('c-ages', ['<1h', '1–4h', '4–24h', '>24h'], d.queue.age_buckets, { zeros: true });
	const t = d.decision_time_ms;
	bars('c-times', ['p50', 'p90', 'p99', 'max'], [t.p50, t.p90, t.p99, t.max], { format: dur, zeros: true });
});
