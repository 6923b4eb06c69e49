// The reviewer console in Debian's chromium, driven by playwright-core,
// against a real kore, the real ID-check sandbox and a webhook receiver
// (review-launcher).  Two generated cases reach review through the real
// API and pipeline: one with the ID check's MATCH (approved here, and the
// order system gets the webhook), one with a MISMATCH (approval refused,
// rejected with a reason).  Then: a POST without the CSRF token is 403, a
// reviewer cannot open the statistics (403) while a supervisor sees the
// charts, an auditor cannot decide, an idle session goes back to the
// login page, and five wrong passwords lock an account.  Emits TAP;
// screenshots go to $REALNAME_BROWSER_SHOTS/review-*.png.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { consoleLogin, createTap, launchBrowser, loadPlaywright, pageFetch,
	recordCspViolations, screenshots, sleep, startLauncher,
	watchPage } from './lib.mjs';

const shots = process.env.REALNAME_BROWSER_SHOTS || 'browser-shots';
const launcherPath = process.env.REALNAME_REVIEW_LAUNCHER;
const tap = createTap();
const { ok, note } = tap;

const shot = screenshots(tap, shots, 'review');
const login = consoleLogin;

async function main() {
	const chromium = await loadPlaywright(tap);
	if (!chromium)
		tap.finish();
	if (!launcherPath) {
		ok(false, 'REALNAME_REVIEW_LAUNCHER is set (run through meson test)');
		tap.finish();
	}
	mkdirSync(shots, { recursive: true });
	const work = mkdtempSync(join(tmpdir(), 'rn-review-'));
	const launcher = startLauncher(launcherPath, work);
	let context = null;
	try {
		const env = await launcher.ready();
		const base = env.base;
		const pw = env.password;
		note(`service at ${base}, generated person ${env.person}`);
		const match = await launcher.send('review-match');
		const mismatch = await launcher.send('review-mismatch');
		ok(match.state === 'REVIEW', 'the genuine person reaches review through the pipeline (with the ID check\'s MATCH)', JSON.stringify(match));
		ok(mismatch.state === 'REVIEW', 'a case declaring another name reaches review (MISMATCH)', JSON.stringify(mismatch));

		context = await launchBrowser(chromium, join(work, 'profile'), {
			viewport: { width: 1366, height: 900 },
			locale: 'zh-CN',
		});
		await recordCspViolations(context);
		const page = context.pages()[0] || await context.newPage();
		const errors = [];
		// 4xx answers the test provokes on purpose are logged by chromium.
		watchPage(page, errors, /Failed to load resource: the server responded with a status of (401|403|409|429)/);

		// Not logged in: the console sends us to its login page.
		await page.goto(`${base}/review/`);
		await page.waitForURL(/\/review\/login\?next=/, { timeout: 10000 });
		ok(true, 'without a session the queue goes to the login page');
		await shot(page, '1-login');

		await login(page, base, 'rev1', pw);
		await page.waitForURL(`${base}/review/`, { timeout: 15000 });
		await page.waitForSelector(`#queue-rows tr[data-id="${match.case_id}"]`, { timeout: 10000 });
		const rows = await page.$$eval('#queue-rows tr', (trs) => trs.map((t) => t.dataset.id));
		ok(rows.includes(match.case_id) && rows.includes(mismatch.case_id), 'both review cases are in the queue', rows);
		ok(rows.indexOf(match.case_id) < rows.indexOf(mismatch.case_id), 'oldest first');
		const chips = await page.textContent(`#queue-rows tr[data-id="${mismatch.case_id}"]`);
		ok(/identity_mismatch/.test(chips) && /reused_image/.test(chips), 'the queue shows each case\'s reasons', chips);
		await shot(page, '2-queue');

		// The MISMATCH case: j moves to it, Enter opens it.
		await page.keyboard.press('j');
		await page.keyboard.press('Enter');
		await page.waitForURL(`${base}/review/case/${mismatch.case_id}`);
		await page.waitForSelector('#c-state:has-text("REVIEW")');
		ok(await page.isVisible('#photos-locked'), 'photos are withheld until the case is claimed');
		await page.keyboard.press('c');
		await page.waitForSelector('#release:not([hidden])', { timeout: 10000 });
		await page.waitForFunction(() => [...document.querySelectorAll('.photo img')].length === 3 &&
		    [...document.querySelectorAll('.photo img')].every((i) => i.complete && i.naturalWidth > 0), null, { timeout: 15000 });
		ok(true, 'after the claim the three photos load (decrypted, same origin)');
		ok(await page.isVisible('#c-nomatch'), 'the console explains that without a MATCH the case cannot be approved');
		ok(await page.isDisabled('#d-approve'), 'approve is not offered');
		const dups = await page.textContent('#dups');
		ok(/在另一案件中出现/.test(dups) && await page.$(`#dups a[href="/review/case/${match.case_id}"]`) !== null,
		    'the reused photos link to the other case', dups);
		await page.keyboard.press('a');
		ok(/不能批准/.test(await page.textContent('#decide-error')), 'pressing a says why approval is refused');
		// The server refuses it too.
		const csrf = await page.evaluate(() => RC.session.csrf);
		const refused = await pageFetch(page, 'POST', `/review/api/cases/${mismatch.case_id}/decide`, { decision: 'approve' }, csrf);
		ok(refused.status === 409 && refused.data.error.code === 'approve_needs_match', 'the API refuses the approval (409 approve_needs_match)', JSON.stringify(refused));
		await page.keyboard.press('r');
		await page.selectOption('#d-reason', 'identity_mismatch');
		await page.fill('#d-comment', 'name does not match the registry');
		await shot(page, '3-case-mismatch');
		await page.keyboard.press('Control+Enter');
		await page.waitForSelector('#decide-done:not([hidden])', { timeout: 10000 });
		ok(/REJECTED/.test(await page.textContent('#decide-done')), 'rejected with a reason');
		ok((await launcher.send(`state ${mismatch.case_id}`)).state === 'REJECTED', 'the store holds REJECTED');

		// The MATCH case: evidence with overlays, scores, then approve.
		await page.goto(`${base}/review/case/${match.case_id}`);
		await page.waitForSelector('#c-state:has-text("REVIEW")');
		await page.click('#claim');
		await page.waitForFunction(() => [...document.querySelectorAll('.photo img')].length === 3 &&
		    [...document.querySelectorAll('.photo img')].every((i) => i.complete && i.naturalWidth > 0), null, { timeout: 15000 });
		const overlay = await page.evaluate(() => ({
			quads: document.querySelectorAll('.photo svg.overlay polygon.quad').length,
			numbers: document.querySelectorAll('.photo[data-side="front"] svg.overlay polygon.number').length,
			faces: document.querySelectorAll('.photo svg.overlay rect').length,
			crops: document.querySelectorAll('.crop svg image').length,
			scores: [...document.querySelectorAll('.score .v')].map((e) => e.textContent),
			limits: [...document.querySelectorAll('.score .muted')].map((e) => e.textContent),
		}));
		ok(overlay.quads >= 3, 'the card outline is drawn on all three photos', JSON.stringify(overlay));
		ok(overlay.numbers === 1, 'the number line is drawn on the front', JSON.stringify(overlay));
		ok(overlay.faces >= 3, 'face boxes are drawn', JSON.stringify(overlay));
		ok(overlay.crops === 3, 'live face, card-in-selfie and front portrait crops side by side', JSON.stringify(overlay));
		ok(overlay.scores.length === 3 && overlay.scores.every((s) => /^-?\d\.\d{3}$/.test(s)) && overlay.limits.every((s) => /阈值/.test(s)),
		    'scores with their thresholds', JSON.stringify(overlay));
		ok(/match/.test(await page.textContent('#upstream')), 'the ID check\'s raw answer is shown (match)');
		ok(!(await page.isDisabled('#d-approve')) && !(await page.isVisible('#c-nomatch')), 'approve is offered with a MATCH');
		await shot(page, '4-case-match');
		await page.keyboard.press('a');
		await page.fill('#d-comment', 'guardian consent on file');
		await page.keyboard.press('Control+Enter');
		await page.waitForSelector('#decide-done:not([hidden])', { timeout: 10000 });
		ok(/APPROVED/.test(await page.textContent('#decide-done')), 'approved by the reviewer');
		await shot(page, '5-approved');
		let hooks = [];
		for (let i = 0; i < 100; i++) {
			hooks = (await launcher.send('hooks')).hooks.filter((h) => h && h.decided_by === 'reviewer');
			if (hooks.length >= 2)
				break;
			await sleep(200);
		}
		const approved = hooks.find((h) => h.case_id === match.case_id);
		const rejected = hooks.find((h) => h.case_id === mismatch.case_id);
		ok(approved && approved.outcome === 'approved', 'the order system\'s receiver gets the approval webhook', JSON.stringify(hooks));
		ok(rejected && rejected.outcome === 'rejected' && rejected.reasons[0].code === 'identity_mismatch',
		    'and the rejection with its reason', JSON.stringify(hooks));
		const history = await page.textContent('#history');
		ok(/reviewer:rev1/.test(history) && /review\.decided/.test(history), 'the case history names the reviewer', history.slice(0, 300));

		// CSRF: a POST without the token is refused.
		const noToken = await pageFetch(page, 'POST', `/review/api/cases/${mismatch.case_id}/claim`, {}, null);
		ok(noToken.status === 403 && noToken.data.error.code === 'csrf_invalid', 'a POST without the CSRF token: 403', JSON.stringify(noToken));

		// A reviewer cannot open the supervisor statistics.
		await page.goto(`${base}/review/stats`);
		await page.waitForSelector('#stats-denied:not([hidden])', { timeout: 10000 });
		const statsApi = await pageFetch(page, 'GET', '/review/api/stats');
		ok(statsApi.status === 403, 'a reviewer gets 403 for the statistics', statsApi.status);
		await page.click('#logout');
		await page.waitForURL(/\/review\/login/);

		// A supervisor sees them, as charts.
		await login(page, base, 'sup1', pw);
		await page.waitForURL(`${base}/review/`);
		await page.goto(`${base}/review/stats`);
		await page.waitForSelector('#stats:not([hidden])', { timeout: 10000 });
		const stats = await page.evaluate(() => ({
			decided: document.getElementById('s-decided').textContent,
			rate: document.getElementById('s-rate').textContent,
			bars: document.querySelectorAll('svg.chart rect.bar').length,
		}));
		ok(stats.decided === '2' && stats.rate === '50.0%' && stats.bars >= 8, 'the supervisor\'s statistics: volume, approval rate, charts', JSON.stringify(stats));
		await shot(page, '6-stats');
		await page.click('#logout');
		await page.waitForURL(/\/review\/login/);

		// An auditor reads but cannot decide.
		const third = await launcher.send('review-match');
		await login(page, base, 'aud1', pw);
		await page.waitForURL(`${base}/review/`);
		await page.goto(`${base}/review/case/${third.case_id}`);
		await page.waitForSelector('#readonly:not([hidden])', { timeout: 10000 });
		ok(await page.isHidden('#decide') && await page.isHidden('#claim'), 'an auditor gets no claim button and no decision form');
		const acsrf = await page.evaluate(() => RC.session.csrf);
		const audClaim = await pageFetch(page, 'POST', `/review/api/cases/${third.case_id}/claim`, {}, acsrf);
		const audDecide = await pageFetch(page, 'POST', `/review/api/cases/${third.case_id}/decide`, { decision: 'reject', reason: 'face_mismatch' }, acsrf);
		ok(audClaim.status === 403 && audDecide.status === 403, 'an auditor cannot claim or decide (403)', `${audClaim.status} ${audDecide.status}`);
		ok(await page.$$eval('.photo img', (imgs) => imgs.length) === 3, 'an auditor sees the photos');

		// Idle past review_session_idle_s: back to the login page.
		await sleep((env.idle_s + 2) * 1000);
		await page.reload();
		await page.waitForURL(/\/review\/login\?next=/, { timeout: 10000 });
		ok(true, `an idle session (over ${env.idle_s} s) goes back to the login page`);

		// Five wrong passwords lock the account, the right one included.
		for (let i = 0; i < 5; i++) {
			await login(page, base, 'rev2', 'not the password');
			await page.waitForSelector('#login-error:not([hidden])');
		}
		await login(page, base, 'rev2', pw);
		await page.waitForSelector('#login-error:not([hidden])');
		const locked = await page.textContent('#login-error');
		ok(/锁定/.test(locked) && page.url().includes('/review/login'), 'after five wrong passwords the right one is refused: locked', locked);
		await shot(page, '7-locked');

		const csp = await page.evaluate(() => window.__csp);
		ok(csp.length === 0, 'no CSP violation', JSON.stringify(csp));
		ok(errors.length === 0, 'no console or page errors', JSON.stringify(errors));
	} catch (e) {
		ok(false, 'the review journey ran to the end', e.stack || e.message);
	} finally {
		if (context)
			await context.close().catch(() => {});
		await launcher.stop();
		rmSync(work, { recursive: true, force: true });
	}
	tap.finish();
}

main();
