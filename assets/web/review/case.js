// One case: the three photos with the stored geometry drawn over them
// (card outline, faces, number line), the face crops side by side with
// their scores and thresholds, every figure, OCR against the declared
// number, the ID check's raw answer, duplicates, history, and the
// decision form.  Approval is offered only when the national ID check
// said MATCH; the server refuses it otherwise anyway.
'use strict';

const C = { id: location.pathname.split('/').pop(), view: null };

// The number line on the ID card front, in card fractions (the layout
// imaging/card.c reads the number from: 448 x 282 template pixels).
const NUMBER_BOX = [127 / 448, 226 / 282, 432 / 448, 256 / 282];

// Square-to-quad projective map (corners TL, TR, BR, BL): where a point
// (u, v) of the upright card lies in the photo.
function cardMap(q) {
	const [x0, y0, x1, y1, x2, y2, x3, y3] = q;
	const dx1 = x1 - x2, dx2 = x3 - x2, dx3 = x0 - x1 + x2 - x3;
	const dy1 = y1 - y2, dy2 = y3 - y2, dy3 = y0 - y1 + y2 - y3;
	let g = 0, h = 0;
	const det = dx1 * dy2 - dx2 * dy1;
	if (Math.abs(det) > 1e-9) {
		g = (dx3 * dy2 - dx2 * dy3) / det;
		h = (dx1 * dy3 - dx3 * dy1) / det;
	}
	const a = x1 - x0 + g * x1, b = x3 - x0 + h * x3;
	const d = y1 - y0 + g * y1, e = y3 - y0 + h * y3;
	return (u, v) => {
		const w = g * u + h * v + 1;
		return [(a * u + b * v + x0) / w, (d * u + e * v + y0) / w];
	};
}

function pts(list) {
	return list.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
}

function fmt(v, digits = 3) {
	if (v === null || v === undefined)
		return '未测 n/a';
	if (typeof v === 'number')
		return Number.isInteger(v) ? String(v) : v.toFixed(digits);
	if (typeof v === 'boolean')
		return v ? '是 yes' : '否 no';
	return String(v);
}

function photoBlock(side, label, ph, canSee) {
	const fig = RC.el('figure', { class: 'photo', 'data-side': side });
	const frame = RC.el('div', { class: 'frame' });
	fig.append(frame);
	const f = ph && ph.figures;
	let cap = label;
	if (!ph) {
		cap += ' — 未上传';
	} else if (ph.purged) {
		cap += ' — 照片已按保留期删除（指标仍在）';
	} else if (canSee) {
		const img = RC.el('img', { src: ph.url, alt: `${label}照片`, id: `img-${side}` });
		frame.append(img);
	}
	if (f && f.width && f.height) {
		const s = RC.svg('svg', { class: 'overlay', viewBox: `0 0 ${f.width} ${f.height}`, preserveAspectRatio: 'none', 'aria-hidden': 'true' });
		const sw = Math.max(2, Math.round(Math.max(f.width, f.height) / 300));
		if (f.card && f.card.found && Array.isArray(f.card.quad)) {
			const q = f.card.quad;
			s.append(RC.svg('polygon', { class: 'quad', points: pts([[q[0], q[1]], [q[2], q[3]], [q[4], q[5]], [q[6], q[7]]]), 'stroke-width': sw }));
			if (f.card.side === 'front') {
				const m = cardMap(q);
				const [u0, v0, u1, v1] = NUMBER_BOX;
				s.append(RC.svg('polygon', { class: 'number', points: pts([m(u0, v0), m(u1, v0), m(u1, v1), m(u0, v1)]), 'stroke-width': sw }));
			}
		}
		(f.faces || []).forEach((fc, i) => {
			const [x1, y1, x2, y2] = fc.box;
			const cls = side === 'holding' && i === f.card_portrait ? 'portrait' :
			    side === 'front' && i === f.primary ? 'portrait' : 'face';
			s.append(RC.svg('rect', { class: cls, x: x1, y: y1, width: x2 - x1, height: y2 - y1, 'stroke-width': i === f.primary ? sw * 1.5 : sw }));
		});
		frame.append(s);
		cap += ` · ${f.width}×${f.height}`;
		if (f.reasons && f.reasons.length)
			cap += ` · 质检：${f.reasons.join(', ')}`;
	}
	fig.append(RC.el('figcaption', { text: cap }));
	return fig;
}

