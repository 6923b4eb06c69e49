/*
 * idcheck-sandbox-registry FACES_DIR: writes the sandbox registry of
 * synthetic people made from the faces set to stdout.
 */

#include <stdio.h>

#include "registry.h"

int
main(int argc, char **argv)
{
	int	n;

	if (argc != 2) {
		fprintf(stderr, "usage: idcheck-sandbox-registry FACES_DIR\n");
		return (2);
	}
	if ((n = sbx_registry_generate(argv[1], stdout)) == -1) {
		fprintf(stderr, "idcheck-sandbox-registry: cannot read "
		    "%s/identities.csv\n", argv[1]);
		return (1);
	}
	if (fflush(stdout) != 0)
		return (1);
	fprintf(stderr, "idcheck-sandbox-registry: %d people\n", n);
	return (0);
}
