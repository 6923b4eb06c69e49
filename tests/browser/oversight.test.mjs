// The supervisor pages of issue 9 in Debian's chromium, driven by
// playwright-core, against a real kore holding 300 decided cases
// (oversight-launcher): a supervisor sees the seeded QA sample per
// channel, records an override (the overrides report lists it and the
// order system gets its webhook), sees the dealer rejected at three times
// the overall rate flagged on the channels page with the CSV link, and
// finds the export form; a reviewer is refused ("supervisors only", and
// 403 from the API).  Emits TAP; screenshots go to
// $REALNAME_BROWSER_SHOTS/oversight-*.png.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { consoleLogin, createTap, launchBrowser, loadPlaywright, pageFetch,
	recordCspViolations, screenshots, sleep, startLauncher,
	watchPage } from './lib.mjs';

const shots = process.env.REALNAME_BROWSER_SHOTS || 'browser-shots';
const launcherPath = process.env.REALNAME_OVERSIGHT_LAUNCHER;
const tap = createTap();
const { ok, note } = tap;

const shot = screenshots(tap, shots, 'oversight');

// Logs in and waits for the queue page.
async function login(page, base, name, password) {
	await consoleLogin(page, base, name, password);
	await page.waitForURL(`${base}/review/`, { timeout: 15000 });
}

async function main() {
	const chromium = await loadPlaywright(tap);
	if (!chromium)
		tap.finish();
	if (!launcherPath) {
		ok(false, 'REALNAME_OVERSIGHT_LAUNCHER is set (run through meson test)');
		tap.finish();
	}
	mkdirSync(shots, { recursive: true });
	const work = mkdtempSync(join(tmpdir(), 'rn-oversight-'));
	const launcher = startLauncher(launcherPath, work);
	let context = null;
	try {
		const env = await launcher.ready();
		const base = env.base;
		note(`service at ${base}; eligible decisions web ${env.eligible[0]}, shop ${env.eligible[1]}`);

		context = await launchBrowser(chromium, join(work, 'profile'), {
			viewport: { width: 1366, height: 900 },
			locale: 'zh-CN',
		});
		await recordCspViolations(context);
		const page = context.pages()[0] || await context.newPage();
		const errors = [];
		watchPage(page, errors, /Failed to load resource: the server responded with a status of (401|403)/);

		// The supervisor: the nav offers the three pages.
		await login(page, base, 'sue', env.password);
		await page.waitForSelector('a.nav-sup[href="/review/qa"]:not([hidden])', { timeout: 10000 });
		ok(true, 'a supervisor\'s nav shows QA, channels and export');

		// QA: the seeded sample, each channel its 2 % within one.
		await page.goto(`${base}/review/qa`);
		await page.waitForSelector('#qa-rows tr', { timeout: 10000 });
		const rows = await page.$$eval('#qa-rows tr', (trs) => trs.map((t) => ({
			id: t.dataset.id, channel: t.children[2].textContent, auto: t.children[4].textContent })));
		const per = { web: 0, shop: 0 };
		for (const r of rows)
			per[r.channel] = (per[r.channel] || 0) + 1;
		ok(Math.abs(per.web - env.eligible[0] * 0.02) < 1 && Math.abs(per.shop - env.eligible[1] * 0.02) < 1,
		    'the QA queue holds each channel\'s 2 % sample (within one)', JSON.stringify(per));
		ok(/systematic sampling/.test(await page.textContent('#qa-method')), 'the page states the sampling method');
		await shot(page, '1-qa-queue');

		// Override the first sample.
		const target = rows[0];
		await page.click(`#qa-rows tr[data-id="${target.id}"] td:first-child`);
		await page.waitForSelector('#verdict-box:not([hidden])');
		await page.check('input[name=verdict][value=override]');
		await page.waitForSelector('#override-fields:not([hidden])');
		const to = await page.$eval('#v-to', (s) => s.value);
		if (to === 'rejected') {
			await page.waitForFunction(() => document.querySelectorAll('#v-reason option').length > 0, null, { timeout: 10000 });
			await page.selectOption('#v-reason', 'face_mismatch');
		}
		// Without a comment the page asks for one.
		await page.click('#v-submit');
		ok(/理由|why/i.test(await page.textContent('#v-msg')), 'an override without a comment is refused by the page');
		await page.fill('#v-comment', 'the selfie is a photo of a screen');
		await shot(page, '2-override-form');
		await page.click('#v-submit');
		await page.waitForSelector('#ov-rows tr', { timeout: 10000 });
		const report = await page.textContent('#ov-rows');
		ok(report.includes('sue') && report.includes(target.id.slice(0, 12)) && report.includes('the selfie is a photo of a screen'),
		    'the overrides report lists who, which case and why', report);
		const left = await page.$$eval('#qa-rows tr', (trs) => trs.map((t) => t.dataset.id));
		ok(!left.includes(target.id), 'the overridden sample leaves the queue');
		await shot(page, '3-overrides');
		let hooks = { overrides: 0 };
		for (let i = 0; i < 100 && hooks.overrides < 1; i++) {
			hooks = await launcher.send('hooks');
			if (hooks.overrides < 1)
				await sleep(200);
		}
		ok(hooks.overrides === 1, 'the order system received the override\'s webhook', JSON.stringify(hooks));

		// Channels: the dealer rejected at 3x the overall rate is flagged.
		await page.goto(`${base}/review/channels`);
		await page.waitForSelector('#rows tr', { timeout: 10000 });
		const flagged = await page.$$eval('#rows tr.flagged', (trs) => trs.map((t) => t.dataset.dealer));
		ok(flagged.length === 1 && flagged[0] === 'shop-bad', 'only the dealer rejecting at three times the rate is flagged', JSON.stringify(flagged));
		const badRow = await page.textContent('#rows tr[data-dealer="shop-bad"]');
		ok(/驳回率异常/.test(badRow) && /\/50/.test(badRow), 'its row says why and shows the denominators', badRow);
		ok(/binomial/.test(await page.textContent('#method')), 'the page states the outlier test');
		const csvHref = await page.getAttribute('#csv', 'href');
		const csv = await page.evaluate(async (h) => {
			const r = await fetch(h, { credentials: 'same-origin' });
			return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
		}, csvHref);
		ok(csv.status === 200 && /^text\/csv/.test(csv.type) && /\r\ndealer,shop,shop-bad,50,/.test(csv.text),
		    'the CSV link downloads the same table', `${csv.status} ${csv.type}`);
		await shot(page, '4-channels');

		// Export: the form is there for a supervisor.
		await page.goto(`${base}/review/export`);
		await page.waitForSelector('#export-form', { state: 'visible', timeout: 10000 });
		ok(await page.isHidden('#denied'), 'the export page shows its form to a supervisor');
		await shot(page, '5-export');

		// A reviewer: refused on every supervisor page and API.
		await login(page, base, 'rita', env.password);
		ok(await page.isHidden('a.nav-sup[href="/review/qa"]'), 'a reviewer\'s nav has no supervisor pages');
		for (const p of ['qa', 'channels', 'export']) {
			await page.goto(`${base}/review/${p}`);
			await page.waitForSelector('#denied:not([hidden])', { timeout: 10000 });
		}
		ok(true, 'a reviewer sees "supervisors only" on QA, channels and export');
		const api = [];
		for (const p of ['/review/api/qa/queue', '/review/api/qa/overrides', '/review/api/oversight', '/review/api/oversight.csv'])
			api.push((await pageFetch(page, 'GET', p)).status);
		ok(api.every((s) => s === 403), 'the API answers a reviewer 403', JSON.stringify(api));
		await shot(page, '6-reviewer-refused');

		// Narrow screens: the table scrolls inside its box, the page does not.
		await login(page, base, 'sue', env.password);
		await page.setViewportSize({ width: 390, height: 844 });
		await page.goto(`${base}/review/channels`);
		await page.waitForSelector('#rows tr');
		const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
		ok(overflow <= 1, 'at 390 px the page itself does not scroll sideways', String(overflow));
		await shot(page, '7-narrow');

		const csp = await page.evaluate(() => window.__csp);
		ok(csp.length === 0, 'no CSP violation', JSON.stringify(csp));
		ok(errors.length === 0, 'no console or page errors', JSON.stringify(errors));
	} catch (e) {
		ok(false, 'the oversight journey ran to the end', e.stack || e.message);
	} finally {
		if (context)
			await context.close().catch(() => {});
		await launcher.stop();
		rmSync(work, { recursive: true, force: true });
	}
	tap.finish();
}

main();