// A crop of one face box out of a photo, through the SVG viewBox.
function crop(label, ph, box, canSee) {
	const fig = RC.el('figure', { class: 'crop' });
	const f = ph && ph.figures;
	if (f && box && canSee && !ph.purged) {
		const [x1, y1, x2, y2] = box;
		const w = x2 - x1, h = y2 - y1, m = 0.25;
		const s = RC.svg('svg', { viewBox: `${x1 - w * m} ${y1 - h * m} ${w * (1 + 2 * m)} ${h * (1 + 2 * m)}`, role: 'img', 'aria-label': label });
		s.append(RC.svg('image', { href: ph.url, x: 0, y: 0, width: f.width, height: f.height, preserveAspectRatio: 'none' }));
		fig.append(s);
	} else {
		const s = RC.svg('svg', { viewBox: '0 0 168 200', role: 'img', 'aria-label': label });
		const t = RC.svg('text', { x: 84, y: 100, 'text-anchor': 'middle', fill: '#aaa' });
		t.textContent = box ? '需认领' : '未找到';
		s.append(t);
		fig.append(s);
	}
	fig.append(RC.el('figcaption', { text: label }));
	return fig;
}

// A score against its thresholds, as a number and a bar.
function score(label, v, min, rejectMax, lo = -1) {
	const box = RC.el('div', { class: 'score' });
	let cls = 'fail';
	if (v !== null && v !== undefined) {
		if (v >= min)
			cls = 'pass';
		else if (rejectMax !== undefined && v > rejectMax)
			cls = 'mid';
	}
	box.append(RC.el('div', { text: label }));
	box.append(RC.el('div', { class: `v ${cls}`, text: v === null || v === undefined ? '未测' : v.toFixed(3) }));
	const s = RC.svg('svg', { viewBox: '0 0 200 14', width: '200', height: '14', 'aria-hidden': 'true' });
	// Cosines run from -1, probabilities from 0, both to 1.
	const x = (t) => Math.max(0, Math.min(200, (t - lo) / (1 - lo) * 200));
	s.append(RC.svg('rect', { class: 'bar-track', x: 0, y: 3, width: 200, height: 8 }));
	if (v !== null && v !== undefined)
		s.append(RC.svg('rect', { class: 'bar-fill', x: 0, y: 3, width: x(v), height: 8 }));
	s.append(RC.svg('line', { class: 'bar-limit', x1: x(min), x2: x(min), y1: 0, y2: 14 }));
	box.append(s);
	box.append(RC.el('div', { class: 'muted', text: `阈值 threshold ≥ ${min}` + (rejectMax !== undefined ? `；≤ ${rejectMax} 驳回` : '') }));
	return box;
}

function row(tbody, k, v, pass) {
	const tr = RC.el('tr');
	tr.append(RC.el('td', { text: k }));
	const td = RC.el('td', { text: fmt(v) });
	if (pass === true)
		td.className = 'pass';
	else if (pass === false)
		td.className = 'fail';
	tr.append(td);
	tbody.append(tr);
}

function figureRow(tbody, k, fig) {
	if (!fig || !fig.measured) {
		row(tbody, k, null);
		return;
	}
	row(tbody, k, `${fmt(fig.value)}（限 ${fmt(fig.limit)}）`, fig.pass);
}

