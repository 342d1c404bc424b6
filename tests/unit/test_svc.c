/*
 * Unit tests of svc: its configuration (SVC_THREADS, SHUTDOWN_GRACE_MS,
 * SVC_NOTIFY_FD).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "svc.h"
#include "t.h"

static void
unset_gives_5_s_grace(void)
{
	struct svc_cfg cfg;
	char           err[CFG_ERR_MAX];

	unsetenv("SHUTDOWN_GRACE_MS");
	T_CHECK(svc_cfg_load(&cfg, err) == 0 && cfg.grace_ms == 5000,
	    "5000 ms");
}

static void
auto_is_one_thread_per_online_cpu_at_least_2(void)
{
	struct svc_cfg cfg;
	char           err[CFG_ERR_MAX];
	long           cpus = sysconf(_SC_NPROCESSORS_ONLN);

	unsetenv("SVC_THREADS");
	T_CHECK(svc_cfg_load(&cfg, err) == 0 &&
		cfg.threads == (cpus < 2 ? 2 : cpus),
	    "per CPU");
}

static void
an_empty_svc_threads_is_the_default(void)
{
	struct svc_cfg cfg;
	char           err[CFG_ERR_MAX];

	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	/* compose passes an unset variable as empty. */
	setenv("SVC_THREADS", "", 1);
	T_CHECK(svc_cfg_load(&cfg, err) == 0 &&
		cfg.threads == (cpus < 2 ? 2 : cpus),
	    "per CPU");
	unsetenv("SVC_THREADS");
}

static void
svc_threads_overrides_the_default_up_to_256(void)
{
	struct svc_cfg cfg;
	char           err[CFG_ERR_MAX];

	setenv("SVC_THREADS", "3", 1);
	T_CHECK(svc_cfg_load(&cfg, err) == 0 && cfg.threads == 3, "3");
	setenv("SVC_THREADS", "257", 1);
	T_CHECK(svc_cfg_load(&cfg, err) == -1, "257 is refused");
	unsetenv("SVC_THREADS");
}

static void
svc_notify_fd_is_none_by_default_and_never_0_to_2(void)
{
	struct svc_cfg cfg;
	char           err[CFG_ERR_MAX];

	unsetenv("SVC_NOTIFY_FD");
	T_CHECK(svc_cfg_load(&cfg, err) == 0 && cfg.notify_fd == -1, "none");
	setenv("SVC_NOTIFY_FD", "3", 1);
	T_CHECK(svc_cfg_load(&cfg, err) == 0 && cfg.notify_fd == 3, "3");
	setenv("SVC_NOTIFY_FD", "2", 1);
	T_CHECK(svc_cfg_load(&cfg, err) == -1 &&
		strstr(err,
		    "SVC_NOTIFY_FD: must be an integer from 3 to 1023") != NULL,
	    "2 is the log");
	setenv("SVC_NOTIFY_FD", "1024", 1);
	T_CHECK(svc_cfg_load(&cfg, err) == -1, "1024 is refused");
	unsetenv("SVC_NOTIFY_FD");
}

int
main(void)
{
	T_RUN(unset_gives_5_s_grace);
	T_RUN(auto_is_one_thread_per_online_cpu_at_least_2);
	T_RUN(an_empty_svc_threads_is_the_default);
	T_RUN(svc_threads_overrides_the_default_up_to_256);
	T_RUN(svc_notify_fd_is_none_by_default_and_never_0_to_2);
	return T_DONE();
}
