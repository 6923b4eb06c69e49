/*
 * Customer capture page: three photos (ID card front, back, selfie
 * holding the card), each checked by the service as soon as it arrives,
 * then submit and follow the case to its decision.
 *
 * The upload token arrives in the URL fragment (never sent to a server),
 * is moved to sessionStorage and removed from the address bar at once.
 * Photos are decoded with their EXIF orientation applied, scaled to at
 * most 2560 px on the long side and re-encoded as JPEG before upload
 * (which also drops their metadata, location included).
 */
(function () {
	'use strict';

	var MAX_SIDE = 2560;
	var JPEG_QUALITY = 0.9;
	var SIDES = ['front', 'back', 'holding'];
	var FINAL = { approved: 1, rejected: 1, review: 1, expired: 1 };

	var TEXT = {
		'zh-CN': {
			'title': '实名认证',
			'lead': '按国家规定，办理电话卡需实名登记。请按以下三步拍摄照片，大约需要两分钟。',
			'title.rereg': '号码 {n} 补登记',
			'lead.rereg': '按国家规定，在用的手机号码 {n} 需补充实名登记。请机主本人按以下三步拍摄照片，大约需要两分钟。',
			'final.approved.rereg': '补登记完成',
			'final.approved.next.rereg': '号码 {n} 已完成实名补登记，可继续正常使用，无需其他操作。',
			'final.rejected.retry.rereg': '请按上面的提示核对后，通过短信中的链接或联系客服重新办理补登记。',
			'final.rejected.final.rereg': '很抱歉，号码 {n} 无法完成补登记。请携带身份证到营业厅办理或联系客服。',
			'final.expired.next.rereg': '请通过短信中的链接或联系客服重新办理补登记。',
			'track': '进度',
			'front.short': '人像面', 'back.short': '国徽面', 'holding.short': '手持证件',
			'front.title': '拍摄身份证人像面',
			'back.title': '拍摄身份证国徽面',
			'holding.title': '本人手持身份证自拍',
			'front.good': '正确示例：人像面平放，四角完整，画面清晰',
			'back.good': '正确示例：国徽面平放，有效期限清晰可读',
			'holding.good': '正确示例：正脸清晰，手持人像面置于胸前，不遮挡面部',
			'tip.flat': '将证件放在深色平整的桌面上，手机与证件平行',
			'tip.corners': '证件四个角都在画面内，占画面大部分',
			'tip.light': '光线充足，避免灯光直射造成反光',
			'tip.back': '翻到有国徽的一面，确保有效期限文字清晰',
			'tip.face': '正对镜头，摘下帽子和墨镜，睁开眼睛',
			'tip.hold': '手持身份证人像面，证件不要挡住脸',
			'tip.alone': '画面中只有您本人',
			'mistakes': '常见错误',
			'bad.blur': '模糊', 'bad.glare': '反光', 'bad.cut': '边角不全',
			'bad.side': '拍成人像面', 'bad.small': '太远太小', 'bad.multi': '多张证件',
			'bad.cover': '证件挡脸', 'bad.far': '离得太远', 'bad.dark': '光线太暗',
			'progress': '上传进度',
			'pick': '拍照或选择照片',
			'retake': '重拍这一张',
			'replace': '换一张',
			'submit': '提交认证',
			'submit.hint': '三张照片都通过后即可提交。',
			'submit.wait': '正在提交…',
			'status.title': '正在核验，请稍候',
			'status.keep': '您可以保持此页面打开，结果出来后会自动显示。',
			'stage.submitted': '照片已提交',
			'stage.processing': '核对证件与本人照片',
			'stage.decided': '得出结果',
			'state.submitted': '已提交，正在排队核验。',
			'state.processing': '正在核对您的证件和照片…',
			'state.parked': '正在等待身份核查结果，请稍候…',
			'privacy': '照片仅用于本次实名认证，传输加密，按规定期限保存后删除。',
			'preparing': '正在处理照片…',
			'uploading': '正在上传 {p}%',
			'checking': '已上传，正在检查照片质量…',
			'accepted': '✓ 照片合格',
			'retake.msg': '这张照片需要重拍：',
			'attempts': '本项还可上传 {n} 次',
			'attempts.none': '本项的上传次数已用完',
			'err.decode': '无法读取这张照片，请使用相机拍摄的 JPEG 照片。',
			'err.network': '上传失败，请检查网络后重试。',
			'err.server': '服务暂时不可用，请稍后重试。',
			'err.exhausted': '本项的上传次数已用完，请联系商家获取新的认证链接。',
			'err.too_large': '照片太大，请重新拍摄。',
			'err.closed': '此认证已提交，无法再上传照片。',
			'err.missing': '还有照片未通过：{s}',
			'final.approved': '认证通过',
			'final.approved.next': '您的订单将尽快发货。快递员送货时会核对身份证，请本人携带身份证签收。',
			'final.rejected': '认证未通过',
			'final.rejected.retry': '请按上面的提示核对后，回到订单页面重新发起认证。',
			'final.rejected.final': '很抱歉，此订单无法办理。如有疑问请联系客服。',
			'final.review': '人工审核中',
			'final.review.next': '我们需要人工核对您的资料。审核完成后，结果会显示在此页面，商家也会通知您。',
			'final.expired': '认证已过期',
			'final.expired.next': '请回到订单页面重新发起认证。',
			'error.token': '链接无效或已过期',
			'error.token.text': '请从订单页面或短信中重新打开认证链接。',
			'error.server': '服务暂时不可用',
			'error.server.text': '请稍后刷新页面重试。',
			'lang.switch': 'English',
			'lang.label': 'Switch to English'
		},
		'en': {
			'title': 'Identity verification',
			'lead': 'By law, a SIM card must be registered to its owner. Take the three photos below; it takes about two minutes.',
			'title.rereg': 'Re-registering number {n}',
			'lead.rereg': 'By law, the number {n} you already use must be registered to its owner. The owner should take the three photos below; it takes about two minutes.',
			'final.approved.rereg': 'Re-registration complete',
			'final.approved.next.rereg': 'Number {n} is now registered to you and keeps working as before. Nothing else to do.',
			'final.rejected.retry.rereg': 'Please check what is said above, then re-register again from the link in your text message or through customer service.',
			'final.rejected.final.rereg': 'Sorry, number {n} cannot be re-registered here. Please visit a store with your ID card or contact customer service.',
			'final.expired.next.rereg': 'Please re-register again from the link in your text message or through customer service.',
			'track': 'Progress',
			'front.short': 'Photo side', 'back.short': 'Emblem side', 'holding.short': 'Selfie',
			'front.title': 'Photograph the photo side of your ID card',
			'back.title': 'Photograph the emblem side of your ID card',
			'holding.title': 'Take a selfie holding your ID card',
			'front.good': 'Good: the photo side lying flat, all four corners in, sharp',
			'back.good': 'Good: the emblem side lying flat, the validity dates readable',
			'holding.good': 'Good: your face clear and straight on, the card\'s photo side held below it',
			'tip.flat': 'Lay the card on a dark, flat surface and hold the phone parallel to it',
			'tip.corners': 'Get all four corners in; the card should fill most of the picture',
			'tip.light': 'Use good light and avoid reflections from lamps',
			'tip.back': 'Turn the card to the side with the national emblem; the dates must be sharp',
			'tip.face': 'Look straight at the camera, no hat or sunglasses, eyes open',
			'tip.hold': 'Hold the photo side of the card; do not cover your face',
			'tip.alone': 'Only you in the picture',
			'mistakes': 'Common mistakes',
			'bad.blur': 'Blurry', 'bad.glare': 'Glare', 'bad.cut': 'Corners cut off',
			'bad.side': 'Wrong side', 'bad.small': 'Too far away', 'bad.multi': 'Two cards',
			'bad.cover': 'Card covers face', 'bad.far': 'Too far away', 'bad.dark': 'Too dark',
			'progress': 'Upload progress',
			'pick': 'Take or choose a photo',
			'retake': 'Retake this photo',
			'replace': 'Use another photo',
			'submit': 'Submit',
			'submit.hint': 'You can submit once all three photos have passed.',
			'submit.wait': 'Submitting…',
			'status.title': 'Checking, please wait',
			'status.keep': 'You can keep this page open; the result will appear here.',
			'stage.submitted': 'Photos submitted',
			'stage.processing': 'Checking your card and photos',
			'stage.decided': 'Result',
			'state.submitted': 'Submitted, waiting to be checked.',
			'state.processing': 'Checking your card and photos…',
			'state.parked': 'Waiting for the national ID check, please wait…',
			'privacy': 'Your photos are used only for this verification, sent encrypted, and deleted after the period the law sets.',
			'preparing': 'Preparing the photo…',
			'uploading': 'Uploading {p}%',
			'checking': 'Uploaded, checking the photo…',
			'accepted': '✓ Photo accepted',
			'retake.msg': 'Please take this photo again:',
			'attempts': '{n} attempts left for this photo',
			'attempts.none': 'No attempts left for this photo',
			'err.decode': 'This photo cannot be read. Please use a JPEG photo from your camera.',
			'err.network': 'The upload failed. Check your connection and try again.',
			'err.server': 'The service is busy. Please try again shortly.',
			'err.exhausted': 'No attempts left for this photo. Please ask the shop for a new verification link.',
			'err.too_large': 'The photo is too large. Please take it again.',
			'err.closed': 'This verification was already submitted; no more photos can be added.',
			'err.missing': 'Still missing: {s}',
			'final.approved': 'Verified',
			'final.approved.next': 'Your order will ship soon. The courier will check your ID card at the door: please receive it yourself and have the card with you.',
			'final.rejected': 'Not verified',
			'final.rejected.retry': 'Please check what is said above, then start the verification again from your order page.',
			'final.rejected.final': 'Sorry, this order cannot go ahead. Please contact customer service if you have questions.',
			'final.review': 'Being reviewed',
			'final.review.next': 'A member of our team needs to check your details. When they are done, the result will show on this page and the shop will let you know.',
			'final.expired': 'Verification expired',
			'final.expired.next': 'Please start the verification again from your order page.',
			'error.token': 'This link is not valid or has expired',
			'error.token.text': 'Please open the verification link again from your order page or SMS.',
			'error.server': 'The service is unavailable',
			'error.server.text': 'Please reload the page in a moment.',
			'lang.switch': '中文',
			'lang.label': '切换到中文'
		}
	};

	/* Client-side texts for image errors that carry no reason list. */
	var IMAGE_ERRORS = {
		unsupported_media_type: 'err.decode',
		image_too_large: 'err.too_large',
		payload_too_large: 'err.too_large'
	};

	var caseId = null;
	var token = null;
	var lang = 'zh-CN';
	var sides = {};
	var view = 'loading';		/* capture, status, final, error */
	var caseView = null;
	var errorKey = null;
	var pollTimer = null;
	var submitting = false;

	/* A re-registration names its number, masked (138****8000). */
	function rereg() {
		return caseView !== null && caseView.kind === 'reregistration' &&
		    typeof caseView.msisdn_masked === 'string';
	}

	function t(key, args) {
		var s;

		/* Re-registration wording where it differs: key + '.rereg'. */
		if (rereg() && TEXT['zh-CN'][key + '.rereg'] !== undefined) {
			key = key + '.rereg';
			args = Object.assign({ n: caseView.msisdn_masked },
			    args || {});
		}
		s = TEXT[lang][key];
		if (s === undefined)
			s = TEXT['zh-CN'][key] || key;
		if (args) {
			Object.keys(args).forEach(function (k) {
				s = s.replace('{' + k + '}', args[k]);
			});
		}
		return s;
	}

	function $(sel, root) {
		return (root || document).querySelector(sel);
	}

	function reasonText(r) {
		return lang === 'en' ? (r.text_en || r.text_zh || r.code) :
		    (r.text_zh || r.text_en || r.code);
	}

	/* The token: from the fragment once, then from sessionStorage. */
	function takeToken() {
		var m = /^\/c\/([0-9a-f]{32})$/.exec(location.pathname);
		var key, frag;

		if (!m)
			return false;
		caseId = m[1];
		key = 'realname.token.' + caseId;
		frag = location.hash.replace(/^#/, '');
		if (frag.length > 0) {
			token = decodeURIComponent(frag);
			try {
				sessionStorage.setItem(key, token);
			} catch (e) { /* private mode: kept in memory only */ }
			history.replaceState(null, '', location.pathname +
			    location.search);
		} else {
			try {
				token = sessionStorage.getItem(key);
			} catch (e) {
				token = null;
			}
		}
		return !!token;
	}

	function api(method, path, body, onProgress) {
		return new Promise(function (resolve) {
			var xhr = new XMLHttpRequest();

			xhr.open(method, path);
			xhr.setRequestHeader('Authorization', 'Bearer ' + token);
			if (body)
				xhr.setRequestHeader('Content-Type', 'image/jpeg');
			xhr.responseType = 'text';
			xhr.timeout = 120000;
			if (onProgress && xhr.upload) {
				xhr.upload.onprogress = function (ev) {
					if (ev.lengthComputable)
						onProgress(ev.loaded / ev.total);
				};
			}
			xhr.onload = function () {
				var json = null;

				try {
					json = JSON.parse(xhr.responseText);
				} catch (e) { /* not JSON */ }
				resolve({ status: xhr.status, body: json });
			};
			xhr.onerror = xhr.ontimeout = function () {
				resolve({ status: 0, body: null });
			};
			xhr.send(body || null);
		});
	}

	/* Orientation applied, long side at most MAX_SIDE, JPEG. */
	function preparePhoto(file) {
		return createImageBitmap(file, { imageOrientation: 'from-image' })
		    .then(function (bmp) {
			var scale = Math.min(1, MAX_SIDE / Math.max(bmp.width,
			    bmp.height));
			var w = Math.max(1, Math.round(bmp.width * scale));
			var h = Math.max(1, Math.round(bmp.height * scale));
			var canvas = document.createElement('canvas');
			var ctx;

			canvas.width = w;
			canvas.height = h;
			ctx = canvas.getContext('2d');
			ctx.imageSmoothingQuality = 'high';
			ctx.drawImage(bmp, 0, 0, w, h);
			bmp.close();
			return new Promise(function (resolve, reject) {
				canvas.toBlob(function (blob) {
					canvas.width = canvas.height = 0;
					if (blob)
						resolve(blob);
					else
						reject(new Error('encode'));
				}, 'image/jpeg', JPEG_QUALITY);
			});
		});
	}

	function setSide(side, patch) {
		Object.keys(patch).forEach(function (k) {
			sides[side][k] = patch[k];
		});
		render();
	}

	function upload(side, file) {
		var s = sides[side];

		if (s.previewUrl) {
			URL.revokeObjectURL(s.previewUrl);
			s.previewUrl = null;
		}
		setSide(side, { state: 'uploading', phase: 'preparing',
		    progress: 0, reasons: [], errorKey: null });
		preparePhoto(file).then(function (blob) {
			sides[side].previewUrl = URL.createObjectURL(blob);
			setSide(side, { phase: 'uploading' });
			return api('PUT', '/v1/cases/' + caseId + '/images/' +
			    side, blob, function (f) {
				setSide(side, { progress: Math.round(f * 100),
				    phase: f >= 1 ? 'checking' : 'uploading' });
			});
		}, function () {
			setSide(side, { state: 'error', errorKey: 'err.decode' });
			return null;
		}).then(function (r) {
			if (r)
				uploaded(side, r);
		});
	}

	function uploaded(side, r) {
		var b = r.body || {};
		var code = b.error ? b.error.code : null;

		if (typeof b.attempts_left === 'number')
			sides[side].attemptsLeft = b.attempts_left;
		if (r.status === 200 && b.accepted) {
			setSide(side, { state: 'accepted' });
			focusNext(side);
		} else if (r.status === 422 && code === 'retake') {
			setSide(side, { state: 'retake', reasons: b.reasons || [] });
		} else if (r.status === 422 || r.status === 415 ||
		    r.status === 413) {
			setSide(side, { state: 'error',
			    errorKey: IMAGE_ERRORS[code] || 'err.decode' });
			/* Such answers carry no count; the case view does. */
			refresh();
		} else if (r.status === 429) {
			setSide(side, { state: 'error', attemptsLeft: 0,
			    errorKey: 'err.exhausted' });
		} else if (r.status === 401) {
			showError('error.token', 'error.token.text');
		} else if (r.status === 409) {
			setSide(side, { state: 'error', errorKey: 'err.closed' });
			refresh();
		} else if (r.status === 0) {
			setSide(side, { state: 'error', errorKey: 'err.network' });
		} else {
			setSide(side, { state: 'error', errorKey: 'err.server' });
		}
	}

	function focusNext(side) {
		var i, next;

		for (i = 0; i < SIDES.length; i++) {
			next = SIDES[i];
			if (sides[next].state !== 'accepted') {
				$('#step-' + next).scrollIntoView({
				    behavior: 'smooth', block: 'start' });
				return;
			}
		}
		$('#submit').scrollIntoView({ behavior: 'smooth',
		    block: 'center' });
	}

	function submit() {
		if (submitting)
			return;
		submitting = true;
		$('#submit-message').textContent = '';
		render();
		api('POST', '/v1/cases/' + caseId + '/submit').then(function (r) {
			var missing;

			submitting = false;
			if (r.status === 202) {
				/* Keep what the submit answer does not repeat. */
				caseView = Object.assign({}, caseView || {},
				    r.body && r.body.state ? r.body :
				    { state: 'submitted' });
				showCase(caseView);
			} else if (r.status === 409 && r.body &&
			    r.body.missing) {
				missing = r.body.missing.map(function (s) {
					return t(s + '.short');
				}).join('、');
				$('#submit-message').textContent =
				    t('err.missing', { s: missing });
				refresh();
			} else if (r.status === 401) {
				showError('error.token', 'error.token.text');
			} else {
				$('#submit-message').textContent =
				    t(r.status === 0 ? 'err.network' :
				    'err.server');
				render();
			}
		});
	}

	/* Reads the case and shows the view its state calls for. */
	function refresh() {
		return api('GET', '/v1/cases/' + caseId).then(function (r) {
			if (r.status === 200 && r.body) {
				showCase(r.body);
			} else if (r.status === 401 || r.status === 404) {
				/* Either way the link does not work. */
				showError('error.token', 'error.token.text');
			} else if (view === 'status' || view === 'final') {
				schedulePoll(5000);
			} else {
				showError('error.server', 'error.server.text');
			}
		});
	}

	function showCase(c) {
		var before = view;

		caseView = c;
		if (c.sides) {
			SIDES.forEach(function (side) {
				var cs = c.sides[side];
				var s = sides[side];

				if (!cs)
					return;
				s.attemptsLeft = cs.attempts_left;
				if (cs.accepted && s.state !== 'uploading')
					s.state = 'accepted';
			});
		}
		if (c.state === 'open') {
			view = 'capture';
		} else if (FINAL[c.state]) {
			view = 'final';
			/* A reviewer may still decide: look again now and then. */
			if (c.state === 'review')
				schedulePoll(10000);
		} else {
			view = 'status';
			schedulePoll(1500);
		}
		render();
		/* Move focus to the outcome once, not at every later poll. */
		if (view === 'final' && before !== 'final')
			$('#final-title').focus();
	}

	function schedulePoll(ms) {
		if (pollTimer)
			clearTimeout(pollTimer);
		pollTimer = setTimeout(function () {
			pollTimer = null;
			refresh();
		}, ms);
	}

	function showError(titleKey, textKey) {
		if (pollTimer)
			clearTimeout(pollTimer);
		view = 'error';
		errorKey = [titleKey, textKey];
		render();
		$('#error-title').focus();
	}

	/* Everything on screen comes from state, so a language switch is a render. */
	function render() {
		document.documentElement.lang = lang;
		document.title = t('title');
		document.querySelectorAll('[data-i18n]').forEach(function (el) {
			el.textContent = t(el.getAttribute('data-i18n'));
		});
		document.querySelectorAll('[data-i18n-aria]').forEach(function (el) {
			el.setAttribute('aria-label',
			    t(el.getAttribute('data-i18n-aria')));
		});
		$('#lang').textContent = t('lang.switch');
		$('#lang').setAttribute('aria-label', t('lang.label'));
		$('#lang').setAttribute('lang', lang === 'en' ? 'zh-CN' : 'en');

		$('#capture').hidden = view !== 'capture';
		$('#screen-status').hidden = view !== 'status';
		$('#screen-final').hidden = view !== 'final';
		$('#screen-error').hidden = view !== 'error';

		SIDES.forEach(renderSide);
		renderTrack();
		$('#submit').disabled = submitting || !SIDES.every(function (s) {
			return sides[s].state === 'accepted';
		});
		if (submitting)
			$('#submit').textContent = t('submit.wait');

		if (view === 'status')
			renderStatus();
		if (view === 'final')
			renderFinal();
		if (view === 'error') {
			$('#error-title').textContent = t(errorKey[0]);
			$('#error-text').textContent = t(errorKey[1]);
		}
	}

	function renderSide(side) {
		var s = sides[side];
		var root = $('#step-' + side);
		var msg = '', list, pick;

		root.setAttribute('data-state', s.state);
		pick = $('.pick-text', root);
		if (s.state === 'retake' || s.state === 'error')
			pick.textContent = t('retake');
		else if (s.state === 'accepted')
			pick.textContent = t('replace');
		else
			pick.textContent = t('pick');

		var prog = $('.upload', root);
		prog.hidden = !(s.state === 'uploading' &&
		    s.phase !== 'preparing');
		prog.value = s.progress || 0;

		var img = $('.preview', root);
		if (s.previewUrl) {
			img.src = s.previewUrl;
			img.hidden = false;
		} else {
			img.hidden = true;
			img.removeAttribute('src');
		}

		if (s.state === 'uploading') {
			if (s.phase === 'preparing')
				msg = t('preparing');
			else if (s.phase === 'checking')
				msg = t('checking');
			else
				msg = t('uploading', { p: s.progress || 0 });
		} else if (s.state === 'accepted') {
			msg = t('accepted');
		} else if (s.state === 'retake') {
			msg = t('retake.msg');
		} else if (s.state === 'error') {
			msg = t(s.errorKey);
		}
		$('.message', root).textContent = msg;

		list = $('.reasons', root);
		list.textContent = '';
		if (s.state === 'retake') {
			s.reasons.forEach(function (r) {
				var li = document.createElement('li');

				li.textContent = reasonText(r);
				li.setAttribute('data-code', r.code);
				list.appendChild(li);
			});
		}

		var attempts = $('.attempts', root);
		if (typeof s.attemptsLeft === 'number' &&
		    s.state !== 'accepted')
			attempts.textContent = s.attemptsLeft > 0 ?
			    t('attempts', { n: s.attemptsLeft }) :
			    t('attempts.none');
		else
			attempts.textContent = '';
		attempts.setAttribute('data-left', s.attemptsLeft);

		/* No attempts left: the button would only earn a 429. */
		$('.file', root).disabled = s.state === 'uploading' ||
		    s.attemptsLeft === 0;
		$('.pick', root).hidden = s.attemptsLeft === 0 &&
		    s.state !== 'accepted';
	}

	function renderTrack() {
		var current = null;

		SIDES.forEach(function (side) {
			var li = $('.track li[data-for="' + side + '"]');
			var st = sides[side].state;

			li.className = '';
			if (st === 'accepted') {
				li.className = 'done';
			} else if (st === 'retake' || st === 'error') {
				li.className = 'retake';
			} else if (current === null) {
				current = side;
				li.className = 'current';
				li.setAttribute('aria-current', 'step');
				return;
			}
			li.removeAttribute('aria-current');
		});
	}

	function renderStatus() {
		var st = caseView ? caseView.state : 'submitted';
		var stages = ['submitted', 'processing', 'decided'];
		var at = st === 'submitted' ? 0 : 1;

		$('#status-text').textContent = t('state.' + st) ||
		    t('state.processing');
		$('#screen-status').setAttribute('data-state', st);
		stages.forEach(function (name, i) {
			var li = $('.timeline li[data-stage="' + name + '"]');

			li.className = i < at ? 'done' : (i === at ? 'current' :
			    '');
		});
	}

	function renderFinal() {
		var c = caseView;
		var reasons = c.reasons || [];
		var list = $('#final-reasons');
		var retry = reasons.some(function (r) {
			return r.retry_allowed === true;
		});
		var next;

		$('#screen-final').setAttribute('data-outcome', c.state);
		$('#final-icon-use').setAttribute('href',
		    c.state === 'approved' ? '#ok' :
		    (c.state === 'review' ? '#wait' : '#no'));
		$('#final-title').textContent = t('final.' + c.state);
		list.textContent = '';
		if (c.state === 'rejected') {
			reasons.forEach(function (r) {
				var li = document.createElement('li');

				li.textContent = reasonText(r);
				li.setAttribute('data-code', r.code);
				list.appendChild(li);
			});
		}
		if (c.state === 'approved')
			next = t('final.approved.next');
		else if (c.state === 'rejected')
			next = t(retry ? 'final.rejected.retry' :
			    'final.rejected.final');
		else if (c.state === 'review')
			next = t('final.review.next');
		else
			next = t('final.expired.next');
		$('#final-next').textContent = next;
		$('#screen-final').setAttribute('data-retry',
		    c.state === 'rejected' ? String(retry) : '');
	}

	function init() {
		try {
			lang = sessionStorage.getItem('realname.lang') || 'zh-CN';
		} catch (e) { /* default */ }
		if (!TEXT[lang])
			lang = 'zh-CN';
		SIDES.forEach(function (side) {
			var input = $('#file-' + side);

			sides[side] = { state: 'empty', reasons: [],
			    attemptsLeft: null, progress: 0, previewUrl: null };
			input.addEventListener('change', function () {
				var file = input.files && input.files[0];

				if (file)
					upload(side, file);
				/* The same file may be chosen again. */
				input.value = '';
			});
		});
		$('#lang').addEventListener('click', function () {
			lang = lang === 'en' ? 'zh-CN' : 'en';
			try {
				sessionStorage.setItem('realname.lang', lang);
			} catch (e) { /* not kept */ }
			render();
		});
		$('#submit').addEventListener('click', submit);

		if (!takeToken()) {
			showError('error.token', 'error.token.text');
			return;
		}
		render();
		refresh();
	}

	if (document.readyState === 'loading')
		document.addEventListener('DOMContentLoaded', init);
	else
		init();
}());