function renderFigures(v) {
	const tb = document.querySelector('#figures tbody');
	tb.replaceChildren();
	const s = (v.decision && v.decision.signals) || {};
	const t = v.thresholds;
	row(tb, '规则 Rule', v.decision ? v.decision.rule : null);
	row(tb, '人脸 vs 证件人像 face_score', s.face_score, s.face_score != null && s.face_score >= t.face_accept_min);
	row(tb, '手持证件 vs 正面 card_portrait_score', s.card_portrait_score, s.card_portrait_score != null && s.card_portrait_score >= t.card_portrait_min);
	row(tb, '活体 liveness', s.liveness, s.liveness != null && s.liveness >= t.liveness_min);
	row(tb, '号码有效 id_number_valid', s.id_number_valid, s.id_number_valid);
	row(tb, '年龄 age', s.age_years);
	row(tb, '有效期已读 validity_read', s.validity_read, s.validity_read);
	row(tb, '证件过期 card_expired', s.card_expired, s.card_expired === false);
	row(tb, '同号在用案件 active_cases_for_number', s.active_cases_for_number);
	for (const side of ['front', 'back', 'holding']) {
		const ph = v.photos[side];
		const f = ph && ph.figures;
		if (!f)
			continue;
		const q = f.quality || {};
		figureRow(tb, `${side} 曝光均值`, q.exposure_mean);
		figureRow(tb, `${side} 人脸尺寸`, q.face_size);
		if (f.card && f.card.measured) {
			figureRow(tb, `${side} 证件面积`, f.card.area);
			figureRow(tb, `${side} 证件边距`, f.card.margin);
			figureRow(tb, `${side} 反光`, f.card.glare);
			figureRow(tb, `${side} 清晰度`, f.card.sharpness);
		}
	}
}

function mask(n) {
	return n && n.length === 18 ? n.slice(0, 6) + '********' + n.slice(14) : n;
}

function renderOcr(v) {
	const tb = document.querySelector('#ocr tbody');
	tb.replaceChildren();
	const s = (v.decision && v.decision.signals) || {};
	const front = v.photos.front && v.photos.front.figures;
	const back = v.photos.back && v.photos.back.figures;
	row(tb, '申报姓名 Declared name', v.declared.name);
	const tr = RC.el('tr');
	tr.append(RC.el('td', { text: '申报号码 Declared number' }));
	const td = RC.el('td');
	const num = RC.el('code', { id: 'declared-number', text: mask(v.declared.id_number) });
	const show = RC.el('button', { type: 'button', class: 'link', text: '显示' });
	show.addEventListener('click', () => {
		num.textContent = num.textContent === v.declared.id_number ? mask(v.declared.id_number) : v.declared.id_number;
	});
	td.append(num, ' ', show);
	tr.append(td);
	tb.append(tr);
	row(tb, 'OCR 读出 (masked)', front && front.card ? front.card.number : null);
	row(tb, 'OCR 可信度 ocr_confidence', s.ocr_confidence, s.ocr_confidence != null && s.ocr_confidence >= v.thresholds.ocr_confidence_min);
	row(tb, 'OCR 与申报一致', s.ocr_matches_declared, s.ocr_matches_declared);
	row(tb, '有效期 Validity', back && back.card && back.card.validity ? `${back.card.validity.from} – ${back.card.validity.to}` : null);

	const up = document.querySelector('#upstream tbody');
	up.replaceChildren();
	const u = (v.decision && v.decision.upstream) || {};
	row(up, '已调用 called', u.called);
	row(up, '结果 result', u.result, u.result === 'match');
	for (const k of ['code', 'message', 'http_status', 'attempts', 'breaker_refused', 'detail', 'similarity'])
		if (u[k] !== undefined)
			row(up, k, u[k]);
}

function caseLink(id, label) {
	const a = RC.el('a', { href: `/review/case/${id}`, text: `${id.slice(0, 12)}…` });
	const li = RC.el('li');
	li.append(label + ' ', a);
	return li;
}

function renderDups(v) {
	const ul = document.getElementById('dups');
	ul.replaceChildren();
	const s = (v.decision && v.decision.signals) || {};
	if (s.duplicate_face_of)
		ul.append(caseLink(s.duplicate_face_of, `同一张脸、另一号码（相似度 ${fmt(s.duplicate_face_score)}）：`));
	for (const side of ['front', 'back', 'holding']) {
		const ph = v.photos[side];
		if (ph && ph.reused_in)
			ul.append(caseLink(ph.reused_in, `${side} 照片在另一案件中出现：`));
	}
	for (const o of v.same_number)
		ul.append(caseLink(o.case_id, `同一号码的案件（${o.state}）：`));
	if (!ul.children.length)
		ul.append(RC.el('li', { class: 'muted', text: '无 none' }));
}

