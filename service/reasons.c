/*
 * The reason catalogue.  Customer texts say what to do next, never which
 * internal signal fired in a way that teaches an attacker the threshold.
 */

#include <string.h>

#include "jsonw.h"
#include "reasons.h"

static const struct rn_reason_info catalogue[RN_REASON_COUNT] = {
	[RN_REASON_ID_NUMBER_INVALID] = { "id_number_invalid",
	    "身份证号码无效，请核对后重新填写。",
	    "The ID number is not valid. Please check it and enter it again.",
	    "declared number fails GB 11643 (length, region, birth date or "
	    "check digit)", 1 },
	[RN_REASON_CARD_EXPIRED] = { "card_expired",
	    "身份证已过有效期，请使用有效期内的身份证。",
	    "The ID card has expired. Please use a valid ID card.",
	    "validity period on the back ended before today", 1 },
	[RN_REASON_OCR_NUMBER_MISMATCH] = { "ocr_number_mismatch",
	    "证件上的号码与填写的号码不一致，请核对后重新提交。",
	    "The number on the card does not match the number you entered. "
	    "Please check and submit again.",
	    "OCR read a valid number on the card that differs from the "
	    "declared one", 1 },
	[RN_REASON_OCR_UNREADABLE] = { "ocr_unreadable",
	    "我们正在人工核对您的证件，请耐心等待。",
	    "We are checking your ID card by hand. Please wait.",
	    "the card number could not be read with confidence", 0 },
	[RN_REASON_FACE_MISMATCH] = { "face_mismatch",
	    "本人照片与证件照不符，请本人持本人身份证重新拍摄。",
	    "Your photo does not match the ID card portrait. Please take the "
	    "photo yourself, holding your own ID card.",
	    "live face vs front-card portrait below the reject threshold", 1 },
	[RN_REASON_FACE_UNCERTAIN] = { "face_uncertain",
	    "我们正在人工核对您的照片，请耐心等待。",
	    "We are checking your photos by hand. Please wait.",
	    "live face vs front-card portrait between the reject and accept "
	    "thresholds", 0 },
	[RN_REASON_CARD_PORTRAIT_MISMATCH] = { "card_portrait_mismatch",
	    "我们正在人工核对您的证件，请耐心等待。",
	    "We are checking your ID card by hand. Please wait.",
	    "the card held in the selfie does not match the front-card "
	    "portrait", 0 },
	[RN_REASON_LIVENESS_LOW] = { "liveness_low",
	    "我们正在人工核对您的照片，请耐心等待。",
	    "We are checking your photos by hand. Please wait.",
	    "liveness p(live) of the selfie face below the minimum "
	    "(possible print or screen)", 0 },
	[RN_REASON_UPSTREAM_MISMATCH] = { "identity_mismatch",
	    "姓名与身份证号码不一致，请核对后重新填写。",
	    "The name does not match the ID number. Please check both and "
	    "enter them again.",
	    "national ID check: 不一致 (name and number disagree)", 1 },
	[RN_REASON_UPSTREAM_NOT_FOUND] = { "identity_not_found",
	    "身份证号码查询无结果，请核对后重新填写。",
	    "This ID number was not found. Please check it and enter it "
	    "again.",
	    "national ID check: 库中无此号", 1 },
	[RN_REASON_UPSTREAM_CARD_STATE] = { "card_not_valid",
	    "该身份证状态异常，无法办理，请使用有效身份证。",
	    "This ID card cannot be used. Please use a valid ID card.",
	    "national ID check: card state error (cancelled, lost)", 0 },
	[RN_REASON_UPSTREAM_FACE_MISMATCH] = { "registry_face_mismatch",
	    "我们正在人工核对您的照片，请耐心等待。",
	    "We are checking your photos by hand. Please wait.",
	    "national ID check: face similarity below the provider's or our "
	    "threshold", 0 },
	[RN_REASON_UPSTREAM_NO_PHOTO] = { "registry_no_photo",
	    "我们正在人工核对您的资料，请耐心等待。",
	    "We are checking your details by hand. Please wait.",
	    "national ID check: no registry photo to compare", 0 },
	[RN_REASON_UPSTREAM_INVALID_INPUT] = { "registry_invalid_input",
	    "我们正在人工核对您的资料，请耐心等待。",
	    "We are checking your details by hand. Please wait.",
	    "national ID check refused the input although it passed local "
	    "checks", 0 },
	[RN_REASON_UPSTREAM_UNAVAILABLE] = { "registry_unavailable",
	    "我们正在人工核对您的资料，请耐心等待。",
	    "We are checking your details by hand. Please wait.",
	    "national ID check gave no answer (errors, timeouts, rate limit) "
	    "until the deadline", 0 },
	[RN_REASON_ID_CAP_REACHED] = { "id_cap_reached",
	    "该身份证名下已有的手机号码（含已在用的号码）"
	    "数量已达上限，无法再办理新号码。",
	    "This ID card already holds the maximum number of phone numbers "
	    "(numbers already in use included), so no new number can be "
	    "registered to it.",
	    "numbers this ID number already holds (approved cases and "
	    "imported subscriber numbers) at the cap", 0 },
	[RN_REASON_DUPLICATE_FACE] = { "duplicate_face",
	    "我们正在人工核对您的资料，请耐心等待。",
	    "We are checking your details by hand. Please wait.",
	    "the same face appears in a case under another ID number", 0 },
	[RN_REASON_REUSED_IMAGE] = { "reused_image",
	    "我们正在人工核对您的照片，请耐心等待。",
	    "We are checking your photos by hand. Please wait.",
	    "an image identical to one in another case was uploaded", 0 },
	[RN_REASON_UNDER_MIN_AGE] = { "under_min_age",
	    "未达到办理年龄，需由监护人办理，我们将人工核对。",
	    "You are under the minimum age; a guardian must apply. We will "
	    "check by hand.",
	    "birth date from the ID number gives an age under min_age", 0 },
	[RN_REASON_SIGNAL_MISSING] = { "signal_missing",
	    "我们正在人工核对您的资料，请耐心等待。",
	    "We are checking your details by hand. Please wait.",
	    "a signal needed for approval was not measured", 0 },
};

