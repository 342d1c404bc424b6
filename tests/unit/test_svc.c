/* Unit tests of svc: its configuration (SVC_THREADS, SHUTDOWN_GRACE_MS). */
#include <stdlib.h>
#include <unistd.h>

#include "svc.h"
#include "t.h"

int
main(void)
{
	struct svc_cfg		 cfg;
	char			 err[CFG_ERR_MAX];
	long			 cpus = sysconf(_SC_NPROCESSORS_ONLN);

	unsetenv("SVC_THREADS");
	unsetenv("SHUTDOWN_GRACE_MS");
	T_CHECK(svc_cfg_load(&cfg, 8, err) == 0 && cfg.threads == 8 &&
	    cfg.grace_ms == 5000, "unset: the service's default threads, 5 s grace");
	T_CHECK(svc_cfg_load(&cfg, SVC_THREADS_AUTO, err) == 0 &&
	    cfg.threads == (cpus < 2 ? 2 : cpus),
	    "per CPU: one thread per online CPU, at least 2");
	setenv("SVC_THREADS", "", 1);
	T_CHECK(svc_cfg_load(&cfg, 8, err) == 0 && cfg.threads == 8,
	    "empty (compose's unset variable) is the default");
	setenv("SVC_THREADS", "3", 1);
	T_CHECK(svc_cfg_load(&cfg, SVC_THREADS_AUTO, err) == 0 &&
	    cfg.threads == 3, "SVC_THREADS overrides the default");
	setenv("SVC_THREADS", "257", 1);
	T_CHECK(svc_cfg_load(&cfg, 8, err) == -1, "SVC_THREADS over 256 is refused");
	unsetenv("SVC_THREADS");
	return T_DONE();
}
