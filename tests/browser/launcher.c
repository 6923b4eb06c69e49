/*
 * The browser test's service: the real kore with our module, the real
 * ID-check sandbox holding one generated person, and that person's
 * photos (tools/gen) written where the browser can pick them.
 *
 *   browser-launcher OUTDIR
 *
 * Prints one JSON line on stdout when everything answers:
 *   {"base":..., "log":..., "photos":{...}, "truth":{...}, "blur":...}
 * then reads commands on stdin, one a line:
 *   open     opens a case for the person (signed like the order system)
 *            and prints {"case_id":...,"hosted_url":...}
 *   open-other-name
 *            the same, declaring a name that is not the person's (the
 *            ID check answers 不一致)
 *   faults SPEC
 *            sets the sandbox's fault schedule for every call
 *            (service/sandbox/fault.h; "none" clears it), prints
 *            {"ok":true}
 * and stops everything at end of input.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <sodium.h>

#include "gen.h"
#include "harness.h"
#include "imaging.h"
#include "sandbox_harness.h"
#include "sign.h"

#define SEED		20261129ULL
#define TRIES		80

/* front, back, holding (accepted by the quality gate), blurred front */
#define NPHOTOS		4
static const char *const names[NPHOTOS] = {
	"front", "back", "holding", "front-blur"
};

static struct gen_case	photo[NPHOTOS];
static int		person = -1;
static int		ncases;

static void
free_photos(void)
{
	int	k;

	for (k = 0; k < NPHOTOS; k++)
		gen_case_free(&photo[k]);
}

/* The gate's reasons for one photo ("" when it passes), or -1. */
static int
gate(struct imaging_engine *eng, enum imaging_side side,
    const struct gen_case *c, char *reasons, size_t len)
{
	struct imaging_analysis	*a;
	size_t			 n;
	int			 i;

	reasons[0] = '\0';
	a = imaging_analyse(eng, side, c->jpeg, c->len);
	if (a == NULL || a->error != IMAGING_OK) {
		imaging_analysis_free(a);
		return (-1);
	}
	for (i = 0, n = 0; i < a->nreasons && n < len; i++)
		n += (size_t)snprintf(reasons + n, len - n, "%s%s",
		    i ? "," : "", a->reasons[i]);
	imaging_analysis_free(a);
	return (0);
}

/*
 * A person whose three photos pass the gate as they are, whose selfie
 * is genuine, and whose blurred front is refused for blur: the page must
 * show that specific reason.  The back is made larger than the page's
 * 2560 px limit so the test sees the browser scale it down; the selfie
 * carries an EXIF rotation the browser must apply.
 */
static int
pick_person(struct gen *gen, struct imaging_engine *eng)
{
	static const enum imaging_side sides[NPHOTOS] = {
		IMAGING_SIDE_FRONT, IMAGING_SIDE_BACK, IMAGING_SIDE_HOLDING,
		IMAGING_SIDE_FRONT,
	};
	struct gen_options	o;
	char			err[256], reasons[256];
	int			i, k, ok;

	for (i = 0; i < TRIES; i++) {
		ok = 1;
		for (k = 0; k < NPHOTOS && ok; k++) {
			gen_options_default(&o);
			o.kind = k == 3 ? GEN_KIND_FRONT : k;
			o.degrade = k == 3 ? GEN_DEG_BLUR : 0;
			o.exif = k == 2;
			o.long_side = k == 1 ? 3000 : 2000;
			if (gen_make(gen, SEED, i, &o, &photo[k], err,
			    sizeof(err)) == -1) {
				fprintf(stderr, "# gen: %s\n", err);
				return (-1);
			}
			if (k == 0 && !photo[0].truth.number_valid)
				ok = 0;
			else if (k == 2 && (!photo[2].truth.genuine ||
			    photo[2].truth.orientation < 5))
				ok = 0;
			else if (gate(eng, sides[k], &photo[k], reasons,
			    sizeof(reasons)) == -1)
				ok = 0;
			else if (k < 3 && reasons[0] != '\0')
				ok = 0;
			else if (k == 3 && strstr(reasons, "blur") == NULL)
				ok = 0;
		}
		if (ok) {
			person = i;
			return (0);
		}
		free_photos();
	}
	fprintf(stderr, "# no suitable person in %d tries\n", TRIES);
	return (-1);
}

static int
write_photos(const char *dir)
{
	FILE	*fp;
	char	 path[512];
	int	 k;

	(void)mkdir(dir, 0755);
	for (k = 0; k < NPHOTOS; k++) {
		snprintf(path, sizeof(path), "%s/%s.jpg", dir, names[k]);
		if ((fp = fopen(path, "wb")) == NULL ||
		    fwrite(photo[k].jpeg, 1, photo[k].len, fp) !=
		    photo[k].len) {
			if (fp != NULL)
				fclose(fp);
			return (-1);
		}
		fclose(fp);
	}
	return (0);
}