const struct rn_reason_info *
rn_reason_info(enum rn_reason r)
{
	if ((unsigned int)r >= RN_REASON_COUNT)
		return (NULL);
	return (&catalogue[r]);
}

int
rn_reason_from_code(const char *code, enum rn_reason *out)
{
	int	i;

	for (i = 0; i < RN_REASON_COUNT; i++) {
		if (!strcmp(catalogue[i].code, code)) {
			*out = (enum rn_reason)i;
			return (0);
		}
	}
	return (-1);
}

/*
 * A re-registration (补登记) brings an existing number up to standard:
 * where the general text would speak of a new number or of details the
 * customer typed, these say what holds for the number being
 * re-registered.  Codes, internal texts and retry are the general ones.
 */
static const struct {
	enum rn_reason	 reason;
	const char	*text_zh;
	const char	*text_en;
} rereg_texts[] = {
	{ RN_REASON_ID_CAP_REACHED,
	    "该身份证名下已有的其他手机号码数量已达上限，"
	    "无法将本号码补登记到该身份证名下。",
	    "This ID card already holds the maximum number of other phone "
	    "numbers, so this number cannot be re-registered to it." },
	{ RN_REASON_UPSTREAM_MISMATCH,
	    "登记的姓名与身份证号码不一致，"
	    "请联系客服核对后重新办理补登记。",
	    "The name registered for this number does not match the ID "
	    "number. Please contact customer service to correct it and "
	    "re-register again." },
	{ RN_REASON_UPSTREAM_NOT_FOUND,
	    "登记的身份证号码查询无结果，"
	    "请联系客服核对后重新办理补登记。",
	    "The ID number registered for this number was not found. Please "
	    "contact customer service to correct it and re-register again." },
	{ RN_REASON_OCR_NUMBER_MISMATCH,
	    "证件上的号码与本号码登记的身份证号码不一致，"
	    "请使用登记人本人的身份证重新提交。",
	    "The number on the card does not match the ID number registered "
	    "for this phone number. Please use the registered holder's own "
	    "ID card." },
};

const struct rn_reason_info *
rn_reason_info_for(enum rn_reason reason, int reregistration,
    struct rn_reason_info *buf)
{
	const struct rn_reason_info	*ri;
	size_t				 i;

	if ((ri = rn_reason_info(reason)) == NULL || !reregistration)
		return (ri);
	for (i = 0; i < sizeof(rereg_texts) / sizeof(rereg_texts[0]); i++) {
		if (rereg_texts[i].reason != reason)
			continue;
		*buf = *ri;
		buf->text_zh = rereg_texts[i].text_zh;
		buf->text_en = rereg_texts[i].text_en;
		return (buf);
	}
	return (ri);
}

static const struct rn_retake_text retakes[] = {
	{ "no_face", "照片中未检测到人脸，请正对镜头重新拍摄。",
	    "No face was found. Please face the camera and try again." },
	{ "too_many_faces", "照片中有多张人脸，请确保只有您本人入镜。",
	    "More than one face is in the photo. Please make sure only you "
	    "are in it." },
	{ "face_too_small", "人脸太小，请靠近镜头重新拍摄。",
	    "Your face is too small. Please move closer to the camera." },
	{ "face_blurry", "人脸模糊，请保持手机稳定、对焦后重新拍摄。",
	    "Your face is blurry. Hold the phone still and let it focus." },
	{ "too_dark", "照片太暗，请在光线充足的地方拍摄。",
	    "The photo is too dark. Please take it in good light." },
	{ "too_bright", "照片过曝，请避开强光重新拍摄。",
	    "The photo is too bright. Please avoid strong light." },
	{ "head_pose", "请正对镜头，不要侧脸、仰头或低头。",
	    "Please look straight at the camera." },
	{ "eyes_closed", "请睁开眼睛重新拍摄。",
	    "Please keep your eyes open." },
	{ "card_portrait_not_found", "看不清证件上的头像，请将身份证人像面"
	    "朝向镜头并靠近一些。",
	    "The portrait on the card is not visible. Hold the card's photo "
	    "side towards the camera, a little closer." },
	{ "card_not_found", "未找到身份证，请将整张证件放入画面中。",
	    "No ID card was found. Please put the whole card in the frame." },
	{ "card_cut_off", "证件边缘超出画面，请将四个角都拍进去。",
	    "Part of the card is cut off. Please get all four corners in." },
	{ "card_too_small", "证件太小，请靠近一些拍摄。",
	    "The card is too small. Please move closer." },
	{ "glare", "证件反光，请调整角度避开灯光。",
	    "There is glare on the card. Tilt it away from the light." },
	{ "blur", "证件模糊，请保持手机稳定、对焦后重新拍摄。",
	    "The card is blurry. Hold the phone still and let it focus." },
	{ "multiple_cards", "画面中有多张证件，请只拍一张。",
	    "More than one card is in the photo. Please photograph one." },
	{ "wrong_side", "拍摄的证件面不对，请按提示拍摄人像面或国徽面。",
	    "This is the other side of the card. Please photograph the side "
	    "asked for." },
	{ "unsupported_media_type", "请上传 JPEG 或 PNG 格式的照片。",
	    "Please upload a JPEG or PNG photo." },
	{ "image_too_large", "照片尺寸过大，请使用手机相机直接拍摄。",
	    "The photo is too large. Please take it with your phone's "
	    "camera." },
	{ "image_too_small", "照片分辨率太低，请使用更清晰的照片。",
	    "The photo's resolution is too low. Please use a sharper photo." },
};

static const struct rn_retake_text retake_generic = { "unreadable",
    "照片无法识别，请重新拍摄。",
    "The photo could not be read. Please take it again." };

const struct rn_retake_text *
rn_retake_text(const char *code)
{
	size_t	i;

	for (i = 0; i < sizeof(retakes) / sizeof(retakes[0]); i++) {
		if (!strcmp(retakes[i].code, code))
			return (&retakes[i]);
	}
	return (&retake_generic);
}

void
rn_reason_write(struct jsonw *w, const char *code, const char *text_zh,
    const char *text_en, int retry)
{
	jsonw_object_open(w);
	jsonw_key(w, "code");
	jsonw_string(w, code);
	jsonw_key(w, "text_zh");
	jsonw_string(w, text_zh);
	jsonw_key(w, "text_en");
	jsonw_string(w, text_en);
	if (retry >= 0) {
		jsonw_key(w, "retry_allowed");
		jsonw_bool(w, retry);
	}
	jsonw_object_close(w);
}
