// Login: JSON only (the server refuses a cross-site form), then on to the
// page that sent us here (same-origin paths under /review/ only).
'use strict';

document.addEventListener('DOMContentLoaded', () => {
	const form = document.getElementById('login-form');
	const err = document.getElementById('login-error');
	const name = document.getElementById('name');
	name.focus();
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		err.hidden = true;
		const btn = document.getElementById('login-submit');
		btn.disabled = true;
		try {
			const r = await RC.api('POST', '/review/login', {
				name: name.value.trim(),
				password: document.getElementById('password').value,
			});
			if (r.status === 200) {
				const next = new URLSearchParams(location.search).get('next') || '';
				location.assign(/^\/review\/[a-z0-9/]*$/.test(next) && next !== '/review/login' ? next : '/review/');
				return;
			}
			err.textContent = r.status === 429 ?
			    '密码错误次数过多，账号已暂时锁定，请稍后再试。Too many wrong passwords: the account is locked for a while.' :
			    r.status === 401 ? '账号或密码错误。Wrong name or password.' :
			    `登录失败（${r.status}）。`;
			err.hidden = false;
			document.getElementById('password').select();
		} catch (e) {
			err.textContent = '网络错误，请重试。';
			err.hidden = false;
		} finally {
			btn.disabled = false;
		}
	});
});
