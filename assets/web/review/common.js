// Reviewer console: what every page shares.  The session cookie is
// HttpOnly (scripts never see it); the CSRF token comes from
// /review/api/session and travels in X-CSRF-Token on every POST.  A 401
// anywhere means the session ended: back to the login page.
'use strict';

const RC = {
	session: null,

	async api(method, path, body) {
		const opt = { method, credentials: 'same-origin', headers: {} };
		if (method !== 'GET') {
			opt.headers['Content-Type'] = 'application/json';
			if (RC.session)
				opt.headers['X-CSRF-Token'] = RC.session.csrf;
			opt.body = JSON.stringify(body || {});
		}
		const res = await fetch(path, opt);
		let data = null;
		try {
			data = await res.json();
		} catch (e) {
			data = null;
		}
		if (res.status === 401 && path !== '/review/login') {
			// The page is leaving: nothing after this call should run.
			RC.toLogin();
			return new Promise(() => {});
		}
		return { status: res.status, data };
	},

	toLogin() {
		const next = location.pathname + location.search;
		location.assign('/review/login?next=' + encodeURIComponent(next));
	},

	// Loads the session (or goes to login), fills the header.
	async start() {
		const r = await RC.api('GET', '/review/api/session');
		RC.session = r.data;
		const who = document.getElementById('who');
		if (who)
			who.textContent = `${r.data.reviewer} · ${RC.roleName(r.data.role)}`;
		const stats = document.getElementById('nav-stats');
		if (stats && r.data.role !== 'reviewer')
			stats.hidden = false;
		// Supervisor pages: QA sampling, channels, the regulator export.
		if (r.data.role === 'supervisor') {
			for (const a of document.querySelectorAll('.nav-sup'))
				a.hidden = false;
		}
		const out = document.getElementById('logout');
		if (out) {
			out.addEventListener('click', async () => {
				await RC.api('POST', '/review/logout');
				location.assign('/review/login');
			});
		}
		return r.data;
	},

	roleName(role) {
		return { reviewer: '审核员', supervisor: '主管', auditor: '审计员' }[role] || role;
	},

	el(tag, attrs, ...kids) {
		const e = document.createElement(tag);
		for (const [k, v] of Object.entries(attrs || {})) {
			if (k === 'class')
				e.className = v;
			else if (k === 'text')
				e.textContent = v;
			else
				e.setAttribute(k, v);
		}
		for (const k of kids)
			e.append(k);
		return e;
	},

	svg(tag, attrs) {
		const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
		for (const [k, v] of Object.entries(attrs || {}))
			e.setAttribute(k, v);
		return e;
	},

	age(ms) {
		const s = Math.max(0, Math.round(ms / 1000));
		if (s < 60)
			return `${s} 秒`;
		if (s < 3600)
			return `${Math.floor(s / 60)} 分`;
		if (s < 86400)
			return `${Math.floor(s / 3600)} 时 ${Math.floor(s % 3600 / 60)} 分`;
		return `${Math.floor(s / 86400)} 天 ${Math.floor(s % 86400 / 3600)} 时`;
	},

	time(ms) {
		if (!ms)
			return '—';
		const d = new Date(ms);
		const p = (n) => String(n).padStart(2, '0');
		return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
	},

	// Keys typed into a form field are the field's, not shortcuts.
	typing(ev) {
		const t = ev.target;
		return t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
	},

	toggleHelp(force) {
		const h = document.getElementById('help');
		if (h)
			h.hidden = force !== undefined ? !force : !h.hidden;
	},
};
