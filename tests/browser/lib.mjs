// Shared pieces of the browser suites: TAP output, the service launcher
// (browser-launcher: real kore + real ID-check sandbox + generated photos),
// Debian's chromium started the one way the project allows, and a watch on
// console errors, page errors and CSP violations.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

// What every page of ours is sent with (service/web.c).
export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; " +
    "img-src 'self' blob: data:; connect-src 'self'; form-action 'none'; " +
    "frame-ancestors 'none'; base-uri 'none'";

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu',
	'--disable-background-networking', '--disable-component-update',
	'--disable-sync'];

// TAP: numbered results, a detail block for failures, the plan at the end.
export function createTap() {
	let n = 0;
	let failed = 0;
	console.log('TAP version 13');
	return {
		ok(cond, name, detail) {
			n++;
			if (cond) {
				console.log(`ok ${n} - ${name}`);
			} else {
				failed++;
				console.log(`not ok ${n} - ${name}`);
				if (detail !== undefined)
					console.log(`  ---\n  detail: ${JSON.stringify(String(detail)).slice(0, 600)}\n  ...`);
			}
			return cond;
		},
		note(s) {
			console.log(`# ${s}`);
		},
		// Prints the plan and exits: 0 only if every case passed.
		finish() {
			console.log(`1..${n}`);
			process.exit(failed || n === 0 ? 1 : 0);
		},
	};
}

// playwright-core from tests/browser/node_modules (deploy/setup), or null.
export async function loadPlaywright(tap) {
	try {
		return (await import('playwright-core')).chromium;
	} catch (e) {
		tap.ok(false, 'playwright-core is installed (deploy/setup puts it in tests/browser/node_modules)', e.message);
		return null;
	}
}

// browser-launcher speaks one JSON line per command; see launcher.c.
export function startLauncher(path, outdir) {
	const child = spawn(path, [outdir], { stdio: ['pipe', 'pipe', 'inherit'] });
	const lines = [];
	const waiters = [];
	createInterface({ input: child.stdout }).on('line', (l) => {
		if (waiters.length)
			waiters.shift()(l);
		else
			lines.push(l);
	});
	const exited = new Promise((res) => child.on('exit', (code) => res(code)));
	function next(ms) {
		if (lines.length)
			return Promise.resolve(lines.shift());
		let timer;
		let waiter;
		return Promise.race([
			new Promise((res) => { waiter = res; waiters.push(res); }),
			exited.then((code) => { throw new Error(`launcher exited (${code})`); }),
			new Promise((_, rej) => {
				timer = setTimeout(() => {
					// A late line must not go to a caller that gave up.
					const i = waiters.indexOf(waiter);
					if (i >= 0)
						waiters.splice(i, 1);
					rej(new Error('launcher timeout'));
				}, ms);
			}),
		]).finally(() => clearTimeout(timer));
	}
	return {
		child, exited,
		// The first line: base URL, log path, photo paths, their truth.
		async ready() { return JSON.parse(await next(240000)); },
		// One command ("open", "open-other-name", "faults SPEC").
		async send(cmd) {
			child.stdin.write(`${cmd}\n`);
			return JSON.parse(await next(30000));
		},
		stop() { child.stdin.end(); return exited; },
	};
}

// A fresh profile in profileDir; options go to launchPersistentContext.
export function launchBrowser(chromium, profileDir, options) {
	return chromium.launchPersistentContext(profileDir, {
		executablePath: CHROMIUM,
		headless: true,
		args: CHROMIUM_ARGS,
		...options,
	});
}

// Records CSP violations in every page of the context (injected by the
// browser, so the page's own CSP does not apply to it).
export async function recordCspViolations(context) {
	await context.addInitScript(() => {
		window.__csp = [];
		document.addEventListener('securitypolicyviolation', (e) => {
			window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
		});
	});
}

// Console errors and page errors of a page into errors; messages matching
// allowed (a RegExp) are expected (e.g. a 4xx a test provokes).
export function watchPage(page, errors, allowed) {
	page.on('console', (m) => {
		if (m.type() === 'error' && !(allowed && allowed.test(m.text())))
			errors.push(m.text());
	});
	page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
}

// The console suites' shared steps.
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A full-page screenshot in dir as <prefix>-<name>.png, noted in the TAP.
export function screenshots(tap, dir, prefix) {
	return async (page, name) => {
		const path = `${dir}/${prefix}-${name}.png`;
		await page.screenshot({ path, fullPage: true });
		tap.note(`screenshot ${path}`);
	};
}

// Fills in and sends the console's login form.
export async function consoleLogin(page, base, name, password) {
	await page.goto(`${base}/review/login`);
	await page.fill('#name', name);
	await page.fill('#password', password);
	await page.click('#login-submit');
}

// A fetch from inside the page (same origin, the session's cookie): the
// status and the JSON body (null if none).
export function pageFetch(page, method, path, body, csrf) {
	return page.evaluate(async ({ method, path, body, csrf }) => {
		const headers = { 'Content-Type': 'application/json' };
		if (csrf)
			headers['X-CSRF-Token'] = csrf;
		const r = await fetch(path, { method, headers, credentials: 'same-origin', body: method === 'GET' ? undefined : JSON.stringify(body || {}) });
		let data = null;
		try { data = await r.json(); } catch (e) { data = null; }
		return { status: r.status, data };
	}, { method, path, body, csrf });
}
