// SPDX-License-Identifier: GPL-2.0
/*
 * harness/kvm_stats.c on a file laid out as KVM_GET_STATS_FD lays out its
 * data (header, descriptors, values): lookups by name, histograms summed
 * past the 64-value chunk, and the descriptors read once per fd (a lookup
 * after the descriptor block is overwritten still finds its stat, and sees
 * the current value).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm_util.h"

#define NAME_SIZE 48
#define NDESC 3
#define HIST_BUCKETS 70

struct desc {
	struct kvm_stats_desc d;
	char name[NAME_SIZE];
};

static char path[] = "/tmp/test_kvm_stats.XXXXXX";
static int fd = -1;
static off_t data_off;

static void write_at(off_t off, const void *p, size_t n)
{
	TEST_ASSERT(pwrite(fd, p, n, off) == (ssize_t)n, "pwrite");
}

static void make_file(void)
{
	struct kvm_stats_header h = {
		.name_size = NAME_SIZE, .num_desc = NDESC, .desc_offset = sizeof(h),
	};
	struct desc d[NDESC] = { 0 };
	uint64_t data[2 + HIST_BUCKETS];

	h.data_offset = (uint32_t)(sizeof(h) + sizeof(d));
	data_off = h.data_offset;
	snprintf(d[0].name, NAME_SIZE, "exits");
	d[0].d.size = 1;
	d[0].d.offset = 0;
	snprintf(d[1].name, NAME_SIZE, "halt_exits");
	d[1].d.size = 1;
	d[1].d.offset = 8;
	snprintf(d[2].name, NAME_SIZE, "halt_wait_hist");
	d[2].d.size = HIST_BUCKETS;
	d[2].d.offset = 16;
	data[0] = 1234;
	data[1] = 7;
	for (int i = 0; i < HIST_BUCKETS; i++)
		data[2 + i] = (uint64_t)i;
	fd = mkstemp(path);
	TEST_ASSERT(fd >= 0, "mkstemp");
	write_at(0, &h, sizeof(h));
	write_at(sizeof(h), d, sizeof(d));
	write_at(data_off, data, sizeof(data));
}

static void lookups(void)
{
	struct kvm_stats *s = kvm_stats_open(fd);

	CHECK(s != NULL);
	CHECK_EQ(kvm_stats_read(s, kvm_stats_find(s, "exits")), 1234);
	CHECK_EQ(kvm_stats_read(s, kvm_stats_find(s, "halt_exits")), 7);
	CHECK_EQ(kvm_stats_read(s, kvm_stats_find(s, "halt_wait_hist")), HIST_BUCKETS * (HIST_BUCKETS - 1) / 2);
	CHECK_EQ(kvm_stats_find(s, "halt"), -1);
	CHECK_EQ(kvm_stats_find(s, "no_such_stat"), -1);
	CHECK_EQ(kvm_stats_read(s, -1), -1);
	CHECK_EQ(kvm_stats_read(s, NDESC), -1);
	kvm_stats_free(s);
	CHECK(kvm_stats_open(-1) == NULL);
	CHECK_EQ(kvm_stats_read(NULL, 0), -1);
}

static void descriptors_read_once(void)
{
	struct kvm_stats *s = kvm_stats_open(fd);
	int i = kvm_stats_find(s, "halt_exits");
	char junk[sizeof(struct desc) * NDESC];
	uint64_t v = 99;

	memset(junk, 0xa5, sizeof(junk));
	write_at(sizeof(struct kvm_stats_header), junk, sizeof(junk));
	write_at(data_off + 8, &v, sizeof(v));
	CHECK_EQ(kvm_stats_find(s, "halt_exits"), i);
	CHECK_EQ(kvm_stats_read(s, i), 99);	/* values are current */
	kvm_stats_free(s);
}

struct seen {
	int n;
	uint64_t exits;
};

static void count_one(void *ctx, const char *name, uint64_t value)
{
	struct seen *s = ctx;

	s->n++;
	if (!strcmp(name, "exits"))
		s->exits = value;
}

static void foreach_lists_all(void)
{
	struct seen s = { 0 };

	kvm_stats_foreach(fd, count_one, &s);
	CHECK_EQ(s.n, NDESC);
	CHECK_EQ(s.exits, 1234);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(lookups),
	KTAP_CASE(foreach_lists_all),
	KTAP_CASE(descriptors_read_once),	/* last: it spoils the descriptors */
};

int main(void)
{
	int ret;

	make_file();
	ret = KTAP_RUN(cases);
	close(fd);
	unlink(path);
	return ret;
}
