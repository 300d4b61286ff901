// SPDX-License-Identifier: MIT
/*
 * runner.c - the one main() every Check binary shares.
 *
 * Each check-<module>.c defines Suite *<module>_suite(void); the build
 * passes its name as CHECK_SUITE.  srunner_run_all(CK_ENV) honours
 * CK_RUN_SUITE, CK_RUN_CASE and CK_VERBOSITY, so a single behaviour can
 * be rerun by name.
 */
#include <stdlib.h>

#include <check.h>

#ifndef CHECK_SUITE
#error "CHECK_SUITE must name the suite constructor"
#endif

Suite *CHECK_SUITE(void);

int main(void)
{
	SRunner *sr = srunner_create(CHECK_SUITE());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
