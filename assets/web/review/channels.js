// Figures per channel and dealer, with the outliers the server flags (a
// one-sided exact binomial test against the overall rate, Bonferroni
// over the rows tested; the method and thresholds come with the data).
// The CSV link downloads the same table.  Supervisors only.
'use strict';

function pct(v) {
	return v === null || v === undefined ? '—' : (v * 100).toFixed(1) + '%';
}

function pval(v) {
	return v === null || v === undefined ? '' : v < 1e-4 ? v.toExponential(1) : v.toFixed(4);
}

function rateCell(rate, num, den) {
	const td = RC.el('td');
	td.append(RC.el('span', { class: 'rate', text: pct(rate) }), ' ',
	    RC.el('span', { class: 'n', text: `${num}/${den}` }));
	return td;
}

function render(d) {
	const tb = document.getElementById('rows');
	tb.replaceChildren();
	for (const r of d.rows) {
		const tr = RC.el('tr', { class: 'lvl-' + r.level });
		const name = r.level === 'all' ? '全部 all' : r.level === 'channel' ? r.channel : `${r.channel} / ${r.dealer || '（无）'}`;
		tr.setAttribute('data-level', r.level);
		tr.setAttribute('data-channel', r.channel);
		tr.setAttribute('data-dealer', r.dealer);
		const reasons = RC.el('td');
		for (const c of r.top_rejection_reasons)
			reasons.append(RC.el('span', { class: 'chip', text: `${c.code} ${c.count}` }));
		const flags = RC.el('td', { class: 'flags' });
		if (r.flag_rejection) {
			flags.append(RC.el('span', { class: 'flag', text: '驳回率异常 high rejection', title: `p = ${pval(r.p_rejection)}` }));
			tr.classList.add('flagged');
		}
		if (r.flag_review) {
			flags.append(RC.el('span', { class: 'flag', text: '人工审核率异常 high review', title: `p = ${pval(r.p_review)}` }));
			tr.classList.add('flagged');
		}
		if (r.tested)
			flags.append(RC.el('span', { class: 'n', text: ` p=${pval(r.p_rejection)} / ${pval(r.p_review)}` }));
		tr.append(RC.el('td', { class: 'name', text: name }), flags,
		    RC.el('td', { text: String(r.volume) }),
		    RC.el('td', { text: String(r.decided) }),
		    rateCell(r.approval_rate, r.approved, r.decided),
		    rateCell(r.rejection_rate, r.rejected, r.decided),
		    reasons,
		    rateCell(r.review_rate, r.reviewed, r.decided),
		    RC.el('td', { text: `${r.qa_sampled} / ${r.qa_checked}` }),
		    rateCell(r.qa_disagreement_rate, r.qa_overridden, r.qa_checked),
		    RC.el('td', { text: String(r.duplicate_face) }));
		tb.append(tr);
	}
	const t = d.test;
	document.getElementById('method').textContent =
	    `异常检验 Outlier test: ${t.method}. alpha = ${t.alpha}; ` +
	    `${t.tested_channels} 个渠道 channels (p < ${t.threshold_channel.toPrecision(3)}), ` +
	    `${t.tested_dealers} 个经销商 dealers (p < ${t.threshold_dealer.toPrecision(3)}).`;
	const flagged = d.rows.filter((r) => r.flag_rejection || r.flag_review).length;
	document.getElementById('summary').textContent = `${flagged} 项标记 flagged · ${RC.time(d.since)} – ${RC.time(d.now)}`;
}

async function load() {
	const days = document.getElementById('days').value;
	document.getElementById('csv').href = `/review/api/oversight.csv?days=${days}`;
	const r = await RC.api('GET', `/review/api/oversight?days=${days}`);
	if (r.status === 403) {
		document.getElementById('denied').hidden = false;
		document.getElementById('channels').hidden = true;
		return;
	}
	document.getElementById('channels').hidden = false;
	if (r.status === 200)
		render(r.data);
}

document.addEventListener('DOMContentLoaded', async () => {
	const s = await RC.start();
	if (s.role !== 'supervisor') {
		document.getElementById('denied').hidden = false;
		return;
	}
	document.getElementById('days').addEventListener('change', load);
	await load();
});