function renderHistory(v) {
	const tb = document.querySelector('#history tbody');
	tb.replaceChildren();
	for (const h of v.history) {
		const tr = RC.el('tr');
		tr.append(RC.el('td', { text: RC.time(h.at) }), RC.el('td', { text: h.actor }), RC.el('td', { text: h.event }), RC.el('td', { text: JSON.stringify(h.detail) }));
		tb.append(tr);
	}
}

function render() {
	const v = C.view;
	document.title = `审核台 · ${v.case.id.slice(0, 8)}`;
	document.getElementById('c-id').textContent = v.case.id;
	document.getElementById('c-state').textContent = v.case.state;
	document.getElementById('c-order').textContent = v.case.order_ref;
	document.getElementById('c-channel').textContent = v.case.channel;
	document.getElementById('c-age').textContent = v.case.state === 'REVIEW' ? `${RC.age(Date.now() - v.case.decided_at)} 前` : RC.time(v.case.decided_at);
	const mine = v.claim && v.claim.mine;
	document.getElementById('c-claim').textContent = v.claim ? `认领人 ${v.claim.reviewer}，至 ${RC.time(v.claim.expires_at)}` : '未认领';
	const canAct = v.may_decide;
	document.getElementById('claim').hidden = !canAct || mine;
	document.getElementById('release').hidden = !canAct || !mine;
	document.getElementById('c-nomatch').hidden = v.upstream_match || v.case.state !== 'REVIEW';
	const chips = document.getElementById('c-reasons');
	chips.replaceChildren();
	for (const r of (v.decision && v.decision.reasons) || [])
		chips.append(RC.el('span', { class: 'chip', title: r.internal || '', text: `${r.code} — ${r.internal || ''}` }));

	const photos = document.getElementById('photos');
	photos.replaceChildren(
	    photoBlock('front', '人像面 Front', v.photos.front, v.may_see_photos),
	    photoBlock('back', '国徽面 Back', v.photos.back, v.may_see_photos),
	    photoBlock('holding', '手持自拍 Holding', v.photos.holding, v.may_see_photos));
	document.getElementById('photos-locked').hidden = v.may_see_photos;

	const h = v.photos.holding && v.photos.holding.figures;
	const fr = v.photos.front && v.photos.front.figures;
	const s = (v.decision && v.decision.signals) || {};
	const t = v.thresholds;
	const crops = document.getElementById('crops');
	crops.replaceChildren(
	    crop('自拍人脸 Live face', v.photos.holding, h && h.primary >= 0 ? h.faces[h.primary].box : null, v.may_see_photos),
	    crop('手持证件人像 Card in selfie', v.photos.holding, h && h.card_portrait >= 0 ? h.faces[h.card_portrait].box : null, v.may_see_photos),
	    crop('正面证件人像 Front portrait', v.photos.front, fr && fr.primary >= 0 ? fr.faces[fr.primary].box : null, v.may_see_photos),
	    score('人脸 vs 证件人像 face', s.face_score, t.face_accept_min, t.face_reject_max),
	    score('手持证件 vs 正面 card', s.card_portrait_score, t.card_portrait_min),
	    score('活体 liveness', s.liveness, t.liveness_min, undefined, 0));

	renderFigures(v);
	renderOcr(v);
	renderDups(v);
	renderHistory(v);

	const sel = document.getElementById('d-reason');
	if (sel.options.length <= 1) {
		for (const r of v.reject_reasons)
			sel.append(RC.el('option', { value: r.code, text: `${r.code} — ${r.internal}` }));
	}
	document.getElementById('d-approve').disabled = !v.upstream_match;
	document.getElementById('decide').hidden = !canAct || v.case.state !== 'REVIEW';
	document.getElementById('readonly').hidden = v.me.role !== 'auditor';
	for (const id of ['d-approve', 'd-reject', 'd-send-back', 'd-reason', 'd-comment', 'decide-submit'])
		document.getElementById(id).disabled = !mine || (id === 'd-approve' && !v.upstream_match);
}

