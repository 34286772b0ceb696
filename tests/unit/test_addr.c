/*
 * test_addr.c - addresses, prefixes and reverse names (lib/addr.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "addr.h"

static void test_format_roundtrip(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "192.0.2.1", "192.0.2.1" },
		{ "::ffff:192.0.2.1", "192.0.2.1" },
		{ "2001:DB8::1", "2001:db8::1" },
		{ "10.1.2.3/8", "10.0.0.0/8" },
		{ "2001:db8:1:2::5/64", "2001:db8:1:2::/64" },
		{ "::ffff:10.0.0.0/104", "10.0.0.0/8" },
	};
	char buf[ADDR_STRLEN];
	struct mx_addr a;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(addr_parse_prefix(cases[i].in, &a, false,
						   &why), 0);
		assert_string_equal(addr_format(&a, buf, sizeof(buf)),
				    cases[i].out);
	}
}

static void test_bad_input(void **state)
{
	static const char *const bad[] = { "", "1.2.3", "1.2.3.4/33",
		"1.2.3.4/", "1.2.3.4/x", "::1/129", "abc", "1.2.3.4/-1" };
	struct mx_addr a;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(addr_parse_prefix(bad[i], &a, false, &why),
				 -1);
	assert_int_equal(addr_parse_prefix("10.1.0.0/8", &a, true, &why), -1);
	assert_string_equal(why, "non-null host address bits");
}

static void test_reverse(void **state)
{
	char buf[128];
	struct mx_addr a;

	addr_parse("192.0.2.66", &a);
	assert_int_equal(addr_reverse(&a, "bl.example", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "66.2.0.192.bl.example");
	addr_parse("2001:db8::1", &a);
	assert_int_equal(addr_reverse(&a, "ip6.arpa", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
				 "0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
	assert_int_equal(addr_reverse(&a, "ip6.arpa", buf, 20), -1);
}

static void test_in_prefix(void **state)
{
	struct mx_addr a, p;
	const char *why;

	addr_parse("10.9.8.7", &a);
	addr_parse_prefix("10.0.0.0/8", &p, true, &why);
	assert_true(addr_in_prefix(&a, &p));
	addr_parse_prefix("11.0.0.0/8", &p, true, &why);
	assert_false(addr_in_prefix(&a, &p));
	addr_parse_prefix("::/0", &p, true, &why);
	assert_false(addr_in_prefix(&a, &p));
	assert_true(addr_is_loopback(&(struct mx_addr){ .family = 2,
							.b = { 127 } }));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_reverse),
		cmocka_unit_test(test_in_prefix),
	};

	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
