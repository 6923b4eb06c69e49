// QA sampling: the pipeline's own approvals and rejections picked for a
// supervisor's second look.  Agree, or override: an automatic approval
// only to rejected (with a catalogue reason), an automatic rejection to
// review, or to approved when the ID check said MATCH.  Supervisors only;
// the API answers 403 to anyone else and this page says so.
'use strict';

const QA = { items: [], sel: null, reasons: [] };

function stateName(s) {
	return { APPROVED: '通过 approved', REJECTED: '驳回 rejected', REVIEW: '人工审核 review' }[s] || s;
}

function renderQueue() {
	const tb = document.getElementById('qa-rows');
	tb.replaceChildren();
	for (const it of QA.items) {
		const tr = RC.el('tr', { 'data-id': it.case_id, tabindex: '0' });
		const idc = RC.el('td');
		idc.append(RC.el('a', { href: `/review/case/${it.case_id}`, text: it.case_id.slice(0, 12) + '…' }));
		const rs = RC.el('td');
		for (const r of it.reasons || [])
			rs.append(RC.el('span', { class: 'chip', text: r.code }));
		tr.append(RC.el('td', { text: RC.time(it.sampled_at) }), idc,
		    RC.el('td', { text: it.channel }), RC.el('td', { text: it.dealer || '—' }),
		    RC.el('td', { class: it.auto_state === 'REJECTED' ? 'error' : 'ok', text: stateName(it.auto_state) }),
		    rs, RC.el('td', { text: it.upstream_match ? 'MATCH' : '—' }));
		if (QA.sel && QA.sel.case_id === it.case_id)
			tr.classList.add('selected');
		tr.addEventListener('click', (ev) => {
			if (ev.target.tagName !== 'A')
				select(it);
		});
		tr.addEventListener('keydown', (ev) => {
			if (ev.key === 'Enter')
				select(it);
		});
		tb.append(tr);
	}
	document.getElementById('qa-empty').hidden = QA.items.length > 0;
	const per = {};
	for (const it of QA.items)
		per[it.channel] = (per[it.channel] || 0) + 1;
	document.getElementById('qa-count').textContent = `${QA.items.length} 件待查 pending` +
	    (QA.items.length ? ' · ' + Object.entries(per).map(([c, n]) => `${c}: ${n}`).join(', ') : '');
}

function renderOverrides(items) {
	const tb = document.getElementById('ov-rows');
	tb.replaceChildren();
	for (const it of items) {
		const idc = RC.el('td');
		idc.append(RC.el('a', { href: `/review/case/${it.case_id}`, text: it.case_id.slice(0, 12) + '…' }));
		tb.append(RC.el('tr', {}, RC.el('td', { text: RC.time(it.reviewed_at) }),
		    RC.el('td', { text: it.supervisor }), idc,
		    RC.el('td', { text: `${it.channel} / ${it.dealer || '—'}` }),
		    RC.el('td', { text: stateName(it.from) }), RC.el('td', { text: stateName(it.to) }),
		    RC.el('td', { text: it.reason }), RC.el('td', { text: it.comment })));
	}
	document.getElementById('ov-empty').hidden = items.length > 0;
}

function fillTo() {
	const to = document.getElementById('v-to');
	to.replaceChildren();
	const it = QA.sel;
	if (it.auto_state === 'APPROVED') {
		to.append(RC.el('option', { value: 'rejected', text: '驳回 rejected' }));
	} else {
		to.append(RC.el('option', { value: 'review', text: '转人工审核 review' }));
		const ap = RC.el('option', { value: 'approved', text: '通过 approved' + (it.upstream_match ? '' : '（无 MATCH，不可）') });
		if (!it.upstream_match)
			ap.disabled = true;
		to.append(ap);
	}
	syncReason();
}

function syncReason() {
	const rej = document.getElementById('v-to').value === 'rejected';
	document.getElementById('v-reason').hidden = !rej;
	document.getElementById('v-reason-label').hidden = !rej;
}

function syncVerdict() {
	const over = document.querySelector('input[name=verdict]:checked').value === 'override';
	document.getElementById('override-fields').hidden = !over;
}

async function select(it) {
	QA.sel = it;
	renderQueue();
	const box = document.getElementById('verdict-box');
	box.hidden = false;
	const a = document.getElementById('v-case');
	a.href = `/review/case/${it.case_id}`;
	a.textContent = it.case_id;
	document.getElementById('v-auto').textContent = `自动决定 auto: ${stateName(it.auto_state)} · ${it.channel} / ${it.dealer || '—'}`;
	document.getElementById('v-msg').textContent = '';
	document.getElementById('v-comment').value = '';
	document.querySelector('input[name=verdict][value=agree]').checked = true;
	syncVerdict();
	fillTo();
	if (!QA.reasons.length) {
		// The catalogue comes with the case view (the same list the
		// case page offers for a rejection).
		const r = await RC.api('GET', `/review/api/cases/${it.case_id}`);
		if (r.status === 200)
			QA.reasons = r.data.reject_reasons || [];
		const sel = document.getElementById('v-reason');
		sel.replaceChildren();
		for (const c of QA.reasons)
			sel.append(RC.el('option', { value: c.code, text: `${c.text_zh} (${c.code})` }));
	}
}

async function submit(ev) {
	ev.preventDefault();
	const it = QA.sel;
	if (!it)
		return;
	const msg = document.getElementById('v-msg');
	const verdict = document.querySelector('input[name=verdict]:checked').value;
	const body = { verdict, comment: document.getElementById('v-comment').value };
	if (verdict === 'override') {
		body.to = document.getElementById('v-to').value;
		if (body.to === 'rejected')
			body.reason = document.getElementById('v-reason').value;
		if (!body.comment.trim()) {
			msg.className = 'error';
			msg.textContent = '推翻须写明理由。Say why.';
			return;
		}
	}
	const btn = document.getElementById('v-submit');
	btn.disabled = true;
	const r = await RC.api('POST', `/review/api/qa/${it.case_id}/verdict`, body);
	btn.disabled = false;
	if (r.status !== 200) {
		msg.className = 'error';
		msg.textContent = r.data && r.data.error ? `${r.data.error.code}: ${r.data.error.message}` : `HTTP ${r.status}`;
		return;
	}
	msg.className = 'ok';
	msg.textContent = verdict === 'agree' ? '已记录：同意。Recorded: agree.' :
	    `已推翻为 ${stateName(r.data.state)}。Overridden.`;
	QA.sel = null;
	document.getElementById('verdict-box').hidden = true;
	await load();
	document.getElementById('qa-count').textContent += ` · ${msg.textContent}`;
}

async function load() {
	const [q, o] = await Promise.all([RC.api('GET', '/review/api/qa/queue'),
	    RC.api('GET', '/review/api/qa/overrides')]);
	if (q.status === 403 || o.status === 403) {
		document.getElementById('denied').hidden = false;
		document.getElementById('qa').hidden = true;
		return;
	}
	document.getElementById('qa').hidden = false;
	QA.items = q.status === 200 ? q.data.items : [];
	if (q.status === 200)
		document.getElementById('qa-method').textContent =
		    `抽样比例 share ${(q.data.share * 100).toFixed(2)}% · ${q.data.method}`;
	renderQueue();
	renderOverrides(o.status === 200 ? o.data.items : []);
}

document.addEventListener('DOMContentLoaded', async () => {
	const s = await RC.start();
	if (s.role !== 'supervisor') {
		document.getElementById('denied').hidden = false;
		return;
	}
	for (const r of document.querySelectorAll('input[name=verdict]'))
		r.addEventListener('change', syncVerdict);
	document.getElementById('v-to').addEventListener('change', syncReason);
	document.getElementById('verdict').addEventListener('submit', submit);
	await load();
});
