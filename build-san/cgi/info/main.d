build-san/cgi/info/main.o: cgi/info/main.c cgi/info/authc.h cgi/lib/cfg.h \
 cgi/info/breaker.h cgi/lib/log.h cgi/lib/resp.h cgi/lib/svc.h \
 cgi/lib/cfg.h cgi/lib/svc.h
cgi/info/authc.h:
cgi/lib/cfg.h:
cgi/info/breaker.h:
cgi/lib/log.h:
cgi/lib/resp.h:
cgi/lib/svc.h:
cgi/lib/cfg.h:
cgi/lib/svc.h:
