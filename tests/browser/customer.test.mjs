// The customer page in Debian's chromium, driven by playwright-core, against
// a real kore and the real ID-check sandbox (browser-launcher).  A generated
// person goes through the whole page at 390x844 (checked at 360 px too): a blurred front is refused
// with its specific reason, that side alone is retaken, the other two pass
// (one scaled down from 3000 px, one turned upright from its EXIF rotation),
// submit, the live status, and the approval.  Emits TAP; screenshots of each
// step go to $REALNAME_BROWSER_SHOTS.
import { request as httpRequest } from 'node:http';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CSP, createTap, launchBrowser, loadPlaywright, recordCspViolations,
	startLauncher, watchPage } from './lib.mjs';

const shots = process.env.REALNAME_BROWSER_SHOTS || 'browser-shots';
const launcherPath = process.env.REALNAME_BROWSER_LAUNCHER;
const tap = createTap();
const ok = tap.ok;
const note = tap.note;

async function main() {
	const chromium = await loadPlaywright(tap);
	if (!chromium)
		tap.finish();
	if (!launcherPath) {
		ok(false, 'REALNAME_BROWSER_LAUNCHER is set (run through meson test)');
		tap.finish();
	}
	mkdirSync(shots, { recursive: true });
	const work = mkdtempSync(join(tmpdir(), 'rn-browser-'));
	const launcher = startLauncher(launcherPath, join(work, 'photos'));
	let context = null;
	try {
		const env = await launcher.ready();
		note(`service at ${env.base}, generated person ${env.person}`);
		const kase = await launcher.send('open');
		ok(/\/c\/[0-9a-f]{32}#.+/.test(kase.hosted_url), 'the order system gets a hosted URL with the token in the fragment');
		const token = kase.hosted_url.split('#')[1];

		context = await launchBrowser(chromium, join(work, 'profile'), {
			viewport: { width: 390, height: 844 },
			deviceScaleFactor: 2,
			isMobile: true,
			hasTouch: true,
			locale: 'zh-CN',
		});
		await recordCspViolations(context);
		await context.addInitScript(() => {
			// Keeps what the page uploads, to measure it afterwards.
			window.__sent = {};
			const send = XMLHttpRequest.prototype.send;
			const open = XMLHttpRequest.prototype.open;
			XMLHttpRequest.prototype.open = function (m, url) {
				this.__url = url;
				return open.apply(this, arguments);
			};
			XMLHttpRequest.prototype.send = function (body) {
				if (body instanceof Blob)
					window.__sent[this.__url.split('/').pop()] = body;
				return send.apply(this, arguments);
			};
		});
		const page = context.pages()[0] || await context.newPage();
		const consoleErrors = [];
		// Chromium logs every 4xx answer to a script's request; the 422 of
		// the blurred photo is expected, anything else is an error.
		watchPage(page, consoleErrors, /Failed to load resource: the server responded with a status of 422/);
		const requests = [];
		page.on('request', (r) => requests.push(r));
		const assetHeaders = {};
		page.on('response', (r) => {
			const u = new URL(r.url());
			if (u.pathname.startsWith('/static/'))
				assetHeaders[u.pathname] = r.headers();
		});
		const sentSize = (side) => page.evaluate(async (s) => {
			const b = window.__sent[s];
			if (!b)
				return null;
			const bmp = await createImageBitmap(b);
			return { width: bmp.width, height: bmp.height, type: b.type };
		}, side);
		const shot = async (name) => {
			// From the top: a sticky header would else be drawn mid-page.
			await page.evaluate(() => window.scrollTo({ top: 0, behavior: 'instant' }));
			await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
		};

		// The page itself.
		const resp = await page.goto(kase.hosted_url, { waitUntil: 'load' });
		const h = resp.headers();
		ok(resp.status() === 200 && /^text\/html/.test(h['content-type']), 'the hosted URL answers the page', `${resp.status()} ${h['content-type']}`);
		ok(h['content-security-policy'] === CSP, 'the page carries the strict Content-Security-Policy', h['content-security-policy']);
		ok(h['x-content-type-options'] === 'nosniff' && h['referrer-policy'] === 'no-referrer' && h['cache-control'] === 'no-store',
			'nosniff, no-referrer and no-store on the page', JSON.stringify(h));
		await page.waitForSelector('#capture:not([hidden])', { timeout: 15000 });
		const js = assetHeaders['/static/customer/app.js'] || {};
		ok(js['content-security-policy'] === CSP && js['x-content-type-options'] === 'nosniff' &&
			/immutable/.test(js['cache-control'] || '') && /^text\/javascript/.test(js['content-type'] || ''),
			'the script is served with CSP, nosniff, its type and a long cache (versioned URL)', JSON.stringify(js));
		ok(!page.url().includes('#') && !page.url().includes(token), 'the token is gone from the address bar', page.url());
		const stored = await page.evaluate((id) => sessionStorage.getItem(`realname.token.${id}`), kase.case_id);
		ok(stored === token, 'the token is kept in sessionStorage');
		const zhTitle = await page.textContent('h1');
		ok(zhTitle === '实名认证' && await page.getAttribute('html', 'lang') === 'zh-CN', 'Chinese by default', zhTitle);
		const illus = await page.$$eval('.step .guide figure svg[role="img"]', (a) => a.length);
		const mistakes = await page.$$eval('.step .mistakes li > svg', (a) => a.length);
		ok(illus === 3 && mistakes === 9, 'each step shows an illustration and three common mistakes', `${illus} ${mistakes}`);
		// The journey runs at 390x844; the narrowest phones are 360 px.
		await page.setViewportSize({ width: 360, height: 740 });
		const wide = await page.evaluate(() => document.documentElement.scrollWidth);
		ok(wide <= 360, 'nothing is wider than the 360 px screen', wide);
		await page.setViewportSize({ width: 390, height: 844 });
		const unlabelled = await page.$$eval('input[type=file]', (a) => a.filter((i) => !i.labels || i.labels.length === 0).map((i) => i.id));
		ok(unlabelled.length === 0, 'every file input has a label', unlabelled.join(','));
		const a11y = await page.evaluate(() => {
			const bad = [];
			document.querySelectorAll('button, label.btn').forEach((b) => {
				if (!(b.textContent.trim() || b.getAttribute('aria-label')))
					bad.push(`unnamed ${b.tagName} ${b.id}`);
			});
			document.querySelectorAll('svg[role="img"]').forEach((g) => {
				if (!g.querySelector('title') || !g.querySelector('title').textContent.trim())
					bad.push('svg image without a title');
			});
			document.querySelectorAll('progress').forEach((g) => {
				if (!g.getAttribute('aria-label'))
					bad.push('progress without a label');
			});
			document.querySelectorAll('img').forEach((i) => {
				if (!i.hasAttribute('alt'))
					bad.push('img without alt');
			});
			if (!document.querySelector('[role="status"][aria-live], [aria-live]'))
				bad.push('no live region');
			return bad;
		});
		ok(a11y.length === 0, 'buttons, illustrations, progress bars and images carry accessible names', a11y.join('; '));
		// The hidden file input stays reachable by keyboard.
		let reached = false;
		for (let i = 0; i < 6 && !reached; i++) {
			await page.keyboard.press('Tab');
			reached = await page.evaluate(() => document.activeElement && document.activeElement.id === 'file-front');
		}
		ok(reached, 'the first photo picker is reachable with the Tab key');
		await page.evaluate(() => document.activeElement.blur());
		await shot('01-start');

		// The English switch.
		await page.click('#lang');
		const enTitle = await page.textContent('h1');
		const enStep = await page.textContent('#h-front');
		ok(enTitle === 'Identity verification' && /photo side/.test(enStep) &&
			await page.getAttribute('html', 'lang') === 'en', 'the English switch translates the page', `${enTitle} / ${enStep}`);
		await page.setViewportSize({ width: 360, height: 740 });
		const wideEn = await page.evaluate(() => document.documentElement.scrollWidth);
		ok(wideEn <= 360, 'in English too, nothing is wider than 360 px', wideEn);
		await page.setViewportSize({ width: 390, height: 844 });
		await shot('02-english');
		await page.click('#lang');
		ok(await page.textContent('h1') === '实名认证', 'and switches back to Chinese');

		// Something that is not a photo never leaves the browser.
		await page.setInputFiles('#file-back', { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not a photo at all') });
		await page.waitForSelector('#step-back[data-state="error"]', { timeout: 10000 });
		const notPhoto = await page.textContent('#step-back .message');
		ok(/无法读取/.test(notPhoto) && !requests.some((q) => q.method() === 'PUT'),
			'a file that is not a photo is refused in the browser, nothing uploaded', notPhoto);

		// Uploads are slowed so the progress bar can be seen.
		const cdp = await context.newCDPSession(page);
		await cdp.send('Network.enable');
		await cdp.send('Network.emulateNetworkConditions', {
			offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 192 * 1024,
		});

		// A blurred front: the specific reason, a retake for that side only.
		const putFront = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith('/images/front'), { timeout: 60000 });
		await page.setInputFiles('#file-front', env.photos['front-blur']);
		await page.waitForSelector('#step-front .upload:not([hidden])', { timeout: 20000 });
		const midway = await page.waitForFunction(() => {
			const v = document.querySelector('#step-front .upload').value;
			return v > 0 && v < 100 ? document.querySelector('#step-front .message').textContent : null;
		}, null, { timeout: 20000, polling: 20 }).then((hnd) => hnd.jsonValue(), () => null);
		ok(/^正在上传 [0-9]+%$/.test(midway || ''), 'the upload shows its progress', midway);
		await shot('03-uploading');
		await cdp.send('Network.emulateNetworkConditions', {
			offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1,
		});
		const bad = await putFront;
		const badBody = await bad.json();
		ok(bad.status() === 422 && badBody.error.code === 'retake', 'the service refuses the blurred photo', `${bad.status()} ${JSON.stringify(badBody).slice(0, 300)}`);
		await page.waitForSelector('#step-front[data-state="retake"]', { timeout: 10000 });
		const shown = await page.$$eval('#step-front .reasons li', (a) => a.map((li) => ({ code: li.dataset.code, text: li.textContent })));
		const blur = (badBody.reasons || []).find((r) => r.code === 'blur');
		ok(blur && shown.some((s) => s.code === 'blur' && s.text === blur.text_zh), 'the page shows the specific reason (blur) in Chinese', JSON.stringify(shown));
		const attempts = await page.textContent('#step-front .attempts');
		ok(attempts.includes(String(badBody.attempts_left)), 'attempts left are shown', attempts);
		ok(await page.textContent('#step-front .pick-text') === '重拍这一张', 'a retake button for that side');
		const others = await page.$$eval('#step-back, #step-holding', (a) => a.map((s) => s.dataset.state));
		ok(others.join(',') === 'error,empty', 'the other sides are untouched', others.join(','));
		await page.click('#lang');
		const enReason = await page.textContent('#step-front .reasons li');
		ok(enReason === blur?.text_en, 'the reason follows the language switch', enReason);
		await page.click('#lang');
		await shot('04-retake');

		// Retake the front; then the back (3000 px) and the rotated selfie.
		const upload = async (side, file) => {
			const put = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith(`/images/${side}`), { timeout: 60000 });
			await page.setInputFiles(`#file-${side}`, file);
			const r = await put;
			await page.waitForSelector(`#step-${side}:not([data-state="uploading"])`, { timeout: 10000 });
			return r;
		};
		let r = await upload('front', env.photos.front);
		ok(r.status() === 200 && await page.getAttribute('#step-front', 'data-state') === 'accepted', 'the retaken front is accepted', r.status());
		const putsBefore = requests.filter((q) => q.method() === 'PUT').map((q) => q.url().split('/').pop());
		ok(putsBefore.join(',') === 'front,front', 'only the front was uploaded again', putsBefore.join(','));

		r = await upload('back', env.photos.back);
		const backSize = await sentSize('back');
		ok(r.status() === 200, 'the back is accepted', r.status());
		ok(backSize && backSize.type === 'image/jpeg' && Math.max(backSize.width, backSize.height) === 2560 &&
			Math.abs(backSize.width / backSize.height - env.truth.back.width / env.truth.back.height) < 0.01,
			`the browser scaled the 3000 px back to 2560 px (${JSON.stringify(backSize)})`);

		r = await upload('holding', env.photos.holding);
		const selfieSize = await sentSize('holding');
		const t = env.truth.holding;
		ok(r.status() === 200, 'the selfie is accepted', `${r.status()} ${(await r.text()).slice(0, 300)}`);
		ok(selfieSize && (selfieSize.width > selfieSize.height) === (t.width > t.height) &&
			Math.abs(selfieSize.width / selfieSize.height - t.width / t.height) < 0.01,
			`the browser turned the selfie upright (EXIF orientation ${t.orientation}: ${JSON.stringify(selfieSize)} for ${t.width}x${t.height})`);
		ok(await page.isEnabled('#submit'), 'submit is enabled once all three passed');
		await shot('05-all-accepted');

		// Submit, the live status, the decision.
		await page.click('#submit');
		await page.waitForSelector('#screen-status:not([hidden])', { timeout: 10000 });
		ok(true, 'the live status view appears after submit');
		await shot('06-status');
		await page.waitForSelector('#screen-final:not([hidden])', { timeout: 90000 });
		const outcome = await page.getAttribute('#screen-final', 'data-outcome');
		const finalTitle = await page.textContent('#final-title');
		ok(outcome === 'approved' && finalTitle === '认证通过', 'the final screen shows the approval', `${outcome} ${finalTitle}`);
		ok(/快递员/.test(await page.textContent('#final-next')), 'and says what happens next');
		await shot('07-approved');
		await page.click('#lang');
		ok(await page.textContent('#final-title') === 'Verified', 'the final screen in English');
		await shot('08-approved-english');

		// The same person declaring another name: the ID check says the
		// name and number disagree, the case is rejected with a reason the
		// customer can act on.
		const wrong = await launcher.send('open-other-name');
		const page3 = await context.newPage();
		watchPage(page3, consoleErrors);
		let lastView = null;
		page3.on('response', async (rs) => {
			if (rs.request().method() === 'GET' && rs.url().endsWith(`/v1/cases/${wrong.case_id}`))
				lastView = await rs.json().catch(() => null);
		});
		await page3.goto(wrong.hosted_url, { waitUntil: 'load' });
		await page3.waitForSelector('#capture:not([hidden])', { timeout: 15000 });
		for (const side of ['front', 'back', 'holding']) {
			await page3.setInputFiles(`#file-${side}`, env.photos[side]);
			await page3.waitForSelector(`#step-${side}[data-state="accepted"]`, { timeout: 60000 });
		}
		await page3.click('#submit');
		await page3.waitForSelector('#screen-final:not([hidden])', { timeout: 90000 });
		const rej = await page3.evaluate(() => ({
			outcome: document.querySelector('#screen-final').dataset.outcome,
			retry: document.querySelector('#screen-final').dataset.retry,
			title: document.querySelector('#final-title').textContent,
			reasons: [...document.querySelectorAll('#final-reasons li')].map((li) => li.dataset.code + ':' + li.textContent),
			next: document.querySelector('#final-next').textContent,
		}));
		ok(rej.outcome === 'rejected' && rej.title === '认证未通过' && rej.retry === 'true' &&
			lastView && lastView.reasons && lastView.reasons.length === 1 && lastView.reasons[0].code === 'identity_mismatch' &&
			rej.reasons.length === 1 && rej.reasons[0] === `identity_mismatch:${lastView.reasons[0].text_zh}` &&
			/重新发起/.test(rej.next), 'a name that does not match the number: rejected, with the reason and that a retry is allowed', JSON.stringify(rej));
		await page3.screenshot({ path: join(shots, '10-rejected.png'), fullPage: true });
		await page3.close();

		// A re-registration: the page names the number being
		// re-registered, masked, in both languages; never all of it.
		const rr = await launcher.send('open-rereg');
		const page5 = await context.newPage();
		watchPage(page5, consoleErrors);
		await page5.goto(rr.hosted_url, { waitUntil: 'load' });
		await page5.waitForSelector('#capture:not([hidden])', { timeout: 15000 });
		await page5.waitForFunction(() => /138\*\*\*\*8000/.test(document.querySelector('h1').textContent), null, { timeout: 15000 });
		const rrZh = await page5.textContent('h1');
		const rrLead = await page5.textContent('.lead');
		await page5.click('#lang');
		const rrEn = await page5.textContent('h1');
		const rrBody = await page5.textContent('body');
		ok(rrZh === '号码 138****8000 补登记' && /补充实名登记/.test(rrLead) &&
			rrEn === 'Re-registering number 138****8000' && !rrBody.includes('13800138000'),
			'a re-registration names its number, masked, in Chinese and English', JSON.stringify([rrZh, rrEn]));
		await page5.click('#lang');
		await page5.close();

		// The ID check does not answer: the case waits (parked), then a
		// person reviews it; the page says so.  Last, so the breaker this
		// opens touches no other case.
		const faults = await launcher.send('faults status=503');
		ok(faults.ok === true, 'the sandbox now fails every ID check');
		const slow = await launcher.send('open');
		const page4 = await context.newPage();
		watchPage(page4, consoleErrors);
		await page4.goto(slow.hosted_url, { waitUntil: 'load' });
		await page4.waitForSelector('#capture:not([hidden])', { timeout: 15000 });
		for (const side of ['front', 'back', 'holding']) {
			await page4.setInputFiles(`#file-${side}`, env.photos[side]);
			await page4.waitForSelector(`#step-${side}[data-state="accepted"]`, { timeout: 60000 });
		}
		await page4.click('#submit');
		await page4.waitForSelector('#screen-status:not([hidden])', { timeout: 10000 });
		const parked = await page4.waitForSelector('#screen-status[data-state="parked"]', { timeout: 30000 }).then(() => true, () => false);
		if (parked)
			await page4.screenshot({ path: join(shots, '11-parked.png'), fullPage: true });
		await page4.waitForSelector('#screen-final:not([hidden])', { timeout: 90000 });
		const rv = await page4.evaluate(() => ({
			outcome: document.querySelector('#screen-final').dataset.outcome,
			title: document.querySelector('#final-title').textContent,
			next: document.querySelector('#final-next').textContent,
		}));
		ok(rv.outcome === 'review' && rv.title === '人工审核中' && /人工核对/.test(rv.next),
			`no answer from the ID check: the page shows the case in review${parked ? ' (after showing it waiting)' : ''}`, JSON.stringify(rv));
		await page4.screenshot({ path: join(shots, '12-review.png'), fullPage: true });
		await page4.close();
		await launcher.send('faults none');

		// A stolen or mistyped link.
		const other = await launcher.send('open');
		const page2 = await context.newPage();
		watchPage(page2, consoleErrors, /Failed to load resource: the server responded with a status of 40[14]/);
		await page2.goto(other.hosted_url.split('#')[0] + '#not-the-token', { waitUntil: 'load' });
		await page2.waitForSelector('#screen-error:not([hidden])', { timeout: 15000 });
		ok(/link|链接/.test(await page2.textContent('#error-title')), 'a wrong token gets the invalid-link screen');
		await page2.screenshot({ path: join(shots, '09-bad-link.png'), fullPage: true });
		await page2.close();

		// Files outside the list are not served.
		const probe = (path) => new Promise((res) => {
			// node:http sends the path as written (no dot-segment folding).
			const req = httpRequest(env.base + '/', { path }, (rs) => { rs.resume(); res(rs.statusCode); });
			req.on('error', () => res(0));
			req.end();
		});
		const probes = [await probe('/static/customer/index.html'), await probe('/static/../deploy/kore.conf.in'),
			await probe('/static/customer/%2e%2e/customer/app.js'), await probe('/static/customer/nope.js')];
		ok(probes.every((s) => s === 404), 'pages, traversal and unknown names under /static/ are 404', probes.join(','));

		// Hygiene over the whole run.
		const csp = await page.evaluate(() => window.__csp);
		ok(csp.length === 0, 'no CSP violations', csp.join('; '));
		ok(consoleErrors.length === 0, 'no console errors', consoleErrors.join(' | '));
		const leaked = requests.filter((q) => q.url().includes(token) || (q.headers().referer || '').includes(token));
		ok(leaked.length === 0, 'the token never appears in a request URL or Referer', leaked.map((q) => q.url()).join(' '));
		const log = readFileSync(env.log, 'utf8');
		ok(!log.includes(token) && !/sandbox violation|ignoring "/.test(log), 'kore log: no token, no seccomp kill, no ignored directive');
	} catch (e) {
		ok(false, 'the run completed', e.stack || e.message);
	} finally {
		if (context)
			await context.close().catch(() => {});
		await launcher.stop();
		rmSync(work, { recursive: true, force: true });
	}
	note(`screenshots in ${shots}`);
	tap.finish();
}

main();
