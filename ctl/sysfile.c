// SPDX-License-Identifier: GPL-2.0
/* File helpers for the host's files and sysfs; see sysfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sysfile.h"

int file_read_all(const char *path, size_t max, uint8_t **bufp, size_t *lenp)
{
	size_t len = 0, cap = 4096;
	uint8_t *buf, *nb;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			if (cap > max) {
				err = -EFBIG;
				break;
			}
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!err && len > max)
		err = -EFBIG;
	if (err) {
		free(buf);
		return err;
	}
	buf[len] = 0;
	*bufp = buf;
	*lenp = len;
	return 0;
}

int file_write_all(const char *path, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) && !err)
		err = -errno;
	return err;
}

bool file_exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

void root_path(const char *root, const char *path, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", root ? root : "", path);
}

int file_read_line(const char *dir, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f)) {
		int err = ferror(f) ? -EIO : -ENODATA;

		fclose(f);
		return err;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* A number as strtoull() reads it in base; -EINVAL if there is none. */
static int parse_num(const char *s, int base, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, base);
	if (errno || end == s)
		return -EINVAL;
	return 0;
}

int file_read_hex(const char *dir, const char *name, unsigned long *v)
{
	unsigned long long x;
	char buf[32];
	int err = file_read_line(dir, name, buf, sizeof(buf));

	if (!err)
		err = parse_num(buf, 16, &x);
	if (!err)
		*v = (unsigned long)x;
	return err;
}

int file_link_base(const char *dir, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	base = strrchr(link, '/');
	if ((size_t)snprintf(buf, len, "%s", base ? base + 1 : link) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int mkdir_parents(const char *path)
{
	char buf[PATH_MAX], *p;

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (p = buf + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

int file_write_atomic(const char *path, const void *data, size_t len,
		      unsigned int mode)
{
	char tmp[PATH_MAX];
	const char *base = strrchr(path, '/');
	const uint8_t *p = data;
	int fd, err = 0;

	base = base ? base + 1 : path;
	if (!*base)
		return -EISDIR;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%.*s.%s.XXXXXX",
			     (int)(base - path), path, base) >= sizeof(tmp))
		return -ENAMETOOLONG;
	err = mkdir_parents(path);
	if (err)
		return err;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len && !err) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno != EINTR)
				err = -errno;
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
	if (!err && fchmod(fd, mode))
		err = -errno;
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

void pci_sysfs_path(const char *root, const struct gpupt_addr *a,
		    const char *attr, char *buf, size_t len)
{
	char name[GPUPT_ADDR_STRLEN];

	addr_format(a, name);
	snprintf(buf, len, "%s%s/%s%s%s", root ? root : "", SYSFS_PCI_DEVICES,
		 name, attr ? "/" : "", attr ? attr : "");
}

int pci_attr_str(const char *root, const struct gpupt_addr *a,
		 const char *attr, char *buf, size_t len)
{
	char dir[PATH_MAX];

	pci_sysfs_path(root, a, NULL, dir, sizeof(dir));
	return file_read_line(dir, attr, buf, len);
}

int pci_attr_u64(const char *root, const struct gpupt_addr *a,
		 const char *attr, uint64_t *v)
{
	unsigned long long x;
	char buf[64];
	int err;

	err = pci_attr_str(root, a, attr, buf, sizeof(buf));
	if (!err)
		err = parse_num(buf, 0, &x);
	if (!err)
		*v = x;
	return err;
}

int pci_driver(const char *root, const struct gpupt_addr *a, char *buf,
	       size_t len)
{
	char dir[PATH_MAX];

	pci_sysfs_path(root, a, NULL, dir, sizeof(dir));
	return file_link_base(dir, "driver", buf, len);
}

static int program_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int run_program(char *const argv[], bool quiet_stdout)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		if (quiet_stdout)
			dup2(STDERR_FILENO, STDOUT_FILENO);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return program_wait(pid);
}

char *run_capture(char *const argv[], size_t max)
{
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	int fds[2], rc;
	pid_t pid;

	if (pipe(fds))
		return NULL;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return NULL;
	}
	if (!pid) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(fds[1], STDOUT_FILENO);
		if (devnull >= 0)
			dup2(devnull, STDERR_FILENO);
		close(fds[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		ssize_t r;

		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			nb = cap <= max ? realloc(buf, cap) : NULL;
			if (!nb)
				break;
			buf = nb;
		}
		r = read(fds[0], buf + len, 4096);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fds[0]);
	rc = program_wait(pid);
	if (!buf || rc) {
		free(buf);
		return NULL;
	}
	buf[len] = 0;
	return buf;
}
