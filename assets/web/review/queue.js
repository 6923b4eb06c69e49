// The queue: cases in review, oldest first, with age, reasons and who
// holds each.  j/k select, Enter opens; the order is kept so the case
// page can move to the next case with j/k as well.
'use strict';

const Q = { items: [], sel: 0 };

function reasonCodes(item) {
	return Array.isArray(item.reasons) ? item.reasons.map((r) => r.code) : [];
}

function render() {
	const tb = document.getElementById('queue-rows');
	tb.replaceChildren();
	Q.items.forEach((it, i) => {
		const tr = RC.el('tr', { 'data-id': it.case_id, tabindex: '-1' });
		const age = RC.el('td', { class: it.age_ms > 4 * 3600 * 1000 ? 'old' : '', text: RC.age(it.age_ms) });
		const idc = RC.el('td');
		idc.append(RC.el('a', { href: `/review/case/${it.case_id}`, text: it.case_id.slice(0, 12) + '…' }));
		const rs = RC.el('td');
		for (const c of reasonCodes(it))
			rs.append(RC.el('span', { class: 'chip', text: c }));
		const claim = it.claimed_by ? `${it.claimed_by}（至 ${RC.time(it.claim_expires_at).slice(11)}）` : '—';
		tr.append(age, idc, RC.el('td', { text: it.order_ref }), RC.el('td', { text: it.channel }), rs, RC.el('td', { text: claim }));
		if (i === Q.sel)
			tr.classList.add('selected');
		tr.addEventListener('click', () => open(i));
		tb.append(tr);
	});
	document.getElementById('queue-empty').hidden = Q.items.length > 0;
	document.getElementById('queue-count').textContent = `${Q.items.length} 件`;
	sessionStorage.setItem('rc-queue', JSON.stringify(Q.items.map((it) => it.case_id)));
}

function fillReasons() {
	const sel = document.getElementById('f-reason');
	const have = new Set([...sel.options].map((o) => o.value));
	for (const it of Q.items) {
		for (const c of reasonCodes(it)) {
			if (!have.has(c)) {
				sel.append(RC.el('option', { value: c, text: c }));
				have.add(c);
			}
		}
	}
}

async function load() {
	const p = new URLSearchParams();
	const reason = document.getElementById('f-reason').value;
	const channel = document.getElementById('f-channel').value.trim();
	if (reason)
		p.set('reason', reason);
	if (channel)
		p.set('channel', channel);
	const r = await RC.api('GET', '/review/api/queue' + (p.toString() ? '?' + p : ''));
	Q.items = r.status === 200 ? r.data.items : [];
	Q.sel = Math.min(Q.sel, Math.max(0, Q.items.length - 1));
	fillReasons();
	render();
}

function open(i) {
	if (Q.items[i])
		location.assign(`/review/case/${Q.items[i].case_id}`);
}

document.addEventListener('DOMContentLoaded', async () => {
	await RC.start();
	document.getElementById('refresh').addEventListener('click', load);
	document.getElementById('f-reason').addEventListener('change', load);
	document.getElementById('f-channel').addEventListener('change', load);
	document.addEventListener('keydown', (ev) => {
		if (RC.typing(ev) || ev.ctrlKey || ev.metaKey || ev.altKey)
			return;
		if (ev.key === 'j' && Q.sel < Q.items.length - 1) {
			Q.sel++;
			render();
		} else if (ev.key === 'k' && Q.sel > 0) {
			Q.sel--;
			render();
		} else if (ev.key === 'Enter' || ev.key === 'o') {
			open(Q.sel);
		} else if (ev.key === 'g') {
			load();
		} else if (ev.key === '?') {
			RC.toggleHelp();
		} else if (ev.key === 'Escape') {
			RC.toggleHelp(false);
		}
	});
	await load();
	setInterval(load, 30000);
});