async function load() {
	const r = await RC.api('GET', `/review/api/cases/${C.id}`);
	if (r.status !== 200) {
		document.getElementById('c-id').textContent = `${C.id}（${r.status}）`;
		return;
	}
	C.view = r.data;
	render();
}

async function claim(release) {
	const r = await RC.api('POST', `/review/api/cases/${C.id}/${release ? 'release' : 'claim'}`);
	if (r.status !== 200) {
		const e = document.getElementById('decide-error');
		e.textContent = r.data && r.data.error ? r.data.error.message : `失败 ${r.status}`;
		e.hidden = false;
	}
	await load();
}

async function decide(ev) {
	if (ev)
		ev.preventDefault();
	const err = document.getElementById('decide-error');
	const done = document.getElementById('decide-done');
	err.hidden = true;
	const pick = document.querySelector('input[name="decision"]:checked');
	if (!pick) {
		err.textContent = '请选择结论。Choose a decision.';
		err.hidden = false;
		return;
	}
	const reason = document.getElementById('d-reason').value;
	if (pick.value === 'reject' && !reason) {
		err.textContent = '驳回需要选择原因。A rejection needs a reason.';
		err.hidden = false;
		document.getElementById('d-reason').focus();
		return;
	}
	const r = await RC.api('POST', `/review/api/cases/${C.id}/decide`, {
		decision: pick.value, reason, comment: document.getElementById('d-comment').value,
	});
	if (r.status !== 200) {
		err.textContent = r.data && r.data.error ? r.data.error.message : `失败 ${r.status}`;
		err.hidden = false;
		return;
	}
	done.textContent = `已提交：${r.data.state}（${r.data.reason}）。按 j 到下一个案件。`;
	done.hidden = false;
	await load();
}

function neighbour(step) {
	let ids = [];
	try {
		ids = JSON.parse(sessionStorage.getItem('rc-queue') || '[]');
	} catch (e) {
		ids = [];
	}
	const i = ids.indexOf(C.id);
	const next = ids[i + step];
	if (i >= 0 && next)
		location.assign(`/review/case/${next}`);
	else if (step > 0)
		location.assign('/review/');
}

function choose(value) {
	const map = { approve: 'd-approve', reject: 'd-reject', send_back: 'd-send-back' };
	const radio = document.getElementById(map[value]);
	if (radio.disabled) {
		if (value === 'approve' && C.view && !C.view.upstream_match) {
			const err = document.getElementById('decide-error');
			err.textContent = '不能批准：国家身份核验没有返回一致。可驳回或退回重新核验。';
			err.hidden = false;
		}
		return;
	}
	radio.checked = true;
	if (value === 'reject')
		document.getElementById('d-reason').focus();
	else
		document.getElementById('d-comment').focus();
}

document.addEventListener('DOMContentLoaded', async () => {
	await RC.start();
	document.getElementById('claim').addEventListener('click', () => claim(false));
	document.getElementById('release').addEventListener('click', () => claim(true));
	document.getElementById('decide').addEventListener('submit', decide);
	document.addEventListener('keydown', (ev) => {
		if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
			decide(ev);
			return;
		}
		if (ev.key === 'Escape') {
			RC.toggleHelp(false);
			if (RC.typing(ev))
				ev.target.blur();
			return;
		}
		if (RC.typing(ev) || ev.ctrlKey || ev.metaKey || ev.altKey)
			return;
		const k = ev.key;
		if (k === 'j')
			neighbour(1);
		else if (k === 'k')
			neighbour(-1);
		else if (k === 'u')
			location.assign('/review/');
		else if (k === 'c' && C.view && C.view.may_decide && !(C.view.claim && C.view.claim.mine))
			claim(false);
		else if (k === 'a')
			choose('approve');
		else if (k === 'r')
			choose('reject');
		else if (k === 's')
			choose('send_back');
		else if (k === '?')
			RC.toggleHelp();
		else
			return;
		ev.preventDefault();
	});
	await load();
});