/* other_name 2: a re-registration of 13800138000 by the person. */
static int
open_case(const struct harness *kore, const struct sign_key *shop,
    int other_name)
{
	struct http_reply	r;
	const struct gen_truth	*t = &photo[0].truth;
	char			body[1024], id[40], url[512];
	const char		*name, *rereg;

	/* Not a generated name: those come from a table that has none. */
	name = other_name == 1 ? (strcmp(t->name, "欧阳测试") ? "欧阳测试" :
	    "司马测试") : t->name;
	rereg = other_name == 2 ? "\"kind\":\"reregistration\","
	    "\"msisdn\":\"13800138000\"," : "";
	snprintf(body, sizeof(body), "{\"order_ref\":\"browser-%d-%d\","
	    "\"channel\":\"web\",\"dealer\":\"web-direct\",%s"
	    "\"declared_name\":\"%s\",\"id_number\":"
	    "\"%s\",\"callback_url\":\"http://127.0.0.1:9/hook\"}", person,
	    ++ncases, rereg, name, t->number);
	if (harness_http_signed(kore, shop, "POST", "/v1/cases", body, NULL,
	    0, &r) == -1)
		return (-1);
	if (r.status != 201 || harness_json_field(r.body, "case_id", id,
	    sizeof(id)) == -1 || harness_json_field(r.body, "hosted_url",
	    url, sizeof(url)) == -1) {
		fprintf(stderr, "# open: %ld %s\n", r.status,
		    r.body != NULL ? r.body : "");
		http_reply_free(&r);
		return (-1);
	}
	http_reply_free(&r);
	printf("{\"case_id\":\"%s\",\"hosted_url\":\"%s\"}\n", id, url);
	fflush(stdout);
	return (0);
}

int
main(int argc, char *argv[])
{
	struct imaging_options	 opt;
	struct imaging_error	 ierr;
	struct imaging_engine	*eng;
	struct sandbox		 sbx;
	struct harness		 kore;
	struct sign_key		 shop;
	struct gen		*gen;
	FILE			*fp;
	const char		*data;
	char			 err[256], registry[1024], extra[2048];
	char			 keyfile[512], hex[200], line[128];
	int			 ret = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: browser-launcher OUTDIR\n");
		return (2);
	}
	if (sodium_init() == -1 || sign_key_parse(&shop, HARNESS_CLIENT_ID
	    ":" HARNESS_CLIENT_HEX) == -1)
		return (1);
	data = getenv("REALNAME_SHARED_DATA");
	if ((gen = gen_open(data,
	    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "# gen: %s\n", err);
		return (1);
	}
	imaging_options_default(&opt);
	if ((eng = imaging_engine_new(getenv("REALNAME_MODELS"), &opt,
	    &ierr)) == NULL) {
		fprintf(stderr, "# imaging: %s\n", ierr.msg);
		gen_close(gen);
		return (1);
	}
	if (pick_person(gen, eng) == -1 || write_photos(argv[1]) == -1) {
		imaging_engine_free(eng);
		gen_close(gen);
		return (1);
	}
	imaging_engine_free(eng);
	gen_close(gen);

	snprintf(registry, sizeof(registry), "%s\t%s\tvalid\t%s/faces/%s\n",
	    photo[0].truth.number, photo[0].truth.name,
	    data != NULL ? data : "../shared/data",
	    photo[0].truth.portrait_file);
	if (sandbox_start_with(&sbx, "127.0.0.1", registry) == -1) {
		fprintf(stderr, "# sandbox did not start\n");
		free_photos();
		return (1);
	}
	/* The service signs its ID checks with the sandbox's key. */
	snprintf(keyfile, sizeof(keyfile), "%s/service-idcheck.key",
	    sbx.h.dir);
	sodium_bin2hex(hex, sizeof(hex), sbx.key.secret, sbx.key.secret_len);
	if ((fp = fopen(keyfile, "w")) == NULL)
		goto done;
	fprintf(fp, "%s:%s\n", sbx.key.id, hex);
	fclose(fp);
	(void)chmod(keyfile, 0600);
	snprintf(extra, sizeof(extra), "poll_ms = 50\nidcheck_url = "
	    "http://127.0.0.1:%d\nidcheck_key_file = %s\n"
	    "web_dir = %s/assets/web\n"
	    /* A case the ID check cannot answer goes to review quickly. */
	    "park_retry_s = 1\nupstream_deadline_s = 2\n", sbx.h.port,
	    keyfile, harness_source_root());
	if (harness_start(&kore, extra) == -1) {
		fprintf(stderr, "# kore did not start\n");
		goto done;
	}

	printf("{\"base\":\"http://127.0.0.1:%d\",\"log\":\"%s\","
	    "\"person\":%d,\"photos\":{", kore.port, kore.log, person);
	for (int k = 0; k < NPHOTOS; k++)
		printf("%s\"%s\":\"%s/%s.jpg\"", k ? "," : "", names[k],
		    argv[1], names[k]);
	printf("},\"truth\":{");
	for (int k = 0; k < NPHOTOS; k++)
		printf("%s\"%s\":{\"width\":%d,\"height\":%d,"
		    "\"orientation\":%d}", k ? "," : "", names[k],
		    photo[k].truth.width, photo[k].truth.height,
		    photo[k].truth.orientation);
	printf("}}\n");
	fflush(stdout);

	ret = 0;
	while (fgets(line, sizeof(line), stdin) != NULL) {
		if ((!strcmp(line, "open\n") && open_case(&kore, &shop, 0) ==
		    -1) || (!strcmp(line, "open-other-name\n") &&
		    open_case(&kore, &shop, 1) == -1) ||
		    (!strcmp(line, "open-rereg\n") &&
		    open_case(&kore, &shop, 2) == -1)) {
			printf("{\"error\":\"open failed\"}\n");
			fflush(stdout);
		}
		if (!strncmp(line, "faults ", 7)) {
			line[strcspn(line, "\n")] = '\0';
			printf("{\"ok\":%s}\n", sandbox_schedule(&sbx,
			    line + 7) == 0 ? "true" : "false");
			fflush(stdout);
		}
	}
	harness_stop(&kore);
	harness_cleanup(&kore);
done:
	sandbox_finish(&sbx);
	free_photos();
	return (ret);
}
