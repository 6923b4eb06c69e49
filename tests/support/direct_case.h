/*
 * A submitted case put straight into a service's store, with three photos
 * sealed by that service's own master key, the way the upload route
 * stores them: for tests of what happens after submit (the pipeline),
 * independent of the quality gate.
 */
#ifndef RN_DIRECT_CASE_H
#define RN_DIRECT_CASE_H

/*
 * Creates the case (declared number, callback URL) in the store at
 * store_url, seals photos from ../shared/data/faces with the keys in
 * keys_dir, and moves it to SUBMITTED.  id receives the case id.
 * Returns 0, or -1 with a message on stderr.
 */
int	direct_case_submit(const char *store_url, const char *keys_dir,
	    const char *number, const char *callback_url, char id[33]);

/* Given photos (front, back, holding) and declared name instead. */
struct direct_photos {
	const char		*name;
	const unsigned char	*data[3];
	size_t			 len[3];
};

int	direct_case_submit_with(const char *store_url, const char *keys_dir,
	    const char *number, const char *callback_url,
	    const struct direct_photos *, char id[33]);

#endif
