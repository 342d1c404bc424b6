build-san/cgi/lib/svc.o: cgi/lib/svc.c cgi/lib/svc.h cgi/lib/cfg.h \
 cgi/lib/log.h cgi/lib/reqid.h cgi/lib/resp.h
cgi/lib/svc.h:
cgi/lib/cfg.h:
cgi/lib/log.h:
cgi/lib/reqid.h:
cgi/lib/resp.h:
