// SPDX-License-Identifier: GPL-2.0
/* Run directory, run-id, atomic file and symlink replacement (results.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "results.h"
#include "results_int.h"

struct results_run {
	char *root;
	char *dir;
	char *run_id;
};

/* Durability of a rename needs the directory entry on disk too. */
static int fsync_parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd, ret = 0;

	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return -ENOMEM;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0 && errno != EINVAL)	/* some filesystems refuse */
		ret = -errno;
	close(fd);
	return ret;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int results_write_file_atomic(const char *path, const void *data, size_t len)
{
	char *tmp;
	int fd, ret;

	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		free(tmp);
		return ret;
	}
	ret = write_all(fd, data, len);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
	else
		ret = fsync_parent_dir(path);
	free(tmp);
	return ret;
}

int results_symlink_atomic(const char *target, const char *linkpath)
{
	char *tmp;
	int ret = 0;

	/* pid in the name: two runs sharing a root must not trip on each other. */
	if (asprintf(&tmp, "%s.tmp.%ld", linkpath, (long)getpid()) < 0)
		return -ENOMEM;
	unlink(tmp);
	if (symlink(target, tmp) < 0)
		ret = -errno;
	else if (rename(tmp, linkpath) < 0) {
		ret = -errno;
		unlink(tmp);
	}
	free(tmp);
	return ret;
}

bool results_name_valid(const char *name)
{
	size_t n = 0;

	if (!name || name[0] == '.' || name[0] == '\0')
		return false;
	for (const char *c = name; *c; c++, n++) {
		bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			  (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-';
		if (!ok || n >= 100)
			return false;
	}
	return true;
}

int results_run_id_make(char *buf, size_t len, time_t when, const char *git_rev)
{
	char rev[13];
	size_t r = 0;
	struct tm tm;
	int n;

	for (const char *c = git_rev ? git_rev : ""; *c && r < sizeof(rev) - 1; c++)
		if ((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'))
			rev[r++] = *c;
	rev[r] = '\0';
	if (!gmtime_r(&when, &tm))
		return -EINVAL;
	n = snprintf(buf, len, "%04d%02d%02dT%02d%02d%02dZ-%s", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     r ? rev : "nogit");
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return 0;
}

/* mkdir -p: --out may name a fresh nested directory. */
static int mkdir_p(const char *path)
{
	char *p = strdup(path);
	int ret = 0;

	if (!p)
		return -ENOMEM;
	for (char *c = p + 1; ; c++) {
		if (*c != '/' && *c != '\0')
			continue;
		char saved = *c;

		*c = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			ret = -errno;
			break;
		}
		*c = saved;
		if (!saved)
			break;
	}
	free(p);
	return ret;
}

int results_run_open(struct results_run **out, const char *root, const char *run_id)
{
	struct results_run *run;
	int ret;

	if (!results_name_valid(run_id) || !root || !root[0])
		return -EINVAL;
	ret = mkdir_p(root);
	if (ret)
		return ret;
	run = calloc(1, sizeof(*run));
	if (!run)
		return -ENOMEM;
	run->root = strdup(root);
	run->run_id = strdup(run_id);
	if (!run->root || !run->run_id || asprintf(&run->dir, "%s/%s", root, run_id) < 0) {
		run->dir = NULL;
		ret = -ENOMEM;
		goto fail;
	}
	if (mkdir(run->dir, 0755) < 0) {
		ret = -errno;	/* EEXIST too: never mix two runs' files */
		goto fail;
	}
	ret = results_run_update_latest(run);
	if (ret)
		goto fail;
	*out = run;
	return 0;
fail:
	free(run->root);
	free(run->run_id);
	free(run->dir);
	free(run);
	return ret;
}

const char *results_run_dir(const struct results_run *run)
{
	return run->dir;
}

int results_run_update_latest(struct results_run *run)
{
	char *link;
	int ret;

	if (asprintf(&link, "%s/latest", run->root) < 0)
		return -ENOMEM;
	/* Relative target: the results tree stays valid when moved or copied. */
	ret = results_symlink_atomic(run->run_id, link);
	free(link);
	return ret;
}

char *results_run_path(const struct results_run *run, const char *name)
{
	char *path;

	if (!results_name_valid(name))
		return NULL;
	if (asprintf(&path, "%s/%s", run->dir, name) < 0)
		return NULL;
	return path;
}

int results_run_write_text(struct results_run *run, const char *name, const char *text)
{
	char *path = results_run_path(run, name);
	int ret;

	if (!path)
		return results_name_valid(name) ? -ENOMEM : -EINVAL;
	ret = results_write_file_atomic(path, text, strlen(text));
	free(path);
	if (!ret)
		ret = results_run_update_latest(run);
	return ret;
}

int results_run_close(struct results_run *run)
{
	int ret;

	if (!run)
		return 0;
	ret = results_run_update_latest(run);
	free(run->root);
	free(run->run_id);
	free(run->dir);
	free(run);
	return ret;
}
