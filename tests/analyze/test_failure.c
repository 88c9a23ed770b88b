/*
 * analyze/failure: the failure reports' evidence of a sender, summed and
 * said in one sentence.
 */
#include <criterion/criterion.h>

#include <string.h>

#include "analyze/failure.h"

Test(failure_evidence, types_count_once_per_sample_whatever_the_spelling)
{
	struct failure_evidence e = { 0 };

	failure_evidence_add(&e, "dkim,bodyhash", "s1", "esp.example", 3);
	failure_evidence_add(&e, "SPF, spf ,BodyHash", NULL, NULL, 2);
	failure_evidence_add(&e, "weird", "", "x.example", 1);
	failure_evidence_add(&e, NULL, NULL, NULL, 1);
	failure_evidence_add(&e, "spf", NULL, NULL, 0);
	failure_evidence_add(&e, "spf", NULL, NULL, -4);
	cr_expect_eq(e.samples, 7);
	cr_expect_eq(e.by_type[FT_BODYHASH], 5);
	cr_expect_eq(e.by_type[FT_DKIM], 3);
	cr_expect_eq(e.by_type[FT_SPF], 2);
	cr_expect_eq(e.by_type[FT_OTHER], 1);
	cr_expect_eq(e.n_keys, 1);
	cr_expect_str_eq(failure_type_name(FT_BODYHASH), "bodyhash");
	cr_expect_str_eq(failure_type_name(FT_COUNT), "other");
}

Test(failure_evidence, the_keys_with_most_samples_are_kept)
{
	struct failure_evidence e = { 0 }, m = { 0 };

	failure_evidence_add(&e, "dkim", "a", "d.example", 1);
	failure_evidence_add(&e, "dkim", "b", "d.example", 2);
	failure_evidence_add(&e, "dkim", "c", "d.example", 3);
	failure_evidence_add(&e, "dkim", "d", "d.example", 4);
	failure_evidence_add(&e, "dkim", "a", "d.example", 9);
	cr_assert_eq(e.n_keys, FAILURE_SELECTORS);
	cr_expect_str_eq(e.keys[0].selector, "a");
	cr_expect_eq(e.keys[0].samples, 10);
	cr_expect_str_eq(e.keys[1].selector, "c");
	cr_expect_str_eq(e.keys[2].selector, "b");
	cr_expect_eq(e.other_keys, 4);
	/* the same selector of another domain is another key */
	failure_evidence_add(&m, "dkim", "a", "other.example", 20);
	failure_evidence_merge(&m, &e);
	cr_expect_eq(m.samples, 39);
	cr_expect_eq(m.by_type[FT_DKIM], 39);
	cr_expect_str_eq(m.keys[0].domain, "other.example");
	cr_expect_str_eq(m.keys[1].domain, "d.example");
	cr_expect_eq(m.keys[1].samples, 10);
	cr_expect_eq(m.other_keys, 4 + 2);
}

Test(failure_evidence, one_sentence_with_the_finest_detail)
{
	struct failure_evidence e = { 0 };
	char text[512], small[24];

	failure_evidence_text(&e, text, sizeof(text));
	cr_expect_str_eq(text, "");
	failure_evidence_add(&e, "dkim", NULL, NULL, 1);
	failure_evidence_text(&e, text, sizeof(text));
	cr_expect_str_eq(text, "1 failure report: DKIM failed (1)");
	/* "dkim" beside a finer type says nothing more */
	failure_evidence_add(&e, "dkim,bodyhash", "sel", "esp.example", 11);
	failure_evidence_add(&e, "revoked", "old", NULL, 1);
	failure_evidence_text(&e, text, sizeof(text));
	cr_expect_str_eq(text, "13 failure reports: DKIM body hash did not "
	    "verify (11), DKIM key revoked (1); DKIM key s=sel d=esp.example, "
	    "s=old");
	failure_evidence_text(&e, small, sizeof(small));
	cr_expect_eq(strlen(small), sizeof(small) - 1);
	cr_expect(strcmp(small + strlen(small) - 3, "...") == 0, "%s", small);
}
