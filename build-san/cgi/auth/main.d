build-san/cgi/auth/main.o: cgi/auth/main.c cgi/lib/log.h cgi/lib/resp.h \
 cgi/lib/svc.h cgi/lib/cfg.h cgi/lib/svc.h cgi/auth/tokens.h \
 cgi/lib/cfg.h
cgi/lib/log.h:
cgi/lib/resp.h:
cgi/lib/svc.h:
cgi/lib/cfg.h:
cgi/lib/svc.h:
cgi/auth/tokens.h:
cgi/lib/cfg.h:
