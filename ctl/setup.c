// SPDX-License-Identifier: GPL-2.0
/*
 * gptctl setup --ids LIST [--addrs LIST] [--dry-run] [--undo]
 *              [--apply-cmdline] [--root DIR] [--why] [--no-pt]
 *
 * Writes the boot integration so that gpupt holds the listed GPUs from the
 * initramfs on:
 *   /etc/modprobe.d/gpupt.conf       options gpupt ids=... + softdeps
 *   /etc/initramfs-tools/modules     "gpupt" (initramfs-tools hosts), or
 *   /etc/dracut.conf.d/gpupt.conf    force_drivers + the options (dracut)
 *   /etc/default/grub                GRUB_CMDLINE_LINUX (--apply-cmdline)
 * then regenerates the initramfs (and the GRUB config).  Every file it
 * changes is first copied to /var/lib/gpupt/backup with a manifest line;
 * --undo puts every file back byte for byte (or removes what setup
 * created).  The first backup of a file is kept across repeated runs, so
 * --undo always returns to the state before the first setup.
 *
 * Words on the GRUB command lines that no kernel's parser takes (such as
 * amd_iommu=on, which guides copy from each other) are removed whenever
 * setup edits /etc/default/grub (--apply-cmdline, --undo), and reported
 * as fixes with the reason; without --apply-cmdline setup only warns.
 *
 * --root DIR applies everything under DIR (a scratch root for tests, or a
 * mounted system) and runs no commands.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfgparse.h"
#include "gptctl.h"
#include "kparams.h"
#include "print.h"
#include "setup.h"
#include "sysfile.h"

#define CFG_FILE_MAX	(1u << 20)
#define MAX_CHANGES	8

/* The dracut snippet; dkms/dracut/gpupt.conf is the same text. */
static const char dracut_conf[] =
	"# Written by gptctl setup: load gpupt early in the initramfs, with its\n"
	"# options and softdeps, so it holds its GPUs before a host driver can.\n"
	"force_drivers+=\" gpupt \"\n"
	"install_items+=\" " SETUP_MODPROBE_CONF " \"\n";

enum initramfs_kind { INITRAMFS_NONE, INITRAMFS_TOOLS, INITRAMFS_DRACUT };

struct change {
	char path[PATH_MAX];	/* absolute, as on the target system */
	bool existed;
	mode_t mode;
	char *old;		/* NULL when the file did not exist */
	size_t oldlen;
	char *new;		/* NULL: remove the file (undo) */
};

struct setup {
	const char *root;	/* "" for / */
	bool dry_run;
	unsigned int n;
	struct change c[MAX_CHANGES];
};

static void rooted(const struct setup *s, const char *path, char *buf,
		   size_t len)
{
	snprintf(buf, len, "%s%s", s->root, path);
}

static bool rooted_exists(const struct setup *s, const char *path)
{
	char p[PATH_MAX];

	rooted(s, path, p, sizeof(p));
	return file_exists(p);
}

/* Read the current state of path into a new change.  -errno. */
static int change_load(struct setup *s, const char *path, struct change **out)
{
	struct change *c;
	char p[PATH_MAX];
	struct stat st;
	uint8_t *buf;
	size_t len;
	int err;

	if (s->n == MAX_CHANGES)
		return -E2BIG;
	c = &s->c[s->n];
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path);
	rooted(s, path, p, sizeof(p));
	c->mode = 0644;
	err = file_read_all(p, CFG_FILE_MAX, &buf, &len);
	if (err && err != -ENOENT)
		return err;
	if (!err) {
		c->existed = true;
		c->old = (char *)buf;
		c->oldlen = len;
		if (!stat(p, &st))
			c->mode = st.st_mode & 07777;
	}
	s->n++;
	*out = c;
	return 0;
}

static bool change_is_noop(const struct change *c)
{
	if (!c->new)
		return !c->existed;
	return c->existed && strlen(c->new) == c->oldlen &&
	       !memcmp(c->new, c->old, c->oldlen);
}

static void setup_free(struct setup *s)
{
	unsigned int i;

	for (i = 0; i < s->n; i++) {
		free(s->c[i].old);
		free(s->c[i].new);
	}
}

static bool have_cmd(const char *name)
{
	static const char *const dirs[] = {
		"/usr/sbin", "/sbin", "/usr/bin", "/bin", NULL,
	};
	char p[PATH_MAX];
	int i;

	for (i = 0; dirs[i]; i++) {
		snprintf(p, sizeof(p), "%s/%s", dirs[i], name);
		if (!access(p, X_OK))
			return true;
	}
	return false;
}

/* diff -u of one change, for --dry-run. */
static void print_diff(const struct change *c)
{
	char a[] = "/tmp/gptctl-old-XXXXXX", b[] = "/tmp/gptctl-new-XXXXXX";
	char la[PATH_MAX + 4], lb[PATH_MAX + 4];
	int fa, fb;

	fa = mkstemp(a);
	fb = mkstemp(b);
	if (fa < 0 || fb < 0)
		goto out;
	close(fa);
	close(fb);
	fa = fb = -1;
	if (file_write_all(a, c->old ? c->old : "", c->oldlen) ||
	    file_write_all(b, c->new ? c->new : "", c->new ? strlen(c->new) : 0))
		goto out;
	snprintf(la, sizeof(la), "a%s", c->path);
	snprintf(lb, sizeof(lb), "b%s", c->path);
	{
		char *argv[] = {
			"diff", "-u", "--label", c->existed ? la : "/dev/null",
			"--label", c->new ? lb : "/dev/null", a, b, NULL,
		};

		run_program(argv, false);	/* exit 1 just means "differ" */
	}
out:
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	unlink(a);
	unlink(b);
}

/* ---- backups ---- */

/*
 * Manifest lines: "EXISTED MODE PATH\n", EXISTED 1 or 0, MODE octal, and
 * the saved content in the file named by the line's index (0, 1, ...).
 */
static int manifest_read(const struct setup *s, char **text)
{
	char p[PATH_MAX];
	uint8_t *buf;
	size_t len;
	int err;

	rooted(s, SETUP_BACKUP_DIR "/manifest", p, sizeof(p));
	err = file_read_all(p, CFG_FILE_MAX, &buf, &len);
	if (err)
		return err;
	*text = (char *)buf;
	return 0;
}

/* Is path in the manifest already? */
static bool manifest_has(const char *manifest, const char *path)
{
	const char *p = manifest;

	while (p && *p) {
		const char *nl = strchr(p, '\n'), *sp;
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		sp = memchr(p, ' ', n);
		sp = sp ? memchr(sp + 1, ' ', n - (size_t)(sp + 1 - p)) : NULL;
		if (sp && (size_t)(p + n - sp - 1) == strlen(path) &&
		    !strncmp(sp + 1, path, strlen(path)))
			return true;
		p = nl ? nl + 1 : NULL;
	}
	return false;
}

static unsigned int manifest_lines(const char *manifest)
{
	unsigned int n = 0;

	for (; manifest && *manifest; manifest++)
		n += *manifest == '\n';
	return n;
}

/* Save c's current state unless an earlier run did.  -errno. */
static int backup(const struct setup *s, const struct change *c)
{
	char dir[PATH_MAX / 2], p[PATH_MAX], line[PATH_MAX + 32];
	char *manifest = NULL, *nm;
	unsigned int idx;
	int err;

	err = manifest_read(s, &manifest);
	if (err && err != -ENOENT)
		return err;
	if (manifest && manifest_has(manifest, c->path)) {
		free(manifest);
		return 0;
	}
	idx = manifest_lines(manifest);
	rooted(s, SETUP_BACKUP_DIR, dir, sizeof(dir));
	snprintf(p, sizeof(p), "%s/%u", dir, idx);
	err = mkdir_parents(p);
	if (!err && mkdir(dir, 0700) && errno != EEXIST)
		err = -errno;
	if (!err && c->existed)
		err = file_write_atomic(p, c->old, c->oldlen, 0600);
	snprintf(line, sizeof(line), "%d %04o %s\n", c->existed,
		 (unsigned int)c->mode, c->path);
	if (!err && asprintf(&nm, "%s%s", manifest ? manifest : "", line) < 0)
		err = -ENOMEM;
	if (!err) {
		snprintf(p, sizeof(p), "%s/manifest", dir);
		err = file_write_atomic(p, nm, strlen(nm), 0600);
		free(nm);
	}
	free(manifest);
	return err;
}

/* ---- the files ---- */

static int softdep_collect(const char *cmd, const char *module,
			   const char *rest, void *arg)
{
	char **list = arg, *n;

	if (strcmp(cmd, "softdep") || !softdep_has_pre(rest, "gpupt"))
		return 0;
	if (asprintf(&n, "%s%s%s", *list ? *list : "", *list ? " " : "",
		     module) < 0)
		return -ENOMEM;
	free(*list);
	*list = n;
	return 0;
}

static char *render_modprobe_conf(const char *old, const char *ids,
				  const char *addrs)
{
	char *user = NULL, *out = NULL, *deps = NULL, *n;
	const char *p;
	int i;

	/* Keep the user's softdep list if they edited it. */
	if (old && modprobe_foreach(old, softdep_collect, &user) < 0)
		goto fail;
	if (!user) {
		for (i = 0; setup_default_softdeps[i]; i++) {
			if (asprintf(&n, "%s%s%s", user ? user : "",
				     user ? " " : "", setup_default_softdeps[i]) < 0)
				goto fail;
			free(user);
			user = n;
		}
	}
	for (p = user; *p;) {
		size_t len = strcspn(p, " ");

		if (asprintf(&n, "%ssoftdep %.*s pre: gpupt\n", deps ? deps : "",
			     (int)len, p) < 0)
			goto fail;
		free(deps);
		deps = n;
		p += len;
		while (*p == ' ')
			p++;
	}
	if (asprintf(&out,
		     "# Written by gptctl setup; gptctl setup --undo restores the previous state.\n"
		     "# gpupt holds these devices from the moment it loads, so no host driver\n"
		     "# can take them.\n"
		     "options gpupt%s%s%s%s\n"
		     "\n"
		     "# Load gpupt before the drivers that would otherwise take these devices.\n"
		     "# Edit this list to suit the host: gptctl setup keeps it when it runs again.\n"
		     "%s",
		     ids ? " ids=" : "", ids ? ids : "",
		     addrs ? " addrs=" : "", addrs ? addrs : "", deps) < 0)
		out = NULL;
fail:
	free(user);
	free(deps);
	return out;
}

static enum initramfs_kind initramfs_detect(const struct setup *s)
{
	if (rooted_exists(s, "/etc/initramfs-tools"))
		return INITRAMFS_TOOLS;
	if (rooted_exists(s, "/etc/dracut.conf") ||
	    rooted_exists(s, "/etc/dracut.conf.d"))
		return INITRAMFS_DRACUT;
	return INITRAMFS_NONE;
}

static const char *initramfs_name(enum initramfs_kind k)
{
	switch (k) {
	case INITRAMFS_TOOLS:	return "initramfs-tools";
	case INITRAMFS_DRACUT:	return "dracut";
	default:		return NULL;
	}
}

static int regenerate_initramfs(enum initramfs_kind k)
{
	char *itools[] = { "update-initramfs", "-u", "-k", "all", NULL };
	char *dracut[] = { "dracut", "--regenerate-all", "--force", NULL };

	if (k == INITRAMFS_TOOLS)
		return run_program(itools, true);
	if (k == INITRAMFS_DRACUT)
		return run_program(dracut, true);
	return 0;
}

static int update_bootloader(void)
{
	char *update_grub[] = { "update-grub", NULL };
	char *mk2[] = { "grub2-mkconfig", "-o", "/boot/grub2/grub.cfg", NULL };
	char *mk[] = { "grub-mkconfig", "-o", "/boot/grub/grub.cfg", NULL };

	if (have_cmd("update-grub"))
		return run_program(update_grub, true);
	if (have_cmd("grub2-mkconfig"))
		return run_program(mk2, true);
	if (have_cmd("grub-mkconfig"))
		return run_program(mk, true);
	errmsg("no update-grub, grub2-mkconfig or grub-mkconfig: update the bootloader configuration yourself");
	return 1;
}

/* ---- command line words no kernel takes ---- */

#define MAX_FIXES	16

struct fix {
	char word[256];
	const char *var;	/* GRUB_CMDLINE_LINUX or ..._DEFAULT */
	char replacement[256];	/* "" when removed */
	char *reason;
};

struct fixes {
	unsigned int n;
	struct fix f[MAX_FIXES];
};

static bool fixes_has(const struct fixes *fx, const char *word,
		      const char *var)
{
	unsigned int i;

	for (i = 0; i < fx->n; i++)
		if (!strcmp(fx->f[i].word, word) && !strcmp(fx->f[i].var, var))
			return true;
	return false;
}

/*
 * grub_word_fix for amd_iommu= and intel_iommu= options that no parser
 * knows (kparams.c lists them): drop them, and the word when none is left.
 */
static int fix_word(const char *var, const char *w, size_t n, char *buf,
		    size_t len, void *arg)
{
	const char *eq = memchr(w, '=', n);
	struct fixes *fx = arg;
	char bad[64], word[256], val[200];
	bool intel;
	struct fix *f;

	if (!eq || n >= sizeof(word))
		return 0;
	if ((size_t)(eq - w) == 9 && !strncmp(w, "amd_iommu", 9))
		intel = false;
	else if ((size_t)(eq - w) == 11 && !strncmp(w, "intel_iommu", 11))
		intel = true;
	else
		return 0;
	if (!kparams_iommu_value_fix(intel, eq + 1, (size_t)(w + n - eq - 1),
				     val, sizeof(val), bad, sizeof(bad)))
		return 0;
	if (*val)	/* the options that are left */
		snprintf(buf, len, "%.*s%s", (int)(eq + 1 - w), w, val);
	else		/* none: drop the word */
		buf[0] = 0;
	snprintf(word, sizeof(word), "%.*s", (int)n, w);
	if (fx->n == MAX_FIXES || fixes_has(fx, word, var))
		return 1;
	f = &fx->f[fx->n];
	snprintf(f->word, sizeof(f->word), "%s", word);
	snprintf(f->replacement, sizeof(f->replacement), "%s", buf);
	f->var = var;
	if (!intel && !strcmp(bad, "on"))
		f->reason = strdup(kparams_amd_on_reason);
	else if (asprintf(&f->reason,
			  "%s= has no option \"%s\": %s logs \"%s: Unknown option - '%s'\"",
			  intel ? "intel_iommu" : "amd_iommu", bad,
			  intel ? "intel_iommu_setup() in drivers/iommu/intel/iommu.c" :
			  "parse_amd_iommu_options() in drivers/iommu/amd/init.c",
			  intel ? "DMAR" : "AMD-Vi", bad) < 0)
		f->reason = NULL;
	fx->n++;
	return 1;
}

static void fixes_free(struct fixes *fx)
{
	unsigned int i;

	for (i = 0; i < fx->n; i++)
		free(fx->f[i].reason);
	fx->n = 0;
}

/* Text: "fixed: ..." per word; JSON: "fixed": [{word, action, ...}]. */
static void fixes_print(const struct fixes *fx, bool dry_run)
{
	unsigned int i;

	open_json_array("fixed");
	for (i = 0; i < fx->n; i++) {
		const struct fix *f = &fx->f[i];

		open_json_object(NULL);
		print_string("word", dry_run ? "would fix: %s" : "fixed: %s", f->word);
		print_string("action", " %s", *f->replacement ? "replaced" : "removed");
		if (*f->replacement)
			print_string("replacement", " by %s", f->replacement);
		print_string("variable", *f->replacement ? " in %s" : " from %s", f->var);
		print_string("file", " (%s)", SETUP_GRUB_DEFAULT);
		print_string("reason", ": %s\n", f->reason ? f->reason : "");
		close_json_object();
	}
	close_json_array();
}

/* Apply (or, dry, show) every change.  Returns EXIT_*. */
static int apply(struct setup *s, bool backups)
{
	unsigned int i;
	int err;

	open_json_array("files");
	for (i = 0; i < s->n; i++) {
		struct change *c = &s->c[i];
		const char *action = change_is_noop(c) ? "unchanged" :
				     !c->new ? "remove" :
				     c->existed ? "modify" : "create";
		char p[PATH_MAX];

		open_json_object(NULL);
		print_string("path", "%-32s ", c->path);
		print_string("action", "%s\n", action);
		close_json_object();
		if (change_is_noop(c))
			continue;
		if (s->dry_run) {
			if (!is_json())
				print_diff(c);
			continue;
		}
		if (backups) {
			err = backup(s, c);
			if (err) {
				close_json_array();
				errmsg("backing up %s: %s", c->path, strerror(-err));
				return EXIT_FAIL;
			}
		}
		rooted(s, c->path, p, sizeof(p));
		if (c->new)
			err = file_write_atomic(p, c->new, strlen(c->new), c->mode);
		else
			err = unlink(p) ? -errno : 0;
		if (err) {
			close_json_array();
			errmsg("%s: %s", p, strerror(-err));
			return EXIT_FAIL;
		}
	}
	close_json_array();
	return EXIT_OK;
}

static bool touched(const struct setup *s, const char *path)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->c[i].path, path) && !change_is_noop(&s->c[i]))
			return true;
	return false;
}

/*
 * proxmox-boot-tool copies kernels, initrds and /etc/kernel/cmdline to the
 * ESPs it manages (systemd-boot, or GRUB on them); elsewhere the system's
 * own kernel-install hook reads /etc/kernel/cmdline when a kernel is next
 * installed.
 */
static int update_boot_entries(void)
{
	char *pbt[] = { "proxmox-boot-tool", "refresh", NULL };

	if (have_cmd("proxmox-boot-tool"))
		return run_program(pbt, true);
	errmsg("warning: no proxmox-boot-tool: the boot entries take " SETUP_KERNEL_CMDLINE " when they are next made (kernel-install add, or your bootloader's tool)");
	return 0;
}

/* After apply(): regenerate what the changes need, unless --root/dry. */
static int regenerate(const struct setup *s, enum initramfs_kind k,
		      bool grub, bool kcmdline)
{
	int ret = EXIT_OK, rc;

	if (s->dry_run)
		return EXIT_OK;
	if (*s->root) {
		print_text("--root: not regenerating the initramfs or the bootloader configuration\n");
		return EXIT_OK;
	}
	if (k != INITRAMFS_NONE) {
		rc = regenerate_initramfs(k);
		print_bool("initramfs_regenerated", NULL, rc == 0);
		if (rc) {
			errmsg("regenerating the initramfs (%s) failed (%d)",
			       initramfs_name(k), rc);
			ret = EXIT_FAIL;
		}
	}
	if (grub) {
		rc = update_bootloader();
		print_bool("bootloader_updated", NULL, rc == 0);
		if (rc)
			ret = EXIT_FAIL;
	}
	if (kcmdline) {
		rc = update_boot_entries();
		print_bool("boot_entries_updated", NULL, rc == 0);
		if (rc) {
			errmsg("proxmox-boot-tool refresh failed (%d)", rc);
			ret = EXIT_FAIL;
		}
	}
	return ret;
}

/*
 * c is /etc/default/grub: drop from c->new the words no kernel takes, and
 * list in fx those gone from c->old, whether dropped here or absent from
 * c->new already (restored from before an old setup wrote them).
 * Returns 0 or prints the error and returns 1.
 */
static int fix_grub(struct change *c, struct fixes *fx)
{
	struct fixes before = { 0 };
	char *fixed, *tmp;
	unsigned int i;

	if (c->new && grub_fix_words(c->new, fix_word, fx, &fixed))
		goto oom;
	if (c->new) {
		free(c->new);
		c->new = fixed;
	}
	if (c->old && strlen(c->old) == c->oldlen) {
		if (grub_fix_words(c->old, fix_word, &before, &tmp))
			goto oom;
		free(tmp);
		for (i = 0; i < before.n; i++) {
			if (fx->n == MAX_FIXES ||
			    fixes_has(fx, before.f[i].word, before.f[i].var))
				continue;
			fx->f[fx->n] = before.f[i];
			before.f[i].reason = NULL;
			fx->n++;
		}
		fixes_free(&before);
	}
	return 0;
oom:
	fixes_free(&before);
	errmsg("out of memory");
	return 1;
}

static int setup_undo(struct setup *s)
{
	struct fixes fx = { 0 };
	char *manifest = NULL, *p, *nl, dir[PATH_MAX / 2], bk[PATH_MAX];
	unsigned int idx = 0, i;
	bool grub;
	int err, ret;

	err = manifest_read(s, &manifest);
	if (err == -ENOENT) {
		errmsg("nothing to undo: no %s%s/manifest", s->root,
		       SETUP_BACKUP_DIR);
		return EXIT_FAIL;
	}
	if (err) {
		errmsg("%s%s/manifest: %s", s->root, SETUP_BACKUP_DIR,
		       strerror(-err));
		return EXIT_FAIL;
	}
	rooted(s, SETUP_BACKUP_DIR, dir, sizeof(dir));
	for (p = manifest; *p; p = nl + 1, idx++) {
		unsigned int mode;
		int existed, pos = 0;
		struct change *c;
		uint8_t *buf;
		size_t len;

		nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = 0;
		if (sscanf(p, "%d %o %n", &existed, &mode, &pos) != 2 || !pos ||
		    p[pos] != '/') {
			errmsg("%s/manifest: bad line '%s'", dir, p);
			free(manifest);
			return EXIT_FAIL;
		}
		err = change_load(s, p + pos, &c);
		if (err) {
			errmsg("%s: %s", p + pos, strerror(-err));
			free(manifest);
			return EXIT_FAIL;
		}
		c->mode = (mode_t)mode;
		if (existed) {
			snprintf(bk, sizeof(bk), "%s/%u", dir, idx);
			err = file_read_all(bk, CFG_FILE_MAX, &buf, &len);
			if (err) {
				errmsg("%s: %s", bk, strerror(-err));
				free(manifest);
				return EXIT_FAIL;
			}
			if (strlen((char *)buf) != len) {
				errmsg("%s: holds NUL bytes; restore %s by hand",
				       bk, c->path);
				free(buf);
				free(manifest);
				return EXIT_FAIL;
			}
			c->new = (char *)buf;
		}
		if (!strcmp(c->path, SETUP_GRUB_DEFAULT) &&
		    fix_grub(c, &fx)) {
			free(manifest);
			fixes_free(&fx);
			return EXIT_FAIL;
		}
	}
	free(manifest);

	print_begin(gopts.json);
	open_json_object(NULL);
	print_bool("dry_run", NULL, s->dry_run);
	ret = apply(s, false);
	if (ret == EXIT_OK && !s->dry_run) {
		/* Everything is back: drop the backups. */
		for (i = 0; i < idx; i++) {
			snprintf(bk, sizeof(bk), "%s/%u", dir, i);
			unlink(bk);
		}
		snprintf(bk, sizeof(bk), "%s/manifest", dir);
		unlink(bk);
		rmdir(dir);
		rooted(s, "/var/lib/gpupt", bk, sizeof(bk));
		rmdir(bk);	/* only if empty: setup created it */
	}
	if (ret == EXIT_OK)
		fixes_print(&fx, s->dry_run);
	fixes_free(&fx);
	grub = touched(s, SETUP_GRUB_DEFAULT);
	if (ret == EXIT_OK)
		ret = regenerate(s, initramfs_detect(s), grub,
				 touched(s, SETUP_KERNEL_CMDLINE));
	close_json_object();
	print_end();
	return ret;
}

/* Without --apply-cmdline: name what should go, and how. */
static void warn_grub(const struct setup *s)
{
	struct fixes fx = { 0 };
	char p[PATH_MAX], *text, *tmp;
	unsigned int i;
	uint8_t *buf;
	size_t len;

	rooted(s, SETUP_GRUB_DEFAULT, p, sizeof(p));
	if (file_read_all(p, CFG_FILE_MAX, &buf, &len))
		return;
	text = (char *)buf;
	if (strlen(text) == len && !grub_fix_words(text, fix_word, &fx, &tmp))
		free(tmp);
	for (i = 0; i < fx.n; i++)
		errmsg("warning: %s in %s of %s: %s; gptctl setup --apply-cmdline %s it",
		       fx.f[i].word, fx.f[i].var, SETUP_GRUB_DEFAULT,
		       fx.f[i].reason ? fx.f[i].reason : "",
		       *fx.f[i].replacement ? "corrects" : "removes");
	fixes_free(&fx);
	free(text);
}

/*
 * --apply-cmdline: the words go into /etc/default/grub (GRUB) and into
 * /etc/kernel/cmdline (systemd-boot, kernel-install, proxmox-boot-tool),
 * whichever the system has, both when it has both.  @in names them, for
 * the summary.  EXIT_OK, or EXIT_FAIL after saying why.
 */
static int cmdline_changes(struct setup *s, const char *words,
			   struct fixes *fx, char *in, size_t len)
{
	static const char *const paths[] = {
		SETUP_GRUB_DEFAULT, SETUP_KERNEL_CMDLINE,
	};
	const char *why = NULL;
	struct change *c;
	char *fixed;
	size_t off = 0;
	int err;

	*in = 0;
	for (size_t i = 0; i < 2; i++) {
		bool grub = i == 0;

		if (!rooted_exists(s, paths[i]))
			continue;
		err = change_load(s, paths[i], &c);
		if (err) {
			errmsg("%s%s: %s", s->root, paths[i], strerror(-err));
			return EXIT_FAIL;
		}
		if (strlen(c->old) != c->oldlen) {
			errmsg("%s: holds NUL bytes; not editing it", paths[i]);
			return EXIT_FAIL;
		}
		if (grub) {
			/* First drop what no kernel takes, then set ours. */
			if (grub_fix_words(c->old, fix_word, fx, &fixed))
				goto oom;
			err = grub_set_cmdline(fixed, words, &c->new, &why);
			free(fixed);
		} else {
			err = kcmdline_set(c->old, words, &c->new, &why);
		}
		if (err == -EINVAL) {
			errmsg("%s: %s; add these words yourself: %s",
			       paths[i], why, words);
			return EXIT_FAIL;
		}
		if (err)
			goto oom;
		off += (size_t)snprintf(in + off, len - off, "%s%s",
					off ? " and " : "", paths[i]);
	}
	if (!*in) {
		errmsg("--apply-cmdline: neither %s%s (GRUB) nor %s%s (systemd-boot, proxmox-boot-tool); add these words to the kernel command line yourself: %s",
		       s->root, SETUP_GRUB_DEFAULT, s->root,
		       SETUP_KERNEL_CMDLINE, words);
		return EXIT_FAIL;
	}
	return EXIT_OK;
oom:
	errmsg("out of memory");
	return EXIT_FAIL;
}

int cmd_setup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ids", required_argument, NULL, 'i' },
		{ "addrs", required_argument, NULL, 'a' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "undo", no_argument, NULL, 'u' },
		{ "apply-cmdline", no_argument, NULL, 'c' },
		{ "root", required_argument, NULL, 'r' },
		{ "why", no_argument, NULL, 'w' },
		{ "no-pt", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	struct setup_list_args la = { NULL, NULL };
	bool undo = false, apply_cmdline = false, why_words = false, pt = true;
	struct fixes fx = { 0 };
	struct kwords kw = { 0 };
	char *ids = NULL, *addrs = NULL, *words = NULL, root[PATH_MAX];
	char cmdline_in[2 * PATH_MAX];
	struct setup s = { .root = "" };
	enum initramfs_kind kind;
	struct change *c;
	int ch, ret, err;

	while ((ch = cmd_getopt(argc, argv, "", opts)) != -1) {
		if (setup_list_opt(ch, optarg, &la))
			continue;
		switch (ch) {
		case 'n':
			s.dry_run = true;
			break;
		case 'u':
			undo = true;
			break;
		case 'c':
			apply_cmdline = true;
			break;
		case 'w':
			why_words = true;
			break;
		case 'P':
			pt = false;
			break;
		case 'r':
			if (!realpath(optarg, root)) {
				errmsg("--root %s: %s", optarg, strerror(errno));
				return EXIT_FAIL;
			}
			s.root = strcmp(root, "/") ? root : "";
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return usage_error("setup: unexpected argument '%s'", argv[optind]);
	if (!s.dry_run && geteuid() && !*s.root) {
		errmsg("setup writes under /etc: run it as root (or try --dry-run)");
		return EXIT_FAIL;
	}
	if (undo) {
		if (la.ids || la.addrs || apply_cmdline || why_words || !pt)
			return usage_error("--undo takes no --ids, --addrs, --apply-cmdline, --why or --no-pt");
		ret = setup_undo(&s);
		setup_free(&s);
		return ret;
	}
	ret = setup_parse_lists(la.ids, la.addrs, &ids, &addrs);
	if (ret)
		return ret;
	if (kparams_words(ids, addrs, pt, &kw))
		goto oom;
	words = kwords_join(&kw);
	if (!words)
		goto oom;
	if (kw.note)
		errmsg("%s", kw.note);

	/* 1. modprobe options and softdeps. */
	err = change_load(&s, SETUP_MODPROBE_CONF, &c);
	if (err)
		goto ioerr;
	c->new = render_modprobe_conf(c->old, ids, addrs);
	if (!c->new)
		goto oom;

	/* 2. the initramfs inclusion. */
	kind = initramfs_detect(&s);
	if (kind == INITRAMFS_TOOLS) {
		err = change_load(&s, SETUP_ITOOLS_MODULES, &c);
		if (err)
			goto ioerr;
		c->new = modules_list_add(c->old ? c->old : "", "gpupt");
		if (!c->new)
			goto oom;
	} else if (kind == INITRAMFS_DRACUT) {
		err = change_load(&s, SETUP_DRACUT_CONF, &c);
		if (err)
			goto ioerr;
		c->new = strdup(dracut_conf);
		if (!c->new)
			goto oom;
	} else {
		errmsg("warning: neither initramfs-tools nor dracut found: gpupt loads from the root file system, after the initramfs, which may be too late");
	}

	/* 3. the kernel command line, only when asked. */
	if (apply_cmdline) {
		ret = cmdline_changes(&s, words, &fx, cmdline_in, sizeof(cmdline_in));
		if (ret)
			goto out;
	} else {
		warn_grub(&s);
	}

	print_begin(gopts.json);
	open_json_object(NULL);
	print_bool("dry_run", NULL, s.dry_run);
	if (initramfs_name(kind))
		print_string("initramfs", NULL, initramfs_name(kind));
	else
		print_null("initramfs", NULL);
	ret = apply(&s, true);
	if (ret == EXIT_OK)
		ret = regenerate(&s, kind, touched(&s, SETUP_GRUB_DEFAULT),
				 touched(&s, SETUP_KERNEL_CMDLINE));
	if (apply_cmdline) {
		print_text("kernel command line (in %s): ", cmdline_in);
		print_string("cmdline", "%s\n", words);
	}
	else
		print_string("cmdline", "add to the kernel command line: %s\n", words);
	if (apply_cmdline && ret == EXIT_OK)
		fixes_print(&fx, s.dry_run);
	if (why_words || is_json())
		kwords_print(&kw, "words");
	if (!s.dry_run && ret == EXIT_OK)
		print_text("then reboot; gptctl doctor checks the result\n");
	close_json_object();
	print_end();
	goto out;

oom:
	errmsg("out of memory");
	ret = EXIT_FAIL;
	goto out;
ioerr:
	errmsg("%s%s: %s", s.root, s.n < MAX_CHANGES ? s.c[s.n].path : "",
	       strerror(-err));
	ret = EXIT_FAIL;
out:
	fixes_free(&fx);
	kwords_free(&kw);
	free(words);
	free(ids);
	free(addrs);
	setup_free(&s);
	return ret;
}
