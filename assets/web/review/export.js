// The regulator export form: one query (date range, phone number or ID
// number) posted to /review/api/export (service/export.h); the answer is
// a tar archive handed to the browser as a download, with its case count
// and manifest hash shown.  The ID number is cleared from the form once
// sent.  Supervisors only.
'use strict';

let lastUrl = null;

function by() {
	return document.querySelector('input[name=by]:checked').value;
}

function syncBy() {
	for (const k of ['range', 'phone', 'id_number']) {
		const box = document.getElementById('by-' + k);
		box.hidden = by() !== k;
		for (const i of box.querySelectorAll('input'))
			i.required = by() === k;
	}
}

async function submit(ev) {
	ev.preventDefault();
	const msg = document.getElementById('msg');
	const body = {};
	if (by() === 'range') {
		body.from = document.getElementById('from').value;
		body.to = document.getElementById('to').value;
	} else if (by() === 'phone') {
		body.phone = document.getElementById('phone').value.trim();
	} else {
		body.id_number = document.getElementById('id_number').value.trim().toUpperCase();
	}
	const btn = document.getElementById('go');
	btn.disabled = true;
	msg.className = 'muted';
	msg.textContent = '正在导出… exporting';
	document.getElementById('result').hidden = true;
	let res;
	try {
		res = await fetch('/review/api/export', {
			method: 'POST', credentials: 'same-origin',
			headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': RC.session.csrf },
			body: JSON.stringify(body),
		});
	} catch (e) {
		btn.disabled = false;
		msg.className = 'error';
		msg.textContent = '网络错误 network error';
		return;
	}
	btn.disabled = false;
	document.getElementById('id_number').value = '';
	if (res.status === 401) {
		RC.toLogin();
		return;
	}
	if (res.status !== 200) {
		let d = null;
		try {
			d = await res.json();
		} catch (e) {
			d = null;
		}
		msg.className = 'error';
		msg.textContent = d && d.error ? `${d.error.code}: ${d.error.message}` : `HTTP ${res.status}`;
		return;
	}
	const blob = await res.blob();
	const cd = res.headers.get('content-disposition') || '';
	const m = /filename="([^"]+)"/.exec(cd);
	const name = m ? m[1] : 'realname-export.tar';
	if (lastUrl)
		URL.revokeObjectURL(lastUrl);
	lastUrl = URL.createObjectURL(blob);
	const a = document.getElementById('r-file');
	a.href = lastUrl;
	a.download = name;
	a.textContent = `${name} (${blob.size} B)`;
	document.getElementById('r-cases').textContent = res.headers.get('x-export-cases') || '?';
	document.getElementById('r-sha').textContent = res.headers.get('x-export-manifest-sha256') || '?';
	document.getElementById('result').hidden = false;
	msg.className = 'ok';
	msg.textContent = '已导出（已审计）。Exported and audited.';
	a.click();
}

document.addEventListener('DOMContentLoaded', async () => {
	const s = await RC.start();
	if (s.role !== 'supervisor') {
		document.getElementById('denied').hidden = false;
		return;
	}
	document.getElementById('export').hidden = false;
	// The export counts China days (UTC+8 all year), whatever the
	// reviewer's own time zone: today is China's today.
	const today = new Date(Date.now() + 8 * 3600 * 1000).toISOString()
	    .slice(0, 10);
	document.getElementById('from').value = today;
	document.getElementById('to').value = today;
	for (const r of document.querySelectorAll('input[name=by]'))
		r.addEventListener('change', syncBy);
	document.getElementById('export-form').addEventListener('submit', submit);
	syncBy();
});
