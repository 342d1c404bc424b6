build-san/cgi/lib/resp.o: cgi/lib/resp.c cgi/lib/resp.h cgi/lib/svc.h \
 cgi/lib/cfg.h
cgi/lib/resp.h:
cgi/lib/svc.h:
cgi/lib/cfg.h:
