// SPDX-License-Identifier: MIT
/*
 * Tests for lib/cgroup.c and lib/context.c: the mountinfo and
 * /proc/PID/cgroup parsers, naming each runtime's cgroup paths, and a fake
 * root (mountinfo, a cgroup2 tree, Docker's, containerd's and CRI-O's
 * files in their real formats) opened with tl_cgroups_open.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"
#include "tcplimbo/context.h"

#define DOCKER_ID \
	"3f2a9c0e5b7d41a8b6c2e9f0a1d3c5e7f9b1a2c4d6e8f0a2b4c6d8e0f2a4b6c8"
#define CTRD_ID \
	"8d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e"
#define CRIO_ID \
	"c0ffee0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
#define POD_UID "6b9f1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
#define POD_UID_US "6b9f1c2d_3e4f_4a5b_8c6d_7e8f9a0b1c2d"

/* This machine's mountinfo: v1 controllers, cgroup2 at .../unified. */
#define MOUNTINFO                                                              \
	"23 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs "   \
	"sysfs rw\n"                                                           \
	"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"  \
	"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n" \
	"40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup "     \
	"rw,name=systemd\n"                                                    \
	"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 "  \
	"cgroup2 rw,nsdelegate\n"

static void test_parse_mountinfo(void **state)
{
	char mnt[256], base[256];
	const char *esc = "50 1 0:40 /a\\040b /mnt/my\\040cg rw - cgroup2 "
			  "cgroup2 rw\n";
	const char *v1 = "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup "
			 "cgroup rw,cpu\n";

	(void)state;
	assert_int_equal(tl_cgroup_parse_mountinfo(MOUNTINFO, strlen(MOUNTINFO),
						   mnt, sizeof(mnt), base,
						   sizeof(base)),
			 0);
	assert_string_equal(mnt, "/sys/fs/cgroup/unified");
	assert_string_equal(base, "/");
	/* The kernel writes a space as \040. */
	assert_int_equal(tl_cgroup_parse_mountinfo(esc, strlen(esc), mnt,
						   sizeof(mnt), base,
						   sizeof(base)),
			 0);
	assert_string_equal(mnt, "/mnt/my cg");
	assert_string_equal(base, "/a b");
	assert_int_equal(tl_cgroup_parse_mountinfo(v1, strlen(v1), mnt,
						   sizeof(mnt), base,
						   sizeof(base)),
			 -ENOENT);
	/* v1's: a controller among the super options, not the mount's. */
	assert_int_equal(tl_cgroup_parse_mountinfo_v1(v1, strlen(v1), "cpu",
						      mnt, sizeof(mnt), base,
						      sizeof(base)),
			 0);
	assert_string_equal(mnt, "/sys/fs/cgroup/cpu");
	assert_int_equal(tl_cgroup_parse_mountinfo_v1(v1, strlen(v1), "cpuacct",
						      mnt, sizeof(mnt), base,
						      sizeof(base)),
			 -ENOENT);
	/* No freezer mounted; name=systemd names no controller. */
	assert_int_equal(tl_cgroup_parse_mountinfo_v1(
				 MOUNTINFO, strlen(MOUNTINFO), "freezer", mnt,
				 sizeof(mnt), base, sizeof(base)),
			 -ENOENT);
	assert_int_equal(tl_cgroup_parse_mountinfo_v1(
				 MOUNTINFO, strlen(MOUNTINFO), "systemd", mnt,
				 sizeof(mnt), base, sizeof(base)),
			 -ENOENT);
	assert_int_equal(tl_cgroup_parse_mountinfo(MOUNTINFO, strlen(MOUNTINFO),
						   mnt, 8, base, sizeof(base)),
			 -ENAMETOOLONG);
	/* A subtree mounted first, the whole hierarchy after: the whole. */
	{
		const char *two =
			"29 1 0:26 /pod /srv/pod rw - cgroup2 cgroup2 rw\n"
			"30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";

		assert_int_equal(tl_cgroup_parse_mountinfo(two, strlen(two),
							   mnt, sizeof(mnt),
							   base, sizeof(base)),
				 0);
		assert_string_equal(mnt, "/sys/fs/cgroup");
		assert_string_equal(base, "/");
		/* Only the subtree: that one. */
		assert_int_equal(tl_cgroup_parse_mountinfo(two, 48, mnt,
							   sizeof(mnt), base,
							   sizeof(base)),
				 0);
		assert_string_equal(mnt, "/srv/pod");
		assert_string_equal(base, "/pod");
	}
	/* A line cut before its type is no mount. */
	assert_int_equal(tl_cgroup_parse_mountinfo("41 31 0:38 / /x rw", 18,
						   mnt, sizeof(mnt), base,
						   sizeof(base)),
			 -ENOENT);
}

static void test_parse_proc(void **state)
{
	const char *mixed = "9:name=systemd:/\n8:pids:/\n"
			    "4:memory:/system.slice/nginx.service\n"
			    "0::/system.slice/nginx.service\n";
	const char *v1only = "4:memory:/docker/abc\n1:cpu:/\n";
	char buf[64];

	(void)state;
	assert_int_equal(tl_cgroup_parse_proc(mixed, strlen(mixed), buf,
					      sizeof(buf)),
			 0);
	assert_string_equal(buf, "/system.slice/nginx.service");
	/* Not terminated: the length is what counts. */
	assert_int_equal(tl_cgroup_parse_proc("0::/a/b", 5, buf, sizeof(buf)),
			 0);
	assert_string_equal(buf, "/a");
	assert_int_equal(tl_cgroup_parse_proc(v1only, strlen(v1only), buf,
					      sizeof(buf)),
			 -ENOENT);
	assert_int_equal(tl_cgroup_parse_proc(mixed, strlen(mixed), buf, 10),
			 -ENAMETOOLONG);
	assert_int_equal(tl_cgroup_parse_proc("0::\n", 4, buf, sizeof(buf)),
			 -ENOENT);
	/* A v1 controller's line, alone or with others on its hierarchy. */
	assert_int_equal(tl_cgroup_parse_proc_v1(mixed, strlen(mixed), "memory",
						 buf, sizeof(buf)),
			 0);
	assert_string_equal(buf, "/system.slice/nginx.service");
	assert_int_equal(tl_cgroup_parse_proc_v1("5:cpu,freezer:/lxc/a:b\n", 22,
						 "freezer", buf, sizeof(buf)),
			 0);
	assert_string_equal(buf, "/lxc/a:b");
	assert_int_equal(tl_cgroup_parse_proc_v1(mixed, strlen(mixed),
						 "freezer", buf, sizeof(buf)),
			 -ENOENT);
	/* name=systemd is no controller named systemd. */
	assert_int_equal(tl_cgroup_parse_proc_v1(mixed, strlen(mixed),
						 "systemd", buf, sizeof(buf)),
			 -ENOENT);
}

struct path_case {
	const char *path;
	int kind;
	const char *id;
	const char *unit;
	const char *pod_uid;
	int runtime;
};

static void test_parse_path(void **state)
{
	static const struct path_case cases[] = {
		{ "/system.slice/nginx.service", TL_CONTEXT_UNIT,
		  "nginx.service", "nginx.service", "", 0 },
		{ "/user.slice/user-1000.slice/user@1000.service/app.slice/"
		  "gnome-terminal.service",
		  TL_CONTEXT_UNIT, "gnome-terminal.service",
		  "gnome-terminal.service", "", 0 },
		{ "/user.slice/user-1000.slice/user@1000.service",
		  TL_CONTEXT_UNIT, "user@1000.service", "user@1000.service", "",
		  0 },
		{ "/user.slice/user-1000.slice/session-3.scope",
		  TL_CONTEXT_UNIT, "session-3.scope", "session-3.scope", "",
		  0 },
		{ "/system.slice/docker-" DOCKER_ID ".scope", TL_CONTEXT_DOCKER,
		  DOCKER_ID, "", "", 0 },
		{ "/docker/" DOCKER_ID, TL_CONTEXT_DOCKER, DOCKER_ID, "", "",
		  0 },
		{ "/docker/" DOCKER_ID "/nested", TL_CONTEXT_DOCKER, DOCKER_ID,
		  "", "", 0 },
		{ "/system.slice/cri-containerd-" CTRD_ID ".scope",
		  TL_CONTEXT_CONTAINERD, CTRD_ID, "", "", 0 },
		{ "/machine.slice/crio-" CRIO_ID ".scope", TL_CONTEXT_CRIO,
		  CRIO_ID, "", "", 0 },
		{ "/machine.slice/libpod-" CRIO_ID ".scope", TL_CONTEXT_PODMAN,
		  CRIO_ID, "", "", 0 },
		{ "/user.slice/user-1000.slice/user@1000.service/user.slice/"
		  "libpod-" CRIO_ID ".scope/container",
		  TL_CONTEXT_PODMAN, CRIO_ID, "user@1000.service", "", 0 },
		{ "/kubepods.slice/kubepods-burstable.slice/"
		  "kubepods-burstable-pod" POD_UID_US
		  ".slice/cri-containerd-" CTRD_ID ".scope",
		  TL_CONTEXT_KUBERNETES, CTRD_ID, "", POD_UID,
		  TL_CONTEXT_CONTAINERD },
		{ "/kubepods.slice/kubepods-pod" POD_UID_US
		  ".slice/crio-" CRIO_ID ".scope",
		  TL_CONTEXT_KUBERNETES, CRIO_ID, "", POD_UID,
		  TL_CONTEXT_CRIO },
		{ "/kubepods/besteffort/pod" POD_UID "/" CTRD_ID,
		  TL_CONTEXT_KUBERNETES, CTRD_ID, "", POD_UID, 0 },
		{ "/kubepods/pod" POD_UID, TL_CONTEXT_KUBERNETES, "", "",
		  POD_UID, 0 },
		/*
		 * A node that is a container itself (kind, k3d; Kubernetes
		 * in LXC): the pod's container is below the pod, and the
		 * node's is none of the pod's.
		 */
		{ "/docker/" DOCKER_ID "/kubepods/besteffort/pod" POD_UID
		  "/" CTRD_ID,
		  TL_CONTEXT_KUBERNETES, CTRD_ID, "", POD_UID, 0 },
		{ "/system.slice/docker-" DOCKER_ID ".scope/kubepods/burstable/"
		  "pod" POD_UID "/" CTRD_ID,
		  TL_CONTEXT_KUBERNETES, CTRD_ID, "", POD_UID, 0 },
		{ "/lxc.payload.node1/kubepods/burstable/pod" POD_UID
		  "/" CTRD_ID,
		  TL_CONTEXT_KUBERNETES, CTRD_ID, "", POD_UID, 0 },
		{ "/docker/" DOCKER_ID "/kubepods/pod" POD_UID,
		  TL_CONTEXT_KUBERNETES, "", "", POD_UID, 0 },
		/* Look-alikes that name nothing. */
		{ "/", TL_CONTEXT_NONE, "", "", "", 0 },
		{ "/system.slice", TL_CONTEXT_NONE, "", "", "", 0 },
		{ "/docker-xyz.scope", TL_CONTEXT_UNIT, "docker-xyz.scope",
		  "docker-xyz.scope", "", 0 },
		{ "/machine.slice/libpod-conmon-" CRIO_ID ".scope",
		  TL_CONTEXT_UNIT, "libpod-conmon-" CRIO_ID ".scope",
		  "libpod-conmon-" CRIO_ID ".scope", "", 0 },
		{ "/pod" POD_UID "/" CTRD_ID, TL_CONTEXT_NONE, "", "", "", 0 },
		/* Not pods: no part of their names is taken for a uid. */
		{ "/kubepods.slice/kubepods-pod1z.slice", TL_CONTEXT_NONE, "",
		  "", "", 0 },
		{ "/kubepods/besteffort/podcast", TL_CONTEXT_NONE, "", "", "",
		  0 },
		/* System containers: their units are theirs, not the host's. */
		{ "/lxc.payload.web/system.slice/inner.service", TL_CONTEXT_LXC,
		  "", "inner.service", "", 0 },
		{ "/lxc/web/system.slice/inner.service", TL_CONTEXT_LXC, "",
		  "inner.service", "", 0 },
		{ "/machine.slice/systemd-nspawn@ct1.service/payload/"
		  "system.slice/inner.service",
		  TL_CONTEXT_NSPAWN, "", "inner.service", "", 0 },
		{ "/machine.slice/systemd-nspawn@ct1.service",
		  TL_CONTEXT_NSPAWN, "", "", "", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct path_case *c = &cases[i];
		struct tl_context ctx;

		print_message("%s\n", c->path);
		assert_int_equal(tl_context_parse_path(c->path, &ctx), 0);
		assert_int_equal(ctx.kind, c->kind);
		assert_string_equal(ctx.id, c->id);
		assert_string_equal(ctx.unit, c->unit);
		assert_string_equal(ctx.pod_uid, c->pod_uid);
		assert_int_equal(ctx.runtime, c->runtime);
	}
	{
		struct tl_context ctx;

		assert_int_equal(tl_context_parse_path("/lxc.payload.web/"
						       "system.slice/a.service",
						       &ctx),
				 0);
		assert_string_equal(ctx.name, "web");
		assert_int_equal(tl_context_parse_path(
					 "/machine.slice/systemd-nspawn@ct1."
					 "service/payload",
					 &ctx),
				 0);
		assert_string_equal(ctx.name, "ct1");
		assert_string_equal(tl_context_kind_name(TL_CONTEXT_NSPAWN),
				    "nspawn");
	}
	assert_string_equal(tl_context_kind_name(TL_CONTEXT_UNIT),
			    "systemd-unit");
	assert_string_equal(tl_context_kind_name(TL_CONTEXT_KUBERNETES),
			    "kubernetes");
	assert_null(tl_context_kind_name(TL_CONTEXT_NONE));
	assert_null(tl_context_kind_name(99));
}

/* Makes every directory of rel under dir, like mkdir -p. */
static void mkdirs(const char *dir, const char *rel)
{
	char path[PATH_MAX];
	size_t dl = strlen(dir);

	assert_true(snprintf(path, sizeof(path), "%s/%s", dir, rel) <
		    (int)sizeof(path));
	for (char *p = path + dl + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
		*p = '/';
	}
	assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
}

static void write_str(const char *dir, const char *rel, const char *text)
{
	char path[PATH_MAX];
	char *slash;
	int fd;

	assert_true(snprintf(path, sizeof(path), "%s", rel) <
		    (int)sizeof(path));
	slash = strrchr(path, '/');
	if (slash) {
		*slash = '\0';
		mkdirs(dir, path);
	}
	assert_true(snprintf(path, sizeof(path), "%s/%s", dir, rel) <
		    (int)sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static uint64_t ino_of(const char *dir, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	assert_true(snprintf(path, sizeof(path), "%s/%s", dir, rel) <
		    (int)sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

#define CG "sys/fs/cgroup/unified"
#define NGINX "system.slice/nginx.service"
#define DOCKER "system.slice/docker-" DOCKER_ID ".scope"
#define K8S                                                             \
	"kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-" \
	"pod" POD_UID_US ".slice/cri-containerd-" CTRD_ID ".scope"
#define CRIO \
	"kubepods.slice/kubepods-pod" POD_UID_US ".slice/crio-" CRIO_ID ".scope"
/* podman's cgroupfs manager; Docker under a --cgroup-parent of its own. */
#define PODMAN "libpod_parent/libpod-" CRIO_ID
#define CGPARENT "web-tier/" CTRD_ID
/* containers/storage's list: another container first, then ours. */
#define PODMAN_LIST                                                \
	"[{\"id\":\"" CTRD_ID "\",\"names\":[\"other\"]},"         \
	"{\"id\":\"" CRIO_ID "\",\"names\":[\"web-p\",\"alias\"]," \
	"\"metadata\":\"{\\\"image-name\\\":\\\"x\\\"}\",\"created\":1}]"

/* Docker's config.v2.json, cut down; decoy "Name" keys sit deeper. */
#define DOCKER_CONFIG                                                            \
	"{\"StreamConfig\":{},\"State\":{\"Running\":true,\"Paused\":false,"     \
	"\"Pid\":4711,\"ExitCode\":0,\"StartedAt\":\"2026-12-02T15:00:00Z\"},"   \
	"\"ID\":\"" DOCKER_ID "\",\"Path\":\"nginx\",\"Args\":[\"-g\","          \
	"\"daemon off;\"],\"Config\":{\"Hostname\":\"3f2a9c0e5b7d\","            \
	"\"Labels\":{\"Name\":\"decoy\"},\"Env\":[\"A=\\\"b\\\"\"]},"            \
	"\"NetworkSettings\":{\"Networks\":{\"bridge\":{\"Name\":\"decoy2\"}}}," \
	"\"Mounts\":[{\"Name\":\"decoy3\"}],\"RestartCount\":0,"                 \
	"\"Name\":\"/web-\\u0031\",\"Driver\":\"overlay2\"}\n"

/* containerd's OCI bundle config.json for a CRI container. */
#define CTRD_CONFIG                                                            \
	"{\n  \"ociVersion\": \"1.1.0\",\n  \"process\": {\"args\": "          \
	"[\"/docker-entrypoint.sh\"], \"cwd\": \"/\"},\n  \"root\": "          \
	"{\"path\": \"rootfs\"},\n  \"annotations\": {\n"                      \
	"    \"io.kubernetes.cri.container-name\": \"nginx\",\n"               \
	"    \"io.kubernetes.cri.container-type\": \"container\",\n"           \
	"    \"io.kubernetes.cri.image-name\": \"docker.io/library/nginx\",\n" \
	"    \"io.kubernetes.cri.sandbox-name\": \"web-7d4b9c\",\n"            \
	"    \"io.kubernetes.cri.sandbox-namespace\": \"shop\",\n"             \
	"    \"io.kubernetes.cri.sandbox-uid\": \"" POD_UID "\"\n  },\n"       \
	"  \"linux\": {\"namespaces\": [{\"type\": \"pid\"}]}\n}\n"

/* CRI-O's config.json under userdata: its own annotation names. */
#define CRIO_CONFIG                                       \
	"{\"ociVersion\":\"1.0.2-dev\",\"annotations\":{" \
	"\"io.kubernetes.container.name\":\"api\","       \
	"\"io.kubernetes.pod.name\":\"api-5f6d\","        \
	"\"io.kubernetes.pod.namespace\":\"payments\","   \
	"\"io.kubernetes.cri-o.Name\":\"k8s_api_api-5f6d_payments_x_0\"}}"

static char *make_root(void)
{
	char *dir = strdup("/tmp/tl-context-XXXXXX");

	assert_non_null(dir);
	assert_non_null(mkdtemp(dir));
	write_str(dir, "proc/self/mountinfo", MOUNTINFO);
	mkdirs(dir, CG "/" NGINX);
	mkdirs(dir, CG "/" DOCKER);
	mkdirs(dir, CG "/" K8S);
	mkdirs(dir, CG "/" CRIO);
	mkdirs(dir, CG "/" PODMAN);
	mkdirs(dir, CG "/" CGPARENT);
	mkdirs(dir, CG "/web-tier/" CRIO_ID);
	write_str(dir,
		  "var/lib/containers/storage/overlay-containers/"
		  "containers.json",
		  PODMAN_LIST);
	write_str(dir, "var/lib/docker/containers/" CTRD_ID "/config.v2.json",
		  "{\"Name\":\"/web-g\"}");
	write_str(dir, "var/lib/docker/containers/" DOCKER_ID "/config.v2.json",
		  DOCKER_CONFIG);
	write_str(dir,
		  "run/containerd/io.containerd.runtime.v2.task/k8s.io/" CTRD_ID
		  "/config.json",
		  CTRD_CONFIG);
	write_str(dir,
		  "run/containers/storage/overlay-containers/" CRIO_ID
		  "/userdata/config.json",
		  CRIO_CONFIG);
	write_str(dir, "proc/4711/cgroup",
		  "4:memory:/" DOCKER "\n0::/" DOCKER "\n");
	write_str(dir, "proc/4712/cgroup", "1:cpu:/\n");
	return dir;
}

static void rm_root(char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

static void test_fake_root(void **state)
{
	char *dir = make_root();
	struct tl_cgroups *cg = NULL;
	const struct tl_context *c;
	uint64_t id;

	(void)state;
	assert_int_equal(tl_cgroups_open(dir, &cg), 0);

	assert_string_equal(tl_cgroups_path(cg, ino_of(dir, CG)), "/");
	assert_string_equal(tl_cgroups_path(cg, ino_of(dir, CG "/" NGINX)),
			    "/" NGINX);
	c = tl_cgroups_context(cg, ino_of(dir, CG "/" NGINX));
	assert_non_null(c);
	assert_int_equal(c->kind, TL_CONTEXT_UNIT);
	assert_string_equal(c->name, "nginx.service");
	/* The slice above it names nothing. */
	c = tl_cgroups_context(cg, ino_of(dir, CG "/system.slice"));
	assert_non_null(c);
	assert_int_equal(c->kind, TL_CONTEXT_NONE);

	id = ino_of(dir, CG "/" DOCKER);
	c = tl_cgroups_context(cg, id);
	assert_non_null(c);
	assert_int_equal(c->kind, TL_CONTEXT_DOCKER);
	assert_string_equal(c->id, DOCKER_ID);
	assert_string_equal(c->name, "web-1");
	/* Cached: the same object the second time. */
	assert_ptr_equal(tl_cgroups_context(cg, id), c);

	c = tl_cgroups_context(cg, ino_of(dir, CG "/" K8S));
	assert_non_null(c);
	assert_int_equal(c->kind, TL_CONTEXT_KUBERNETES);
	assert_int_equal(c->runtime, TL_CONTEXT_CONTAINERD);
	assert_string_equal(c->name, "nginx");
	assert_string_equal(c->pod, "web-7d4b9c");
	assert_string_equal(c->pod_uid, POD_UID);
	assert_string_equal(c->pod_namespace, "shop");

	c = tl_cgroups_context(cg, ino_of(dir, CG "/" CRIO));
	assert_non_null(c);
	assert_int_equal(c->kind, TL_CONTEXT_KUBERNETES);
	assert_int_equal(c->runtime, TL_CONTEXT_CRIO);
	assert_string_equal(c->name, "api");
	assert_string_equal(c->pod, "api-5f6d");
	assert_string_equal(c->pod_namespace, "payments");

	c = tl_cgroups_context(cg, ino_of(dir, CG "/" PODMAN));
	assert_non_null(c);
	assert_int_equal(c->kind, TL_CONTEXT_PODMAN);
	assert_string_equal(c->id, CRIO_ID);
	assert_string_equal(c->name, "web-p");

	c = tl_cgroups_context(cg, ino_of(dir, CG "/" CGPARENT));
	assert_non_null(c);
	assert_int_equal(c->kind, TL_CONTEXT_DOCKER);
	assert_string_equal(c->id, CTRD_ID);
	assert_string_equal(c->name, "web-g");
	/* Its parent is nothing, nor a leaf of 64 digits Docker does not know. */
	c = tl_cgroups_context(cg, ino_of(dir, CG "/web-tier"));
	assert_non_null(c);
	assert_int_equal(c->kind, TL_CONTEXT_NONE);
	c = tl_cgroups_context(cg, ino_of(dir, CG "/web-tier/" CRIO_ID));
	assert_non_null(c);
	assert_int_equal(c->kind, TL_CONTEXT_NONE);
	assert_string_equal(c->id, "");

	/* A process's cgroup is found by its path's directory. */
	assert_int_equal(tl_cgroups_pid(cg, NULL, 4711), id);
	assert_int_equal(tl_cgroups_pid(cg, NULL, 4712), 0);
	assert_int_equal(tl_cgroups_pid(cg, NULL, 4713), 0);

	/* The same without a map, for stateless callers. */
	{
		struct tl_context one;
		char slash[PATH_MAX];

		assert_int_equal(tl_context_of_pid(dir, NULL, 4711, &one), 0);
		assert_int_equal(one.kind, TL_CONTEXT_DOCKER);
		assert_string_equal(one.name, "web-1");
		snprintf(slash, sizeof(slash), "%s/", dir);
		assert_int_equal(tl_context_of_pid(slash, NULL, 4711, &one), 0);
		assert_string_equal(one.name, "web-1");
		assert_int_equal(tl_context_of_pid(dir, NULL, 4712, &one),
				 -ENOENT);
		assert_int_equal(tl_context_of_pid(dir, NULL, 4713, &one),
				 -ENOENT);
	}

	/* An id nobody has: no path, no context. */
	assert_null(tl_cgroups_path(cg, 0));
	assert_null(tl_cgroups_context(cg, UINT64_MAX));
	tl_cgroups_free(cg);
	rm_root(dir);
}

static void test_fake_root_broken(void **state)
{
	char *dir = make_root();
	struct tl_cgroups *cg = NULL;
	const struct tl_context *c;
	char big[300];

	(void)state;
	/* A cut config and a name with control bytes: no name, or bytes. */
	write_str(dir, "var/lib/docker/containers/" DOCKER_ID "/config.v2.json",
		  "{\"Name\":\"/web-1\",\"Config\":{\"Hostname\":");
	write_str(dir,
		  "run/containerd/io.containerd.runtime.v2.task/k8s.io/" CTRD_ID
		  "/config.json",
		  "{\"annotations\":{\"io.kubernetes.cri.container-name\":"
		  "\"a\\u001b[2Jb\\u0000c\"}}");
	assert_int_equal(tl_cgroups_open(dir, &cg), 0);
	c = tl_cgroups_context(cg, ino_of(dir, CG "/" DOCKER));
	assert_non_null(c);
	assert_int_equal(c->kind, TL_CONTEXT_DOCKER);
	assert_string_equal(c->name, "");
	c = tl_cgroups_context(cg, ino_of(dir, CG "/" K8S));
	assert_non_null(c);
	/* Escapes decoded as given (printing escapes them); NUL replaced. */
	assert_string_equal(c->name, "a\x1b[2Jb\xef\xbf\xbd"
				     "c");
	assert_string_equal(c->pod, POD_UID);
	tl_cgroups_free(cg);

	/* A name longer than we keep is cut, not overrun. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	{
		char text[512];

		snprintf(text, sizeof(text), "{\"Name\":\"/%s\"}", big);
		write_str(dir,
			  "var/lib/docker/containers/" DOCKER_ID
			  "/config.v2.json",
			  text);
	}
	assert_int_equal(tl_cgroups_open(dir, &cg), 0);
	c = tl_cgroups_context(cg, ino_of(dir, CG "/" DOCKER));
	assert_non_null(c);
	/* Docker's leading '/' was kept, then dropped. */
	assert_int_equal(strlen(c->name), TL_CONTEXT_STR_MAX - 2);
	tl_cgroups_free(cg);

	/* No cgroup2 mounted: -ENOENT, and nothing to free. */
	write_str(dir, "proc/self/mountinfo",
		  "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw\n");
	cg = NULL;
	assert_int_equal(tl_cgroups_open(dir, &cg), -ENOENT);
	assert_null(cg);
	rm_root(dir);
}

static uint64_t max_seen;

static int note_ino(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (type == FTW_D && st->st_ino > max_seen)
		max_seen = st->st_ino;
	return 0;
}

static void test_new_cgroup(void **state)
{
	char *dir = make_root();
	struct tl_cgroups *cg = NULL;
	const char *p;
	char cgdir[PATH_MAX];
	uint64_t id;

	(void)state;
	assert_int_equal(tl_cgroups_open(dir, &cg), 0);
	snprintf(cgdir, sizeof(cgdir), "%s/" CG, dir);
	max_seen = 0;
	assert_int_equal(nftw(cgdir, note_ino, 16, FTW_PHYS), 0);
	mkdirs(dir, CG "/system.slice/late.service");
	id = ino_of(dir, CG "/system.slice/late.service");
	p = tl_cgroups_path(cg, id);
	/*
	 * Made after the walk: found by the second walk an unseen id makes.
	 * Inodes of a test's tmpfs need not grow; the kernel's cgroup ids do.
	 */
	if (id > max_seen) {
		assert_non_null(p);
		assert_string_equal(p, "/system.slice/late.service");
	} else {
		print_message("this tmpfs reused a lower inode: not checked\n");
	}

	/*
	 * A second new one is walked for too; a third right after is not
	 * (walks are rationed), and is found once the gap has passed.
	 */
	mkdirs(dir, CG "/system.slice/late2.service");
	id = ino_of(dir, CG "/system.slice/late2.service");
	p = tl_cgroups_path(cg, id);
	mkdirs(dir, CG "/system.slice/late3.service");
	if (id > max_seen &&
	    ino_of(dir, CG "/system.slice/late3.service") > id) {
		assert_non_null(p);
		id = ino_of(dir, CG "/system.slice/late3.service");
		assert_null(tl_cgroups_path(cg, id));
		usleep(300 * 1000);
		p = tl_cgroups_path(cg, id);
		assert_non_null(p);
		assert_string_equal(p, "/system.slice/late3.service");
	}
	tl_cgroups_free(cg);
	rm_root(dir);
}

#define SCAN(text, rc)    \
	assert_int_equal( \
		tl_context_json_scan(text, strlen(text), paths, out, 3), rc)

static void test_json_scan(void **state)
{
	static const char *const paths[] = { "Name", "annotations/a.b",
					     "annotations/c" };
	char out[3][TL_CONTEXT_STR_MAX];
	char deep[400];

	(void)state;
	/* Decoys: the same keys deeper, in arrays, or as values. */
	SCAN("{\"x\":{\"Name\":\"no\"},\"l\":[{\"Name\":\"no\"},\"Name\"],"
	     "\"v\":\"Name\",\"n\":-1.5e3,\"t\":true,\"z\":null,"
	     "\"annotations\":{\"a.b\":\"x\\\"y\\\\z\",\"d\":{\"c\":\"no\"}},"
	     "\"Name\":\"/w\\u00e9\\ud83d\\ude00\"}",
	     0);
	assert_string_equal(out[0], "/w\xc3\xa9\xf0\x9f\x98\x80");
	assert_string_equal(out[1], "x\"y\\z");
	assert_string_equal(out[2], "");
	/* A lone surrogate and \u0000 become U+FFFD, never a NUL. */
	SCAN("{\"Name\":\"a\\ud800b\\u0000\"}", 0);
	assert_string_equal(out[0], "a\xef\xbf\xbd"
				    "b\xef\xbf\xbd");
	/* Malformed: cut, raw control byte, bad escape, not an object. */
	SCAN("{\"Name\":\"abc", -EBADMSG);
	/*
	 * What a string cut short held is kept, terminated: it was left
	 * without its NUL, and the fuzzer's check found that once the stack
	 * held no stray zero after it.
	 */
	memset(out, 'X', sizeof(out));
	SCAN("{\"Name\":\"abc", -EBADMSG);
	assert_non_null(memchr(out[0], '\0', sizeof(out[0])));
	assert_string_equal(out[0], "abc");
	memset(out, 'X', sizeof(out));
	SCAN("{\"Name\":\"ab\\q\"}", -EBADMSG);
	assert_string_equal(out[0], "ab");
	SCAN("{\"Name\":\"a\nb\"}", -EBADMSG);
	SCAN("{\"Name\":\"\\x\"}", -EBADMSG);
	SCAN("{\"Name\":\"\\u12\"}", -EBADMSG);
	SCAN("[\"Name\"]", -EBADMSG);
	SCAN("{\"Name\" \"x\"}", -EBADMSG);
	SCAN("", -EBADMSG);
	/* A value found before the fault is kept. */
	SCAN("{\"Name\":\"ok\",\"x\":", -EBADMSG);
	assert_string_equal(out[0], "ok");
	/* Nesting deeper than we follow is refused, not recursed into. */
	memset(deep, '[', sizeof(deep) - 1);
	deep[0] = '{';
	deep[1] = '"';
	deep[2] = 'a';
	deep[3] = '"';
	deep[4] = ':';
	deep[sizeof(deep) - 1] = '\0';
	SCAN(deep, -EBADMSG);
	assert_int_equal(tl_context_json_scan("{}", 2, paths, out, 9), -EINVAL);
}

/*
 * A value longer than its buffer (a Docker name of 300 characters) ends
 * in "..." at a character's boundary, raw or escaped, so that it does not
 * pass for the whole name nor end in half a UTF-8 sequence.
 */
static void test_json_cut(void **state)
{
	static const char *const paths[] = { "Name" };
	static const char *const chars[] = { "\xc3\xa9", "\\u00e9" };
	char out[1][TL_CONTEXT_STR_MAX];
	char text[2048];

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		size_t len =
			(size_t)snprintf(text, sizeof(text), "{\"Name\":\"x");

		for (int i = 0; i < 300; i++)
			len += (size_t)snprintf(text + len, sizeof(text) - len,
						"%s", chars[k]);
		snprintf(text + len, sizeof(text) - len, "\"}");
		assert_int_equal(tl_context_json_scan(text, strlen(text), paths,
						      out, 1),
				 0);
		len = strlen(out[0]);
		assert_true(len >= TL_CONTEXT_STR_MAX - 4);
		assert_string_equal(out[0] + len - 3, "...");
		/* "x", then whole two-byte characters. */
		assert_int_equal((len - 3 - 1) % 2, 0);
		assert_int_equal((unsigned char)out[0][len - 5], 0xc3);
	}
	/* One that fits is whole. */
	snprintf(text, sizeof(text), "{\"Name\":\"web...\"}");
	assert_int_equal(
		tl_context_json_scan(text, strlen(text), paths, out, 1), 0);
	assert_string_equal(out[0], "web...");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_mountinfo),
		cmocka_unit_test(test_parse_proc),
		cmocka_unit_test(test_parse_path),
		cmocka_unit_test(test_fake_root),
		cmocka_unit_test(test_fake_root_broken),
		cmocka_unit_test(test_new_cgroup),
		cmocka_unit_test(test_json_scan),
		cmocka_unit_test(test_json_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
